/**
 * The replay's SMMUs and domains on the reference driver: the stream table sized for the largest
 * StreamID, one domain per device (s1, s2, nested) with its test window, RMR identity ranges and
 * MSI doorbell, and a StreamID past the table that keeps its domain but meets C_BAD_STREAMID.
 */
import { describe, expect, it } from 'vitest';
import { PageAllocator } from '../../../src/verify/smmu/build/pgtable';
import { PhysMem } from '../../../src/verify/smmu/physmem';
import { EVT } from '../../../src/verify/smmu/regs';
import { DomainFactory, GITS_TRANSLATER, MAX_SID_BITS, MSI_IOVA, probeSmmu, unionRanges } from '../../../src/verify/replay/domains';

const TABLES = 0xf000_0000_0000;
const DEV = 0xe000_0000_0000;
const ITS = [{ base: 0x8080000, size: 0x20000, priv: false, mmio: true, cache: false }];

function machine() {
  const mem = new PhysMem();
  const alloc = new PageAllocator(mem, TABLES, TABLES + 2 ** 36);
  const smmu = (maxSid: number, base = 0x9050000n) => {
    const u = probeSmmu(mem, alloc, base, 'test SMMU', maxSid);
    u.drv.reset();
    return u;
  };
  return { mem, alloc, smmu, domains: new DomainFactory(0x4000_0000_0000, 0x6000_0000_0000, ITS) };
}

describe('probeSmmu', () => {
  it('implements just enough StreamID bits: linear up to 256 STEs, 2-level beyond, at most 24 bits', () => {
    const m = machine();
    expect(m.smmu(0).drv.strtab).toMatchObject({ log2: 1, twoLevel: false });
    expect(m.smmu(0xff).drv.strtab).toMatchObject({ log2: 8, twoLevel: false });
    expect(m.smmu(0x100).drv.strtab).toMatchObject({ log2: 9, twoLevel: true });
    expect(m.smmu(0xffff).drv.strtab).toMatchObject({ log2: 16, twoLevel: true });
    expect(m.smmu(2 ** 32 - 1).drv.strtab).toMatchObject({ log2: MAX_SID_BITS, twoLevel: true });
  });

  it('enables the SMMU with a recorded C_BAD_STREAMID past the table and abort STEs inside it', () => {
    const { smmu } = machine();
    const u = smmu(0xff);
    expect(u.drv.enabled).toBe(true);
    expect(u.drv.smmu.translate({ sid: 0x42, iova: 0x1000 }).outcome).toBe('abort');
    const b = u.drv.smmu.translate({ sid: 0x100, iova: 0x1000 }).clone();
    expect(b.event?.code).toBe(EVT.C_BAD_STREAMID);
    expect(b.recorded).toBe(true);
    expect(u.drv.cmdqErrors).toEqual([]);
  });

  it('keeps the event queue drained across many faults: nothing is lost', () => {
    const u = machine().smmu(0xff);
    for (let i = 0; i < 600; i++) {
      expect(u.drv.smmu.translate({ sid: 0x1000 + i, iova: 0 }).recorded).toBe(true);
      expect(u.drv.readEvents()).toHaveLength(1);
    }
    expect(u.drv.smmu.stats.eventsLost).toBe(0);
  });
});

