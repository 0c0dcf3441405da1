/**
 * What a SIGKILL leaves. Two views:
 *
 * 1. Deterministic: a child process writes an output set and kills itself at each stage the
 *    writer announces. Every file is then complete (its old or its new bytes), none is missing,
 *    and the only extra entries are `.*.tmp`. Before the first rename the old set is intact;
 *    after the last, the new set is complete; a fresh directory appears complete or not at all.
 *    Between two renames of an existing directory the set is mixed (POSIX renames one file at
 *    a time; see src/cli/output.ts): the test pins that this is the only mixed window.
 *
 * 2. Real: `node bin/iotopo.js build` of a large machine (--dump: four files) killed after a
 *    spread of delays over its run; every outcome is the old set or the new set.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanScratch, largeMachine, ROOT, scratch, snapshot } from './helpers';

afterAll(cleanScratch);

const NAMES = ['iort.bin', 'machine.dtb', 'iort.txt', 'machine.dts'];
const TMP = /^\..*\.tmp$/;

type State = 'old' | 'new' | 'mixed' | 'absent';

/** Classifies the visible files; fails on a partial, missing or stray (non-.tmp) entry. */
function classify(dir: string, oldSet: Record<string, string> | null, newSet: Record<string, string>): State {
  if (!existsSync(dir)) return 'absent';
  const entries = readdirSync(dir);
  const stray = entries.filter((e) => !NAMES.includes(e) && !TMP.test(e));
  expect(stray, `stray entries in ${dir}`).toEqual([]);
  const visible = Object.fromEntries(
    Object.entries(snapshot(dir)).filter(([k]) => !k.split('/').some((p) => TMP.test(p))),
  );
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
  if (oldSet && same(visible, oldSet)) return 'old';
  if (same(visible, newSet)) return 'new';
  expect(Object.keys(visible).sort(), 'a file is missing').toEqual(Object.keys(newSet).sort());
  for (const [k, v] of Object.entries(visible)) expect([oldSet?.[k], newSet[k]], `${k} is neither old nor new (partial?)`).toContain(v);
  return 'mixed';
}

describe('SIGKILL at every stage of the writer (deterministic)', () => {
  const names = ['iort.bin', 'machine.dtb', 'iort.txt'];
  const child = (dir: string, n: number) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/output/kill-child.ts'), dir, String(n), ...names], { cwd: ROOT, encoding: 'utf8' });
  const newSet = Object.fromEntries(
    names.map((n) => [n, createHash('sha256').update(`new ${n}\n`).digest('hex')]),
  );
  // mkdir, 3 writes, 3 renames; the 8th stage does not exist: the run completes.
  const STAGES = 8;

  it('over an existing set: old until the first rename, new after the last, each file always complete', () => {
    const seen: State[] = [];
    for (let n = 0; n < STAGES; n++) {
      const dir = scratch();
      for (const x of names) writeFileSync(join(dir, x), `old ${x}\n`);
      const oldSet = snapshot(dir);
      const r = child(dir, n);
      expect(r.signal, r.stderr).toBe(n < STAGES - 1 ? 'SIGKILL' : null);
      seen.push(classify(dir, oldSet, newSet));
    }
    // mkdir and writes: old; kills before the 2nd and 3rd rename: mixed; completion: new.
    expect(seen).toEqual(['old', 'old', 'old', 'old', 'old', 'mixed', 'mixed', 'new']);
  });

  it('into a directory that did not exist: absent or complete, never partial', () => {
    const seen: State[] = [];
    for (let n = 0; n < STAGES; n++) {
      const parent = scratch();
      const dir = join(parent, 'out');
      const r = child(dir, n);
      expect(r.signal, r.stderr).toBe(n < STAGES - 1 ? 'SIGKILL' : null);
      const stray = readdirSync(parent).filter((e) => e !== 'out' && !TMP.test(e));
      expect(stray).toEqual([]);
      seen.push(classify(dir, null, newSet));
    }
    expect(seen).toEqual(['absent', 'absent', 'absent', 'absent', 'absent', 'absent', 'absent', 'new']);
  });
});

describe('SIGKILL of a real `iotopo build` at a spread of delays', () => {
  let work: string;
  let oldSet: Record<string, string>;
  let newSet: Record<string, string>;
  let runMs = 0;
  const bin = join(ROOT, 'bin/iotopo.js');

  beforeAll(() => {
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    work = scratch();
    writeFileSync(join(work, 'old.iotopo'), largeMachine(60, 0));
    writeFileSync(join(work, 'new.iotopo'), largeMachine(60, 1));
    const build = (input: string, out: string) => {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [bin, 'build', join(work, input), '-o', out, '--dump'], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return Date.now() - t0;
    };
    build('old.iotopo', join(work, 'old'));
    runMs = build('new.iotopo', join(work, 'new'));
    oldSet = snapshot(join(work, 'old'));
    newSet = snapshot(join(work, 'new'));
    expect(Object.keys(newSet).sort()).toEqual([...NAMES].sort());
    for (const n of NAMES) expect(oldSet[n], `${n} must differ between the two machines`).not.toBe(newSet[n]);
  }, 120_000);

  const killAfter = (out: string, ms: number) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const p = spawn(process.execPath, [bin, 'build', join(work, 'new.iotopo'), '-o', out, '--dump'], { stdio: 'ignore' });
      const t = setTimeout(() => p.kill('SIGKILL'), ms);
      p.on('exit', (code, signal) => {
        clearTimeout(t);
        resolve({ code, signal });
      });
    });

  it('over the old outputs: always the old set or the complete new set', async () => {
    const states: State[] = [];
    // From early start-up to past the end of a run, denser near the end where the writes are.
    const delays = [0.1, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98, 1.0, 1.02, 1.05, 1.1, 1.3, 2.0].map((f) => Math.round(f * runMs));
    for (const ms of delays) {
      const out = join(scratch(), 'out');
      mkdirSync(out);
      cpSync(join(work, 'old'), out, { recursive: true });
      const r = await killAfter(out, ms);
      const s = classify(out, oldSet, newSet);
      expect(s, `killed after ${ms} ms (${r.signal ?? `exit ${r.code}`})`).not.toBe('mixed');
      states.push(s);
      if (r.signal === null) expect(s).toBe('new');
    }
    // The spread must have caught the run both before and after it wrote.
    expect(states).toContain('old');
    expect(states).toContain('new');
  }, 300_000);

  it('into a fresh directory: nothing or the complete set', async () => {
    const states: State[] = [];
    for (const f of [0.5, 0.9, 0.97, 1.0, 1.03, 2.0]) {
      const parent = scratch();
      await killAfter(join(parent, 'out'), Math.round(f * runMs));
      expect(readdirSync(parent).filter((e) => e !== 'out' && !TMP.test(e))).toEqual([]);
      const s = classify(join(parent, 'out'), null, newSet);
      expect(s).not.toBe('mixed');
      states.push(s);
    }
    expect(states).toContain('new');
  }, 300_000);

  it('the kept outputs are the real thing: they decode', () => {
    expect(readFileSync(join(work, 'new', 'iort.bin')).subarray(0, 4).toString()).toBe('IORT');
    expect(readFileSync(join(work, 'new', 'machine.dtb')).readUInt32BE(0)).toBe(0xd00dfeed);
  });
});
