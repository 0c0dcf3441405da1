/**
 * Byte-for-byte deterministic output: every example is built twice, in two separate processes
 * of the bundled CLI (node bin/iotopo.js after scripts/build.mjs), with different time zones,
 * locales and working directories; every output file (tables and dumps) must be identical.
 * The DSL and YAML spelling of each example must give the same bytes too.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanScratch, EXAMPLES, ROOT, scratch, snapshot } from './helpers';

afterAll(cleanScratch);

const examples = readdirSync(EXAMPLES)
  .filter((f) => /\.(iotopo|ya?ml)$/.test(f))
  .sort()
  .map((f) => join(EXAMPLES, f));

const ENVS: Record<string, string>[] = [
  { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' },
  // Far from UTC with a 45-minute offset, and a locale with its own case and number rules.
  { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', NO_COLOR: '1' },
];

describe('deterministic builds across processes, time zones and locales', () => {
  const outs: string[] = [];

  beforeAll(() => {
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    for (const [i, env] of ENVS.entries()) {
      const out = scratch();
      // Separate process, different cwd, one build per example (one directory each).
      for (const f of examples) {
        const dir = join(out, f.split('/').pop()!.replace('.', '_'));
        const r = spawnSync(process.execPath, [join(ROOT, 'bin/iotopo.js'), 'build', f, '-o', dir, '--dump'], {
          cwd: i === 0 ? ROOT : out,
          env: { ...process.env, ...env },
          encoding: 'utf8',
        });
        expect(r.status, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
      }
      outs.push(out);
    }
  }, 300_000);

  it('every example gives the same bytes in both processes', () => {
    const [a, b] = outs.map(snapshot) as [Record<string, string>, Record<string, string>];
    expect(Object.keys(a).filter((k) => !k.includes('/')).length).toBe(examples.length);
    expect(Object.keys(a).filter((k) => k.endsWith('iort.bin')).length).toBe(examples.length);
    expect(b).toEqual(a);
  });

  it('the DSL and the YAML spelling of an example give the same bytes', () => {
    const a = outs[0]!;
    for (const f of examples.filter((x) => x.endsWith('.iotopo'))) {
      const base = f.split('/').pop()!.replace(/\.iotopo$/, '');
      for (const name of ['iort.bin', 'machine.dtb', 'iort.txt', 'machine.dts']) {
        const dsl = readFileSync(join(a, `${base}_iotopo`, name));
        const yaml = readFileSync(join(a, `${base}_yaml`, name));
        expect(dsl.equals(yaml), `${base} ${name}`).toBe(true);
      }
    }
  });
});
