import { describe, expect, it } from 'vitest';
import { runConfigChecks } from '../../src/check/index';
import { loadConfig } from '../../src/ir/index';
import { CONFIG_CASES } from './cases-config';
import { cleanMachine, FILE, nestedMachine } from './fixtures';

describe('config checks: the fixtures are clean', () => {
  it('cleanMachine passes every check, including the ones off by default', () => {
    expect(runConfigChecks(cleanMachine(), { toggles: [{ flag: 'W', name: 'rid-unmapped' }] })).toEqual([]);
  });
  it('nestedMachine passes every check', () => {
    expect(runConfigChecks(nestedMachine())).toEqual([]);
  });
});

describe.each(CONFIG_CASES)('$check ($code)', (c) => {
  it('fires at the declaration', () => {
    const ds = runConfigChecks(c.fire(), { toggles: c.toggles });
    const mine = ds.filter((d) => d.code === c.code);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((d) => d.check === c.check)).toBe(true);
    expect(mine.map((d) => d.span?.line)).toContain(c.line);
    expect(mine.every((d) => d.span?.file === FILE)).toBe(true);
  });
  it('stays silent on the near miss', () => {
    const ds = runConfigChecks(c.silent(), { toggles: c.silentToggles ?? c.toggles });
    expect(ds.filter((d) => d.code === c.code)).toEqual([]);
  });
});

describe('config checks: details', () => {
  it('rid-overlap names both owners and the other one as a related span', () => {
    const c = CONFIG_CASES.find((x) => x.check === 'rid-overlap')!;
    const d = runConfigChecks(c.fire()).find((x) => x.code === 'IOT5001')!;
    expect(d.message).toMatch(/0xf00\.\.0x1fff .*pxb1.* overlaps 0x0\.\.0xfff .*pcie\.0/);
    expect(d.related?.[0]?.span?.line).toBe(4);
  });
  it('a failed prerequisite skips dependents: rid-overlap suppresses rid-coverage', () => {
    const c = CONFIG_CASES.find((x) => x.check === 'rid-overlap')!;
    const codes = runConfigChecks(c.fire()).map((d) => d.code);
    expect(codes).toContain('IOT5001');
    expect(codes).not.toContain('IOT5002');
    expect(codes).not.toContain('IOT5003');
  });
  it('bus-exhaustion suppresses the per-bridge bus-reserve finding', () => {
    const c = CONFIG_CASES.find((x) => x.check === 'bus-exhaustion')!;
    const codes = runConfigChecks(c.fire()).map((d) => d.code);
    expect(codes).toContain('IOT5013');
    expect(codes).not.toContain('IOT5012');
  });
  it('-W no-<check> silences a finding and -E raises a warning to an error', () => {
    const c = CONFIG_CASES.find((x) => x.check === 'nested-no-device')!;
    expect(runConfigChecks(c.fire(), { toggles: [{ flag: 'W', name: 'no-nested-no-device' }] }).filter((d) => d.code === c.code)).toEqual([]);
    const raised = runConfigChecks(c.fire(), { toggles: [{ flag: 'E', name: 'nested-no-device' }] }).filter((d) => d.code === c.code);
    expect(raised.map((d) => d.severity)).toEqual(['error']);
  });
  it('the config hook sets levels, and command-line toggles win over it', () => {
    const c = CONFIG_CASES.find((x) => x.check === 'rid-coverage')!;
    const viaConfig = runConfigChecks(c.fire(), { config: { 'rid-coverage': 'warning' } }).filter((d) => d.code === c.code);
    expect(viaConfig.map((d) => d.severity)).toEqual(['warning']);
    const both = runConfigChecks(c.fire(), { config: { 'rid-coverage': 'off' }, toggles: [{ flag: 'E', name: 'rid-coverage' }] }).filter((d) => d.code === c.code);
    expect(both.map((d) => d.severity)).toEqual(['error']);
  });
  it('an unknown check name is reported as IOT5000', () => {
    const ds = runConfigChecks(cleanMachine(), { toggles: [{ flag: 'W', name: 'no-such-check' }] });
    expect(ds.map((d) => d.code)).toEqual(['IOT5000']);
    expect(ds[0]!.message).toMatch(/no-such-check/);
  });
  it('deviceid-overlap counts only the StreamIDs an SMMU really receives', () => {
    // QEMU-style SMMU map 0..0xffff -> ITS identity; the bypass range 0x1000.. does not clash
    // because the SMMU only receives StreamIDs 0..0xfff.
    const x = cleanMachine();
    x.smmus[0]!.msiMap = [{ base: 0, count: 0x10000, outBase: 0, its: 'its0' }];
    expect(runConfigChecks(x).filter((d) => d.code === 'IOT5007')).toEqual([]);
  });
});

describe('config checks on real configs (front end)', () => {
  it('the seed RFC layout (vSMMU i at 74 + 4i) collides with the legacy SMMU slot and the platform bus SPIs', () => {
    const lines = ['machine seed-irq {', '  profile qemu-virt', '  memory 4G'];
    for (let i = 0; i < 11; i++) lines.push(`  smmuv3 vsmmu${i} { base 0x${(0x0b00_0000 + i * 0x2_0000).toString(16)}; spi ${74 + 4 * i}; stage nested }`);
    lines.push('  pcie pcie.0 { iommu none }', '}');
    const r = loadConfig(lines.join('\n') + '\n', 'seed-irq.iotopo');
    expect(r.value).not.toBeNull();
    const ds = runConfigChecks(r.value!).filter((d) => d.code === 'IOT5031');
    expect(ds.map((d) => d.span?.line)).toEqual([4, 13, 14]);
    expect(ds[0]!.message).toMatch(/vsmmu0.*platform region 'smmu'.*SPIs 74\.\.77/);
    expect(ds[2]!.message).toMatch(/vsmmu10.*platform region 'platform-bus'.*SPIs 114\.\.117/);
  });
});
