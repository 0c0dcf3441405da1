/**
 * Lint over the whole real-world corpus: no crash, and the codes + counts per file equal the
 * kept expectation (test/golden/check/lint-corpus.json). The findings table in
 * docs/lint-findings.md is generated from the same data. Regenerate both on purpose with
 *   UPDATE_GOLDEN=1 npx vitest run test/check/corpus.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../../src/check/index';
import type { Diagnostic } from '../../src/diag/diagnostic';
import { corpusEntries, findingsTable, lintEntry, type FileSummary } from './corpus';

const ROOT = join(__dirname, '../..');
const GOLDEN = join(ROOT, 'test/golden/check/lint-corpus.json');
const DOC = join(ROOT, 'docs/lint-findings.md');
const BEGIN = '<!-- BEGIN GENERATED: corpus findings (test/check/corpus.test.ts) -->';
const END = '<!-- END GENERATED -->';
const update = process.env.UPDATE_GOLDEN === '1';

const summaries: Record<string, FileSummary> = {};
const diags = new Map<string, Diagnostic[]>();
for (const e of corpusEntries()) {
  const r = lintEntry(e);
  summaries[e.name] = r.summary;
  diags.set(e.name, r.diagnostics);
}
const of = (name: string) => diags.get(name) ?? [];
const names = new Map(allChecks().map((c) => [c.code, `(${c.name})`] as const));

describe('lint over the real-world corpus', () => {
  it('lints every file without crashing and decodes all but the corrupted one', () => {
    expect(Object.keys(summaries).length).toBeGreaterThanOrEqual(35);
    const undecoded = Object.entries(summaries).filter(([, s]) => !s.decoded && !s.note).map(([f]) => f);
    expect(undecoded).toEqual(['iort/qcom-x1-microsoft-surface-pro-12in-CORRUPTED.iort.dat']);
    for (const s of Object.values(summaries)) expect(s.codes.IOT5999).toBeUndefined();
  });

  it('codes and counts per file match the kept expectation', () => {
    const json = JSON.stringify(summaries, null, 2) + '\n';
    if (update) writeFileSync(GOLDEN, json);
    expect(JSON.parse(readFileSync(GOLDEN, 'utf8'))).toEqual(summaries);
  });

  it('docs/lint-findings.md carries the same table', () => {
    const table = findingsTable(summaries, names);
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    if (update) writeFileSync(DOC, doc.slice(0, a + BEGIN.length) + '\n' + table + '\n' + doc.slice(b));
    const now = readFileSync(DOC, 'utf8');
    expect(now.slice(now.indexOf(BEGIN) + BEGIN.length, now.indexOf(END)).trim()).toBe(table);
  });

  it('names the HiSilicon D06 shared boundaries (count written instead of count - 1)', () => {
    const d = of('iort-asl/hisilicon-d06-kunpeng920-hi1620.Iort.asl').filter((x) => x.code === 'IOT5102');
    expect(d.length).toBeGreaterThanOrEqual(4);
    expect(d.map((x) => x.message).join('\n')).toMatch(/ends on input ID 0x7b00, where mapping #\d+ \(input 0x7b00/);
    expect(of('iort-asl/hisilicon-d06-kunpeng920-hi1620-nosmmu.Iort.asl').some((x) => x.code === 'IOT5102')).toBe(true);
  });

  it('names the single mappings with Number of IDs 1 (Ampere SMMUs, HiSilicon named components)', () => {
    const amp = of('iort/ampere-altra-ava.iort.dat').filter((x) => x.code === 'IOT5110');
    expect(amp.length).toBe(6);
    expect(amp[0]!.message).toMatch(/SMMUv3@0x[0-9a-f]+: single mapping #1 has Number of IDs 1/);
    for (const f of ['hisilicon-d03-hi1610', 'hisilicon-d05-hi1616', 'hisilicon-d06-kunpeng920-hi1620'])
      expect(of(`iort-asl/${f}.Iort.asl`).some((x) => x.code === 'IOT5110' && /Named component/.test(x.message)), f).toBe(true);
  });

  it('names the other real problems', () => {
    // CIX Sky1: identifiers all 0 in a revision-5 table.
    expect(of('iort/cix-sky1-radxa-orion-o6.iort.dat').map((x) => x.code)).toContain('IOT5111');
    // Surface Pro X: RC inputs 0x87030000.. are not PCI RIDs.
    expect(of('iort/qcom-sc8180x-microsoft-surface-pro-x.iort.dat').filter((x) => x.code === 'IOT5119').length).toBe(4);
    // The UTF-8-mangled dump is refused with a clear error.
    expect(of('iort/qcom-x1-microsoft-surface-pro-12in-CORRUPTED.iort.dat').map((x) => x.code)).toEqual(['IOT5900', 'IOT3102']);
    // i.MX95 pcie0 has iommu-map-mask but no msi-map-mask: almost every RID misses the msi-map.
    expect(of('dts-derived/nxp-imx95-19x19-evk.dtb').some((x) => x.code === 'IOT5205' && /pcie@4c300000: 65528 RID/.test(x.message))).toBe(true);
    // The D05 SMMU source does not compile with iasl (2015-era labels).
    expect(summaries['iort-asl/hisilicon-d05-hi1616-smmu.Iort.asl']!.note).toMatch(/iasl cannot compile/);
  });
});
