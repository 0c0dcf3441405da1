/**
 * Failing cases kept as regression fixtures: test/fuzz/regressions/<target>-<hash>.<ext> holds
 * the input bytes exactly as the tool read them (open it in an editor or hexdump), with a
 * .json sidecar (target, file name, whether it is a valid-by-construction topology, how it was
 * made, what broke) and a .twin file for valid topologies (the other language's spelling).
 * regressions.test.ts replays every fixture through its target.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Failure } from './runner';
import { type FuzzInput, TARGET_NAMES, TARGETS, type TargetName } from './targets';

export const REGRESSION_DIR = new URL('../regressions/', import.meta.url).pathname;

export interface RegressionMeta {
  target: TargetName;
  file: string;
  valid: boolean;
  origin: string;
  /** What broke when the case was found (for the record; the replay checks today's invariants). */
  problems: string[];
  seed?: number;
  /** Where the fix went, filled in by hand when the case is fixed. */
  fixed?: string;
}

export function saveRegression(f: Failure, seed?: number, dir = REGRESSION_DIR): string {
  mkdirSync(dir, { recursive: true });
  const h = createHash('sha256').update(f.input.bytes).update(f.input.twin ?? new Uint8Array()).digest('hex').slice(0, 12);
  const base = `${f.input.target}-${h}`;
  const meta: RegressionMeta = {
    target: f.input.target,
    file: f.input.file,
    valid: f.input.valid ?? false,
    origin: f.input.origin,
    problems: f.problems.map((p) => p.slice(0, 2000)),
    ...(seed !== undefined ? { seed } : {}),
  };
  writeFileSync(join(dir, `${base}.${TARGETS[f.input.target].ext}`), f.input.bytes);
  if (f.input.twin) writeFileSync(join(dir, `${base}.twin`), f.input.twin);
  if (!existsSync(join(dir, `${base}.json`))) writeFileSync(join(dir, `${base}.json`), JSON.stringify(meta, null, 2) + '\n');
  return join(dir, base);
}

export function loadRegressions(dir = REGRESSION_DIR): { name: string; meta: RegressionMeta; input: FuzzInput }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const base = f.slice(0, -'.json'.length);
      const meta = JSON.parse(readFileSync(join(dir, f), 'utf8')) as RegressionMeta;
      if (!(TARGET_NAMES as readonly string[]).includes(meta.target)) throw new Error(`${f}: unknown target ${meta.target}`);
      const input: FuzzInput = {
        target: meta.target,
        file: meta.file,
        bytes: new Uint8Array(readFileSync(join(dir, `${base}.${TARGETS[meta.target].ext}`))),
        origin: meta.origin,
      };
      if (meta.valid) input.valid = true;
      if (existsSync(join(dir, `${base}.twin`))) input.twin = new Uint8Array(readFileSync(join(dir, `${base}.twin`)));
      return { name: base, meta, input };
    });
}
