/** `iotopo decode` on DTBs, in process. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';
import { dtcToDts, qemuDtb, writeTmp } from './util';

describe('iotopo decode (DTB)', () => {
  const f = qemuDtb('a_smmuv3');
  it('text: prints the DTS that dtc prints, exit 0', async () => {
    const io = bufferIo();
    expect(await run(['decode', f], io)).toBe(0);
    expect(io.stdout).toBe(dtcToDts(new Uint8Array(readFileSync(f))).dts);
    expect(io.stderr).toBe('');
  });
  it('json: the model with offsets, raw values and guessed types', async () => {
    const io = bufferIo();
    expect(await run(['decode', f, '--format', 'json'], io)).toBe(0);
    const j = JSON.parse(io.stdout);
    expect(j.kind).toBe('dtb');
    expect(j.tree.header.version).toBe(17);
    const smmu = j.tree.root.children.find((c: { unitName: string }) => c.unitName === 'smmuv3@9050000');
    const names = smmu.props.find((p: { name: string }) => p.name === 'interrupt-names');
    expect(names.type).toBe('string');
    expect(names.dts).toBe('"eventq\\0priq\\0cmdq-sync\\0gerror"');
    const reg = smmu.props.find((p: { name: string }) => p.name === 'reg');
    expect(reg.value).toBe('00000000090500000000000000020000');
    expect(reg.structOffset).toBeGreaterThan(0x28);
  });
  it('a broken blob: located diagnostic, exit 1, no stack trace', async () => {
    const b = new Uint8Array(readFileSync(f)).slice(0, 100);
    const p = writeTmp('trunc.dtb', b);
    const io = bufferIo();
    expect(await run(['decode', p], io)).toBe(1);
    expect(io.stderr).toMatch(/:0x4: error IOT4003: totalsize \(7827\) is larger than the 100-byte input/);
    expect(io.stderr).not.toMatch(/at .*\.ts:\d+/);
    const jo = bufferIo();
    expect(await run(['decode', p, '--format', 'json'], jo)).toBe(1);
    expect(JSON.parse(jo.stdout).diagnostics[0].code).toBe('IOT4003');
  });
});
