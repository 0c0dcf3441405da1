/**
 * Reader errors: each malformed blob gives its IOT40xx code at the right byte offset, never an
 * exception; random corruption of a real blob never throws either.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { writeDtb } from '../../src/backends/fdt/blob';
import { mkNode, mkTree, propU32 } from '../../src/backends/fdt/model';
import { qemuDtb } from './util';

/** The vm-fdt "minimal" golden blob (fdt.md 1.8): header, empty rsvmap, root node, FDT_END. */
const MINIMAL = [
  0xd00dfeed, 0x48, 0x38, 0x48, 0x28, 0x11, 0x10, 0, 0, 0x10, 0, 0, 0, 0, 0x1, 0, 0x2, 0x9,
];
function words(ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const dv = new DataView(b.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, w >>> 0));
  return b;
}
function small(): Uint8Array {
  return writeDtb(mkTree(mkNode('', [propU32('#address-cells', 2)], [mkNode('a@1', [propU32('reg', 1)])])));
}
function patch(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(off, v >>> 0);
  return c;
}
const codes = (b: Uint8Array) => decodeDtb(b, 't.dtb').diagnostics.map((d) => `${d.code}@0x${(d.loc?.byteOffset ?? -1).toString(16)}`);

describe('decoder: valid minimal inputs', () => {
  it('decodes the vm-fdt minimal blob and re-encodes it byte for byte', () => {
    const b = words(MINIMAL);
    const r = decodeDtb(b, 'm');
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.root.path).toBe('/');
    expect(Buffer.from(writeDtb(r.value!)).equals(Buffer.from(b))).toBe(true);
  });
  it('reads a version 16 blob (no size_dt_struct) up to FDT_END', () => {
    const v17 = small();
    const v16 = patch(patch(v17, 0x14, 16), 0x24, 0xdeadbeef); // field does not exist in v16
    const r = decodeDtb(v16, 'v16');
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.root.children[0]!.unitName).toBe('a@1');
  });
  it('skips FDT_NOP tokens', () => {
    const b = words([0xd00dfeed, 0x50, 0x38, 0x50, 0x28, 0x11, 0x10, 0, 0, 0x18, 0, 0, 0, 0, 0x4, 0x1, 0, 0x4, 0x2, 0x9]);
    expect(decodeDtb(b, 'n').diagnostics).toEqual([]);
  });
});

