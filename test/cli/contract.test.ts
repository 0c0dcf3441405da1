/**
 * The CLI contract pipelines rely on: every command has --help with an example and accepts
 * --format text|json; usage problems exit 2, never with a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';

const COMMANDS = ['check', 'ir', 'schema', 'build', 'decode', 'lint', 'checks', 'verify'];

describe('every command', () => {
  it.each(COMMANDS)('%s --help exits 0, shows an example and a --format option', async (cmd) => {
    const io = bufferIo();
    expect(await run([cmd, '--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/Examples?:/);
    expect(io.stdout).toMatch(/\$ iotopo /);
    expect(io.stdout).toMatch(/--format <fmt>/);
  });

  it.each(COMMANDS.filter((c) => c !== 'schema' && c !== 'checks'))('%s with a missing file exits 2 without a stack trace', async (cmd) => {
    const io = bufferIo();
    const args = cmd === 'verify' ? [cmd, '--iort', '/nonexistent/iort.bin'] : cmd === 'build' ? [cmd, '/nonexistent/x.iotopo', '-o', '/tmp/never'] : [cmd, '/nonexistent/x.iotopo'];
    const code = await run(args, io);
    expect(code).toBe(2);
    expect(io.stderr + io.stdout).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  it('rejects an unknown --format value with exit 2', async () => {
    const io = bufferIo();
    expect(await run(['check', 'examples/qemu-a-smmuv3.iotopo', '--format', 'xml'], io)).toBe(2);
    expect(io.stderr).toMatch(/xml/);
  });
});
