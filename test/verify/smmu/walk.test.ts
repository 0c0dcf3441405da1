/**
 * VMSAv8-64 walks across granules, start levels, stages and nesting; TTB0/TTB1 selection with
 * TBI; stage-2 concatenated tables; 52-bit addresses with the 64K granule.
 */
import { describe, expect, it } from 'vitest';
import { cd, type Granule, levelShift, PageTable, steS1, writeDwords } from '../../../src/verify/smmu';
import { attachCd, attachS2, DATA, DATA_IPA, ev, expectPa, nestedRig, rig, s1Table, s2Table } from './rig';

const G: Granule[] = [4096, 16384, 65536];
const kb = (g: number): string => `${g / 1024}K`;

/** Addresses spread over every index bit of a `bits`-wide input range (page aligned). */
function probes(bits: number, g: number): number[] {
  const top = 2 ** bits;
  return [0, g * 3, top / 2 + g * 5, top - g, Math.floor((top * 0.7) / g) * g];
}

describe('stage 1: every granule and start level', () => {
  const sizes: Record<number, number[]> = { 4096: [48, 39, 30, 25], 16384: [48, 47, 36, 25], 65536: [48, 42, 29, 25] };
  for (const g of G) {
    for (const ias of sizes[g]!) {
      const start = 4 - Math.floor((ias - 4) / (Math.log2(g) - 3));
      it(`${kb(g)} granule, ${ias}-bit VA: start level ${start}, ${4 - start} descriptor reads`, () => {
        const r = rig({ smmu: { iotlb: false } });
        const p = s1Table(r, g, ias);
        expect(p.startLevel).toBe(start);
        attachCd(r, 1, { asid: 1, ips: 48, tt0: { ttb: p.root, ias, granule: g } });
        probes(ias, g).forEach((va, i) => p.map(va, DATA + i * g, g, { write: true }, { blocks: false }));
        probes(ias, g).forEach((va, i) => {
          const reads = r.smmu.stats.walkReads;
          const res = expectPa(r, { sid: 1, iova: va + 0x18, write: true }, DATA + i * g + 0x18);
          expect(res.pageShift).toBe(Math.log2(g));
          expect(r.smmu.stats.walkReads - reads).toBe(4 - start);
        });
        expect(ev(r.smmu.translate({ sid: 1, iova: g * 7 })).name).toBe('F_TRANSLATION');
      });
    }
  }

  for (const g of G) {
    it(`${kb(g)} granule: the largest block Linux would use, and page offsets inside it`, () => {
      const r = rig();
      const p = s1Table(r, g, 48);
      attachCd(r, 1, { asid: 1, ips: 48, tt0: { ttb: p.root, ias: 48, granule: g } });
      const block = 2 ** levelShift(Math.log2(g), 2);
      p.map(block * 3, 0x40_0000_0000, block * 2, { write: true });
      const res = expectPa(r, { sid: 1, iova: block * 4 + 0x1234 }, 0x40_0000_0000 + block + 0x1234);
      expect(res.pageShift).toBe(Math.log2(block));
      // Second access to another page of the same block hits the IOTLB.
      expect(expectPa(r, { sid: 1, iova: block * 4 + block - 8 }, 0x40_0000_0000 + 2 * block - 8).fromTlb).toBe(true);
    });
  }

  it('TTB low bits below the table size are ignored (table base aligned down)', () => {
    const r = rig();
    const p = s1Table(r, 4096, 48);
    p.map(0x5000, DATA, 0x1000);
    attachCd(r, 1, { asid: 1, ips: 48, tt0: { ttb: p.root + 0x30, ias: 48, granule: 4096 } });
    expectPa(r, { sid: 1, iova: 0x5001 }, DATA + 1);
  });
});

