/**
 * Programming interface: ID/control registers, GBPA, the command queue (errors, CMD_SYNC MSI)
 * and the cache semantics of every invalidation command — stale results before the
 * invalidation, fresh ones after — with checkCaches reporting missing invalidations.
 */
import { describe, expect, it } from 'vitest';
import {
  cd,
  CERROR,
  cmd,
  CR0,
  GBPA,
  GERROR,
  IpaView,
  PageTable,
  PhysMem,
  REG,
  Smmu,
  steBypass,
  steS1,
  steS2,
  writeDwords,
} from '../../../src/verify/smmu';
import { attachNested, attachS2, DATA, ev, expectPa, type Rig, rig, s1Table, s2Table } from './rig';

describe('registers', () => {
  it('ID registers describe the implemented features', () => {
    const s = new Smmu(new PhysMem());
    const idr0 = s.mmioRead(REG.IDR0);
    expect(idr0 & 3).toBe(3); // S2P, S1P
    expect((idr0 >>> 2) & 3).toBe(2); // AArch64 tables
    expect((idr0 >>> 21) & 3).toBe(2); // little-endian tables only
    expect((idr0 >>> 24) & 3).toBe(1); // no stalls
    expect((idr0 >>> 26) & 1).toBe(1); // TERM_MODEL
    expect((idr0 >>> 27) & 3).toBe(1); // 2-level stream table
    expect((idr0 >>> 19) & 1).toBe(1); // 2-level CD table
    const idr1 = s.mmioRead(REG.IDR1);
    expect(idr1 & 0x3f).toBe(16);
    expect((idr1 >>> 6) & 0x1f).toBe(20);
    expect(s.mmioRead(REG.IDR5)).toBe(0x70 | 5);
    const t = new Smmu(new PhysMem(), { oas: 44, s2: false, granules: [4096], sidBits: 8, twoLevelStreamTable: false });
    expect(t.mmioRead(REG.IDR0) & 3).toBe(2);
    expect((t.mmioRead(REG.IDR0) >>> 27) & 3).toBe(0);
    expect(t.mmioRead(REG.IDR5)).toBe(0x10 | 4);
    expect(t.mmioRead(REG.IDR1) & 0x3f).toBe(8);
  });

  it('CR0 is acknowledged in CR0ACK; unimplemented enables (PRIQEN, ATSCHK) read as zero', () => {
    const s = new Smmu(new PhysMem());
    s.mmioWrite(REG.CR0, 0x1f);
    expect(s.mmioRead(REG.CR0ACK)).toBe(CR0.SMMUEN | CR0.EVENTQEN | CR0.CMDQEN);
    expect(s.mmioRead(REG.PAGE1 + REG.CR0)).toBe(s.mmioRead(REG.CR0));
  });

  it('GBPA changes only with UPDATE; SMMU disabled: bypass below the OAS, abort above it or with GBPA.ABORT', () => {
    const s = new Smmu(new PhysMem(), { oas: 40 });
    expect(s.translate({ sid: 3, iova: 0x1234_5678 }).toString()).toBe('bypass pa=0x12345678 (SMMU disabled (GBPA bypass))');
    expect(s.translate({ sid: 3, iova: 2 ** 40 }).toString()).toBe('abort (SMMU disabled, address above OAS)');
    s.mmioWrite(REG.GBPA, GBPA.ABORT);
    expect(s.mmioRead(REG.GBPA) & GBPA.ABORT).toBe(0);
    s.mmioWrite(REG.GBPA, GBPA.UPDATE | GBPA.ABORT);
    // An update replaces every field (SHCFG's reset value 0b01 is gone).
    expect(s.mmioRead(REG.GBPA)).toBe(GBPA.ABORT);
    const a = s.translate({ sid: 3, iova: 0x1000 });
    expect(a.toString()).toBe('abort (SMMU disabled, GBPA.ABORT)');
    expect(a.event).toBeNull();
    expect(new Smmu(new PhysMem(), { gbpaAbortAtReset: true }).translate({ sid: 0, iova: 0 }).outcome).toBe('abort');
  });

  it('stream table base registers are ignored while SMMUEN = 1; 64-bit access and page-1 aliases', () => {
    const r = rig();
    const base = r.smmu.mmioRead(REG.STRTAB_BASE, 8);
    expect(base).toBe(BigInt(r.drv.strtab.base) | (1n << 62n));
    r.smmu.mmioWrite(REG.STRTAB_BASE, 0x1234_0000n, 8);
    expect(r.smmu.mmioRead(REG.STRTAB_BASE, 8)).toBe(base);
    r.drv.writeSte(1, steBypass());
    expect(r.smmu.translate({ sid: 1, iova: 0x42 }).pa).toBe(0x42);
    r.smmu.mmioWrite(REG.PAGE1 + REG.EVENTQ_CONS, 0);
    expect(r.smmu.mmioRead(REG.EVENTQ_CONS)).toBe(0);
  });
});

