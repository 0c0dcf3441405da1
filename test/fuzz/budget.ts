/**
 * The CI fuzz budget: a fixed seed and a fixed number of cases per target, so a CI run is
 * reproducible (`npm run fuzz -- --targets dsl --seed 7100 --chunk 20000 --runs 20000 --small`
 * replays the dsl share exactly). FUZZ_SCALE scales every count (e.g. 0.1 for a quick local run).
 */
import type { TargetName } from './lib/targets';
import type { TargetReport } from './lib/runner';
import { encodeInput } from './lib/serialize';

export const CI_SEED = 7100;

const FULL: Record<Exclude<TargetName, 'selftest'>, number> = {
  dsl: 20_000,
  yaml: 20_000,
  iort: 20_000,
  dtb: 20_000,
  lint: 6_000,
  'base-dtb': 2_000,
};

const scale = Number(process.env.FUZZ_SCALE ?? 1);
export const budget = (t: Exclude<TargetName, 'selftest'>) => Math.max(50, Math.round(FULL[t] * (Number.isFinite(scale) && scale > 0 ? scale : 1)));

/** Test timeout for a target's share (generous: the machine is shared). */
export const timeoutFor = (t: Exclude<TargetName, 'selftest'>) => Math.max(120_000, budget(t) * 30);

/** A failure report that can be turned into a regression fixture from the CI log alone. */
export function describe(r: TargetReport): string {
  const lines = [`${r.target}: ${r.runs} cases in ${(r.ms / 1000).toFixed(1)} s (seed ${r.seed}); slowest ${r.slowestMs.toFixed(0)} ms: ${r.slowestOrigin}`];
  if (r.failure) {
    const i = r.failure.input;
    lines.push(`FAILED on ${i.origin} (${i.file}, ${i.bytes.length} bytes):`, ...r.failure.problems.map((p) => `  ${p}`));
    const enc = encodeInput(i);
    if (enc.length <= 256 * 1024) lines.push(`case (base64 of lib/serialize encodeInput): ${Buffer.from(enc).toString('base64')}`);
  }
  return lines.join('\n');
}
