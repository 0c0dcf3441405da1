/** The project's example configs, loaded through the front end (src/ir/index.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigBytes } from '../../src/ir/index';
import type { IrMachine } from '../../src/ir/types';

export const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');

export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => /\.(iotopo|ya?ml)$/.test(f))
    .sort();
}

export function loadExample(file: string): IrMachine {
  const r = loadConfigBytes(new Uint8Array(readFileSync(join(EXAMPLES_DIR, file))), file);
  if (!r.value) throw new Error(`${file}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.value;
}

/** QEMU reference case -> the example describing the same machine. */
export const QEMU_EXAMPLE: Record<string, string> = {
  a_smmuv3: 'qemu-a-smmuv3.iotopo',
  b_smmuv3_2pxb: 'qemu-b-smmuv3-2pxb.iotopo',
  c_smmuv3_2pxb_bypass: 'qemu-c-smmuv3-2pxb-bypass.iotopo',
};