describe('command queue', () => {
  function rawQueue(r: Rig, cmds: (readonly [bigint, bigint])[]): void {
    const n = 2 ** r.drv.cmdq.log2;
    let prod = r.smmu.mmioRead(REG.CMDQ_PROD);
    for (const c of cmds) {
      const a = r.drv.cmdq.base + (prod % n) * 16;
      r.mem.writeU64(a, c[0]);
      r.mem.writeU64(a + 8, c[1]);
      prod = (prod + 1) & (2 * n - 1);
    }
    r.smmu.mmioWrite(REG.CMDQ_PROD, prod);
  }

  it('an illegal opcode stops the queue: CONS.ERR = CERROR_ILL, GERROR.CMDQ_ERR, later commands wait', () => {
    const r = rig();
    r.drv.writeSte(1, steBypass());
    expect(r.smmu.translate({ sid: 1, iova: 0x10 }).outcome).toBe('bypass');
    r.mem.writeU64(r.drv.steAddr(1), 1n); // now an abort STE in memory, bypass in the cache
    const cons0 = r.smmu.mmioRead(REG.CMDQ_CONS);
    rawQueue(r, [cmd.raw(0x7f), cmd.cfgiSte(1), cmd.sync()]);
    const cons = r.smmu.mmioRead(REG.CMDQ_CONS);
    expect((cons >>> 24) & 0x7f).toBe(CERROR.ILL);
    expect(cons & 0xfffff).toBe(cons0 & 0xfffff);
    expect(r.smmu.activeGlobalErrors & GERROR.CMDQ_ERR).toBe(GERROR.CMDQ_ERR);
    expect(r.smmu.translate({ sid: 1, iova: 0x10 }).outcome).toBe('bypass'); // CFGI not executed yet
    // Linux's recovery: replace the command with CMD_SYNC, then acknowledge in GERRORN.
    const n = 2 ** r.drv.cmdq.log2;
    const slot = r.drv.cmdq.base + ((cons & (2 * n - 1)) % n) * 16;
    r.mem.writeU64(slot, cmd.sync()[0]);
    r.smmu.mmioWrite(REG.GERRORN, r.smmu.mmioRead(REG.GERROR));
    expect(r.smmu.activeGlobalErrors).toBe(0);
    expect(r.smmu.mmioRead(REG.CMDQ_CONS) & 0xfffff).toBe(r.smmu.mmioRead(REG.CMDQ_PROD));
    expect(r.smmu.translate({ sid: 1, iova: 0x10 }).outcome).toBe('abort');
  });

  it('commands for features that are not implemented are illegal; SSec = 1 is illegal on the Non-secure queue', () => {
    const illegal = (o: ConstructorParameters<typeof Smmu>[1], c: readonly [bigint, bigint]) => {
      const r = rig({ smmu: o });
      return r.drv.submit(c).error;
    };
    expect(illegal({}, cmd.raw(0x20))).toBe('ILL'); // TLBI_EL2_ALL without HYP
    expect(illegal({}, cmd.raw(0x40))).toBe('ILL'); // ATC_INV without ATS
    expect(illegal({}, cmd.raw(0x41))).toBe('ILL'); // PRI_RESP without PRI
    expect(illegal({}, cmd.raw(0x44))).toBe('ILL'); // RESUME without stalls
    expect(illegal({ s1: false }, cmd.cfgiCd(1, 0))).toBe('ILL');
    expect(illegal({ s2: false }, cmd.tlbiS12Vmall(1))).toBe('ILL');
    expect(illegal({}, [cmd.cfgiSte(1)[0] | (1n << 10n), 0n])).toBe('ILL');
    expect(illegal({}, cmd.prefetchConfig(3))).toBeNull();
    expect(illegal({}, cmd.tlbiNsnhAll())).toBeNull();
  });

  it('a command queue in unbacked memory reports CERROR_ABT', () => {
    const s = new Smmu(new PhysMem());
    s.mmioWrite(REG.CMDQ_BASE, 0x9_0000_0000n | 4n, 8);
    s.mmioWrite(REG.CR0, CR0.CMDQEN);
    s.mmioWrite(REG.CMDQ_PROD, 1);
    expect((s.mmioRead(REG.CMDQ_CONS) >>> 24) & 0x7f).toBe(CERROR.ABT);
    expect(s.activeGlobalErrors & GERROR.CMDQ_ERR).toBe(GERROR.CMDQ_ERR);
  });

  it('commands wait while CMDQEN = 0 and run when it is set', () => {
    const mem = new PhysMem();
    const s = new Smmu(mem);
    mem.back(0x10000, 0x1000);
    s.mmioWrite(REG.CMDQ_BASE, 0x10000n | 4n, 8);
    const c = cmd.sync({ addr: 0x10800, data: 0xcafe });
    mem.writeU64(0x10000, c[0]);
    mem.writeU64(0x10008, c[1]);
    s.mmioWrite(REG.CMDQ_PROD, 1);
    expect(mem.read32(0x10800)).toBe(0);
    s.mmioWrite(REG.CR0, CR0.CMDQEN);
    expect(mem.read32(0x10800)).toBe(0xcafe);
    expect(s.mmioRead(REG.CMDQ_CONS)).toBe(1);
    expect(s.stats.syncs).toBe(1);
  });

  it('CMD_SYNC MSI to unbacked memory raises GERROR.MSI_CMDQ_ABT_ERR; the driver polls its MSI', () => {
    const r = rig({ driver: { msiSync: true } });
    expect(r.drv.sync().ok).toBe(true);
    r.drv.submit(cmd.sync({ addr: 0x9_0000_0000, data: 1 }));
    expect(r.smmu.activeGlobalErrors & GERROR.MSI_CMDQ_ABT_ERR).toBe(GERROR.MSI_CMDQ_ABT_ERR);
  });
});

