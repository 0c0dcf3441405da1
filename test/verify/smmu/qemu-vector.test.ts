/**
 * External vector: QEMU's bare-metal SMMUv3 qtest (tests/qtest/libqos/qos-smmuv3.{c,h},
 * /work/shared/reference/smmuv3.md §11). The tables, STE, CD and register programming below
 * are a literal port of qsmmu_build_translation / qsmmu_setup_translation_tables /
 * qsmmu_program_bank with the same constants; QEMU's expected result is
 * IOVA 0x8080604567 -> PA 0x4ecba567 in stage-1-only, stage-2-only and nested modes.
 */
import { describe, expect, it } from 'vitest';
import { CR0, EVT, PhysMem, REG, Smmu } from '../../../src/verify/smmu';

const QSMMU_IOVA = 0x0000008080604567n;
const QSMMU_VTTB = 0x000000000e4d0000n;
const QSMMU_STR_TAB_BASE = 0x000000000e179000n;
const QSMMU_CD_GPA = QSMMU_STR_TAB_BASE - 0x40n;
const QSMMU_CMDQ_BASE_ADDR = 0x000000000e16b000n;
const QSMMU_EVENTQ_BASE_ADDR = 0x000000000e170000n;
const QSMMU_L0_PTE_VAL = 0x000000000e4d1000n;
const QSMMU_L1_PTE_VAL = 0x000000000e4d2000n;
const QSMMU_L2_PTE_VAL = 0x000000000e4d3000n;
const QSMMU_L3_PTE_VAL = 0x000000000ecba000n;
const QSMMU_NON_LEAF_PTE_MASK = 0x8000000000000003n;
const QSMMU_LEAF_PTE_RO_MASK = 0x04000000000007e3n;
const QSMMU_LEAF_PTE_RW_MASK = 0x0400000000000763n;
const QSMMU_PTE_MASK = 0x0000fffffffff000n;
const QSMMU_SPACE_OFFS_NS = 0x0000000040000000n;
const QSMMU_STE_S2T0SZ_VAL = 0x14n;

type Mode = 'S1_ONLY' | 'S2_ONLY' | 'NESTED';
const SID = 0x10;

function offs(a: bigint): bigint {
  return a + QSMMU_SPACE_OFFS_NS;
}
function tableIndex(addr: bigint, level: number): bigint {
  return (addr >> BigInt(39 - 9 * level)) & 0x1ffn;
}
function tableAddr(base: bigint, level: number, iova: bigint): bigint {
  return (base & QSMMU_PTE_MASK) + tableIndex(iova, level) * 8n;
}
function pteAttrs(mode: Mode, leaf: boolean): bigint {
  if (!leaf) return QSMMU_NON_LEAF_PTE_MASK;
  return mode === 'NESTED' || mode === 'S1_ONLY' ? QSMMU_LEAF_PTE_RW_MASK : QSMMU_LEAF_PTE_RO_MASK;
}

