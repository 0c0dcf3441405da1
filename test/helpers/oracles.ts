/**
 * External oracles (dtc, iasl, dt-validate). CI installs them; a test that needs one FAILS
 * when it is missing (never skips), so a green run always means the oracle judged our output.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export function requireTool(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`required oracle '${name}' is not installed (CI installs it: see .ci/run)`);
  }
}

export function runTool(
  name: string,
  args: string[],
  opts: { cwd?: string; input?: Uint8Array | string; timeoutMs?: number } = {},
): { status: number; stdout: string; stderr: string } {
  requireTool(name);
  const r = spawnSync(name, args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