describe('stage 2: SL0, concatenated tables, every granule', () => {
  const cases: { g: Granule; ias: number; start?: number; startLevel: number; concat: number }[] = [
    { g: 4096, ias: 40, startLevel: 1, concat: 2 }, // Linux concatenates at level 1
    { g: 4096, ias: 48, startLevel: 0, concat: 1 },
    { g: 4096, ias: 34, start: 2, startLevel: 2, concat: 16 }, // SL0 = 0 with 16 tables
    { g: 4096, ias: 32, startLevel: 1, concat: 1 },
    { g: 16384, ias: 48, startLevel: 1, concat: 2 },
    { g: 16384, ias: 40, start: 2, startLevel: 2, concat: 16 },
    { g: 16384, ias: 36, startLevel: 2, concat: 1 },
    { g: 65536, ias: 48, startLevel: 1, concat: 1 },
    { g: 65536, ias: 44, start: 2, startLevel: 2, concat: 4 },
    { g: 65536, ias: 42, startLevel: 2, concat: 1 },
  ];
  for (const c of cases) {
    it(`${kb(c.g)}, ${c.ias}-bit IPA, start level ${c.startLevel}, ${c.concat} concatenated table(s)`, () => {
      const r = rig();
      const p = s2Table(r, c.g, c.ias, c.start);
      expect(p.startLevel).toBe(c.startLevel);
      expect(2 ** Math.max(p.startWidth - p.stride, 0)).toBe(c.concat);
      attachS2(r, 1, p, 4);
      probes(c.ias, c.g).forEach((ipa, i) => p.map(ipa, DATA + i * c.g, c.g, { write: true }, { blocks: false }));
      probes(c.ias, c.g).forEach((ipa, i) => expectPa(r, { sid: 1, iova: ipa + 8, write: true }, DATA + i * c.g + 8));
      // One beyond the input range: a stage-2 translation fault with the IPA, unless the
      // address is also beyond the IAS (48 bits here), which is a stage-1 address size fault.
      const beyond = ev(r.smmu.translate({ sid: 1, iova: 2 ** c.ias }));
      if (c.ias < 48) expect(beyond).toMatchObject({ name: 'F_TRANSLATION', s2: true, ipa: 2 ** c.ias });
      else expect(beyond).toMatchObject({ name: 'F_ADDR_SIZE', s2: false, ipa: null });
    });
  }

  it('stage-2 blocks: 4K level-1 (1 GiB) and level-2 (2 MiB)', () => {
    const r = rig();
    const p = s2Table(r, 4096, 40);
    p.map(0x4000_0000, 0x80_4000_0000, 2 ** 30, { write: true });
    p.map(0x20_0000, 0x80_0020_0000, 0x20_0000);
    attachS2(r, 1, p);
    expect(expectPa(r, { sid: 1, iova: 0x5234_5678 }, 0x80_5234_5678).pageShift).toBe(30);
    expect(expectPa(r, { sid: 1, iova: 0x2f_ffff }, 0x80_002f_ffff).pageShift).toBe(21);
  });
});

describe('nested: every stage-1 × stage-2 granule pair, stage-2 pages scrambled', () => {
  for (const g1 of G) {
    for (const g2 of G) {
      it(`stage 1 ${kb(g1)} over stage 2 ${kb(g2)}`, () => {
        const n = nestedRig({ g1, g2, scramble: true });
        // IOVAs with large indices at every level, so descriptors sit deep inside each table
        // (a walker that translated only table bases would read the wrong stage-2 page).
        const vas = [0xffff_ffff_0000 - g1 * 3, 0x7fff_f000_0000, 0x1234_5670_0000].map((v) => Math.floor(v / g1) * g1);
        const big = Math.max(g1, g2);
        vas.forEach((va, i) => {
          n.s1.map(va, DATA_IPA + i * 0x100000, g1, { write: true }, { blocks: false });
          n.s2.map(DATA_IPA + i * 0x100000, DATA + i * 0x100000, big, { write: true }, { blocks: false });
        });
        vas.forEach((va, i) => {
          const res = expectPa(n.r, { sid: 1, iova: va + g1 - 8, write: true }, DATA + i * 0x100000 + g1 - 8);
          expect(res.ipa).toBe(DATA_IPA + i * 0x100000 + g1 - 8);
          expect(res.pageShift).toBe(Math.log2(Math.min(g1, g2)));
        });
        expect(n.r.smmu.cacheMismatches).toEqual([]);
      });
    }
  }

  it('stage-1 2 MiB block over stage-2 4K pages: the translation covers only one 4K page', () => {
    const n = nestedRig();
    n.s1.map(0x4000_0000, DATA_IPA, 0x20_0000, { write: true });
    n.s2.map(DATA_IPA, DATA, 0x20_0000, { write: true }, { blocks: false });
    const a = expectPa(n.r, { sid: 1, iova: 0x4000_3010 }, DATA + 0x3010);
    expect(a.pageShift).toBe(12);
    expect(expectPa(n.r, { sid: 1, iova: 0x4000_4010 }, DATA + 0x4010).fromTlb).toBe(false);
    expect(expectPa(n.r, { sid: 1, iova: 0x4000_3ff0 }, DATA + 0x3ff0).fromTlb).toBe(true);
  });
});

