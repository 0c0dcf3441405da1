/** `iotopo verify`, in process. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../../src/cli/io';
import { run } from '../../../src/cli/run';
import { decodeIort } from '../../../src/backends/iort/decode';
import { MAP, patch32 } from '../../mutation/edit';
import { build, EXAMPLES, lowerExample } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'iotopo-verify-'));
const b = build(lowerExample('qemu-b-smmuv3-2pxb.iotopo'));
const IORT = join(dir, 'iort.bin');
const DTB = join(dir, 'machine.dtb');
const BAD = join(dir, 'bad-iort.bin');
const CONFIG = join(EXAMPLES, 'qemu-b-smmuv3-2pxb.iotopo');
writeFileSync(IORT, b.iort);
writeFileSync(DTB, b.dtb);
const rc = decodeIort(b.iort).value!.nodes.find((n) => n.kind === 'root-complex')!;
writeFileSync(BAD, patch32(b.iort, [[rc.mappings[0]!.offset + MAP.outputBase, 1]]));

async function verify(...args: string[]) {
  const io = bufferIo();
  const code = await run(['verify', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('iotopo verify', () => {
  it('proves tables against their config (exit 0)', async () => {
    const r = await verify(CONFIG, '--iort', IORT, '--dtb', DTB);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^proven: 65536 of 65536 RIDs replayed in 1 segment/m);
    expect(r.err).toBe('');
  });

  it('checks tables alone: IORT vs DT, and the IORT by itself', async () => {
    const both = await verify('--iort', IORT, '--dtb', DTB);
    expect(both.code).toBe(0);
    expect(both.out).toMatch(/^proven:/m);
    const alone = await verify('--iort', IORT);
    expect(alone.code).toBe(0);
    expect(alone.out).toMatch(/IOT6204.*MSIs are not replayed/);
  });

  it('--format json carries the summary', async () => {
    const r = await verify(CONFIG, '--iort', IORT, '--dtb', DTB, '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.proven).toBe(true);
    expect(j.config).toBe(CONFIG);
    expect(j.summary.ridsReplayed).toBe(65536);
    expect(j.counterexamples).toEqual([]);
  });

  it('a disproven table exits 1 with counterexamples (text and json)', async () => {
    const t = await verify(CONFIG, '--iort', BAD, '--dtb', DTB);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^counterexample 1: IOT60\d\d /m);
    expect(t.out).toMatch(/RID 0000:00:00\.0/);
    expect(t.out).toMatch(/^DISPROVEN:/m);
    const j = await verify(CONFIG, '--iort', BAD, '--dtb', DTB, '--format', 'json');
    expect(j.code).toBe(1);
    const parsed = JSON.parse(j.out);
    expect(parsed.proven).toBe(false);
    expect(parsed.counterexamples[0].bdf).toBe('0000:00:00.0');
    expect(parsed.counterexamples[0].path.length).toBeGreaterThan(0);
    const one = await verify(CONFIG, '--iort', BAD, '--dtb', DTB, '--max', '1');
    expect(one.out).not.toMatch(/counterexample 2:/);
    expect(one.out).toMatch(/more counterexamples? not shown/);
  });

  it('a config with errors exits 1 before anything is verified', async () => {
    const cfg = join(dir, 'broken.iotopo');
    writeFileSync(cfg, 'machine x { smmuv3 s { stage bogus } }\n');
    const r = await verify(cfg, '--iort', IORT);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error IOT\d{4}/);
    expect(r.out).toMatch(/nothing to verify against/);
  });

  it('usage and I/O problems exit 2', async () => {
    const none = await verify(CONFIG);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/IOT7001.*--iort/);
    const missing = await verify('--iort', join(dir, 'nope.bin'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/IOT7002/);
    const swapped = await verify('--iort', DTB);
    expect(swapped.code).toBe(2);
    expect(swapped.err).toMatch(/IOT7003.*not an IORT/);
    const notDtb = await verify('--iort', IORT, '--dtb', IORT);
    expect(notDtb.code).toBe(2);
    expect(notDtb.err).toMatch(/not a DTB/);
    const max = await verify('--iort', IORT, '--max', '0');
    expect(max.code).toBe(2);
    const fmt = await verify('--iort', IORT, '--format', 'xml');
    expect(fmt.code).toBe(2);
  });

  it('--help explains the proof and shows examples', async () => {
    const r = await verify('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:/);
    expect(r.out).toMatch(/iotopo verify examples\/seed-nested\.iotopo --iort/);
    expect(r.out).toMatch(/Exit status: 0 proven, 1 disproven/);
  });
});