/** Stage-1 stream `sid` with ASID `asid`; returns its table. */
function s1Stream(r: Rig, sid: number, asid: number) {
  const p = s1Table(r);
  const a = r.alloc.alloc(64);
  writeDwords(r.mem, a, cd({ asid, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } }));
  r.drv.writeSte(sid, steS1({ cdTable: a }));
  return { p, cdAddr: a };
}

/** Repoints the stage-1 leaf for `va` without telling the SMMU. */
function remap(r: Rig, p: ReturnType<typeof s1Table>, va: number, pa: number): void {
  const da = p.entryAddr(va, 3);
  r.mem.read64(da);
  r.mem.write64(da, ((r.mem.lo & 0xfff) | pa % 2 ** 32) >>> 0, Math.floor(pa / 2 ** 32));
}

describe('IOTLB invalidation', () => {
  it('a missing TLBI leaves a stale translation that checkCaches reports; TLBI_NH_VA fixes exactly that page', () => {
    const r = rig();
    const { p } = s1Stream(r, 1, 5);
    p.map(0x10000, DATA, 0x4000, { write: true }, { blocks: false });
    for (let i = 0; i < 4; i++) expectPa(r, { sid: 1, iova: 0x10000 + i * 0x1000 }, DATA + i * 0x1000);
    remap(r, p, 0x10000, DATA + 0x100000);
    remap(r, p, 0x11000, DATA + 0x101000);
    const stale = expectPa(r, { sid: 1, iova: 0x10008 }, DATA + 8);
    expect(stale.fromTlb).toBe(true);
    expect(r.smmu.cacheMismatches).toHaveLength(1);
    expect(r.smmu.cacheMismatches[0]).toMatchObject({ sid: 1, iova: 0x10008n, cached: expect.stringMatching(/^translated pa=0x4000000008 /), fresh: expect.stringMatching(/^translated pa=0x4000100008 /) });
    r.drv.submit(cmd.tlbiNhVa(5, 0, 0x10000, { leaf: true }));
    r.drv.sync();
    expectPa(r, { sid: 1, iova: 0x10008 }, DATA + 0x100008);
    expectPa(r, { sid: 1, iova: 0x11008 }, DATA + 0x1008); // still stale
    expect(r.smmu.cacheMismatches).toHaveLength(2);
  });

  it('range TLBI (TG, NUM, SCALE) covers (NUM+1) << SCALE pages', () => {
    const r = rig();
    const { p } = s1Stream(r, 1, 5);
    p.map(0x10000, DATA, 0x8000, { write: true }, { blocks: false });
    for (let i = 0; i < 8; i++) r.smmu.translate({ sid: 1, iova: 0x10000 + i * 0x1000 });
    for (let i = 0; i < 8; i++) remap(r, p, 0x10000 + i * 0x1000, DATA + 0x100000 + i * 0x1000);
    r.drv.submit(cmd.tlbiNhVa(5, 0, 0x11000, { granule: 4096, num: 1, scale: 1 })); // 4 pages
    r.drv.sync();
    const fresh = [...Array(8).keys()].map((i) => r.smmu.translate({ sid: 1, iova: 0x10000 + i * 0x1000 }).pa >= DATA + 0x100000);
    expect(fresh).toEqual([false, true, true, true, true, false, false, false]);
  });

  it('TLBI_NH_ASID removes one ASID (not others, not global entries); TLBI_NH_VAA removes a VA for every ASID', () => {
    const r = rig();
    const a = s1Stream(r, 1, 5);
    const b = s1Stream(r, 2, 6);
    a.p.map(0x10000, DATA, 0x1000);
    b.p.map(0x10000, DATA + 0x2000, 0x1000);
    a.p.setRaw(0x20000, 3, BigInt(DATA + 0x4000) | 0x4c3n); // nG = 0: global
    for (const sid of [1, 2]) r.smmu.translate({ sid, iova: 0x10000 });
    r.smmu.translate({ sid: 1, iova: 0x20000 });
    remap(r, a.p, 0x10000, DATA + 0x100000);
    remap(r, b.p, 0x10000, DATA + 0x102000);
    a.p.setRaw(0x20000, 3, BigInt(DATA + 0x104000) | 0x4c3n);
    r.drv.invalidateAsid(5);
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA + 0x100000);
    expectPa(r, { sid: 2, iova: 0x10000 }, DATA + 0x2000);
    expectPa(r, { sid: 1, iova: 0x20000 }, DATA + 0x4000); // global survives NH_ASID
    // The global entry also serves another ASID (sid 2 never mapped 0x20000).
    expectPa(r, { sid: 2, iova: 0x20000 }, DATA + 0x4000);
    r.drv.submit(cmd.tlbiNhVaa(0, 0x10000));
    r.drv.submit(cmd.tlbiNhVa(6, 0, 0x20000));
    r.drv.sync();
    expectPa(r, { sid: 2, iova: 0x10000 }, DATA + 0x102000);
    expectPa(r, { sid: 1, iova: 0x20000 }, DATA + 0x104000);
  });

  it('TLBI_NH_ALL is per VMID and leaves stage-2-only entries; TLBI_S12_VMALL removes every entry of a VMID', () => {
    const r = rig();
    const a = s1Stream(r, 1, 5); // VMID 0 tag
    a.p.map(0x10000, DATA, 0x1000);
    const q = s2Table(r);
    q.map(0x10000, DATA + 0x8000, 0x1000);
    attachS2(r, 2, q, 0); // VMID 0, stage 2 only
    const q7 = s2Table(r);
    q7.map(0x10000, DATA + 0x9000, 0x1000);
    attachS2(r, 3, q7, 7);
    for (const sid of [1, 2, 3]) r.smmu.translate({ sid, iova: 0x10000 });
    remap(r, a.p, 0x10000, DATA + 0x100000);
    for (const [t, pa] of [[q, DATA + 0x108000], [q7, DATA + 0x109000]] as const) {
      const da = t.entryAddr(0x10000, 3);
      r.mem.read64(da);
      r.mem.write64(da, ((r.mem.lo & 0xfff) | pa % 2 ** 32) >>> 0, Math.floor(pa / 2 ** 32));
    }
    r.drv.submit(cmd.tlbiNhAll(0));
    r.drv.sync();
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA + 0x100000);
    expectPa(r, { sid: 2, iova: 0x10000 }, DATA + 0x8000);
    r.drv.invalidateVmid(0);
    expectPa(r, { sid: 2, iova: 0x10000 }, DATA + 0x108000);
    expectPa(r, { sid: 3, iova: 0x10000 }, DATA + 0x9000);
    r.drv.submit(cmd.tlbiNsnhAll());
    r.drv.sync();
    expectPa(r, { sid: 3, iova: 0x10000 }, DATA + 0x109000);
  });

  it('TLBI_S2_IPA removes stage-2-only entries but not combined stage-1+2 entries (trap 10)', () => {
    const r = rig();
    const s2 = s2Table(r);
    s2.map(0x4000_0000, 0x8800_0000, 0x10_0000, { write: true }, { blocks: false }); // guest RAM for CD + tables
    s2.map(0x10000, DATA, 0x1000);
    attachS2(r, 2, s2, 3);
    // Guest stage 1 built directly in PA (identity RAM offset) for brevity.
    const view = new IpaView(r.mem, s2);
    let next = 0x4000_1000;
    const g1 = new PageTable(view, (sz: number) => ((next += sz), next - sz), { stage: 1, granule: 4096, ias: 48, oas: 48 });
    // VA = IPA, so an implementation matching combined entries by either address would drop it.
    g1.map(0x10000, 0x10000, 0x1000);
    writeDwords(view, 0x4000_0000, cd({ asid: 9, ips: 48, tt0: { ttb: g1.root, ias: 48, granule: 4096 } }));
    attachNested(r, 1, 0x4000_0000, s2, 3);
    expectPa(r, { sid: 1, iova: 0x10010 }, DATA + 0x10);
    expectPa(r, { sid: 2, iova: 0x10010 }, DATA + 0x10);
    const da = s2.entryAddr(0x10000, 3);
    r.mem.read64(da);
    r.mem.write64(da, ((r.mem.lo & 0xfff) | (DATA + 0x200000) % 2 ** 32) >>> 0, Math.floor((DATA + 0x200000) / 2 ** 32));
    r.drv.submit(cmd.tlbiS2Ipa(3, 0x10000, { leaf: true }));
    r.drv.sync();
    expectPa(r, { sid: 2, iova: 0x10010 }, DATA + 0x200010);
    const stale = expectPa(r, { sid: 1, iova: 0x10010 }, DATA + 0x10);
    expect(stale.fromTlb).toBe(true);
    expect(r.smmu.cacheMismatches.map((m) => m.sid)).toEqual([1]);
    // What Linux does after changing a nesting parent: TLBI_NH_ALL for the VMID.
    r.drv.submit(cmd.tlbiNhAll(3));
    r.drv.sync();
    expectPa(r, { sid: 1, iova: 0x10010 }, DATA + 0x200010);
  });

  it('a TLB hit re-checks both stages: a read after a cached write to a stage-2 write-only page faults', () => {
    const r = rig();
    const q = s2Table(r);
    q.map(0x10000, DATA, 0x1000, { read: false, write: true });
    attachS2(r, 1, q);
    expectPa(r, { sid: 1, iova: 0x10000, write: true }, DATA);
    const read = r.smmu.translate({ sid: 1, iova: 0x10000 });
    expect(read.fromTlb).toBe(true);
    expect(ev(read)).toMatchObject({ name: 'F_PERMISSION', s2: true, ipa: 0x10000 });
    expect(r.smmu.cacheMismatches).toEqual([]);
  });

  it('capacity overflow flushes deterministically without changing results', () => {
    const r = rig({ smmu: { iotlbCapacity: 16 } });
    const { p } = s1Stream(r, 1, 5);
    p.map(0x100000, DATA, 0x40000, { write: true }, { blocks: false });
    for (let round = 0; round < 2; round++) for (let i = 0; i < 64; i++) expectPa(r, { sid: 1, iova: 0x100000 + i * 0x1000 }, DATA + i * 0x1000);
    expect(r.smmu.tlbSize).toBeLessThanOrEqual(16);
    expect(r.smmu.cacheMismatches).toEqual([]);
  });
});