function build(mem: PhysMem, mode: Mode): void {
  const w = (a: bigint, v: bigint): void => mem.writeU64(Number(a), v);
  const l0 = offs(QSMMU_L0_PTE_VAL | pteAttrs(mode, false));
  const l1 = offs(QSMMU_L1_PTE_VAL | pteAttrs(mode, false));
  const l2 = offs(QSMMU_L2_PTE_VAL | pteAttrs(mode, false));
  const vttb = offs(QSMMU_VTTB & QSMMU_PTE_MASK);

  const s2Walk = (ipa: bigint, final: boolean): void => {
    w(tableAddr(vttb, 0, ipa), l0);
    w(tableAddr(l0, 1, ipa), l1);
    w(tableAddr(l1, 2, ipa), l2);
    const leaf = (ipa & QSMMU_PTE_MASK) | pteAttrs(final ? 'S2_ONLY' : 'NESTED', true);
    w(tableAddr(l2, 3, ipa), leaf);
  };
  const s1Level = (pteAddr: bigint, pteVal: bigint): void => {
    s2Walk(pteAddr, false);
    w(pteAddr, pteVal);
  };
  const setupTables = (iova: bigint, isCd: boolean): void => {
    let s1Leaf: bigint;
    if (!isCd) {
      s1Level(tableAddr(vttb, 0, iova), l0);
      s1Level(tableAddr(l0 & QSMMU_PTE_MASK, 1, iova), l1);
      s1Level(tableAddr(l1 & QSMMU_PTE_MASK, 2, iova), l2);
      s1Leaf = offs(QSMMU_L3_PTE_VAL | pteAttrs(mode, true));
      s1Level(tableAddr(l2 & QSMMU_PTE_MASK, 3, iova), s1Leaf);
    } else {
      s1Leaf = iova | pteAttrs('NESTED', false);
    }
    s2Walk(s1Leaf, !isCd);
  };

  // STE (qsmmu_build_translation): Config, V, S2T0SZ, S2SL0=2, S2TG=0, S2PS=5, S2AA64,
  // S2ENDI=0, S2AFFD=0, S1ContextPtr, S2TTB.
  const config = mode === 'S1_ONLY' ? 5n : mode === 'S2_ONLY' ? 6n : 7n;
  const cdAddr = offs(QSMMU_CD_GPA);
  const ste = [
    1n | (config << 1n) | cdAddr,
    0n,
    (QSMMU_STE_S2T0SZ_VAL << 32n) | (2n << 38n) | (0n << 46n) | (5n << 48n) | (1n << 51n),
    offs(QSMMU_VTTB),
    0n,
    0n,
    0n,
    0n,
  ];
  const steAddr = offs(BigInt(SID) * 64n + QSMMU_STR_TAB_BASE);
  ste.forEach((v, i) => w(steAddr + BigInt(i * 8), v));
  if (mode !== 'S2_ONLY') {
    // CD: ASID 0x1e20, AA64, V, A, S=0, HD=HA=0, IPS=4, TBI=0, AFFD=0, EPD0=0, EPD1=1,
    // T0SZ=0x10, TG0=0, ENDI=0, NSCFG0=NSCFG1=1, R=1, TTB0=VTTB.
    const cd = [
      0x10n | (0n << 6n) | (1n << 30n) | (1n << 31n) | (4n << 32n) | (1n << 41n) | (1n << 45n) | (1n << 46n) | (0x1e20n << 48n),
      offs(QSMMU_VTTB) | 1n,
      1n,
      0n,
      0n,
      0n,
      0n,
      0n,
    ];
    cd.forEach((v, i) => w(cdAddr + BigInt(i * 8), v));
  }
  setupTables(QSMMU_IOVA, false);
  if (mode === 'NESTED') setupTables(cdAddr, true);
}

/** qsmmu_program_bank. */
function program(smmu: Smmu, mem: PhysMem): void {
  mem.back(Number(offs(QSMMU_CMDQ_BASE_ADDR)), 1024 * 16);
  mem.back(Number(offs(QSMMU_EVENTQ_BASE_ADDR)), 1024 * 32);
  smmu.mmioWrite(REG.GBPA, 0x80000000);
  smmu.mmioWrite(REG.CR0, 0);
  smmu.mmioWrite(REG.CR1, 0x0d75);
  smmu.mmioWrite(REG.CMDQ_BASE, offs(QSMMU_CMDQ_BASE_ADDR) | 0x0an, 8);
  smmu.mmioWrite(REG.CMDQ_CONS, 0);
  smmu.mmioWrite(REG.CMDQ_PROD, 0);
  smmu.mmioWrite(REG.EVENTQ_BASE, offs(QSMMU_EVENTQ_BASE_ADDR) | 0x0an, 8);
  smmu.mmioWrite(REG.EVENTQ_PROD, 0);
  smmu.mmioWrite(REG.EVENTQ_CONS, 0);
  smmu.mmioWrite(REG.STRTAB_BASE_CFG, 0x5);
  smmu.mmioWrite(REG.STRTAB_BASE, offs(QSMMU_STR_TAB_BASE), 8);
  smmu.mmioWrite(REG.CR0, 0xd);
}

