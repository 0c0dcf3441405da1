/**
 * Configuration-stage events, each from a hand-built stream table / STE / CD:
 * C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, F_STREAM_DISABLED, C_BAD_SUBSTREAMID, F_CD_FETCH,
 * C_BAD_CD.
 */
import { describe, expect, it } from 'vitest';
import {
  cd,
  CR0,
  type Dwords,
  EVT,
  l1cd,
  l1std,
  PageAllocator,
  PhysMem,
  REG,
  Smmu,
  steBypass,
  steS1,
  steS2,
  writeDwords,
} from '../../../src/verify/smmu';
import { attachCd, DATA, ev, expectPa, rig, s1Table, s2Fields, s2Table } from './rig';

const UNBACKED = 0x9_0000_0000;

describe('C_BAD_STREAMID', () => {
  it('StreamID at or above 2^LOG2SIZE; recorded because the driver set CR2.RECINVSID', () => {
    const r = rig();
    const res = r.smmu.translate({ sid: 256, iova: 0x1000 });
    expect(ev(res)).toMatchObject({ name: 'C_BAD_STREAMID', sid: 256, ssv: false });
    expect(res.recorded).toBe(true);
    expect(r.drv.readEvents()).toMatchObject([{ code: EVT.C_BAD_STREAMID, sid: 256 }]);
    // 255 is in range and has the driver's default abort STE: silent abort.
    expect(r.smmu.translate({ sid: 255, iova: 0x1000 }).toString()).toBe('abort (STE.Config = abort)');
  });

  it('still terminates but is not recorded when CR2.RECINVSID = 0', () => {
    const r = rig({ driver: { recordInvalidSid: false } });
    const res = r.smmu.translate({ sid: 0x1000, ssv: true, ssid: 3, iova: 0x1000 });
    expect(ev(res)).toMatchObject({ name: 'C_BAD_STREAMID', ssv: true, ssid: 3 });
    expect(res.recorded).toBe(false);
    expect(r.drv.readEvents()).toEqual([]);
  });

  describe('2-level stream table (SPLIT = 8)', () => {
    it('L1STD.Span = 0, Span beyond SPLIT+1, and StreamID beyond the level-2 array', () => {
      const r = rig({ driver: { streamTable: '2level', sidBits: 16 } });
      // No level-2 table yet for L1 index 3: Span = 0.
      expect(ev(r.smmu.translate({ sid: 0x305, iova: 0 })).detail).toMatch(/Span = 0/);
      // Hand-written L1STD with Span = 2: a level-2 array of 2^(2-1) = 2 STEs.
      const l2 = r.alloc.alloc(128);
      writeDwords(r.mem, l2, steBypass());
      writeDwords(r.mem, l2 + 64, steBypass());
      r.mem.writeU64(r.drv.strtab.base + 3 * 8, l1std(l2, 2));
      expect(r.smmu.translate({ sid: 0x300, iova: 0x1234 }).toString()).toBe('bypass pa=0x1234 (STE.Config = bypass)');
      expect(r.smmu.translate({ sid: 0x301, iova: 0x1234 }).outcome).toBe('bypass');
      expect(ev(r.smmu.translate({ sid: 0x302, iova: 0 }))).toMatchObject({ name: 'C_BAD_STREAMID', detail: expect.stringMatching(/beyond L1STD.Span = 2/) });
      // Span = 10 > SPLIT + 1.
      r.mem.writeU64(r.drv.strtab.base + 4 * 8, l1std(l2, 10));
      expect(ev(r.smmu.translate({ sid: 0x400, iova: 0 })).detail).toMatch(/Span = 10 is invalid/);
      expect(r.drv.readEvents().map((e) => e.name)).toEqual(['C_BAD_STREAMID', 'C_BAD_STREAMID', 'C_BAD_STREAMID']);
    });
  });
});

