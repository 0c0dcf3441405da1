/** Shared helpers for the replay-proof tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFdt } from '../../../src/backends/fdt/encode';
import { encodeIort } from '../../../src/backends/iort/encode';
import { loadConfig } from '../../../src/ir/index';
import type { IrMachine } from '../../../src/ir/types';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const EXAMPLES = join(ROOT, 'examples');

export function examples(): string[] {
  return readdirSync(EXAMPLES)
    .filter((f) => /\.(iotopo|ya?ml)$/.test(f))
    .sort();
}

export function lower(text: string, file = 'test.iotopo'): IrMachine {
  const r = loadConfig(text, file);
  if (!r.value) throw new Error(`${file}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.value;
}

export function lowerExample(file: string): IrMachine {
  return lower(readFileSync(join(EXAMPLES, file), 'utf8'), file);
}

export interface Built {
  ir: IrMachine;
  iort: Uint8Array;
  dtb: Uint8Array;
}

export function build(ir: IrMachine): Built {
  const e = encodeIort(ir);
  if (!e.bytes) throw new Error(`IORT: ${e.diagnostics.map((d) => d.message).join('; ')}`);
  const d = buildFdt(ir);
  if (!d.value) throw new Error(`DT: ${d.diagnostics.map((x) => x.message).join('; ')}`);
  return { ir, iort: e.bytes, dtb: d.value };
}

/** Devices the config puts behind an SMMU (each gets a domain). */
export function devicesBehindSmmu(ir: IrMachine): number {
  return ir.devices.filter((d) => {
    const seg = ir.segments.find((s) => s.segment === d.segment);
    const r = seg?.ridMap.find((x) => d.rid >= x.base && d.rid < x.base + x.count);
    return r?.target.kind === 'smmu';
  }).length;
}
