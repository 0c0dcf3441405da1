/**
 * The piecewise interpreters (iort-pieces, dt-pieces) against the reference ones (resolveRid,
 * DtInterpreter), RID by RID over whole segments, on the examples and on tables that exercise
 * the awkward rules: the -EAGAIN boundary workaround, Single mappings, masks, overlaps.
 */
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../../src/backends/fdt/decode';
import { decodeIort } from '../../../src/backends/iort/decode';
import type { IortTable } from '../../../src/backends/iort/model';
import { DtInterpreter, resolveRid, segmentsFromIr } from '../../../src/verify/index';
import { DtPieces } from '../../../src/verify/replay/dt-pieces';
import { iortPieces } from '../../../src/verify/replay/iort-pieces';
import { affAt, mergePieces, splitAt, coalesce } from '../../../src/verify/replay/pieces';
import { cells, editDtb, MAP, nodeAt, patch32, setCells, bridges } from '../../mutation/edit';
import { build, examples, lowerExample, type Built } from './helpers';

function tableOf(bytes: Uint8Array): IortTable {
  const r = decodeIort(bytes, 't');
  if (!r.value) throw new Error('decode');
  return r.value;
}

/** Every RID of every segment: piecewise vs resolveRid. Returns the number of mismatches. */
function checkIort(t: IortTable, segments: number[]): string[] {
  const bad: string[] = [];
  for (const seg of segments) {
    const ps = iortPieces(t, seg);
    expect(ps[0]!.lo).toBe(0);
    expect(ps[ps.length - 1]!.hi).toBe(0xffff);
    for (const p of ps) {
      for (let rid = p.lo; rid <= p.hi; rid++) {
        const r = resolveRid(t, seg, rid);
        const v = p.v;
        const smmu = v.smmuNode === null ? null : (t.nodes[v.smmuNode] as { base: bigint }).base;
        const its = v.itsNode === null ? null : t.nodes[v.itsNode]!;
        const tid = its && its.kind === 'its-group' ? its.identifiers[0] : undefined;
        const ok =
          (r.smmu?.base ?? null) === smmu &&
          r.streamId === (v.sid ? affAt(v.sid, rid) : null) &&
          (r.its?.translationId ?? null) === (tid ?? null) &&
          r.deviceId === (v.dev ? affAt(v.dev, rid) : null) &&
          r.unmapped === v.unmapped;
        if (!ok && bad.length < 5) bad.push(`seg ${seg} rid 0x${rid.toString(16)}`);
      }
    }
  }
  return bad;
}

function checkDt(b: Built, dtb: Uint8Array): string[] {
  const tree = decodeDtb(dtb, 'd').value!;
  const interp = new DtInterpreter(tree.root);
  const segOf = segmentsFromIr(interp, b.ir);
  const dp = new DtPieces(interp);
  const bad: string[] = [];
  for (const s of b.ir.segments) {
    for (const p of dp.segmentPieces(s.segment, segOf)) {
      for (let rid = p.lo; rid <= p.hi; rid++) {
        const r = interp.resolveSegmentRid(s.segment, rid, segOf);
        const v = p.v;
        const noOwner = r.trace.length === 1 && /no host bridge/.test(r.trace[0]!.what);
        const ok = noOwner
          ? v.bridge === null
          : (r.smmu?.base ?? null) === v.smmu &&
            r.streamId === (v.sid ? affAt(v.sid, rid) : null) &&
            (r.its ? (r.its.base ?? -1n) : null) === v.its &&
            r.deviceId === (v.dev ? affAt(v.dev, rid) : null);
        if (!ok && bad.length < 5) bad.push(`seg ${s.segment} rid 0x${rid.toString(16)}`);
      }
    }
  }
  return bad;
}

describe('piece helpers', () => {
  it('splitAt and mergePieces refine without gaps', () => {
    expect(splitAt(0, 9, [3, 3, 12, -1, 7])).toEqual([
      [0, 2],
      [3, 6],
      [7, 9],
    ]);
    const m = mergePieces<[string, number]>(
      [
        [
          { lo: 0, hi: 4, v: 'a' },
          { lo: 5, hi: 9, v: 'b' },
        ],
        [
          { lo: 0, hi: 1, v: 1 },
          { lo: 2, hi: 9, v: 2 },
        ],
      ],
      0,
      9,
    );
    expect(m.map((p) => [p.lo, p.hi, ...p.v])).toEqual([
      [0, 1, 'a', 1],
      [2, 4, 'a', 2],
      [5, 9, 'b', 2],
    ]);
    expect(() => mergePieces<[string]>([[{ lo: 1, hi: 9, v: 'x' }]], 0, 9)).toThrow(/does not cover/);
    expect(coalesce([{ lo: 0, hi: 1, v: 1 }, { lo: 2, hi: 3, v: 1 }, { lo: 4, hi: 4, v: 2 }], (a, b) => a === b)).toHaveLength(2);
  });
});

describe('piecewise IORT and DT walks equal the reference interpreters RID by RID', () => {
  for (const file of examples().filter((f) => f.endsWith('.iotopo'))) {
    it(file, () => {
      const b = build(lowerExample(file));
      expect(checkIort(tableOf(b.iort), b.ir.segments.map((s) => s.segment))).toEqual([]);
      expect(checkDt(b, b.dtb)).toEqual([]);
    });
  }

  const b = build(lowerExample('qemu-b-smmuv3-2pxb.iotopo'));
  const t = tableOf(b.iort);
  const rc = t.nodes.find((n) => n.kind === 'root-complex')!;

  it('HiSilicon-style counts (count instead of count - 1) on every RC range', () => {
    const edits = rc.mappings.map((m): [number, number] => [m.offset + MAP.idCount, m.idCount + 1]);
    expect(checkIort(tableOf(patch32(b.iort, edits)), [0])).toEqual([]);
  });
  it('a Single mapping in the middle of the array', () => {
    const m = rc.mappings[1]!;
    expect(checkIort(tableOf(patch32(b.iort, [[m.offset + MAP.flags, 1]])), [0])).toEqual([]);
  });
  it('overlapping ranges and a range ending on the next one\'s first ID in the wrong order', () => {
    const a = rc.mappings[0]!;
    const z = rc.mappings[3]!;
    const bytes = patch32(b.iort, [
      [a.offset + MAP.idCount, a.idCount + 0x40],
      [z.offset + MAP.inputBase, z.inputBase - 1],
      [z.offset + MAP.idCount, z.idCount + 1],
    ]);
    expect(checkIort(tableOf(bytes), [0])).toEqual([]);
  });
  it('an SMMU -> ITS map with a DeviceID output near 2^32 (u32 wrap)', () => {
    const smmu = t.nodes.find((n) => n.kind === 'smmu-v3')!;
    const m = smmu.mappings[0]!;
    expect(checkIort(tableOf(patch32(b.iort, [[m.offset + MAP.outputBase, 0xffffff00]])), [0])).toEqual([]);
  });
  it('DT: a mask, a short bus-range and an entry with a bad phandle', () => {
    const dtb = editDtb(b.dtb, (root) => {
      const [first, second] = bridges(root);
      setCells(nodeAt(root, first!.path), 'iommu-map-mask', [0xfff8]);
      const br = cells(nodeAt(root, second!.path), 'bus-range');
      setCells(nodeAt(root, second!.path), 'bus-range', [br[0]!, br[0]!]);
      const mm = cells(nodeAt(root, second!.path), 'msi-map');
      mm[1] = 0x4242;
      setCells(nodeAt(root, second!.path), 'msi-map', mm);
    });
    expect(checkDt(b, dtb)).toEqual([]);
  });
});