describe('F_STE_FETCH', () => {
  it('level-2 pointer to unbacked memory: FetchAddr is the STE address', () => {
    const r = rig({ driver: { streamTable: '2level', sidBits: 16 } });
    r.mem.writeU64(r.drv.strtab.base + 5 * 8, l1std(UNBACKED, 9));
    const res = r.smmu.translate({ sid: 0x5a1, iova: 0 });
    expect(ev(res)).toMatchObject({ name: 'F_STE_FETCH', sid: 0x5a1, fetchAddr: UNBACKED + 0xa1 * 64 });
    expect(res.recorded).toBe(true);
    expect(r.drv.readEvents()[0]).toMatchObject({ code: EVT.F_STE_FETCH, fetchAddr: UNBACKED + 0xa1 * 64 });
  });

  it('stream table base in unbacked memory, event queue disabled: fault without a record', () => {
    const mem = new PhysMem();
    const smmu = new Smmu(mem);
    smmu.mmioWrite(REG.STRTAB_BASE, BigInt(UNBACKED), 8);
    smmu.mmioWrite(REG.STRTAB_BASE_CFG, 8);
    smmu.mmioWrite(REG.CR0, CR0.SMMUEN);
    const res = smmu.translate({ sid: 7, iova: 0 });
    expect(ev(res)).toMatchObject({ name: 'F_STE_FETCH', fetchAddr: UNBACKED + 7 * 64 });
    expect(res.recorded).toBe(false);
  });
});

