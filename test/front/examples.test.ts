/**
 * Every example lowers without errors, its DSL and YAML spellings give the same IR, and the
 * three QEMU examples reproduce the RC/SMMU ID mappings and SMMU placement that QEMU 10.0
 * wrote into the reference IORT tables (qemu-10.0/<topology>/IORT.dsl under /work/shared/reference).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/ir/index';
import type { IrMachine, IrRidRange } from '../../src/ir/types';
import { toJson } from '../../src/util/json';
import { EXAMPLES, parseIortDsl, QEMU_REF, read, stripSpans } from './helpers';

const names = [...new Set(readdirSync(EXAMPLES).filter((f) => f.endsWith('.iotopo')).map((f) => f.replace(/\.iotopo$/, '')))].sort();

function load(file: string): IrMachine {
  const r = loadConfig(read(join(EXAMPLES, file)), file);
  expect(r.diagnostics.filter((d) => d.severity !== 'note')).toEqual([]);
  expect(r.value).not.toBeNull();
  return r.value!;
}

describe('examples', () => {
  it('has every required example in both languages', () => {
    for (const n of ['qemu-a-smmuv3', 'qemu-b-smmuv3-2pxb', 'qemu-c-smmuv3-2pxb-bypass', 'seed-nested', 'large-machine']) {
      expect(names).toContain(n);
      expect(readdirSync(EXAMPLES)).toContain(`${n}.yaml`);
    }
  });

  for (const n of names) {
    it(`${n}: DSL and YAML lower to the same IR`, () => {
      const a = load(`${n}.iotopo`);
      const b = load(`${n}.yaml`);
      expect(stripSpans(b)).toEqual(stripSpans(a));
      // Spans point into each source.
      expect(a.smmus.every((s) => s.span?.file === `${n}.iotopo` && s.span.line > 1)).toBe(true);
      expect(b.smmus.every((s) => s.span?.file === `${n}.yaml` && s.span.line > 1)).toBe(true);
    });

    it(`${n}: ridMaps cover [0, 0x10000) in order, and lowering is deterministic`, () => {
      const text = read(join(EXAMPLES, `${n}.iotopo`));
      const a = load(`${n}.iotopo`);
      for (const seg of a.segments) {
        let next = 0;
        for (const r of seg.ridMap) {
          expect(r.base).toBe(next);
          expect(r.count).toBeGreaterThan(0);
          next = r.base + r.count;
        }
        expect(next).toBe(0x1_0000);
      }
      expect(toJson(loadConfig(text, `${n}.iotopo`).value)).toBe(toJson(a));
    });
  }
});

/** Adjacent ranges with the same target kind and identity output merged, as QEMU writes them. */
function merged(ridMap: IrRidRange[]): { base: number; count: number; to: string }[] {
  const out: { base: number; count: number; to: string }[] = [];
  for (const r of ridMap) {
    if (r.target.kind === 'none') continue;
    const out0 = r.target.kind === 'smmu' ? r.target.streamBase : r.target.deviceBase;
    expect(out0).toBe(r.base); // identity in segment 0
    const to = r.target.kind;
    const last = out.at(-1);
    if (last && last.to === to && last.base + last.count === r.base) last.count += r.count;
    else out.push({ base: r.base, count: r.count, to });
  }
  return out.sort((x, y) => x.base - y.base);
}

describe('QEMU 10.0 reference IORTs', () => {
  const refs: [string, string][] = [
    ['qemu-a-smmuv3', 'a_smmuv3'],
    ['qemu-b-smmuv3-2pxb', 'b_smmuv3_2pxb'],
    ['qemu-c-smmuv3-2pxb-bypass', 'c_smmuv3_2pxb_bypass'],
  ];
  for (const [example, ref] of refs) {
    for (const lang of ['iotopo', 'yaml']) {
      it(`${example}.${lang} matches ${ref}/IORT.dsl`, () => {
        const m = load(`${example}.${lang}`);
        const nodes = parseIortDsl(read(join(QEMU_REF, ref, 'IORT.dsl')));
        const rc = nodes.find((x) => x.type === 2)!;
        const smmu = nodes.find((x) => x.type === 4)!;
        expect(m.segments).toHaveLength(1);
        const expected = rc.mappings
          .map((x) => {
            expect(x.outputBase).toBe(x.inputBase);
            return { base: x.inputBase, count: x.count, to: x.targetType === 4 ? 'smmu' : 'its' };
          })
          .sort((x, y) => x.base - y.base);
        expect(merged(m.segments[0]!.ridMap)).toEqual(expected);
        // The SMMU node: placement, GSIVs, its StreamID -> ITS map.
        expect(m.smmus).toHaveLength(1);
        const s = m.smmus[0]!;
        expect(s.base).toBe(BigInt('0x' + smmu.fields.get('Base Address')!));
        expect(s.irqs.event).toBe(parseInt(smmu.fields.get('Event GSIV')!, 16));
        expect(s.irqs.pri).toBe(parseInt(smmu.fields.get('PRI GSIV')!, 16));
        expect(s.irqs.gerror).toBe(parseInt(smmu.fields.get('GERR GSIV')!, 16));
        expect(s.irqs.sync).toBe(parseInt(smmu.fields.get('Sync GSIV')!, 16));
        expect(s.msiMap.map((x) => ({ base: x.base, count: x.count, out: x.outBase }))).toEqual(
          smmu.mappings.map((x) => ({ base: x.inputBase, count: x.count, out: x.outputBase })),
        );
        // Header and RC node fields.
        const hdr = read(join(QEMU_REF, ref, 'IORT.dsl'));
        expect(hdr).toContain(`Oem ID : "${m.iort.oemId}"`);
        expect(hdr).toContain(`Oem Table ID : "${m.iort.oemTableId}"`);
        expect(hdr).toMatch(new RegExp(`Revision : 0${m.iort.revision}\\n`));
        expect(parseInt(rc.fields.get('Memory Size Limit')!, 16)).toBe(m.bridges[0]!.memLimit);
        expect(m.its.map((i) => i.translationId)).toEqual([0]);
      });
    }
  }
});