describe('TTB0 / TTB1 selection and TBI', () => {
  function twoRange(tbi0: boolean, tbi1: boolean) {
    const r = rig();
    const t0 = s1Table(r, 4096, 48);
    const t1 = new PageTable(r.mem, (sz) => r.alloc.alloc(sz), { stage: 1, granule: 16384, ias: 39, oas: 48 });
    t0.map(0x1234_5000, DATA, 0x1000);
    t1.map(0xffff_ff80_0000_4000n, DATA + 0x10_0000, 0x4000);
    attachCd(r, 1, {
      asid: 1,
      ips: 48,
      tt0: { ttb: t0.root, ias: 48, granule: 4096 },
      tt1: { ttb: t1.root, ias: 39, granule: 16384 }, // TG1 = 0b01 (16K): not the TG0 encoding
      tbi0,
      tbi1,
    });
    return r;
  }

  it('VA[55] selects TTB1 (16K granule, 39-bit range); out-of-range upper addresses fault', () => {
    const r = twoRange(false, false);
    expectPa(r, { sid: 1, iova: 0xffff_ff80_0000_4abcn }, DATA + 0x10_0abc);
    expectPa(r, { sid: 1, iova: 0x1234_5678 }, DATA + 0x678);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0xffff_ff00_0000_4000n })).detail).toMatch(/39-bit TTB1 range/);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x0080_0000_0000_0000n })).detail).toMatch(/TTB1 range/);
  });

  it('TBI0 / TBI1 ignore the top byte; the event InputAddr keeps it', () => {
    const plain = twoRange(false, false);
    const tagged0 = 0x5a00_0000_1234_5000n;
    const tagged1 = 0x3cff_ff80_0000_4000n;
    expect(ev(plain.smmu.translate({ sid: 1, iova: tagged0 })).inputAddr).toBe(tagged0);
    expect(ev(plain.smmu.translate({ sid: 1, iova: tagged1 })).name).toBe('F_TRANSLATION');
    const r = twoRange(true, true);
    expectPa(r, { sid: 1, iova: tagged0 }, DATA);
    expect(expectPa(r, { sid: 1, iova: 0x1100_0000_1234_5008n }, DATA + 8).fromTlb).toBe(true);
    expectPa(r, { sid: 1, iova: tagged1 }, DATA + 0x10_0000);
    const only1 = twoRange(false, true);
    expect(ev(only1.smmu.translate({ sid: 1, iova: tagged0 })).name).toBe('F_TRANSLATION');
    expectPa(only1, { sid: 1, iova: tagged1 }, DATA + 0x10_0000);
  });
});

describe('52-bit physical addresses (64K granule, OAS 52)', () => {
  it('stage 2 with a 52-bit IPA and output above 2^48 (OA[51:48] in descriptor bits [15:12])', () => {
    const r = rig({ smmu: { oas: 52 } });
    const p = s2Table(r, 65536, 52);
    const ipa = 0xf_1234_5670_0000;
    const pa = 0xa_bcde_f000_0000;
    p.map(ipa, pa, 0x10000, { write: true });
    attachS2(r, 1, p);
    expectPa(r, { sid: 1, iova: ipa + 0xfff8 }, pa + 0xfff8);
    // Level-1 blocks (4 TiB) exist only with 52-bit PAs.
    // OA 0x4_0000_0000_0000: OA[51:48] = 4 goes in descriptor bits [15:12], not bits [51:48].
    p.setRaw(0x8_0000_0000_0000, 1, (0x4n << 12n) | 0x4c1n);
    expect(expectPa(r, { sid: 1, iova: 0x8_0000_1234_5678 }, 0x4_0000_1234_5678).pageShift).toBe(42);
  });

  it('stage 1 with IPS 52 on 64K; a 4K table is capped to 48 bits (TTB above 2^48 is C_BAD_CD)', () => {
    const r = rig({ smmu: { oas: 52 } });
    const p = s1Table(r, 65536, 48);
    p.map(0x7000_0000, 0xe_0000_0001_0000, 0x10000, { write: true });
    attachCd(r, 1, { asid: 1, ips: 52, tt0: { ttb: p.root, ias: 48, granule: 65536 } });
    expectPa(r, { sid: 1, iova: 0x7000_0010 }, 0xe_0000_0001_0010);
    const cdAddr = r.alloc.alloc(64);
    writeDwords(r.mem, cdAddr, cd({ asid: 2, ips: 52, tt0: { ttb: 2 ** 49, ias: 48, granule: 4096 } }));
    r.drv.writeSte(2, steS1({ cdTable: cdAddr }));
    expect(ev(r.smmu.translate({ sid: 2, iova: 0 })).detail).toMatch(/outside the 48-bit effective IPS/);
  });

  it('with a 48-bit OAS the 64K level-1 block is a translation fault', () => {
    const r = rig();
    const p = s2Table(r, 65536, 48);
    p.setRaw(0x8000_0000_0000, 1, 0x4000_0000_0000n | 0x4c1n);
    attachS2(r, 1, p);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x8000_0000_1000 })).detail).toMatch(/block not allowed at level 1/);
  });
});