describe('C_BAD_STE', () => {
  const r0 = rig();
  const pt = s2Table(r0);
  const good = s2Fields(r0, pt);
  const withBit = (d: Dwords, dw: number, bit: bigint): Dwords => d.map((v, i) => (i === dw ? v | (1n << bit) : v));
  const cases: [string, Dwords, RegExp][] = [
    ['V = 0', [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n], /STE.V == 0/],
    ['S2TG reserved', steS2({ ...good, tgRaw: 3 }), /S2TG is reserved/],
    ['S2AA64 = 0', steS2({ ...good, aa64: false }), /S2AA64 == 0/],
    ['big-endian S2 tables', steS2({ ...good, endi: true }), /S2ENDI/],
    ['S2SL0 inconsistent with S2T0SZ', steS2({ ...good, sl0: 0 }), /inconsistent with S2SL0=0/],
    ['S2SL0 = 3 with 4K', steS2({ ...good, sl0: 3 }), /S2SL0=3 is reserved/],
    // Start-level index 1..stride+4 bits: 16 concatenated tables at most, at least 1 bit.
    ['17 concatenated tables', steS2({ ...good, t0sz: 64 - 35, sl0: 0 }), /index would be 14 bits/],
    ['empty start-level index', steS2({ ...good, t0sz: 64 - 30, sl0: 1 }), /index would be 0 bits/],
    ['S2T0SZ above 39', steS2({ ...good, t0sz: 40, sl0: 0 }), /above the maximum 39/],
    ['IPA wider than the IAS', steS2({ ...good, t0sz: 12, sl0: 2 }), /above the 48-bit limit/],
    ['S2TTB outside S2PS', steS2({ ...good, ttb: 2 ** 40, ps: 40 }), /S2TTB is outside the 40-bit/],
    ['S2S (stall) without stall support', withBit(steS2(good), 2, 57n), /S2S == 1/],
    ['S2HA without HTTU', withBit(steS2(good), 2, 56n), /S2HA\/S2HD/],
    ['S1CDMax above SSIDSIZE', steS1({ cdTable: 0x1000, s1CdMax: 21 }), /S1CDMax=21 exceeds SSIDSIZE=20/],
    ['S1STALLD with a non-configurable stall model', withBit(steS1({ cdTable: 0x1000 }), 1, 27n), /S1STALLD/],
    ['S1ContextPtr outside the OAS (stage 1 only)', steS1({ cdTable: 2 ** 48 }), /outside the OAS/],
  ];
  for (const [name, ste, detail] of cases) {
    it(name, () => {
      const r = rig();
      r.drv.writeSte(9, ste);
      const res = r.smmu.translate({ sid: 9, iova: 0x1000 });
      expect(ev(res)).toMatchObject({ name: 'C_BAD_STE', sid: 9 });
      expect(res.event!.detail).toMatch(detail);
      expect(res.recorded).toBe(true);
    });
  }

  it('a stage that is not implemented, a granule that is not supported, 16-bit VMID on an 8-bit SMMU', () => {
    const a = rig({ smmu: { s2: false } });
    a.drv.writeSte(1, steS2({ ...good, ttb: 0x10000 }));
    expect(ev(a.smmu.translate({ sid: 1, iova: 0 })).detail).toMatch(/stage 2, which is not implemented/);
    const b = rig({ smmu: { granules: [4096] } });
    b.drv.writeSte(1, steS2({ ...good, granule: 65536, sl0: 1 }));
    expect(ev(b.smmu.translate({ sid: 1, iova: 0 })).detail).toMatch(/unsupported 64K granule/);
    const c = rig({ smmu: { vmid16: false } });
    c.drv.writeSte(1, steS2({ ...good, vmid: 0x100 }));
    expect(ev(c.smmu.translate({ sid: 1, iova: 0 })).detail).toMatch(/S2VMID\[15:8\]/);
  });

  it('Config 0b0xx other than 0 behaves as abort (no event); illegal S2 fields are ignored by a stage-1-only STE', () => {
    const r = rig();
    r.drv.writeSte(2, [1n | (2n << 1n), 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    const a = r.smmu.translate({ sid: 2, iova: 0 });
    expect(a.outcome).toBe('abort');
    expect(a.event).toBeNull();
    const p = s1Table(r);
    p.map(0x4000, DATA, 0x1000);
    const cdAddr = r.alloc.alloc(64);
    writeDwords(r.mem, cdAddr, cd({ asid: 1, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } }));
    const ste = steS1({ cdTable: cdAddr });
    ste[2] = ste[2]! | (3n << 46n); // S2TG reserved: IGNORED when stage 2 bypasses
    r.drv.writeSte(3, ste);
    expectPa(r, { sid: 3, iova: 0x4010 }, DATA + 0x10);
    expect(r.drv.readEvents()).toEqual([]);
  });
});

/** A linear CD table of 2^bits CDs, each with its own stage-1 table mapping 0x4000 -> DATA + n*0x10000. */
function cdTableRig(bits: number, s1Dss: 0 | 1 | 2) {
  const r = rig();
  const table = r.alloc.alloc(64 * 2 ** bits);
  for (let n = 0; n < 2 ** bits; n++) {
    const p = s1Table(r);
    p.map(0x4000, DATA + n * 0x10000, 0x1000, { write: true });
    writeDwords(r.mem, table + n * 64, cd({ asid: 10 + n, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } }));
  }
  r.drv.writeSte(4, steS1({ cdTable: table, s1CdMax: bits, s1Dss }));
  return r;
}

describe('F_STREAM_DISABLED', () => {
  it('no SubstreamID with S1DSS = terminate; record carries only the StreamID', () => {
    const r = cdTableRig(2, 0);
    const res = r.smmu.translate({ sid: 4, iova: 0x4000 });
    expect(ev(res)).toMatchObject({ name: 'F_STREAM_DISABLED', sid: 4 });
    const bytes = r.mem.readBytes(r.drv.eventq.base, 32)!;
    expect([...bytes.slice(0, 8)]).toEqual([0x06, 0, 0, 0, 4, 0, 0, 0]);
    expect(bytes.slice(8).every((b) => b === 0)).toBe(true);
    expectPa(r, { sid: 4, ssv: true, ssid: 3, iova: 0x4000 }, DATA + 0x30000);
  });

  it('S1DSS = SSID0: no SubstreamID uses CD 0, SubstreamID 0 is terminated', () => {
    const r = cdTableRig(2, 2);
    expectPa(r, { sid: 4, iova: 0x4008 }, DATA + 8);
    expectPa(r, { sid: 4, ssv: true, ssid: 1, iova: 0x4008 }, DATA + 0x10008);
    expect(ev(r.smmu.translate({ sid: 4, ssv: true, ssid: 0, iova: 0x4008 }))).toMatchObject({ name: 'F_STREAM_DISABLED', detail: expect.stringMatching(/SubstreamID 0/) });
  });

  it('S1DSS = bypass: no SubstreamID skips stage 1 (no CD fetch)', () => {
    const r = cdTableRig(2, 1);
    expect(r.smmu.translate({ sid: 4, iova: 0x77000 }).toString()).toBe('bypass pa=0x77000 (stage 1 bypassed (S1DSS))');
    expect(r.smmu.translate({ sid: 4, iova: 0x77000 }).toString()).toBe('bypass pa=0x77000 (stage 1 bypassed (S1DSS))');
  });
});

