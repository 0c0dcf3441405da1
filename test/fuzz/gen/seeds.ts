/**
 * Seed inputs for the mutators: every example (text, and its IORT + DTB built with `compile`,
 * the function `iotopo build` runs), the bad-input fixtures, every real-world table of the
 * shared corpus and the QEMU 10.0 reference tables. Loaded once per process; the order is
 * sorted so that a fixed fast-check seed always draws the same cases.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, DTB_FILE, IORT_FILE } from '../../../src/pipeline/compile';
import { SHARED } from '../../helpers/shared';

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const EXAMPLES = join(ROOT, 'examples');
const BAD_FIXTURES = join(ROOT, 'test/fixtures/bad');
export const CORPUS = `${SHARED}/corpus/real`;
export const QEMU_REF = `${SHARED}/reference/qemu-10.0`;

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

export interface Seeds {
  dsl: Seed[];
  yaml: Seed[];
  iort: Seed[];
  dtb: Seed[];
}

const list = (dir: string, ext: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(ext))
        .sort()
        .map((f) => join(dir, f))
    : [];
const read = (p: string): Seed => ({ name: p.replace(ROOT, '').replace(`${SHARED}/`, ''), bytes: new Uint8Array(readFileSync(p)) });

let cached: Seeds | null = null;

export function seeds(): Seeds {
  if (cached) return cached;
  const s: Seeds = { dsl: [], yaml: [], iort: [], dtb: [] };
  for (const f of [...list(EXAMPLES, '.iotopo'), ...list(EXAMPLES, '.yaml')]) {
    const seed = read(f);
    (f.endsWith('.yaml') ? s.yaml : s.dsl).push(seed);
    const r = compile(seed.bytes, f, { verify: false });
    if (!r.outputs) throw new Error(`example ${f} does not build: ${r.diagnostics.map((d) => d.code).join(', ')}`);
    // DSL and YAML twins build the same bytes; one copy each is enough.
    if (f.endsWith('.iotopo'))
      for (const o of r.outputs) {
        if (o.name === IORT_FILE) s.iort.push({ name: `${seed.name}:${o.name}`, bytes: o.bytes });
        if (o.name === DTB_FILE) s.dtb.push({ name: `${seed.name}:${o.name}`, bytes: o.bytes });
      }
  }
  for (const f of list(BAD_FIXTURES, '.iotopo')) s.dsl.push(read(f));
  for (const f of list(BAD_FIXTURES, '.yaml')) s.yaml.push(read(f));
  for (const f of list(join(CORPUS, 'iort'), '.dat')) s.iort.push(read(f));
  for (const f of list(join(CORPUS, 'dts-derived'), '.dtb')) s.dtb.push(read(f));
  if (existsSync(QEMU_REF))
    for (const c of readdirSync(QEMU_REF).sort()) {
      const dir = join(QEMU_REF, c);
      if (existsSync(join(dir, 'IORT.dat'))) s.iort.push(read(join(dir, 'IORT.dat')));
      if (existsSync(join(dir, 'machine.dtb'))) s.dtb.push(read(join(dir, 'machine.dtb')));
    }
  for (const [k, v] of Object.entries(s)) if (v.length === 0) throw new Error(`no ${k} seeds found`);
  cached = s;
  return s;
}
