import { describe, expect, it } from 'vitest';
import { lintBytes, resolveCheckLevels } from '../../src/check/index';
import { DT_CASES, IORT_CASES } from './cases-binary';
import { buildIort, cleanNodes, smmuv3 } from './iort-builder';

const lint = (bytes: Uint8Array, kind: 'iort' | 'dtb', file = 'case.bin') => lintBytes(bytes, file, kind, resolveCheckLevels().levels);

describe.each([...IORT_CASES, ...DT_CASES])('$check ($code)', (c) => {
  it('fires at the right place', () => {
    const { bytes, where } = c.fire();
    const r = lint(bytes, c.kind);
    expect(r.decoded).toBe(true);
    const mine = r.diagnostics.filter((d) => d.code === c.code);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((d) => d.check === c.check && d.loc?.file === 'case.bin')).toBe(true);
    if (typeof where === 'number') expect(mine.map((d) => d.loc?.byteOffset)).toContain(where);
    else expect(mine.map((d) => d.loc?.path)).toContain(where);
  });
  it('stays silent on the near miss', () => {
    const r = lint(c.silent(), c.kind);
    expect(r.decoded).toBe(true);
    expect(r.diagnostics.filter((d) => d.code === c.code)).toEqual([]);
  });
});

describe('binary lint: details', () => {
  it('the clean IORT and the clean DTB produce no finding at all', () => {
    expect(lint(buildIort(5, cleanNodes()).bytes, 'iort').diagnostics).toEqual([]);
    const dt = DT_CASES[0]!.silent();
    expect(lint(dt, 'dtb').diagnostics).toEqual([]);
  });
  it('iort-boundary-shared quotes the Linux FW_BUG and names the winning mapping', () => {
    const c = IORT_CASES.find((x) => x.check === 'iort-boundary-shared')!;
    const d = lint(c.fire().bytes, 'iort').diagnostics.find((x) => x.code === c.code)!;
    expect(d.message).toMatch(/conflicting mapping for input ID 0x100, applying workaround/);
    expect(d.message).toMatch(/uses mapping #1/);
    expect(d.help).toMatch(/0xff/);
  });
  it('iort-deviceid-index reports an index past the mapping count', () => {
    const nodes = cleanNodes();
    nodes[1] = smmuv3('smmu', { gsivs: [0, 0, 0, 0], idIndex: 5 }, [{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }]);
    const b = buildIort(5, nodes);
    const d = lint(b.bytes, 'iort').diagnostics.filter((x) => x.code === 'IOT5109');
    expect(d.map((x) => x.loc?.byteOffset)).toEqual([b.at.smmu! + 64]);
    expect(d[0]!.message).toMatch(/overflows valid mappings/);
  });
  it('iort-structure failing skips its dependents (no dangling-reference noise)', () => {
    const c = IORT_CASES.find((x) => x.check === 'iort-structure')!;
    const codes = lint(c.fire().bytes, 'iort').diagnostics.map((d) => d.code);
    expect(codes).toContain('IOT5100');
    expect(codes).not.toContain('IOT5105');
    expect(codes).not.toContain('IOT5107');
  });
  it('a table that cannot be decoded is a finding (IOT5900 + the decoder error), not an exception', () => {
    const bytes = buildIort(5, cleanNodes()).bytes;
    bytes[4] = 0xff; // Length far beyond the input
    bytes[5] = 0xff;
    const r = lint(bytes, 'iort');
    expect(r.decoded).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['IOT5900', 'IOT3102']));
    const dt = lint(new Uint8Array([0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 8]), 'dtb');
    expect(dt.decoded).toBe(false);
    expect(dt.diagnostics.map((d) => d.code)).toContain('IOT5900');
  });
  it('unknown input kinds are IOT5901', () => {
    const r = lint(new Uint8Array([1, 2, 3, 4]), 'unknown' as never);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IOT5901']);
  });
  it('DT findings carry the property byte offset as well as the path', () => {
    const c = DT_CASES.find((x) => x.check === 'dt-map-length')!;
    const d = lint(c.fire().bytes, 'dtb').diagnostics.find((x) => x.code === c.code)!;
    expect(d.loc?.byteOffset).toBeGreaterThan(0x28);
  });
});
