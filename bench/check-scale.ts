/**
 * Benchmark: the checks must be O(n log n) in the number of ranges (sort + sweep). Each target
 * is timed at n and 8n and the growth exponent is reported: n log n gives about 1.1, a
 * pairwise loop 2. A benchmark, not a test: timings are reported, never asserted.
 * Run: npx tsx bench/check-scale.ts  (also called from bench/run.ts when present)
 */
import { mkNode, mkProp, mkTree, propStr, propU32 } from '../src/backends/fdt/model';
import { writeDtb } from '../src/backends/fdt/blob';
import { lintBytes, resolveCheckLevels, runConfigChecks } from '../src/check/index';
import type { IrMachine } from '../src/ir/types';
import { cleanMachine } from '../test/check/fixtures';
import { buildIort, its, rc, smmuv3, type BNode } from '../test/check/iort-builder';

/** Best of three runs after a warm-up (JIT), so that one busy moment does not decide. */
function time(f: () => void): number {
  f();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function scaled(f: (n: number) => () => void, n: number): { small: number; large: number } {
  return { small: time(f(n)), large: time(f(8 * n)) };
}

function bigMachine(n: number): IrMachine {
  const m = cleanMachine();
  const step = 0x10000 / n;
  const pcie = m.bridges[0]!;
  Object.assign(pcie, { busStart: 0, busEnd: 0xff });
  m.bridges = [pcie];
  m.rootPorts = [];
  m.devices = [];
  m.segments[0]!.ridMap = Array.from({ length: n }, (_, i) => ({
    base: i * step,
    count: step,
    target: { kind: 'smmu' as const, smmu: 'smmu0', streamBase: i * step },
    owner: 'pcie.0',
  }));
  m.smmus[0]!.msiMap = Array.from({ length: n }, (_, i) => ({ base: i * step, count: step, outBase: i * step, its: 'its0' }));
  m.rmrs = [
    {
      id: 'big',
      smmu: 'smmu0',
      streams: Array.from({ length: n }, (_, i) => ({ base: i * step, count: 1 })),
      ranges: Array.from({ length: n }, (_, i) => ({ base: 0x1_0000_0000n + BigInt(i) * 0x2_0000n, size: 0x1_0000n })),
      remappable: false,
      privileged: false,
      attributes: 0,
      devices: [],
    },
  ];
  return m;
}

function bigIort(n: number): Uint8Array {
  const nodes: BNode[] = [its('its')];
  for (let i = 0; i < n; i++)
    nodes.push(
      smmuv3(`s${i}`, { base: 0x1000_0000n + BigInt(i) * 0x2_0000n }, Array.from({ length: 8 }, (_, k) => ({ input: k * 0x100, idCount: 0xff, output: i * 0x800 + k * 0x100, ref: 'its' }))),
    );
  nodes.push(rc('rc', {}, Array.from({ length: Math.min(n, 3000) }, (_, i) => ({ input: i * 16, idCount: 15, output: i * 16, ref: `s${i % n}` }))));
  return buildIort(5, nodes).bytes;
}

function bigDtb(n: number): Uint8Array {
  const cells: number[] = [];
  const step = Math.max(1, Math.floor(0x10000 / n));
  for (let i = 0; i < n; i++) cells.push(i * step, 1, i * step, step);
  const smmu = mkNode('iommu@9050000', [propStr('compatible', 'arm,smmu-v3'), propU32('reg', 0, 0x0905_0000, 0, 0x2_0000), propU32('#iommu-cells', 1), propU32('phandle', 1)]);
  const value = new Uint8Array(cells.length * 4);
  const dv = new DataView(value.buffer);
  cells.forEach((c, i) => dv.setUint32(i * 4, c, false));
  const pcie = mkNode('pcie@10000000', [propStr('device_type', 'pci'), propU32('bus-range', 0, 0xff), mkProp('iommu-map', value), mkProp('msi-map', value.slice())]);
  return writeDtb(mkTree(mkNode('', [propU32('#address-cells', 2), propU32('#size-cells', 2)], [smmu, pcie])));
}

const levels = resolveCheckLevels().levels;

export interface ScaleRow {
  target: string;
  n: number;
  smallMs: number;
  largeMs: number;
  exponent: number;
}

export function measureCheckScaling(): ScaleRow[] {
  const rows: ScaleRow[] = [];
  const add = (target: string, n: number, f: (n: number) => () => void) => {
    const t = scaled(f, n);
    rows.push({ target, n, smallMs: t.small, largeMs: t.large, exponent: Math.log(t.large / Math.max(t.small, 1e-3)) / Math.log(8) });
  };
  add('config checks (RID ranges, MSI maps, RMR ranges)', 2048, (n) => {
    const m = bigMachine(n);
    return () => void runConfigChecks(m);
  });
  add('IORT lint (nodes, mappings)', 300, (n) => {
    const b = bigIort(n);
    return () => void lintBytes(b, 'big.iort', 'iort', levels);
  });
  add('DT lint (map entries)', 4096, (n) => {
    const b = bigDtb(n);
    return () => void lintBytes(b, 'big.dtb', 'dtb', levels);
  });
  return rows;
}

if (process.argv[1] && process.argv[1].endsWith('check-scale.ts')) {
  for (const r of measureCheckScaling())
    console.log(`${r.target.padEnd(50)} n=${String(r.n).padStart(5)}  ${r.smallMs.toFixed(2)} ms -> 8n ${r.largeMs.toFixed(2)} ms  exponent ${r.exponent.toFixed(2)}`);
}