describe('DomainFactory', () => {
  for (const kind of ['s1', 's2', 'nested'] as const) {
    it(`${kind}: test window to the device's pages, RMR identity, MSI doorbell`, () => {
      const { smmu, domains } = machine();
      const u = smmu(0xffff);
      const rmr = [{ base: 0x8080000, size: 0x20000, priv: false, mmio: true, cache: false }];
      const d = domains.attach(u, { kind, sid: 0x100, devPa: DEV, iova: 0x1_0000_0000, rmr, itsBase: 0x8080000 }, rmr);
      const t = (iova: number, write = false) => u.drv.smmu.translate({ sid: 0x100, iova, write }).clone();
      const w = t(0x1_0000_0040, true);
      expect(w.outcome).toBe('translated');
      expect(w.pa).toBe(DEV + 0x40);
      if (kind === 'nested') expect(w.ipa).not.toBe(w.pa);
      expect(t(0x8080000).pa).toBe(0x8080000);
      // Behind a nested vSMMU the MSI goes through the RMR identity mapping; elsewhere through
      // the software MSI window, as Linux maps it even when an RMR covers the ITS.
      expect(d.msiIova).toBe(kind === 'nested' ? 0x8080000 + GITS_TRANSLATER : MSI_IOVA + 0x40);
      expect(t(d.msiIova!, true).pa).toBe(0x8080000 + GITS_TRANSLATER);
      expect(t(0x2_0000_0000).outcome).toBe('fault');
      expect(d.cdAddr === null).toBe(kind === 's2');
    });
  }

  it('non-nested domains without an RMR map the doorbell at MSI_IOVA_BASE; nested ones cannot reach it', () => {
    const { smmu, domains } = machine();
    const u = smmu(0xff);
    const s1 = domains.attach(u, { kind: 's1', sid: 1, devPa: DEV, iova: 0x1_0000_0000, rmr: [], itsBase: 0x8080000 }, []);
    expect(s1.msiIova).toBe(MSI_IOVA + 0x40);
    expect(u.drv.smmu.translate({ sid: 1, iova: s1.msiIova!, write: true }).pa).toBe(0x8090040);
    const n = domains.attach(u, { kind: 'nested', sid: 2, devPa: DEV + 0x10000, iova: 0x1_0001_0000, rmr: [], itsBase: 0x8080000 }, []);
    expect(n.msiIova).toBeNull();
  });

  it('ASIDs and VMIDs are unique across SMMUs', () => {
    const { smmu, domains } = machine();
    const a = smmu(0xff, 0x9050000n);
    const b = smmu(0xff, 0x9060000n);
    const asid = (cd: bigint[] | null) => Number(cd![0]! >> 48n);
    const x = domains.attach(a, { kind: 's1', sid: 1, devPa: DEV, iova: 0x1_0000_0000, rmr: [], itsBase: null }, []);
    const y = domains.attach(b, { kind: 's1', sid: 1, devPa: DEV + 0x10000, iova: 0x1_0001_0000, rmr: [], itsBase: null }, []);
    expect([asid(x.cd), asid(y.cd)]).toEqual([1, 2]);
    domains.attach(a, { kind: 's2', sid: 2, devPa: DEV + 0x20000, iova: 0x1_0002_0000, rmr: [], itsBase: null }, []);
    domains.attach(b, { kind: 's2', sid: 2, devPa: DEV + 0x30000, iova: 0x1_0003_0000, rmr: [], itsBase: null }, []);
    const vmid = (u: typeof a) => Number(u.drv.mem.read64Big(u.drv.steAt(2)! + 16)! & 0xffffn);
    expect([vmid(a), vmid(b)]).toEqual([1, 2]);
  });

  it('a StreamID past the table keeps its domain (for the evidence) but gets no STE: C_BAD_STREAMID', () => {
    const { smmu, domains } = machine();
    const u = smmu(0xff);
    const d = domains.attach(u, { kind: 's1', sid: 0x100, devPa: DEV, iova: 0x1_0000_0000, rmr: [], itsBase: null }, []);
    expect(d.cdAddr).not.toBeNull();
    expect(u.drv.mem.read64Big(d.cdAddr!)).toBe(d.cd![0]);
    expect(d.pt.lookup(0x1_0000_0000)?.pa).toBe(DEV);
    expect(u.drv.smmu.translate({ sid: 0x100, iova: 0x1_0000_0040 }).event?.code).toBe(EVT.C_BAD_STREAMID);
  });

  it('unionRanges page-aligns and merges', () => {
    const r = unionRanges([
      { base: 0x1800, size: 0x10, priv: false, mmio: false, cache: true },
      { base: 0x1000, size: 0x1000, priv: true, mmio: false, cache: true },
      { base: 0x5000, size: 0x1000, priv: false, mmio: false, cache: true },
    ]);
    expect(r.map((x) => [x.base, x.size])).toEqual([
      [0x1000, 0x1000],
      [0x5000, 0x1000],
    ]);
  });
});
