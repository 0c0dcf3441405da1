/**
 * The Linux-style driver helpers: stream table layout (2-level, SPLIT = 8, Span = SPLIT+1),
 * STEs written at probe (RMR bypass) and after enabling, the enable sequence, CD tables and
 * PASIDs, stage-2 and nested domains, unmap + TLBI, events, command errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cd, cmd, CR0, CR2, EVT, IpaView, PageAllocator, PageTable, PhysMem, REG, Smmu, SmmuDriver, writeDwords } from '../../../src/verify/smmu';
import { DATA, ev, expectPa, rig } from './rig';

describe('SmmuDriver', () => {
  it('2-level stream table as Linux lays it out: SPLIT = 8, Span = 9, level-2 STEs start as abort', () => {
    const r = rig({ driver: { streamTable: '2level', sidBits: 16 } });
    expect(r.smmu.mmioRead(REG.STRTAB_BASE_CFG)).toBe((1 << 16) | (8 << 6) | 16);
    r.drv.attachBypass(0x1234);
    const l1 = r.mem.read64Big(r.drv.strtab.base + 0x12 * 8)!;
    expect(Number(l1 & 0x1fn)).toBe(9);
    const l2 = Number(l1 & 0xf_ffff_ffff_ffc0n);
    expect(l2 % 16384).toBe(0);
    expect(r.drv.steAddr(0x1234)).toBe(l2 + 0x34 * 64);
    expect(r.mem.read64Big(l2 + 0x34 * 64)).toBe(0x9n); // V | Config = bypass
    expect(r.smmu.translate({ sid: 0x1234, iova: 0xabc }).pa).toBe(0xabc);
    expect(r.smmu.translate({ sid: 0x1235, iova: 0xabc }).toString()).toBe('abort (STE.Config = abort)');
    expect(ev(r.smmu.translate({ sid: 0x1334, iova: 0 })).name).toBe('C_BAD_STREAMID');
  });

  it('sid_bits <= SPLIT: a linear table as Linux picks it although IDR0 allows 2 levels; more bits: 2-level', () => {
    const small = rig({ smmu: { sidBits: 8 }, driver: { sidBits: undefined, streamTable: undefined } });
    expect(small.drv.strtab).toMatchObject({ log2: 8, twoLevel: false });
    expect(small.smmu.mmioRead(REG.STRTAB_BASE_CFG)).toBe(8);
    const big = rig({ smmu: { sidBits: 9 }, driver: { sidBits: undefined, streamTable: undefined } });
    expect(big.drv.strtab).toMatchObject({ log2: 9, twoLevel: true, split: 8 });
  });

  it('StreamIDs the table cannot hold: holds() is false, no STE, C_BAD_STREAMID recorded (CR2.RECINVSID)', () => {
    const r = rig();
    expect([r.drv.holds(0xff), r.drv.holds(0x100), r.drv.holds(-1)]).toEqual([true, false, false]);
    expect(r.drv.steAt(0x42)).toBe(r.drv.strtab.base + 0x42 * 64);
    expect(r.drv.steAt(0x100)).toBeNull();
    expect(() => r.drv.attachBypass(0x100)).toThrow(RangeError);
    expect(r.smmu.translate({ sid: 0x42, iova: 0x1000 }).toString()).toBe('abort (STE.Config = abort)');
    expect(r.drv.readEvents()).toEqual([]);
    expect(ev(r.smmu.translate({ sid: 0x100, iova: 0x1000 })).name).toBe('C_BAD_STREAMID');
    expect(r.drv.readEvents().map((e) => [e.code, e.sid])).toEqual([[EVT.C_BAD_STREAMID, 0x100]]);
  });

  it('2-level: steAt and l2Tables see only the level-2 tables created so far', () => {
    const r = rig({ driver: { streamTable: '2level', sidBits: 16 } });
    expect(r.drv.steAt(0x8005)).toBeNull();
    r.drv.attachBypass(0x8005);
    expect(r.drv.l2Tables()).toEqual([0x80]);
    expect(r.drv.steAt(0x80ff)).toBe(r.drv.steAddr(0x8005) + 0xfa * 64);
    expect(r.drv.steAt(0x8100)).toBeNull();
    expect(r.drv.l2Tables()).toEqual([0x80]);
  });

  it('STEs written at probe (RMR bypass) go to memory only; the enable sequence makes them visible', () => {
    const mem = new PhysMem();
    const smmu = new Smmu(mem, { sidBits: 16, checkCaches: true });
    const drv = new SmmuDriver(smmu, new PageAllocator(mem, 0x8000_0000, 0x1_0000_0000));
    // A broken RMR may name StreamIDs past the table: only the ones it holds get STEs.
    drv.attachBypassRange(0xfffe, 0x1_0001);
    drv.attachBypassRange(0x8005, 0x8006);
    expect(smmu.stats.commands).toBe(0);
    expect(drv.enabled).toBe(false);
    drv.reset();
    expect(drv.enabled).toBe(true);
    expect(drv.l2Tables()).toEqual([0xff, 0x80]);
    for (const sid of [0x8005, 0x8006, 0xfffe, 0xffff]) expect(smmu.translate({ sid, iova: 0x1234 }).outcome, `sid ${sid}`).toBe('bypass');
    expect(smmu.translate({ sid: 0x8007, iova: 0x1234 }).outcome).toBe('abort');
    expect(ev(smmu.translate({ sid: 0x8100, iova: 0x1234 })).name).toBe('C_BAD_STREAMID');
    expect(smmu.cacheMismatches).toEqual([]);
  });

  it('an STE written after enabling replaces a cached one through CFGI_STE + CMD_SYNC', () => {
    const r = rig();
    expect(r.smmu.translate({ sid: 7, iova: 0x1000 }).outcome).toBe('abort');
    r.drv.attachBypass(7);
    expect(r.smmu.translate({ sid: 7, iova: 0x1000 }).outcome).toBe('bypass');
    expect(r.smmu.cacheMismatches).toEqual([]);
  });

  it('a command the SMMU rejects is skipped and logged (dev_err), the queue keeps running', () => {
    const r = rig();
    expect(r.drv.submit(cmd.raw(0x20)).error).toBe('ILL');
    expect(r.drv.cmdqErrors).toHaveLength(1);
    expect(r.drv.cmdqErrors[0]).toMatch(/ILL, command 0x20 skipped/);
    expect(r.drv.sync().ok).toBe(true);
    expect(r.drv.cmdqErrors).toHaveLength(1);
  });

  it('memory layout: stream table and queues, plus the CMD_SYNC MSI word only when syncs complete by MSI', () => {
    const used = (msiSync: boolean) => rig({ driver: { msiSync } }).alloc.used;
    expect(used(false)).toBe(256 * 64 + 256 * 16 + 128 * 32);
    expect(used(true)).toBe(256 * 64 + 256 * 16 + 128 * 32 + 64);
  });

  it('enable sequence (arm_smmu_device_reset): queues, CR1/CR2, invalidate-all commands, SMMUEN last', () => {
    const r = rig();
    expect(r.smmu.mmioRead(REG.CR0ACK)).toBe(CR0.SMMUEN | CR0.EVENTQEN | CR0.CMDQEN);
    expect(r.smmu.mmioRead(REG.CR2)).toBe(CR2.RECINVSID | CR2.PTM);
    expect(r.smmu.mmioRead(REG.CMDQ_BASE) & 0x1f).toBe(8);
    expect(r.smmu.mmioRead(REG.EVENTQ_BASE) & 0x1f).toBe(7);
    expect(r.smmu.stats.commands).toBe(4); // CFGI_ALL, SYNC, TLBI_NSNH_ALL, SYNC
    expect(r.smmu.stats.syncs).toBe(2);
    expect(r.smmu.activeGlobalErrors).toBe(0);
  });

  it('unused StreamIDs get bypass STEs when the driver is told so (disable_bypass = 0)', () => {
    const r = rig({ driver: { defaultSte: 'bypass' } });
    expect(r.smmu.translate({ sid: 77, iova: 0x5000 }).toString()).toBe('bypass pa=0x5000 (STE.Config = bypass)');
  });

  it('stage-1 domain with a linear CD table: CD 0 for untagged DMA, PASIDs through setPasid', () => {
    const r = rig();
    const d0 = r.drv.newS1Domain();
    const d1 = r.drv.newS1Domain();
    d0.pt.map(0x10000, DATA, 0x1000);
    d1.pt.map(0x10000, DATA + 0x1000, 0x1000);
    const cdTable = r.drv.attachS1(3, d0, { ssidBits: 5 });
    expect(r.mem.read64Big(cdTable)).toBe(d0.cd[0]);
    const ste0 = r.mem.read64Big(r.drv.steAddr(3))!;
    expect(Number(ste0 & 0xf_ffff_ffff_ffc0n)).toBe(cdTable);
    expect(Number((ste0 >> 59n) & 0x1fn)).toBe(5);
    expect(Number((ste0 >> 4n) & 3n)).toBe(0);
    expectPa(r, { sid: 3, iova: 0x10000 }, DATA);
    r.drv.setPasid(3, 3, d1);
    expectPa(r, { sid: 3, ssv: true, ssid: 3, iova: 0x10000 }, DATA + 0x1000);
    expect(ev(r.smmu.translate({ sid: 3, ssv: true, ssid: 4, iova: 0x10000 })).detail).toBe('CD.V == 0');
    expect(ev(r.smmu.translate({ sid: 3, ssv: true, ssid: 0, iova: 0x10000 })).name).toBe('F_STREAM_DISABLED');
    expect(ev(r.smmu.translate({ sid: 3, ssv: true, ssid: 32, iova: 0x10000 })).name).toBe('C_BAD_SUBSTREAMID');
  });

  it('more than 1024 PASIDs: 2-level CD table with 64K leaves (S1Fmt = 2)', () => {
    const r = rig();
    const d0 = r.drv.newS1Domain();
    const d2 = r.drv.newS1Domain({ granule: 65536 });
    d0.pt.map(0x10000, DATA, 0x1000);
    d2.pt.map(0x10000, DATA + 0x20000, 0x10000);
    r.drv.attachS1(4, d0, { ssidBits: 12 });
    expect(Number((r.mem.read64Big(r.drv.steAddr(4))! >> 4n) & 3n)).toBe(2);
    r.drv.setPasid(4, 2000, d2);
    expectPa(r, { sid: 4, ssv: true, ssid: 2000, iova: 0x1fff0 }, DATA + 0x2fff0);
    expectPa(r, { sid: 4, iova: 0x10ff0 }, DATA + 0xff0);
    expect(ev(r.smmu.translate({ sid: 4, ssv: true, ssid: 3000, iova: 0 }))).toMatchObject({ name: 'C_BAD_SUBSTREAMID', ssid: 3000 });
    // Removing a PASID (CD zeroed + CFGI_CD) takes effect at once.
    r.drv.setPasid(4, 2000, null);
    expect(ev(r.smmu.translate({ sid: 4, ssv: true, ssid: 2000, iova: 0x10000 })).name).toBe('C_BAD_CD');
  });

  it('unmap without TLBI stays stale; after invalidateS1Range the page faults', () => {
    const r = rig();
    const d = r.drv.newS1Domain();
    d.pt.map(0x10000, DATA, 0x4000, { write: true });
    r.drv.attachS1(1, d);
    for (let i = 0; i < 4; i++) expectPa(r, { sid: 1, iova: 0x10000 + i * 0x1000 }, DATA + i * 0x1000);
    d.pt.unmap(0x11000, 0x2000);
    expectPa(r, { sid: 1, iova: 0x11000 }, DATA + 0x1000);
    r.drv.invalidateS1Range(d, 0x11000, 0x2000);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x11000 })).name).toBe('F_TRANSLATION');
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x12000 })).name).toBe('F_TRANSLATION');
    expectPa(r, { sid: 1, iova: 0x13000 }, DATA + 0x3000);
    expect(r.smmu.cacheMismatches).toHaveLength(1);
  });

  it('stage-2 domain: Linux geometry (40-bit IPA, concatenated level 1), unmap + TLBI_S2_IPA', () => {
    const r = rig();
    const d = r.drv.newS2Domain({ ias: 40 });
    expect(r.drv.s2Fields(d)).toMatchObject({ t0sz: 24, sl0: 1, granule: 4096 });
    d.pt.map(0x80_0000_0000 - 0x2000, DATA, 0x2000, { write: true });
    r.drv.attachS2(2, d);
    expectPa(r, { sid: 2, iova: 0x7f_ffff_f004, write: true }, DATA + 0x1004);
    d.pt.unmap(0x7f_ffff_f000, 0x1000);
    r.drv.invalidateS2Range(d, 0x7f_ffff_f000, 0x1000);
    expect(ev(r.smmu.translate({ sid: 2, iova: 0x7f_ffff_f004 }))).toMatchObject({ name: 'F_TRANSLATION', s2: true });
  });

  it('nested domain: guest CD and stage-1 tables in IPA space, built through an IpaView', () => {
    const r = rig();
    const host = r.drv.newS2Domain({ ias: 40 });
    const guestRamPa = r.alloc.alloc(0x40_0000, 0x20_0000);
    host.pt.map(0x4000_0000, guestRamPa, 0x40_0000, { write: true });
    host.pt.map(0x1_0000_0000, DATA, 0x10_0000, { write: true });
    const view = new IpaView(r.mem, host.pt);
    let next = 0x4000_0000;
    const gAlloc = (sz: number): number => ((next = Math.ceil(next / sz) * sz + sz), next - sz);
    const guest = new PageTable(view, gAlloc, { stage: 1, granule: 4096, ias: 48, oas: 48 });
    guest.map(0xffff_0000, 0x1_0000_0000, 0x10_0000, { write: true });
    const cdIpa = gAlloc(64);
    writeDwords(view, cdIpa, cd({ asid: 3, ips: 48, tt0: { ttb: guest.root, ias: 48, granule: 4096 } }));
    r.drv.attachNested(5, host, { cdTable: cdIpa });
    const res = expectPa(r, { sid: 5, iova: 0xffff_1234, write: true }, DATA + 0x1234);
    expect(res.ipa).toBe(0x1_0000_1234);
    // Stage-2 2 MiB block under stage-1 1 MiB of 4K pages: the combined entry is 4K.
    expect(res.pageShift).toBe(12);
  });

  it('mapDirect: an RMR-style identity region widened to the granule, existing mappings kept', () => {
    const r = rig();
    const d = r.drv.newS1Domain({ granule: 16384 });
    d.pt.map(0x8000_4000, DATA, 0x4000);
    r.drv.attachS1(1, d);
    expect(r.drv.mapDirect(d, 0x8000_1000, 0x5000)).toEqual({ start: 0x8000_0000, end: 0x8000_8000 });
    expectPa(r, { sid: 1, iova: 0x8000_0010, write: true }, 0x8000_0010);
    expectPa(r, { sid: 1, iova: 0x8000_4010 }, DATA + 0x10); // pre-existing mapping untouched
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x8000_8000 })).name).toBe('F_TRANSLATION');
  });

  it('readEvents decodes and consumes the queue', () => {
    const r = rig();
    const d = r.drv.newS1Domain();
    r.drv.attachS1(1, d);
    r.smmu.translate({ sid: 1, iova: 0xdead_b000, write: true, priv: true });
    const evs = r.drv.readEvents();
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ name: 'F_TRANSLATION', sid: 1, rnw: false, pnu: true, inputAddr: 0xdead_b000n, s2: false, cls: 'IN' });
    expect(r.drv.readEvents()).toEqual([]);
  });

  it('a one-CD table without attaching (the StreamID need not exist): S1ContextPtr target holds the CD', () => {
    const r = rig();
    const d = r.drv.newS1Domain();
    const a = r.drv.writeCdTable(d);
    expect(a % 64).toBe(0);
    expect([0, 1, 2, 3].map((i) => r.mem.read64Big(a + i * 8))).toEqual(d.cd.slice(0, 4));
    expect(r.drv.steAt(0)).not.toBeNull();
    expect(r.smmu.translate({ sid: 0, iova: 0 }).outcome).toBe('abort');
  });

  it('allocator refuses to run past its limit', () => {
    const a = new PageAllocator(rig().mem, 0x1000, 0x3000);
    a.alloc(0x1000);
    expect(() => a.alloc(0x2000)).toThrow(RangeError);
  });

  it('allocator hands out zeroed, backed memory: after others wrote or unbacked its chunks too', () => {
    const mem = new PhysMem();
    const a = new PageAllocator(mem, 0x10_0000, 0x20_0000);
    const first = a.alloc(0x1000);
    mem.write32(0x11_0008, 7); // another chunk, before the allocator reaches it
    mem.unback(first, 0x1000); // its own chunk goes away under it
    const x = a.alloc(0x1000);
    expect(mem.isBacked(x, 0x1000)).toBe(true);
    expect(mem.read32(x)).toBe(0);
    const y = a.alloc(0x1_0000);
    expect(y).toBe(0x11_0000);
    expect(mem.read32(0x11_0008)).toBe(0);
    expect(a.used).toBe(0x2_0000);
  });
});

describe('property: cached translations always equal a fresh walk and the software page-table walk', () => {
  it('random maps, remaps and unmaps with the invalidations Linux issues', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('map' as const), page: fc.integer({ min: 0, max: 63 }), target: fc.integer({ min: 0, max: 1023 }), write: fc.boolean(), priv: fc.boolean() }),
      fc.record({ kind: fc.constant('unmap' as const), page: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ kind: fc.constant('access' as const), page: fc.integer({ min: 0, max: 63 }), off: fc.integer({ min: 0, max: 4095 }), write: fc.boolean(), priv: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 40, maxLength: 120 }), fc.constantFrom(4096, 16384, 65536), (ops, granule) => {
        const r = rig();
        const d = r.drv.newS1Domain({ granule: granule as 4096 | 16384 | 65536 });
        r.drv.attachS1(1, d);
        const base = 0x7f00_0000_0000;
        const mapped = new Map<number, { target: number; write: boolean; priv: boolean }>();
        for (const o of ops) {
          const va = base + o.page * granule;
          if (o.kind === 'map' || o.kind === 'unmap') {
            if (mapped.has(o.page)) {
              d.pt.unmap(va, granule);
              r.drv.invalidateS1Range(d, va, granule);
              mapped.delete(o.page);
            }
            if (o.kind === 'map') {
              d.pt.map(va, DATA + o.target * granule, granule, { write: o.write, priv: o.priv });
              mapped.set(o.page, o);
            }
            continue;
          }
          const res = r.smmu.translate({ sid: 1, iova: va + (o.off % granule), write: o.write, priv: o.priv });
          const m = mapped.get(o.page);
          const allowed = m !== undefined && (!o.write || m.write) && (o.priv || !m.priv);
          if (allowed) {
            expect(res.outcome).toBe('translated');
            expect(res.pa).toBe(d.pt.lookup(va)!.pa + (o.off % granule));
          } else {
            expect(res.event?.name).toBe(m === undefined ? 'F_TRANSLATION' : 'F_PERMISSION');
          }
        }
        expect(r.smmu.cacheMismatches).toEqual([]);
      }),
      { numRuns: 60, seed: 0x5eed },
    );
  });
});
