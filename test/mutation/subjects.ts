/** The examples as mutation subjects: config, emitted IORT and DTB, and their decoded forms. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFdt } from '../../src/backends/fdt/encode';
import type { FdtTree } from '../../src/backends/fdt/model';
import { encodeIort } from '../../src/backends/iort/encode';
import type { IortTable } from '../../src/backends/iort/model';
import { loadConfig } from '../../src/ir/index';
import type { IrMachine } from '../../src/ir/types';
import { decodeOk, decodeTree } from './edit';

export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

export interface Subject {
  name: string;
  ir: IrMachine;
  iort: Uint8Array;
  dtb: Uint8Array;
  t: IortTable;
  tree: FdtTree;
}

export function exampleNames(ext: RegExp = /\.iotopo$/): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => ext.test(f))
    .sort();
}

export function subjectFromIr(name: string, ir: IrMachine): Subject {
  const e = encodeIort(ir);
  if (!e.bytes) throw new Error(`${name}: IORT encoder failed: ${e.diagnostics.map((d) => d.message).join('; ')}`);
  const d = buildFdt(ir);
  if (!d.value) throw new Error(`${name}: DT encoder failed: ${d.diagnostics.map((x) => x.message).join('; ')}`);
  return { name, ir, iort: e.bytes, dtb: d.value, t: decodeOk(e.bytes), tree: decodeTree(d.value) };
}

export function loadIr(text: string, file: string): IrMachine {
  const r = loadConfig(text, file);
  if (!r.value) throw new Error(`${file}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.value;
}

export function loadSubject(file: string): Subject {
  return subjectFromIr(file, loadIr(readFileSync(join(EXAMPLES_DIR, file), 'utf8'), file));
}

// ---------------------------------------------------------------- intent queries (independent of the prover)

/** Is StreamID `sid` of the SMMU at `base` emitted by some RID according to the config? */
export function reachable(ir: IrMachine, base: bigint, sid: number): boolean {
  const s = ir.smmus.find((x) => x.base === base);
  if (!s) return false;
  return ir.segments.some((seg) => seg.ridMap.some((r) => r.target.kind === 'smmu' && r.target.smmu === s.id && sid >= r.target.streamBase && sid < r.target.streamBase + r.count));
}

export function reachableRange(ir: IrMachine, base: bigint, first: number, last: number): boolean {
  const s = ir.smmus.find((x) => x.base === base);
  if (!s) return false;
  return ir.segments.some((seg) =>
    seg.ridMap.some((r) => r.target.kind === 'smmu' && r.target.smmu === s.id && first < r.target.streamBase + r.count && r.target.streamBase <= last),
  );
}

/** Does some declared device reach SMMU `base` with a StreamID in [first, last]? */
export function deviceIn(ir: IrMachine, base: bigint, first: number, last: number): boolean {
  const s = ir.smmus.find((x) => x.base === base);
  if (!s) return false;
  return ir.devices.some((d) => {
    const seg = ir.segments.find((x) => x.segment === d.segment);
    const r = seg?.ridMap.find((x) => d.rid >= x.base && d.rid < x.base + x.count);
    if (!r || r.target.kind !== 'smmu' || r.target.smmu !== s.id) return false;
    const sid = r.target.streamBase + (d.rid - r.base);
    return sid >= first && sid <= last;
  });
}