describe('configuration cache invalidation', () => {
  it('CFGI_STE: an STE change is invisible until invalidated (checkCaches reports it)', () => {
    const r = rig();
    const { p } = s1Stream(r, 1, 5);
    p.map(0x10000, DATA, 0x1000);
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA);
    writeDwords(r.mem, r.drv.steAddr(1), steBypass());
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA);
    expect(r.smmu.cacheMismatches[0]!.fresh).toBe('bypass pa=0x10000 (STE.Config = bypass)');
    r.drv.submit(cmd.cfgiSte(1));
    r.drv.sync();
    expect(r.smmu.translate({ sid: 1, iova: 0x10000 }).outcome).toBe('bypass');
  });

  it('CFGI_STE_RANGE covers an aligned range of 2^(Range+1) StreamIDs; CFGI_ALL covers all', () => {
    const r = rig();
    for (const sid of [4, 5, 6, 7, 8]) r.drv.writeSte(sid, steBypass());
    for (const sid of [4, 5, 6, 7, 8]) r.smmu.translate({ sid, iova: 0 });
    for (const sid of [4, 5, 6, 7, 8]) writeDwords(r.mem, r.drv.steAddr(sid), [1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    r.drv.submit(cmd.cfgiSteRange(6, 1)); // StreamIDs 4..7
    r.drv.sync();
    expect([4, 5, 6, 7, 8].map((sid) => r.smmu.translate({ sid, iova: 0 }).outcome)).toEqual(['abort', 'abort', 'abort', 'abort', 'bypass']);
    r.drv.submit(cmd.cfgiAll());
    r.drv.sync();
    expect(r.smmu.translate({ sid: 8, iova: 0 }).outcome).toBe('abort');
  });

  it('CFGI_CD / CFGI_CD_ALL: a new ASID and table in the CD take effect only after invalidation', () => {
    const r = rig();
    const { p, cdAddr } = s1Stream(r, 1, 5);
    p.map(0x10000, DATA, 0x1000);
    const p2 = s1Table(r);
    p2.map(0x10000, DATA + 0x5000, 0x1000);
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA);
    writeDwords(r.mem, cdAddr, cd({ asid: 6, ips: 48, tt0: { ttb: p2.root, ias: 48, granule: 4096 } }));
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA);
    r.drv.submit(cmd.cfgiCd(1, 0));
    r.drv.sync();
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA + 0x5000);
    writeDwords(r.mem, cdAddr, cd({ asid: 7, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } }));
    r.drv.submit(cmd.cfgiCdAll(1));
    r.drv.sync();
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA);
  });

  it('with caches disabled every change is seen at once', () => {
    const r = rig({ smmu: { iotlb: false, configCache: false } });
    const { p } = s1Stream(r, 1, 5);
    p.map(0x10000, DATA, 0x1000);
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA);
    remap(r, p, 0x10000, DATA + 0x7000);
    expectPa(r, { sid: 1, iova: 0x10000 }, DATA + 0x7000);
    writeDwords(r.mem, r.drv.steAddr(1), steS2({ vmid: 1, ...s2Table(r).s2, ps: 48 }));
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x10000 })).name).toBe('F_TRANSLATION');
    expect(r.smmu.cachedSids()).toEqual([]);
    expect(r.smmu.tlbSize).toBe(0);
  });

  it('probe() gives the fresh answer without touching caches or the event queue', () => {
    const r = rig();
    const { p } = s1Stream(r, 1, 5);
    p.map(0x10000, DATA, 0x1000);
    r.smmu.translate({ sid: 1, iova: 0x10000 });
    remap(r, p, 0x10000, DATA + 0x3000);
    expect(r.smmu.probe({ sid: 1, iova: 0x10000 }).pa).toBe(DATA + 0x3000);
    expect(r.smmu.probe({ sid: 1, iova: 0x90000 }).outcome).toBe('fault');
    expect(r.drv.readEvents()).toEqual([]);
    expect(r.smmu.translate({ sid: 1, iova: 0x10000 }).pa).toBe(DATA);
  });
});
