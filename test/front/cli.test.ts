/** `iotopo check | ir | schema` in process: exit codes, output formats, hostile inputs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';
import { BAD, EXAMPLES } from './helpers';

async function cli(...argv: string[]) {
  const io = bufferIo();
  const code = await run(argv, io);
  // Never a stack trace, whatever happened.
  expect(io.stdout + io.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return { code, out: io.stdout, err: io.stderr };
}

let dir = '';
const tmp = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iotopo-front-'));
});

describe('iotopo check', () => {
  it('exits 0 on a good file and says so', async () => {
    const r = await cli('check', join(EXAMPLES, 'seed-nested.iotopo'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok: machine seed-nested \(qemu-virt\): 2 SMMU/);
  });

  it('exits 1 with a source frame on a bad file', async () => {
    const f = join(BAD, 'unknown-reference.iotopo');
    const r = await cli('check', f);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${f}:4:35: error IOT2011: no smmuv3 with id 'smmu9'`);
    expect(r.out).toMatch(/4 \|   pxb-pcie pxb0 \{ bus_nr 8; iommu smmu9 \}\n\s+\|\s+\^{5}/);
    expect(r.out).toContain("help: did you mean 'smmu0'?");
  });

  it('--format json gives machine-readable diagnostics', async () => {
    const r = await cli('check', join(BAD, 'yaml-several-errors.yaml'), '--format', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { diagnostics: { code: string; span: { line: number; col: number } }[] };
    expect(j.diagnostics.map((d) => d.code)).toEqual(['IOT1109', 'IOT1110', 'IOT1107']);
    expect(j.diagnostics[0]!.span).toMatchObject({ line: 4, col: 19 });
  });

  it('exits 2 on a missing file, a directory, or a bad option', async () => {
    expect((await cli('check', join(dir, 'nope.iotopo'))).code).toBe(2);
    const d = await cli('check', dir);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/IOT7001.*directory/);
    expect((await cli('check', join(EXAMPLES, 'seed-nested.iotopo'), '--format', 'xml')).code).toBe(2);
    expect((await cli('check', join(EXAMPLES, 'seed-nested.iotopo'), '--lang', 'toml')).code).toBe(2);
    expect((await cli('check')).code).toBe(2);
  });

  it('empty files are errors with a location, in both languages', async () => {
    const a = await cli('check', tmp('empty.iotopo', ''));
    expect(a.code).toBe(1);
    expect(a.out).toMatch(/empty\.iotopo:1:1: error IOT1008: the file is empty/);
    const b = await cli('check', tmp('empty.yaml', ''));
    expect(b.code).toBe(1);
    expect(b.out).toMatch(/empty\.yaml:1:1: error IOT1104/);
  });

  it('binary garbage, invalid UTF-8 and oversized files are refused with a code', async () => {
    const bin = await cli('check', tmp('garbage.iotopo', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff])));
    expect(bin.code).toBe(1);
    expect(bin.out).toMatch(/garbage\.iotopo:1:5: error IOT7003/);
    const utf = await cli('check', tmp('latin1.yaml', Buffer.from('machine: m\n# caf\xe9\n', 'latin1')));
    expect(utf.code).toBe(1);
    expect(utf.out).toMatch(/latin1\.yaml:2:6: error IOT7004: input is not valid UTF-8 \(byte 0xe9/);
    const big = await cli('check', tmp('big.iotopo', 'machine m {\n' + '  // padding\n'.repeat(900_000) + '}\n'));
    expect(big.code).toBe(1);
    expect(big.out).toMatch(/IOT7002: input is \d+ bytes; the limit is 1048576/);
  });

  it('sniffs the language of other file names, and --lang overrides', async () => {
    const y = tmp('topo.txt', 'machine: m\nsmmuv3:\n  s0: {}\n');
    expect((await cli('check', y)).code).toBe(0);
    expect((await cli('check', y, '--lang', 'dsl')).code).toBe(1);
    const d = tmp('topo.cfg', 'machine m { smmuv3 s0 { } }\n');
    expect((await cli('check', d)).code).toBe(0);
  });

  it('--help shows examples', async () => {
    const r = await cli('check', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:\n\s+\$ iotopo check/);
  });
});

describe('iotopo ir', () => {
  it('prints the IR as JSON with hex addresses', async () => {
    const r = await cli('ir', join(EXAMPLES, 'qemu-a-smmuv3.yaml'));
    expect(r.code).toBe(0);
    const ir = JSON.parse(r.out);
    expect(ir.smmus[0]).toMatchObject({ id: 'smmu0', base: '0x9050000', size: '0x20000' });
    expect(ir.bridges[0]).toMatchObject({ id: 'pcie.0', ecamBase: '0x4010000000', busStart: 0, busEnd: 0 });
    expect(r.out).not.toContain('"span"');
    const s = await cli('ir', join(EXAMPLES, 'qemu-a-smmuv3.yaml'), '--spans');
    expect(JSON.parse(s.out).smmus[0].span).toMatchObject({ line: 11, col: 3 });
  });

  it('exits 1 and prints diagnostics on stderr for a bad file', async () => {
    const r = await cli('ir', join(BAD, 'duplicate-id.iotopo'));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/IOT2010/);
    expect(r.err).toMatch(/note: .*duplicate-id\.iotopo:3:10: 's0' first defined here/);
    const j = await cli('ir', join(BAD, 'duplicate-id.iotopo'), '--format', 'json');
    expect(JSON.parse(j.err).diagnostics[0].code).toBe('IOT2010');
  });
});

describe('iotopo schema', () => {
  it('prints a draft 2020-12 schema that Ajv2020 compiles in strict mode', async () => {
    const r = await cli('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.out);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
    expect(validate({ machine: 'm', smmuv3: { s0: { stage: 'nested' } } })).toBe(true);
    expect(validate({ machine: 'm', smmuv3: { s0: { stag: 'nested' } } })).toBe(false);
  });
});
