/**
 * The benchmark's own parts, without timings: the generated machines build cleanly at the
 * smallest scale, the iasl converter round-trips (iasl compiles our dump back into our
 * table), and the statistics are right.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import type { IortTable } from '../../src/backends/iort/model';
import { hasErrors } from '../../src/diag/diagnostic';
import { compile, DTB_FILE, IORT_FILE } from '../../src/pipeline/compile';
import { elementCount, generateMachine, generateQemuSized, rmrFree, SCALES } from '../../bench/gen';
import { alignIaslOutput, IaslUnsupported, toIaslSource } from '../../bench/iasl-source';
import { growthExponent, stats } from '../../bench/proc';
import { runTool } from '../helpers/oracles';

const enc = new TextEncoder();

function build(src: string, file: string) {
  const r = compile(enc.encode(src), file, { verify: false });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
  expect(errors).toEqual([]);
  expect(r.outputs).not.toBeNull();
  const out = (n: string) => r.outputs!.find((o) => o.name === n)!.bytes;
  return { r, iort: out(IORT_FILE), dtb: out(DTB_FILE) };
}

describe('generated machines', () => {
  const smallest = SCALES[0]!;

  it('the smallest scale lowers, checks and encodes without errors, with the requested shape', () => {
    const { r } = build(generateMachine(smallest), 'smallest.iotopo');
    expect(hasErrors(r.diagnostics)).toBe(false);
    const ir = r.ir!;
    expect(ir.smmus).toHaveLength(smallest.smmus);
    expect(ir.bridges.filter((b) => b.kind === 'pxb')).toHaveLength(smallest.pxbs);
    expect(ir.segments).toHaveLength(smallest.segments);
    expect(ir.rmrs.reduce((n, x) => n + x.ranges.length, 0)).toBe(smallest.rmrRanges);
    expect(ir.devices).toHaveLength(smallest.pxbs);
  });

  it('the RMR-free twin builds, at IORT revision 3, without RMR nodes', () => {
    const { r, iort } = build(generateMachine(rmrFree(smallest)), 'smallest-free.iotopo');
    expect(r.ir!.rmrs).toEqual([]);
    const t = decodeIort(iort).value!;
    expect(t.header.revision).toBe(3);
    expect(t.nodes.some((n) => n.kind === 'rmr')).toBe(false);
  });

  it('spreads the expanders of every scale over segments that hold them', () => {
    for (const s of SCALES) {
      expect(s.pxbs % s.segments).toBe(0);
      expect(s.pxbs / s.segments).toBeLessThanOrEqual(32);
      expect(elementCount(s)).toBeGreaterThan(s.pxbs);
    }
    // a scale the generator cannot lay out is refused, not silently changed
    expect(() => generateMachine({ name: 'bad', smmus: 1, pxbs: 66, segments: 2, rmrRanges: 0 })).toThrow(/do not fit/);
  });

  it('QEMU-sized configs build and differ from each other', () => {
    const a = build(generateQemuSized(0), 'q0.iotopo');
    const b = build(generateQemuSized(1), 'q1.iotopo');
    expect(a.r.ir!.profile).toBe('qemu-virt');
    expect(Buffer.from(a.dtb).equals(Buffer.from(b.dtb))).toBe(false);
  });
});

/** Compiles `source` with iasl in a private directory. */
function iaslCompile(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'iotopo-bench-iasl-'));
  try {
    writeFileSync(join(dir, 'iort.asl'), source);
    const r = runTool('iasl', ['-p', join(dir, 'out'), join(dir, 'iort.asl')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return new Uint8Array(readFileSync(join(dir, 'out.aml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The offsets iasl 20200925 may write differently: checksum, creator ID/revision, node identifiers. */
function allowedPatches(t: IortTable): Set<number> {
  const s = new Set<number>([9]);
  for (let i = 28; i < 36; i++) s.add(i);
  for (const n of t.nodes) for (let i = 4; i < 8; i++) s.add(n.offset + i);
  return s;
}

describe('iasl converter (decoded IORT -> iasl data-table source)', () => {
  const cases: [string, () => string][] = [
    ['examples/qemu-b-smmuv3-2pxb.iotopo', () => readFileSync('examples/qemu-b-smmuv3-2pxb.iotopo', 'utf8')],
    ['examples/qemu-c-smmuv3-2pxb-bypass.iotopo', () => readFileSync('examples/qemu-c-smmuv3-2pxb-bypass.iotopo', 'utf8')],
    ['generated RMR-free machine (8 SMMUs, 2 segments)', () => generateMachine(rmrFree(SCALES[1]!))],
  ];
  for (const [name, src] of cases) {
    it(`${name}: iasl compiles the source back into our table`, () => {
      const { iort } = build(src(), 'x.iotopo');
      const t = decodeIort(iort).value!;
      const source = toIaslSource(t);
      expect(source).toContain('Signature : "IORT"');
      const compiled = iaslCompile(source);
      expect(compiled.length).toBe(iort.length);
      const { bytes, patched } = alignIaslOutput(compiled, t);
      // Only the fields iasl always writes itself may differ before alignment ...
      const allowed = allowedPatches(t);
      expect(patched.filter((o) => !allowed.has(o))).toEqual([]);
      // ... and after it the tables are the same, byte for byte.
      expect(Buffer.from(bytes).equals(Buffer.from(iort))).toBe(true);
    });
  }

  it('refuses what iasl 20200925 cannot compile (RMR nodes, newer root complex nodes)', () => {
    const rmr = build(readFileSync('examples/seed-nested.iotopo', 'utf8'), 'seed.iotopo');
    expect(() => toIaslSource(decodeIort(rmr.iort).value!)).toThrow(IaslUnsupported);
    const rev5 = build(generateMachine({ ...rmrFree(SCALES[0]!), revision: 5 }), 'rev5.iotopo');
    expect(() => toIaslSource(decodeIort(rev5.iort).value!)).toThrow(/newer than iasl/);
  });

  it('a changed field in our table is caught after alignment', () => {
    const { iort } = build(readFileSync('examples/qemu-b-smmuv3-2pxb.iotopo', 'utf8'), 'b.iotopo');
    const t = decodeIort(iort).value!;
    const compiled = iaslCompile(toIaslSource(t));
    const tampered = new Uint8Array(iort);
    const smmu = t.nodes.find((n) => n.kind === 'smmu-v3')!;
    tampered[smmu.offset + 16] = tampered[smmu.offset + 16]! ^ 0x10; // base address
    expect(Buffer.from(alignIaslOutput(compiled, t).bytes).equals(Buffer.from(tampered))).toBe(false);
  });
});

describe('statistics', () => {
  it('min and median', () => {
    expect(stats([5, 1, 3])).toMatchObject({ runs: 3, min: 1, median: 3, max: 5 });
    expect(stats([4, 1, 3, 2]).median).toBe(2.5);
    expect(() => stats([])).toThrow();
  });

  it('growth exponent: the slope of log time over log size', () => {
    const sizes = [10, 100, 1000, 10000];
    expect(growthExponent(sizes.map((size) => ({ size, ms: 0.5 * size })))).toBeCloseTo(1, 5);
    expect(growthExponent(sizes.map((size) => ({ size, ms: 0.001 * size * size })))).toBeCloseTo(2, 5);
    expect(growthExponent(sizes.map((size) => ({ size, ms: 7 })))).toBeCloseTo(0, 5);
    expect(growthExponent([{ size: 10, ms: 1 }])).toBeNull();
  });
});