function setup(mode: Mode, checkCaches = true): { smmu: Smmu; mem: PhysMem } {
  const mem = new PhysMem();
  // QEMU virt's SMMUv3: 44-bit OAS, 4K/16K/64K granules, both stages.
  const smmu = new Smmu(mem, { oas: 44, checkCaches });
  build(mem, mode);
  program(smmu, mem);
  return { smmu, mem };
}

describe('QEMU qtest vector (qos-smmuv3): IOVA 0x8080604567 -> PA 0x4ecba567', () => {
  for (const mode of ['S1_ONLY', 'S2_ONLY', 'NESTED'] as const) {
    it(`${mode}: DMA write and read translate to 0x4ecba567`, () => {
      const { smmu } = setup(mode);
      expect(smmu.mmioRead(REG.CR0ACK)).toBe(CR0.SMMUEN | CR0.EVENTQEN | CR0.CMDQEN);
      for (const write of [true, false, true]) {
        const r = smmu.translate({ sid: SID, iova: QSMMU_IOVA, write });
        expect(r.toString()).toBe(r.toString()); // stable formatting
        expect(r.outcome).toBe('translated');
        expect(r.pa).toBe(0x4ecba567);
        expect(r.pageShift).toBe(12);
      }
      expect(smmu.cacheMismatches).toEqual([]);
      expect(smmu.stats.tlbHits).toBe(2);
    });
  }

  it('nested: stage-1 table pages are read-only at stage 2 (S2AP=01 leaves 0x763), the final page RW (0x7e3)', () => {
    const { smmu } = setup('NESTED');
    const r = smmu.translate({ sid: SID, iova: QSMMU_IOVA, write: true });
    expect(r.s2Perm & 3).toBe(3);
    // S1 leaf 0x...763 has AP[2:1] = 01: EL0 and EL1 read/write.
    expect(r.s1Perm & 3).toBe(1);
    expect(r.ipa).toBe(0x4ecba567);
  });

  it('S2_ONLY: the same leaf bits 0x7e3 that mean read-only at stage 1 are read/write at stage 2 (trap 3)', () => {
    const { smmu, mem } = setup('S2_ONLY');
    expect(smmu.translate({ sid: SID, iova: QSMMU_IOVA, write: true }).pa).toBe(0x4ecba567);
    // Same PTE interpreted at stage 1 (make the STE stage-1 only with a CD): writes fault.
    const s1 = setup('S1_ONLY');
    const leafAddr = 0x4e4d3000 + 4 * 8;
    expect(mem.read64Big(leafAddr)).toBe(0x040000004ecba7e3n);
    s1.mem.writeU64(leafAddr, 0x040000004ecba7e3n);
    const w = s1.smmu.translate({ sid: SID, iova: QSMMU_IOVA, write: true });
    expect(w.outcome).toBe('fault');
    expect(w.event?.code).toBe(EVT.F_PERMISSION);
    expect(s1.smmu.translate({ sid: SID, iova: QSMMU_IOVA, write: false }).pa).toBe(0x4ecba567);
  });

  it('nested: removing the stage-2 mapping of the CD page gives a stage-2 fault with CLASS=CD', () => {
    const { smmu, mem } = setup('NESTED');
    // S2 L3 entry for IPA 0x4e178fc0: table 0x4e4d3000, index 0x178.
    mem.writeU64(0x4e4d3000 + 0x178 * 8, 0n);
    const r = smmu.translate({ sid: SID, iova: QSMMU_IOVA, write: true });
    expect(r.event).toMatchObject({ code: EVT.F_TRANSLATION, s2: true, cls: 'CD', ipa: 0x4e178fc0, rnw: false });
    expect(r.recorded).toBe(false); // QEMU's STE has S2R = 0
  });
});