describe('C_BAD_SUBSTREAMID', () => {
  it('SubstreamID with substreams disabled (S1CDMax = 0): SSID in the record, no SSV bit', () => {
    const r = rig();
    const p = s1Table(r);
    attachCd(r, 6, { asid: 1, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } });
    const res = r.smmu.translate({ sid: 6, ssv: true, ssid: 0x12345, iova: 0 });
    expect(ev(res)).toMatchObject({ name: 'C_BAD_SUBSTREAMID', ssid: 0x12345 });
    const w = new DataView(r.mem.readBytes(r.drv.eventq.base, 8)!.buffer);
    expect(w.getUint32(0, true)).toBe((0x12345 << 12) | 0x08);
    expect(w.getUint32(4, true)).toBe(6);
  });

  it('SubstreamID >= 2^S1CDMax', () => {
    const r = cdTableRig(2, 0);
    expect(ev(r.smmu.translate({ sid: 4, ssv: true, ssid: 4, iova: 0x4000 })).name).toBe('C_BAD_SUBSTREAMID');
  });

  it('SubstreamID on a stage-2-only or bypass STE (stage 1 disabled)', () => {
    const r = rig();
    const p = s2Table(r);
    r.drv.writeSte(1, steS2(s2Fields(r, p)));
    r.drv.writeSte(2, steBypass());
    expect(ev(r.smmu.translate({ sid: 1, ssv: true, ssid: 1, iova: 0 })).name).toBe('C_BAD_SUBSTREAMID');
    expect(ev(r.smmu.translate({ sid: 2, ssv: true, ssid: 0, iova: 0 })).name).toBe('C_BAD_SUBSTREAMID');
    expect(r.smmu.translate({ sid: 2, iova: 0x5000 }).outcome).toBe('bypass');
  });

  it('2-level CD table: L1CD.V = 0', () => {
    const r = rig();
    const l1 = r.alloc.alloc(4096);
    r.drv.writeSte(3, steS1({ cdTable: l1, s1Fmt: 1, s1CdMax: 8 }));
    // SSID 0x85: L1 index 2 (64 CDs per 4K leaf), descriptor left invalid.
    r.mem.writeU64(l1 + 2 * 8, l1cd(0x5000, false));
    expect(ev(r.smmu.translate({ sid: 3, ssv: true, ssid: 0x85, iova: 0 }))).toMatchObject({ name: 'C_BAD_SUBSTREAMID', ssid: 0x85, detail: 'L1CD.V = 0' });
  });

  it('an SMMU without substreams (SSIDSIZE = 0)', () => {
    const r = rig({ smmu: { ssidBits: 0 } });
    const p = s1Table(r);
    attachCd(r, 6, { asid: 1, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } }, { s1CdMax: 3 });
    expect(ev(r.smmu.translate({ sid: 6, ssv: true, ssid: 1, iova: 0 })).name).toBe('C_BAD_SUBSTREAMID');
  });
});

