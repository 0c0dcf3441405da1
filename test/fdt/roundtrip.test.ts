/**
 * Decoder + DTS printer + writer against real blobs: every corpus DTB and QEMU's machine.dtb.
 * Oracle: dtc. Our DTS recompiled by dtc must give the same tree as the original (compared as
 * `dtc -I dtb -O dts -s` text), and our printer must match dtc's own text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { toDts } from '../../src/backends/fdt/dts';
import { writeDtb } from '../../src/backends/fdt/blob';
import { corpusDtbs, dtcToDtb, dtcToDts, QEMU_CASES, qemuDtb } from './util';

/** Blobs whose `dtc -I dtb -O dts` text does not recompile to the same tree. */
const LOSSY_IN_DTC = ['samsung-exynos7870-j6lte.dtb'];

const files = [...corpusDtbs(), ...QEMU_CASES.map(qemuDtb)];

describe('corpus round trip', () => {
  it('finds the corpus (20 dts-derived blobs + 3 QEMU blobs)', () => {
    expect(corpusDtbs().length).toBe(20);
    expect(files.length).toBe(23);
  });

  for (const f of files) {
    const short = f.split('/').slice(-2).join('/');
    it(`${short}: decodes cleanly, DTS recompiles to the same tree, printer matches dtc`, () => {
      const bytes = new Uint8Array(readFileSync(f));
      const r = decodeDtb(bytes, f);
      expect(r.diagnostics).toEqual([]);
      const tree = r.value!;
      const ours = toDts(tree);
      const theirs = dtcToDts(bytes);
      expect(theirs.status).toBe(0);
      const sorted = dtcToDts(bytes, true).dts;
      const re = dtcToDtb(ours);
      expect(re.status).toBe(0);
      expect(dtcToDts(re.dtb, true).dts).toBe(sorted);
      // Where dtc's own text is lossless, ours is identical to it.
      const dtcLossless = dtcToDts(dtcToDtb(theirs.dts).dtb, true).dts === sorted;
      if (dtcLossless) expect(ours).toBe(theirs.dts);
      else expect(LOSSY_IN_DTC).toContain(f.split('/').pop());
    });
  }

  for (const f of corpusDtbs()) {
    it(`${f.split('/').pop()}: the writer reproduces the dtc-made blob byte for byte`, () => {
      const bytes = new Uint8Array(readFileSync(f));
      expect(Buffer.from(writeDtb(decodeDtb(bytes, f).value!)).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  it("QEMU's libfdt-made blob re-encodes to the same tree in dtc's layout", () => {
    const bytes = new Uint8Array(readFileSync(qemuDtb('a_smmuv3')));
    const t = decodeDtb(bytes, 'q').value!;
    const out = writeDtb(t);
    // libfdt orders the strings block differently (and fdt_pack leaves other traces): not equal bytes...
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(false);
    // ...but equal to what dtc makes of our DTS, and the same tree.
    expect(Buffer.from(out).equals(Buffer.from(dtcToDtb(toDts(t)).dtb))).toBe(true);
    expect(dtcToDts(out, true).dts).toBe(dtcToDts(bytes, true).dts);
  });

  it('prints a string list whose NUL precedes a digit as a list (dtc would print an octal escape)', () => {
    const f = corpusDtbs().find((x) => x.endsWith(LOSSY_IN_DTC[0]!))!;
    const dts = toDts(decodeDtb(new Uint8Array(readFileSync(f)), f).value!);
    expect(dts).toContain('mount-matrix = "-1", "0", "0", "0", "1", "0", "0", "0", "-1";');
    expect(dtcToDts(new Uint8Array(readFileSync(f))).dts).toContain('mount-matrix = "-1\\00\\00');
  });

  it('records struct offsets of nodes and properties', () => {
    const bytes = new Uint8Array(readFileSync(qemuDtb('a_smmuv3')));
    const t = decodeDtb(bytes, 'q').value!;
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect(dv.getUint32(t.root.structOffset)).toBe(1);
    const smmu = t.root.children.find((c) => c.unitName === 'smmuv3@9050000')!;
    expect(smmu.path).toBe('/smmuv3@9050000');
    expect(dv.getUint32(smmu.structOffset)).toBe(1);
    for (const p of smmu.props) {
      expect(dv.getUint32(p.structOffset)).toBe(3);
      expect(dv.getUint32(p.structOffset + 4)).toBe(p.value.length);
    }
  });
});
