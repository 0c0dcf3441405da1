import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';
import { allChecks } from '../../src/check/index';
import { DT_CASES, IORT_CASES } from './cases-binary';
import { buildIort, cleanNodes } from './iort-builder';

let dir = '';
const file = (name: string) => join(dir, name);
const cli = async (...argv: string[]) => {
  const io = bufferIo();
  const code = await run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iotopo-lint-'));
  writeFileSync(file('clean.iort'), buildIort(5, cleanNodes()).bytes);
  writeFileSync(file('boundary.iort'), IORT_CASES.find((c) => c.check === 'iort-boundary-shared')!.fire().bytes);
  writeFileSync(file('overlap.iort'), IORT_CASES.find((c) => c.check === 'iort-id-overlap')!.fire().bytes);
  writeFileSync(file('clean.dtb'), DT_CASES[0]!.silent());
  writeFileSync(file('qemu-name.dtb'), DT_CASES.find((c) => c.check === 'dt-smmu-node-name')!.fire().bytes);
  writeFileSync(file('text.txt'), 'hello\n');
  const lines = ['machine seed-irq {', '  profile qemu-virt', '  memory 4G'];
  for (let i = 0; i < 11; i++) lines.push(`  smmuv3 vsmmu${i} { base 0x${(0x0b00_0000 + i * 0x2_0000).toString(16)}; spi ${74 + 4 * i}; stage nested }`);
  lines.push('  pcie pcie.0 { iommu none }', '}');
  writeFileSync(file('seed-irq.iotopo'), lines.join('\n') + '\n');
  writeFileSync(file('broken.iotopo'), 'machine x {\n  profile qemu-virt\n  smmuv3 {\n}\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iotopo lint', () => {
  it('exit 0 and a summary for clean files', async () => {
    const r = await cli('lint', file('clean.iort'), file('clean.dtb'));
    expect(r.code).toBe(0);
    expect(r.out).toBe('0 errors, 0 warnings in 2 files\n');
  });
  it('exit 0 with warnings only, 1 with an error', async () => {
    const w = await cli('lint', file('boundary.iort'));
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/boundary\.iort:0x[0-9a-f]+: warning IOT5102 \(iort-boundary-shared\)/);
    const e = await cli('lint', file('overlap.iort'));
    expect(e.code).toBe(1);
    expect(e.out).toMatch(/error IOT5103 \(iort-id-overlap\)/);
  });
  it('-E raises a warning to an error (exit 1); -W lowers an error (exit 0)', async () => {
    const e = await cli('lint', file('boundary.iort'), '-E', 'iort-boundary-shared');
    expect(e.code).toBe(1);
    expect(e.out).toMatch(/error IOT5102/);
    const w = await cli('lint', file('overlap.iort'), '-W', 'iort-id-overlap');
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/warning IOT5103/);
  });
  it('-W no-<check> disables a check; toggles apply in order', async () => {
    const off = await cli('lint', file('qemu-name.dtb'), '-W', 'no-dt-smmu-node-name');
    expect(off.code).toBe(0);
    expect(off.out).not.toMatch(/IOT5208/);
    const back = await cli('lint', file('qemu-name.dtb'), '-W', 'no-dt-smmu-node-name', '-E', 'dt-smmu-node-name');
    expect(back.code).toBe(1);
    expect(back.out).toMatch(/error IOT5208/);
  });
  it('an unknown check name is a usage error (exit 2)', async () => {
    const r = await cli('lint', file('clean.iort'), '-W', 'no-such-check');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/IOT5000.*'no-such-check'/);
    expect(r.out).toBe('');
  });
  it('unreadable and unrecognised files exit 2, the others are still linted', async () => {
    const r = await cli('lint', file('missing.bin'), file('text.txt'), file('overlap.iort'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/IOT7002.*missing\.bin/);
    expect(r.out).toMatch(/IOT5901/);
    expect(r.out).toMatch(/IOT5103/);
  });
  it('--format json lists files and diagnostics', async () => {
    const r = await cli('lint', file('boundary.iort'), file('clean.dtb'), '--format', 'json');
    const j = JSON.parse(r.out);
    expect(j.files.map((f: { kind: string; warnings: number }) => [f.kind, f.warnings])).toEqual([
      ['iort', 1],
      ['dtb', 0],
    ]);
    expect(j.diagnostics[0].code).toBe('IOT5102');
    expect(j.diagnostics[0].check).toBe('iort-boundary-shared');
    expect(typeof j.diagnostics[0].loc.byteOffset).toBe('number');
  });
  it('output is deterministic', async () => {
    const a = await cli('lint', file('overlap.iort'), file('qemu-name.dtb'), '--format', 'sarif');
    const b = await cli('lint', file('overlap.iort'), file('qemu-name.dtb'), '--format', 'sarif');
    expect(a.out).toBe(b.out);
  });
  it('--help has an example', async () => {
    const r = await cli('lint', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:/);
    expect(r.out).toMatch(/-W no-<check>/);
  });
});

