import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIortDecode } from '../../src/backends/iort/cli';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';
import { REF_DIR } from './fixtures';
import { patch, synthTable } from './synth';
import { SHARED } from '../helpers/shared';

const CORRUPT = `${SHARED}/corpus/real/iort/qcom-x1-microsoft-surface-pro-12in-CORRUPTED.iort.dat`;
const dir = mkdtempSync(join(tmpdir(), 'iotopo-iort-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iotopo decode (IORT)', () => {
  it('text: iasl-like dump with resolved mapping targets, exit 0', async () => {
    const io = bufferIo();
    const code = await run(['decode', `${REF_DIR}/b_smmuv3_2pxb/IORT.dat`], io);
    expect(code).toBe(0);
    expect(io.stderr).toBe('');
    expect(io.stdout).toContain('[0A0h 0160   1]                           Type : 02  ; Root complex');
    expect(io.stdout).toContain('Output Reference : 00000048  ; -> node #1 SMMUv3@0x48 base 0x9050000');
    expect(io.stdout).toContain('Checksum : C0  ; valid');
  });

  it('json: the decoded model and the diagnostics', async () => {
    const io = bufferIo();
    const code = await run(['decode', `${REF_DIR}/a_smmuv3/IORT.dat`, '--format', 'json'], io);
    expect(code).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc.diagnostics).toEqual([]);
    expect(doc.table.header.revision).toBe(3);
    expect(doc.table.nodes[1].kind).toBe('smmu-v3');
    expect(doc.table.nodes[1].base).toBe('0x9050000');
    expect(doc.table.nodes[2].mappings[0].target).toBe(1);
  });

  it('a corrupt table: clear located error on stderr, exit 1, no dump', async () => {
    const io = bufferIo();
    const code = await run(['decode', CORRUPT], io);
    expect(code).toBe(1);
    expect(io.stdout).toBe('');
    expect(io.stderr).toMatch(/CORRUPTED\.iort\.dat:0x4: error IOT3102: table Length field is 0x14bdbfef/);
    expect(io.stderr).toMatch(/help: .*UTF-8/);
    expect(io.stderr).toMatch(/1 error, 0 warnings/);
  });

  it('a broken reference: dump still printed, error at its byte offset, exit 1', () => {
    const b = synthTable([{ kind: 'its', ids: [0] }, { kind: 'rc', segment: 0, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 0 }] }]);
    const bad = patch(b, [[72 + 36 + 12, 4, 0x99]]);
    const f = join(dir, 'bad.dat');
    writeFileSync(f, bad);
    const io = bufferIo();
    expect(runIortDecode(bad, f, { format: 'text' }, io)).toBe(1);
    expect(io.stdout).toContain('Output Reference : 00000099  ; no node starts there');
    expect(io.stderr).toContain(`${f}:0x78: error IOT3112`);
  });

  it('warnings only (bad checksum): exit 0, warning on stderr', () => {
    const b = synthTable([{ kind: 'its', ids: [0] }]);
    b[9] = (b[9]! + 1) & 0xff;
    const io = bufferIo();
    expect(runIortDecode(b, 'x.dat', { format: 'text' }, io)).toBe(0);
    expect(io.stdout).toContain('; INVALID');
    expect(io.stderr).toContain('warning IOT3105');
  });

  it('json on a corrupt table still prints one JSON document, exit 1', () => {
    const io = bufferIo();
    const bytes = new Uint8Array(48);
    bytes.set([0x49, 0x4f, 0x52, 0x54, 0xff, 0xff, 0, 0]);
    expect(runIortDecode(bytes, 'y.dat', { format: 'json' }, io)).toBe(1);
    const doc = JSON.parse(io.stdout);
    expect(doc.table).toBeNull();
    expect(doc.diagnostics[0].code).toBe('IOT3102');
  });
});
