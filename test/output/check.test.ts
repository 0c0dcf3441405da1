/**
 * Golden-file mode: `build --check DIR` compares fresh outputs with DIR and never writes (the
 * directory stays byte for byte the same, whatever it holds), printing a decoded, field-level
 * diff; `--update` rewrites exactly the files that differ, all or nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fixChecksum } from '../fuzz/gen/iort-mutate';
import { setFailPoint } from '../../src/cli/output';
import { cleanScratch, cli, EXAMPLES, scratch, snapshot } from './helpers';

afterAll(cleanScratch);
afterEach(() => setFailPoint(undefined));

const B = join(EXAMPLES, 'qemu-b-smmuv3-2pxb.iotopo');
const C = join(EXAMPLES, 'qemu-c-smmuv3-2pxb-bypass.iotopo');

async function golden(...inputs: string[]): Promise<string> {
  const dir = scratch();
  const r = await cli('build', ...inputs, '-o', dir, '--dump');
  expect(r.code, r.out + r.err).toBe(0);
  return dir;
}

describe('build --check', () => {
  it('matching outputs: exit 0, nothing written', async () => {
    const dir = await golden(B);
    const before = snapshot(dir);
    const r = await cli('build', B, '--check', dir, '--dump');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/all outputs match/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('an IORT that differs: exit 1, a diff naming the IORT field, nothing written', async () => {
    const dir = await golden(B);
    // Point the RC's first ID mapping elsewhere (b_smmuv3_2pxb: RC node at 0xa0, mapping #0 at 0xc4).
    const p = join(dir, 'iort.bin');
    const bytes = new Uint8Array(readFileSync(p));
    new DataView(bytes.buffer).setUint32(0xc4 + 12, 0x30, true);
    fixChecksum(bytes);
    writeFileSync(p, bytes);
    const before = snapshot(dir);
    const r = await cli('build', B, '--check', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/iort\.bin: differs/);
    expect(r.out).toMatch(/Output Reference/);
    expect(r.out).toMatch(/^[-+] /m);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a DTB that differs: the diff is in DTS terms (a property line), nothing written', async () => {
    const dir = await golden(B);
    const other = await golden(C);
    writeFileSync(join(dir, 'machine.dtb'), readFileSync(join(other, 'machine.dtb')));
    const before = snapshot(dir);
    const r = await cli('build', B, '--check', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/machine\.dtb: differs/);
    expect(r.out).toMatch(/^[-+]\s+[a-z#,-]+( = .*)?;$/m);
    expect(snapshot(dir)).toEqual(before);
  });

  it('missing files, garbage files and a missing directory: reported, never written', async () => {
    const dir = await golden(B);
    writeFileSync(join(dir, 'iort.bin'), 'not a table');
    writeFileSync(join(dir, 'machine.dtb'), new Uint8Array(0));
    const before = snapshot(dir);
    const r = await cli('build', B, '--check', dir, '--dump');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/does not decode/);
    expect(snapshot(dir)).toEqual(before);
    const none = join(scratch(), 'absent');
    const m = await cli('build', B, '--check', none);
    expect(m.code).toBe(1);
    expect(m.out).toMatch(/missing/);
    expect(() => snapshot(none)).toThrow();
  });

  it('--update rewrites exactly the differing files, and --check then passes', async () => {
    const dir = await golden(B, C);
    const sub = join(dir, 'qemu-b-smmuv3-2pxb');
    writeFileSync(join(sub, 'iort.bin'), 'stale');
    const untouched = snapshot(join(dir, 'qemu-c-smmuv3-2pxb-bypass'));
    const r = await cli('build', B, C, '--check', dir, '--dump', '--update');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/iort\.bin: updated/);
    expect(snapshot(join(dir, 'qemu-c-smmuv3-2pxb-bypass'))).toEqual(untouched);
    expect((await cli('build', B, C, '--check', dir, '--dump')).code).toBe(0);
  });

  it('--update that fails half-way changes nothing in any directory', async () => {
    const dir = await golden(B, C);
    for (const d of ['qemu-b-smmuv3-2pxb', 'qemu-c-smmuv3-2pxb-bypass']) writeFileSync(join(dir, d, 'machine.dts'), 'stale');
    const before = snapshot(dir);
    let renames = 0;
    setFailPoint((stage) => {
      if (stage === 'rename' && ++renames === 2) throw new Error('injected');
    });
    const r = await cli('build', B, C, '--check', dir, '--dump', '--update');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/IOT7008/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('-o and --check together, or --update alone, are usage errors that write nothing', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'x'));
    const before = snapshot(dir);
    expect((await cli('build', B, '-o', dir, '--check', dir)).code).toBe(2);
    expect((await cli('build', B, '--update')).code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });
});