describe('iotopo lint on configs', () => {
  it('runs the config checks with source frames', async () => {
    const r = await cli('lint', file('seed-irq.iotopo'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/seed-irq\.iotopo:4:10: error IOT5031 \(irq-collision\)/);
    expect(r.out).toMatch(/ 4 \|   smmuv3 vsmmu0 \{ base 0xb000000; spi 74; stage nested \}\n +\| +\^{6}/);
    expect(r.out).toMatch(/3 errors, 0 warnings in 1 file/);
  });
  it('toggles apply to config checks too', async () => {
    const r = await cli('lint', file('seed-irq.iotopo'), '-W', 'irq-collision');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/warning IOT5031/);
  });
  it('a config that does not parse reports the front end errors (exit 1)', async () => {
    const r = await cli('lint', file('broken.iotopo'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/broken\.iotopo:\d+:\d+: error IOT1/);
  });
  it('SARIF regions carry line and column for configs', async () => {
    const r = await cli('lint', file('seed-irq.iotopo'), '--format', 'sarif');
    const res = JSON.parse(r.out).runs[0].results[0];
    expect(res.ruleId).toBe('IOT5031');
    expect(res.locations[0].physicalLocation.region).toMatchObject({ startLine: 4, startColumn: 10 });
  });
});

describe('SARIF output', () => {
  it('is SARIF 2.1.0 with rules from the registry and located results', async () => {
    const r = await cli('lint', file('overlap.iort'), file('qemu-name.dtb'), '--format', 'sarif');
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    const run0 = s.runs[0];
    expect(run0.tool.driver.name).toBe('iotopo');
    const rules = run0.tool.driver.rules as { id: string; name?: string; defaultConfiguration: { level: string } }[];
    for (const c of allChecks()) expect(rules.some((x) => x.id === c.code && x.name === c.name)).toBe(true);
    const overlap = run0.results.find((x: { ruleId: string }) => x.ruleId === 'IOT5103');
    expect(overlap.level).toBe('error');
    expect(rules[overlap.ruleIndex]!.id).toBe('IOT5103');
    const loc = overlap.locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toMatch(/overlap\.iort$/);
    expect(loc.region.byteOffset).toBe(IORT_CASES.find((c) => c.check === 'iort-id-overlap')!.fire().where);
    expect(overlap.relatedLocations[0].physicalLocation.region.byteOffset).toBeGreaterThan(0);
    const name = run0.results.find((x: { ruleId: string }) => x.ruleId === 'IOT5208');
    expect(name.level).toBe('warning');
    expect(name.locations[0].logicalLocations[0]).toEqual({ fullyQualifiedName: '/smmuv3@9050000', kind: 'element' });
    expect(run0.artifacts.length).toBe(2);
  });
  it('config diagnostics get a line/column region', async () => {
    const { toSarif } = await import('../../src/check/index');
    const s = toSarif([
      { code: 'IOT5001', severity: 'error', message: 'm', check: 'rid-overlap', span: { file: 'a.iotopo', line: 3, col: 5, endLine: 3, endCol: 9, offset: 40, length: 4 } },
    ]);
    const region = s.runs[0]!.results![0]!.locations![0]!.physicalLocation!.region!;
    expect([region.startLine, region.startColumn, region.endLine, region.endColumn]).toEqual([3, 5, 3, 9]);
    expect(s.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe('a.iotopo');
  });
});

describe('iotopo checks', () => {
  it('lists every check with code, level and explanation', async () => {
    const r = await cli('checks');
    expect(r.code).toBe(0);
    for (const c of allChecks()) expect(r.out).toContain(`${c.name}  ${c.code}  ${c.level}`);
    expect(r.out).toMatch(/Source: /);
    expect(r.out).toContain(`${allChecks().length} checks`);
  });
  it('json, a name filter, and toggled levels', async () => {
    const r = await cli('checks', 'rid-unmapped', 'iort-boundary-shared', '--format', 'json', '-W', 'rid-unmapped');
    const j = JSON.parse(r.out);
    expect(j.checks.map((c: { name: string; level: string; effectiveLevel: string }) => [c.name, c.level, c.effectiveLevel])).toEqual([
      ['rid-unmapped', 'off', 'warning'],
      ['iort-boundary-shared', 'warning', 'warning'],
    ]);
    expect(j.checks[0].explain.length).toBeGreaterThan(50);
  });
  it('an unknown name exits 2', async () => {
    expect((await cli('checks', 'nope')).code).toBe(2);
    expect((await cli('checks', '-E', 'nope')).code).toBe(2);
  });
});
