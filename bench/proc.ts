/**
 * Timing of whole processes (the CLI, dtc, iasl, bare node) and the statistics the report
 * uses. Commands that are compared with each other are run interleaved (a, b, c, a, b, c...)
 * so that load from other users of the machine spreads over all of them alike.
 */
import { spawnSync } from 'node:child_process';

export interface Cmd {
  name: string;
  file: string;
  args: string[];
  cwd?: string;
  /** Exit statuses that count as success (default [0]). */
  ok?: number[];
}

export interface Stats {
  runs: number;
  min: number;
  median: number;
  max: number;
}

export function stats(xs: number[]): Stats {
  if (xs.length === 0) throw new Error('no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { runs: s.length, min: round(s[0]!), median: round(median), max: round(s[s.length - 1]!) };
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export class CommandFailed extends Error {}

/** Runs `cmd` once; wall time in ms. Throws CommandFailed (with its output) when it fails. */
export function timeOnce(cmd: Cmd, timeoutMs = 600_000): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd.file, cmd.args, { cwd: cmd.cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw new CommandFailed(`${cmd.name}: ${r.error.message}`);
  if (!(cmd.ok ?? [0]).includes(r.status ?? -1))
    throw new CommandFailed(`${cmd.name} exited with ${r.status ?? r.signal}: ${(r.stderr + r.stdout).trim().split('\n').slice(-6).join('\n')}`);
  return ms;
}

/**
 * `runs` interleaved rounds after one warm-up run each (file cache). A command slower than
 * `budgetMs` / `runs` per run gets fewer rounds (at least one, its warm-up run then counts) so
 * that a slow case cannot blow the time budget of the whole benchmark.
 */
export function timeInterleaved(cmds: Cmd[], runs: number, budgetMs = Infinity): Map<string, Stats> {
  const samples = new Map<string, number[]>(cmds.map((c) => [c.name, []]));
  const spent = new Map<string, number>();
  for (const c of cmds) {
    const ms = timeOnce(c);
    spent.set(c.name, ms);
    if (ms * runs > budgetMs) samples.get(c.name)!.push(ms);
  }
  for (let i = 0; i < runs; i++)
    for (const c of cmds) {
      const xs = samples.get(c.name)!;
      const used = spent.get(c.name)!;
      if (xs.length >= runs) continue;
      if (xs.length > 0 && used + used / (xs.length + 1) > budgetMs) continue;
      const ms = timeOnce(c);
      xs.push(ms);
      spent.set(c.name, used + ms);
    }
  return new Map([...samples].map(([k, v]) => [k, stats(v)]));
}

/** First line of a tool's version output, or null when the tool is missing. */
export function toolVersion(file: string, args: string[]): string | null {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.error) return null;
  const text = `${r.stdout}\n${r.stderr}`;
  const line = text.split('\n').find((l) => /version|\d+\.\d+/i.test(l));
  return line ? line.trim() : null;
}

/**
 * Growth exponent: slope of the least-squares line through (log size, log time). 1 is linear;
 * n log n shows as slightly above 1 over a range of sizes; 2 is quadratic.
 */
export function growthExponent(points: { size: number; ms: number }[]): number | null {
  const ps = points.filter((p) => p.size > 0 && p.ms > 0);
  if (ps.length < 2) return null;
  const xs = ps.map((p) => Math.log(p.size));
  const ys = ps.map((p) => Math.log(p.ms));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? null : round(num / den, 2);
}
