/** The whole tree (sources, tests, benchmarks, scripts) type-checks in strict mode. */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('tsc --noEmit reports no error', () => {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { encoding: 'utf8', timeout: 300_000 });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
