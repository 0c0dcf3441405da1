/**
 * The IOTLB hash table against a Map model: inserts, overwrites and predicate invalidation in
 * a table kept near full so probe chains collide and backward-shift deletion is exercised.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Iotlb, KIND_S1 } from '../../../src/verify/smmu/iotlb';

describe('Iotlb', () => {
  it('lookups after arbitrary inserts and invalidations match a Map model', () => {
    const op = fc.oneof(
      fc.record({ ins: fc.constant(true), page: fc.integer({ min: 0, max: 200 }), asid: fc.integer({ min: 0, max: 3 }), pa: fc.integer({ min: 0, max: 1e6 }) }),
      fc.record({ ins: fc.constant(false), mod: fc.integer({ min: 2, max: 5 }), rem: fc.integer({ min: 0, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 150, maxLength: 400 }), (ops) => {
        const t = new Iotlb(1000); // 2048 slots; keys are dense so chains are long
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.ins) {
            t.insert(0, o.asid, o.page * 4096, 12, o.pa * 4096, -1, 3, -1, KIND_S1);
            model.set(`${o.asid}:${o.page}`, o.pa * 4096);
          } else {
            const removed = t.invalidate((i) => (t.vaBase[i]! / 4096) % o.mod === o.rem % o.mod);
            let n = 0;
            for (const k of [...model.keys()]) if (Number(k.split(':')[1]) % o.mod === o.rem % o.mod) (model.delete(k), n++);
            expect(removed).toBe(n);
          }
          expect(t.size).toBe(model.size);
        }
        for (let asid = 0; asid < 4; asid++) {
          for (let page = 0; page <= 200; page++) {
            const s = t.lookup(0, asid, page * 4096 + 5);
            const want = model.get(`${asid}:${page}`);
            expect(s < 0 ? undefined : t.paBase[s]).toBe(want);
          }
        }
      }),
      { numRuns: 100, seed: 42 },
    );
  });

  it('entries displaced past a deleted slot stay reachable (dense table, half invalidated)', () => {
    const t = new Iotlb(1000);
    for (let asid = 0; asid < 4; asid++) for (let p = 0; p <= 200; p++) t.insert(0, asid, p * 4096, 12, p * 4096, -1, 3, -1, KIND_S1);
    expect(t.invalidate((i) => (t.vaBase[i]! / 4096) % 2 === 0)).toBe(404);
    for (let asid = 0; asid < 4; asid++) {
      for (let p = 0; p <= 200; p++) {
        const s = t.lookup(0, asid, p * 4096);
        expect(s < 0 ? -1 : t.paBase[s]).toBe(p % 2 === 0 ? -1 : p * 4096);
      }
    }
  });

  it('probes only page sizes that are present, and finds blocks of several sizes', () => {
    const t = new Iotlb(64);
    t.insert(1, 2, 0x4000_0000, 30, 0x80_0000_0000, -1, 3, -1, KIND_S1);
    t.insert(1, 2, 0x20_0000, 21, 0x90_0000_0000, -1, 3, -1, KIND_S1);
    expect(t.paBase[t.lookup(1, 2, 0x4fff_ffff)]).toBe(0x80_0000_0000);
    expect(t.paBase[t.lookup(1, 2, 0x3f_ffff)]).toBe(0x90_0000_0000);
    expect(t.lookup(1, 3, 0x4000_0000)).toBe(-1);
    expect(t.lookup(2, 2, 0x4000_0000)).toBe(-1);
    expect(t.invalidate((i) => t.shift[i] === 30)).toBe(1);
    expect(t.lookup(1, 2, 0x4000_0000)).toBe(-1);
    expect(t.entries()).toMatchObject([{ vaBase: 0x20_0000, shift: 21 }]);
  });
});
