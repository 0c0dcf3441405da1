/**
 * The replay's driver and domains on the reference SMMUv3: what an OS-built stream table does
 * for abort, bypass, missing level-2 tables and out-of-range StreamIDs, and that STE updates
 * after enabling are invalidated (the interpreter caches configuration like hardware).
 */
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../../src/verify/smmu/physmem';
import { EVT } from '../../../src/verify/smmu/regs';
import { Bump, SmmuRig } from '../../../src/verify/replay/driver';
import { DomainFactory, GITS_TRANSLATER, MSI_IOVA, unionRanges } from '../../../src/verify/replay/domains';

const TABLES = 0xf000_0000_0000;
const DEV = 0xe000_0000_0000;

function rig(maxSid: number) {
  const mem = new PhysMem();
  const bump = new Bump(mem, TABLES, TABLES + 2 ** 36);
  return { mem, bump, rig: new SmmuRig(mem, bump, 0x9050000n, 'test SMMU', maxSid) };
}

describe('SmmuRig', () => {
  it('linear table: every StreamID aborts without an event; beyond the table C_BAD_STREAMID is recorded', () => {
    const { rig: r } = rig(0xff);
    expect(r.twoLevel).toBe(false);
    r.enable();
    expect(r.enabled).toBe(true);
    const a = r.smmu.translate({ sid: 0x42, iova: 0x1000 });
    expect(a.outcome).toBe('abort');
    expect(r.drainEvents()).toEqual([]);
    const b = r.smmu.translate({ sid: 0x100, iova: 0x1000 }).clone();
    expect(b.outcome).toBe('fault');
    expect(b.event?.code).toBe(EVT.C_BAD_STREAMID);
    expect(b.recorded).toBe(true);
    expect(r.drainEvents().map((e) => [e.code, e.sid])).toEqual([[EVT.C_BAD_STREAMID, 0x100]]);
    expect(r.cmdErrors).toEqual([]);
  });

  it('2-level table: spans without a level-2 table raise C_BAD_STREAMID, allocated spans abort, RMR StreamIDs bypass', () => {
    const { rig: r } = rig(0xffff);
    expect(r.twoLevel).toBe(true);
    r.installBypass(0x8005);
    r.enable();
    expect(r.classOf(0x8005)).toBe('ste');
    expect(r.classOf(0x80ff)).toBe('ste');
    expect(r.classOf(0x8100)).toBe('no-l2');
    expect(r.smmu.translate({ sid: 0x8005, iova: 0x1234 }).outcome).toBe('bypass');
    expect(r.smmu.translate({ sid: 0x8006, iova: 0x1234 }).outcome).toBe('abort');
    const c = r.smmu.translate({ sid: 0x8100, iova: 0x1234 }).clone();
    expect(c.event?.code).toBe(EVT.C_BAD_STREAMID);
    expect(r.drainEvents().map((e) => e.sid)).toEqual([0x8100]);
  });

  it('an STE written after enabling takes effect through CFGI_STE + SYNC', () => {
    const { rig: r } = rig(0xff);
    r.enable();
    expect(r.smmu.translate({ sid: 7, iova: 0x1000 }).outcome).toBe('abort');
    r.installBypass(7);
    expect(r.smmu.translate({ sid: 7, iova: 0x1000 }).outcome).toBe('bypass');
    expect(r.smmu.stats.commands).toBeGreaterThanOrEqual(5);
  });

  it('keeps acknowledging events so that the queue never overflows', () => {
    const { rig: r } = rig(0xff);
    r.enable();
    for (let i = 0; i < 600; i++) {
      const x = r.smmu.translate({ sid: 0x1000 + i, iova: 0 });
      expect(x.recorded).toBe(true);
      expect(r.drainEvents()).toHaveLength(1);
    }
    expect(r.smmu.stats.eventsLost).toBe(0);
  });
});

describe('DomainFactory', () => {
  const its = [{ base: 0x8080000, size: 0x20000, priv: false, mmio: true, cache: false }];
  for (const kind of ['s1', 's2', 'nested'] as const) {
    it(`${kind}: test window to the device's pages, RMR identity, MSI doorbell`, () => {
      const { mem, bump, rig: r } = rig(0xffff);
      r.enable();
      const f = new DomainFactory(mem, bump, 0x4000_0000_0000, 0x6000_0000_0000, its);
      const rmr = [{ base: 0x8080000, size: 0x20000, priv: false, mmio: true, cache: false }];
      const d = f.attach(r, { kind, sid: 0x100, devPa: DEV, iova: 0x1_0000_0000, rmr, itsBase: 0x8080000 }, rmr);
      const w = r.smmu.translate({ sid: 0x100, iova: 0x1_0000_0040, write: true });
      expect(w.outcome).toBe('translated');
      expect(w.pa).toBe(DEV + 0x40);
      if (kind === 'nested') expect(w.ipa).not.toBe(w.pa);
      const id = r.smmu.translate({ sid: 0x100, iova: 0x8080000 });
      expect(id.pa).toBe(0x8080000);
      // Behind a nested vSMMU the MSI goes through the RMR identity mapping; elsewhere through
      // the software MSI window, as Linux maps it even when an RMR covers the ITS.
      expect(d.msiIova).toBe(kind === 'nested' ? 0x8080000 + GITS_TRANSLATER : MSI_IOVA + 0x40);
      const m = r.smmu.translate({ sid: 0x100, iova: d.msiIova!, write: true });
      expect(m.pa).toBe(0x8080000 + GITS_TRANSLATER);
      expect(r.smmu.translate({ sid: 0x100, iova: 0x2_0000_0000 }).outcome).toBe('fault');
    });
  }

  it('non-nested domains without an RMR map the doorbell at MSI_IOVA_BASE; nested ones cannot reach it', () => {
    const { mem, bump, rig: r } = rig(0xff);
    r.enable();
    const f = new DomainFactory(mem, bump, 0x4000_0000_0000, 0x6000_0000_0000, its);
    const s1 = f.attach(r, { kind: 's1', sid: 1, devPa: DEV, iova: 0x1_0000_0000, rmr: [], itsBase: 0x8080000 }, []);
    expect(s1.msiIova).toBe(MSI_IOVA + 0x40);
    expect(r.smmu.translate({ sid: 1, iova: s1.msiIova!, write: true }).pa).toBe(0x8090040);
    const n = f.attach(r, { kind: 'nested', sid: 2, devPa: DEV + 0x10000, iova: 0x1_0001_0000, rmr: [], itsBase: 0x8080000 }, []);
    expect(n.msiIova).toBeNull();
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
