/**
 * Random semantic edits (fixed seed) of IORT ID mappings and DT maps: the prover must never
 * throw, never disagree with the reference interpreters (IOT6901), and either prove or name a
 * RID.
 */
import { describe, expect, it } from 'vitest';
import { proveTables } from '../../src/verify/index';
import { bridges, cells, editDtb, nodeAt, patch32, setCells } from './edit';
import { exampleNames, loadSubject } from './subjects';

const subjects = exampleNames().map(loadSubject);

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

function check(r: ReturnType<typeof proveTables>, what: string) {
  expect(r.diagnostics.filter((d) => d.code === 'IOT6901' || d.code === 'IOT6201'), what).toEqual([]);
  if (!r.proven) expect(r.errors, what).toBeGreaterThan(0);
}

describe('random table edits', () => {
  it('IORT: 150 mutants of mapping fields', () => {
    const rnd = rng(12345);
    for (let i = 0; i < 150; i++) {
      const s = subjects[rnd(subjects.length)]!;
      const maps = s.t.nodes.flatMap((n) => n.mappings);
      const edits: [number, number][] = [];
      for (let j = 0; j <= rnd(3); j++) {
        const m = maps[rnd(maps.length)]!;
        const field = [0, 4, 8, 16][rnd(4)]!;
        const cur = new DataView(s.iort.buffer, s.iort.byteOffset).getUint32(m.offset + field, true);
        edits.push([m.offset + field, [cur + 1, cur - 1, cur + 0x100, rnd(0x20000), 0xffffffff, 0, cur ^ 1][rnd(7)]! >>> 0]);
      }
      check(proveTables({ iort: patch32(s.iort, edits), dtb: rnd(2) ? s.dtb : null, ir: rnd(2) ? s.ir : null }), `${s.name} ${JSON.stringify(edits)}`);
    }
  });

  it('DT: 100 mutants of iommu-map, msi-map, masks and bus-range', () => {
    const rnd = rng(777);
    for (let i = 0; i < 100; i++) {
      const s = subjects[rnd(subjects.length)]!;
      const log: string[] = [];
      const dtb = editDtb(s.dtb, (root) => {
        const bs = bridges(root);
        for (let j = 0; j <= rnd(2); j++) {
          const b = nodeAt(root, bs[rnd(bs.length)]!.path);
          const prop = ['iommu-map', 'msi-map', 'bus-range', 'iommu-map-mask', 'msi-map-mask'][rnd(5)]!;
          let cs = cells(b, prop);
          if (prop.endsWith('mask')) cs = [[0xfff8, 0xff, 0xffff, 0x0, 0xff00][rnd(5)]!];
          else if (cs.length) {
            const k = rnd(cs.length);
            cs[k] = [cs[k]! + 1, cs[k]! - 1, 0, 0xffffffff, rnd(0x20000)][rnd(5)]! >>> 0;
            if (rnd(8) === 0) cs = cs.slice(0, cs.length - 1);
          }
          setCells(b, prop, cs);
          log.push(`${b.path}:${prop}=${cs.map((c) => c.toString(16)).join(' ')}`);
        }
      });
      check(proveTables({ iort: s.iort, dtb, ir: rnd(2) ? s.ir : null }), `${s.name} ${log.join('; ')}`);
    }
  });
});