describe('F_CD_FETCH', () => {
  it('S1ContextPtr to unbacked memory: FetchAddr = CD address', () => {
    const r = rig();
    r.drv.writeSte(1, steS1({ cdTable: UNBACKED + 0x40 }));
    const res = r.smmu.translate({ sid: 1, iova: 0 });
    expect(ev(res)).toMatchObject({ name: 'F_CD_FETCH', fetchAddr: UNBACKED + 0x40 });
    expect(r.drv.readEvents()).toMatchObject([{ name: 'F_CD_FETCH', fetchAddr: UNBACKED + 0x40 }]);
  });

  it('2-level CD table (64K leaves): valid L1CD pointing at unbacked memory', () => {
    const r = rig();
    const l1 = r.alloc.alloc(64);
    r.drv.writeSte(1, steS1({ cdTable: l1, s1Fmt: 2, s1CdMax: 12 }));
    r.mem.writeU64(l1 + 8, l1cd(UNBACKED));
    expect(ev(r.smmu.translate({ sid: 1, ssv: true, ssid: 1024 + 5, iova: 0 }))).toMatchObject({ name: 'F_CD_FETCH', fetchAddr: UNBACKED + 5 * 64 });
  });
});

describe('C_BAD_CD', () => {
  const tt = (ttb: number) => ({ ttb, ias: 48, granule: 4096 as const });
  const cases: [string, (ttb: number) => Dwords, RegExp][] = [
    ['V = 0', (t) => cd({ asid: 1, ips: 48, tt0: tt(t), valid: false }), /CD.V == 0/],
    ['AA64 = 0', (t) => cd({ asid: 1, ips: 48, tt0: tt(t), aa64: false }), /AA64 == 0/],
    ['A = 0 with TERM_MODEL = 1', (t) => cd({ asid: 1, ips: 48, tt0: tt(t), a: false }), /CD.A == 0/],
    ['T0SZ above 39', (t) => cd({ asid: 1, ips: 48, tt0: { ttb: t, ias: 24, granule: 4096 } }), /T0SZ=40/],
    ['TTB0 outside the effective IPS', () => cd({ asid: 1, ips: 32, tt0: tt(2 ** 33) }), /TTB0 is outside the 32-bit/],
    ['TG0 reserved', (t) => cd({ asid: 1, ips: 48, tt0: tt(t) }).map((v, i) => (i === 0 ? v | (3n << 6n) : v)), /TG0 is reserved/],
    ['TG1 = 0 is reserved (TG1 encoding differs from TG0)', (t) => cd({ asid: 1, ips: 48, tt0: tt(t), tt1: tt(t) }).map((v, i) => (i === 0 ? v & ~(3n << 22n) : v)), /TG1 is reserved/],
    ['HA without HTTU', (t) => cd({ asid: 1, ips: 48, tt0: tt(t) }).map((v, i) => (i === 0 ? v | (1n << 43n) : v)), /HA\/HD/],
  ];
  for (const [name, make, detail] of cases) {
    it(name, () => {
      const r = rig();
      const p = s1Table(r);
      const a = r.alloc.alloc(64);
      writeDwords(r.mem, a, make(p.root));
      r.drv.writeSte(1, steS1({ cdTable: a }));
      const res = r.smmu.translate({ sid: 1, iova: 0 });
      expect(ev(res)).toMatchObject({ name: 'C_BAD_CD', sid: 1 });
      expect(res.event!.detail).toMatch(detail);
      // C_BAD_CD is not subject to CD.R suppression.
      expect(res.recorded).toBe(true);
    });
  }

  it('8-bit ASID SMMU rejects ASID[15:8] != 0', () => {
    const r = rig({ smmu: { asid16: false } });
    const p = s1Table(r);
    attachCd(r, 1, { asid: 0x100, ips: 48, tt0: { ttb: p.root, ias: 48, granule: 4096 } });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0 })).detail).toMatch(/ASID\[15:8\]/);
  });

  it('allocator helper sanity: a fresh PhysMem-backed allocator zeroes memory', () => {
    const mem = new PhysMem();
    const a = new PageAllocator(mem, 0x1000, 0x10000);
    mem.write32(0x2000, 5);
    const x = a.alloc(0x2000, 0x2000);
    expect(x).toBe(0x2000);
    expect(mem.read32(0x2000)).toBe(0);
  });
});