describe('decoder: dtc reader errors as located diagnostics', () => {
  const base = small();
  const h = new DataView(base.buffer);
  const offStruct = h.getUint32(0x08);
  const offStrings = h.getUint32(0x0c);
  const sizeStruct = h.getUint32(0x24);
  it('bad magic', () => expect(codes(patch(base, 0, 0xd00dfeee))).toEqual(['IOT4001@0x0']));
  it('not even 4 bytes', () => expect(codes(new Uint8Array([0xd0, 0x0d]))).toEqual(['IOT4001@0x0']));
  it('truncated header', () => expect(codes(base.slice(0, 20))).toEqual(['IOT4002@0x0']));
  it('old versions are refused', () => expect(codes(patch(base, 0x14, 3))).toEqual(['IOT4004@0x14']));
  it('last_comp_version newer than 17', () => expect(codes(patch(base, 0x18, 18))).toEqual(['IOT4004@0x18']));
  it('totalsize beyond the input', () => expect(codes(patch(base, 4, base.length + 4))).toEqual(['IOT4003@0x4']));
  it('huge totalsize does not allocate', () => expect(codes(patch(base, 4, 0xffffffff))).toEqual(['IOT4003@0x4']));
  it('struct offset past totalsize', () => expect(codes(patch(base, 0x08, 0x10000))).toEqual(['IOT4005@0x8']));
  it('rsvmap offset past totalsize', () => expect(codes(patch(base, 0x10, 0x10000))).toEqual(['IOT4005@0x10']));
  it('strings block past totalsize', () => expect(codes(patch(base, 0x20, 0x1000))).toContain('IOT4006@0x20'));
  it('struct block past totalsize', () => expect(codes(patch(base, 0x24, 0x1000))).toContain('IOT4006@0x24'));
  it('struct and strings overlap', () => expect(codes(patch(base, 0x0c, offStruct + 8))).toContain('IOT4007@0xc'));
  it('misaligned struct offset', () => expect(codes(patch(base, 0x08, offStruct + 2))).toContain('IOT4009@0x8'));
  it('string offset past the strings block', () => {
    // The first FDT_PROP's nameoff sits 8 bytes after its token; the root prop comes after
    // BEGIN_NODE "" (8 bytes).
    const propTok = offStruct + 8;
    expect(h.getUint32(propTok)).toBe(3);
    expect(codes(patch(base, propTok + 8, 0x1000))).toEqual([`IOT4014@0x${(propTok + 8).toString(16)}`]);
  });
  it('property length past the structure block', () => {
    const propTok = offStruct + 8;
    expect(codes(patch(base, propTok + 4, 0x7fffffff))).toEqual([`IOT4021@0x${(propTok + 4).toString(16)}`]);
  });
  it('bad token', () => {
    const propTok = offStruct + 8;
    expect(codes(patch(base, propTok, 0x7))).toEqual([`IOT4011@0x${propTok.toString(16)}`]);
  });
  it('does not begin with FDT_BEGIN_NODE', () => expect(codes(patch(base, offStruct, 0x2))).toEqual([`IOT4010@0x${offStruct.toString(16)}`]));
  it('missing FDT_END', () => {
    const endTok = offStruct + sizeStruct - 4;
    expect(h.getUint32(endTok)).toBe(9);
    const c = codes(patch(base, endTok, 0x4)); // FDT_NOP instead of FDT_END
    expect(c).toContain(`IOT4015@0x${endTok.toString(16)}`);
  });
  it('premature FDT_END (unbalanced)', () => {
    const endNodeRoot = offStruct + sizeStruct - 8;
    expect(h.getUint32(endNodeRoot)).toBe(2);
    expect(codes(patch(base, endNodeRoot, 0x9))).toEqual([`IOT4016@0x${endNodeRoot.toString(16)}`]);
  });
  it('excessive depth', () => {
    let n = mkNode('leaf');
    for (let i = 0; i < 70; i++) n = mkNode(`n${i}`, [], [n]);
    const b = writeDtb(mkTree(mkNode('', [], [n])));
    const d = decodeDtb(b, 'deep').diagnostics;
    expect(d.map((x) => x.code)).toEqual(['IOT4017']);
    expect(decodeDtb(b, 'deep', { maxDepth: 100 }).diagnostics).toEqual([]);
  });
  it('unterminated reservation block', () => {
    // rsvmap entry overwritten with a non-zero size right before the struct block
    const c = patch(patch(base, 0x28 + 12, 1), 0x10, 0x28);
    expect(codes(c)).toContain('IOT4008@0x38');
  });
  it('string table not NUL-terminated at its end', () => {
    const c = base.slice();
    c[offStrings + h.getUint32(0x20) - 1] = 0x41;
    expect(codes(c).some((x) => x.startsWith('IOT4014'))).toBe(true);
  });
});

describe('decoder: robustness', () => {
  const real = new Uint8Array(readFileSync(qemuDtb('a_smmuv3')));
  it('never throws on random byte corruption of a real blob', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const b = real.slice();
        for (const [o, v] of edits) b[o] = v;
        const r = decodeDtb(b, 'fuzz');
        expect(r.value !== null || r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
      }),
      { numRuns: 400, seed: 4 },
    );
  });
  it('never throws on truncation at any length', () => {
    for (let n = 0; n < real.length; n += 7) {
      const r = decodeDtb(real.subarray(0, n), 'trunc');
      expect(r.value).toBeNull();
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });
  it('never throws on arbitrary bytes behind a valid magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (tail) => {
        const b = new Uint8Array(4 + tail.length);
        b.set([0xd0, 0x0d, 0xfe, 0xed]);
        b.set(tail, 4);
        const r = decodeDtb(b, 'rand');
        expect(r.value !== null || r.diagnostics.length > 0).toBe(true);
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});
