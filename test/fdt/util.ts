/** Shared helpers for the DT back-end tests: corpus paths and dtc/dt-validate wrappers. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runTool } from '../helpers/oracles';
import { SHARED } from '../helpers/shared';

export const CORPUS_DIR = `${SHARED}/corpus/real/dts-derived`;
export const QEMU_DIR = `${SHARED}/reference/qemu-10.0`;
export const QEMU_CASES = ['a_smmuv3', 'b_smmuv3_2pxb', 'c_smmuv3_2pxb_bypass'] as const;
export const SCHEMA_SRC = `${SHARED}/schemas/linux`;

export function corpusDtbs(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.dtb'))
    .sort()
    .map((f) => join(CORPUS_DIR, f));
}
export const qemuDtb = (c: string) => join(QEMU_DIR, c, 'machine.dtb');

let tmp: string | null = null;
let schema: string | null = null;
export function tmpDir(): string {
  if (!tmp) tmp = mkdtempSync(join(tmpdir(), 'iotopo-fdt-'));
  return tmp;
}
// Registered while the importing test file is collected: its scratch files go with it.
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = null;
  schema = null;
});
let seq = 0;
export function writeTmp(name: string, data: Uint8Array | string): string {
  const p = join(tmpDir(), `${seq++}-${name}`);
  writeFileSync(p, data);
  return p;
}

/** `dtc -I dtb -O dts [-s]` of a blob: stdout and stderr (warnings). */
export function dtcToDts(dtb: Uint8Array, sort = false): { dts: string; stderr: string; status: number } {
  const f = writeTmp('in.dtb', dtb);
  const r = runTool('dtc', ['-I', 'dtb', '-O', 'dts', ...(sort ? ['-s'] : []), f]);
  return { dts: r.stdout, stderr: r.stderr, status: r.status };
}

/** `dtc -I dts -O dtb` of DTS text. */
export function dtcToDtb(dts: string): { dtb: Uint8Array; stderr: string; status: number } {
  const src = writeTmp('in.dts', dts);
  const out = join(tmpDir(), `${seq++}-out.dtb`);
  const r = runTool('dtc', ['-I', 'dts', '-O', 'dtb', '-o', out, src]);
  let dtb = new Uint8Array(0);
  if (r.status === 0) dtb = new Uint8Array(readFileSync(out));
  return { dtb, stderr: r.stderr, status: r.status };
}

/** Processed schema (core + /work/shared/schemas/linux) built once per worker with dt-mk-schema. */
export function processedSchema(): string {
  if (schema) return schema;
  const out = join(tmpDir(), 'processed-schema.json');
  const r = runTool('dt-mk-schema', ['-j', '-o', out, SCHEMA_SRC]);
  if (r.status !== 0) throw new Error(`dt-mk-schema failed: ${r.stderr}`);
  schema = out;
  return out;
}

/** dt-validate output lines (it exits 0 even when it complains, so the text is the verdict). */
export function dtValidate(dtb: Uint8Array): string[] {
  const f = writeTmp('v.dtb', dtb);
  const r = runTool('dt-validate', ['-s', processedSchema(), f]);
  return (r.stdout + r.stderr).split('\n').filter((l) => l.trim().length > 0);
}
