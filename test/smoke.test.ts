import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io';
import { run } from '../src/cli/run';

describe('cli contract', () => {
  it('prints help with examples and exits 0', async () => {
    const io = bufferIo();
    expect(await run(['--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/Examples:/);
  });
  it('exits 2 on an unknown command', async () => {
    const io = bufferIo();
    expect(await run(['no-such-command'], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown command/);
  });
});
