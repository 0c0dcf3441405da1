/**
 * Translation-stage events from hand-built tables: F_WALK_EABT, F_TRANSLATION, F_ADDR_SIZE,
 * F_ACCESS, F_PERMISSION (stage 1, stage 2 and nested), record suppression by CD.R / STE.S2R,
 * and the bytes of the records written to the event queue.
 */
import { describe, expect, it } from 'vitest';
import {
  cd as mkCd,
  CR0,
  decodeEvent,
  encodeEvent,
  EVT,
  GERROR,
  PhysMem,
  REG,
  Smmu,
  type SmmuEvent,
  steBypass,
  steS1,
  steS2,
  writeDwords,
} from '../../../src/verify/smmu';
import { attachCd, attachS2, DATA, DATA_IPA, ev, expectPa, GUEST_IPA, nestedRig, type Rig, rig, s1Table, s2Table } from './rig';

const UNBACKED = 0x9_0000_0000;
const tt0 = (ttb: number, had = false) => ({ ttb, ias: 48, granule: 4096 as const, had });

/** Stage-1-only stream `sid` whose table maps `iova` -> DATA with `prot`. */
function s1(r: Rig, iova: number, prot = {}, cdExtra = {}, sid = 1) {
  const p = s1Table(r);
  p.map(iova, DATA, 0x1000, prot);
  // One ASID per stream: TLB entries are tagged by ASID, not StreamID.
  attachCd(r, sid, { asid: sid, ips: 48, tt0: tt0(p.root), ...cdExtra });
  return p;
}

describe('F_WALK_EABT', () => {
  it('stage 1: a table descriptor points at unbacked memory (S2 = 0, CLASS = TT); recorded even with CD.R = 0', () => {
    const r = rig();
    const iova = 0x7_4000_5000; // L0 index 0, L1 index 29
    const p = s1(r, iova, {}, { record: false });
    p.setRaw(iova, 0, BigInt(UNBACKED) | 3n);
    const res = r.smmu.translate({ sid: 1, iova });
    expect(ev(res)).toMatchObject({ name: 'F_WALK_EABT', s2: false, cls: 'TT', fetchAddr: UNBACKED + 29 * 8, level: 1, rnw: true });
    expect(res.recorded).toBe(true);
  });

  it('stage 2 only: S2 = 1, CLASS = IN', () => {
    const r = rig();
    const p = s2Table(r);
    p.map(0x3000_0000, DATA, 0x1000);
    attachS2(r, 1, p);
    p.setRaw(0x3000_0000, 2, BigInt(UNBACKED) | 3n);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x3000_0000 }))).toMatchObject({ name: 'F_WALK_EABT', s2: true, cls: 'IN', fetchAddr: UNBACKED, ipa: null });
  });

  it('nested: stage-2 walk for a stage-1 table address aborts (S2 = 1, CLASS = TT)', () => {
    const n = nestedRig();
    n.s1.map(0x1000, DATA_IPA, 0x1000);
    n.s2.map(DATA_IPA, DATA, 0x1000);
    expectPa(n.r, { sid: 1, iova: 0x1000 }, DATA);
    n.r.smmu.flushCaches();
    // Stage-2 level-2 entry covering the guest's table region: a table pointer into nothing.
    n.s2.setRaw(GUEST_IPA + 0x20_0000, 2, BigInt(UNBACKED) | 3n);
    const rootIdx = 0; // IOVA 0x1000 has index 0 at every stage-1 level
    expect(ev(n.r.smmu.translate({ sid: 1, iova: 0x1000 }))).toMatchObject({
      name: 'F_WALK_EABT',
      s2: true,
      cls: 'TT',
      fetchAddr: UNBACKED + (((n.s1.root >>> 12) & 0x1ff) * 8 + rootIdx),
    });
  });

  it('nested: a stage-1 descriptor IPA translates to unbacked PA (S2 = 0, CLASS = TT, FetchAddr = PA)', () => {
    const n = nestedRig();
    n.s1.map(0x1000, DATA_IPA, 0x1000);
    n.s2.map(DATA_IPA, DATA, 0x1000);
    // Remap the stage-1 root table page at stage 2 to a PA with no memory (read allowed).
    const leaf = n.s2.entryAddr(n.s1.root, 3);
    n.r.mem.writeU64(leaf, BigInt(UNBACKED) | 0x4c3n);
    expect(ev(n.r.smmu.translate({ sid: 1, iova: 0x1000 }))).toMatchObject({ name: 'F_WALK_EABT', s2: false, cls: 'TT', fetchAddr: UNBACKED });
  });

  it('nested: stage-2 walk for the CD address aborts (S2 = 1, CLASS = CD)', () => {
    const n = nestedRig();
    n.s2.setRaw(GUEST_IPA, 2, BigInt(UNBACKED) | 3n);
    expect(ev(n.r.smmu.translate({ sid: 1, iova: 0x1000 }))).toMatchObject({ name: 'F_WALK_EABT', s2: true, cls: 'CD' });
  });
});

describe('F_TRANSLATION', () => {
  for (const level of [0, 1, 2, 3]) {
    it(`invalid stage-1 descriptor at level ${level}`, () => {
      const r = rig();
      const iova = 0x7f_1234_5000;
      const p = s1(r, iova);
      p.setRaw(iova, level, 0n);
      expect(ev(r.smmu.translate({ sid: 1, iova }))).toMatchObject({ name: 'F_TRANSLATION', s2: false, cls: 'IN', level, ipa: null, inputAddr: BigInt(iova) });
    });
  }

  it('level-3 descriptor with type 0b01 is reserved', () => {
    const r = rig();
    const p = s1(r, 0x5000);
    p.setRaw(0x5000, 3, BigInt(DATA) | 0x441n);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 })).detail).toMatch(/reserved stage-1 level-3/);
  });

  it('block descriptors only where the granule allows them (4K: L1/L2; 16K: L2)', () => {
    const r = rig();
    const p = s1(r, 0x5000);
    p.setRaw(0x80_0000_0000, 0, BigInt(DATA) | 0x441n); // 4K level-0 block: not allowed
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x80_0000_0000 })).detail).toMatch(/block not allowed at level 0/);
    p.setRaw(0x4000_0000, 1, 0x80_4000_0000n | 0x441n); // 1 GiB block
    expectPa(r, { sid: 1, iova: 0x4000_0000 + 0x1234_5678 }, 0x80_4000_0000 + 0x1234_5678);
    const q = s1Table(r, 16384, 48);
    attachCd(r, 2, { asid: 2, ips: 48, tt0: { ttb: q.root, ias: 48, granule: 16384 } });
    q.setRaw(0x10_0000_0000, 1, 0x40_0000_0000n | 0x441n); // 16K level-1 block (64 GiB): needs DS
    expect(ev(r.smmu.translate({ sid: 2, iova: 0x10_0000_0000 })).detail).toMatch(/block not allowed at level 1/);
    q.setRaw(0x200_0000_0000, 2, 0x40_0200_0000n | 0x441n); // 32 MiB block
    expectPa(r, { sid: 2, iova: 0x200_0000_0000 + 0x1ff_fff0 }, 0x40_0200_0000 + 0x1ff_fff0);
  });

  it('EPD0 and input addresses outside the T0SZ range', () => {
    const r = rig();
    const p = s1Table(r);
    attachCd(r, 1, { asid: 1, ips: 48, tt0: null, tt1: tt0(p.root) });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x1000 })).detail).toMatch(/EPD0/);
    const q = s1Table(r);
    attachCd(r, 2, { asid: 2, ips: 48, tt0: { ttb: q.root, ias: 39, granule: 4096 } });
    expect(ev(r.smmu.translate({ sid: 2, iova: 2 ** 39 })).detail).toMatch(/outside the 39-bit TTB0 range/);
  });

  it('stage 2: IPA beyond S2T0SZ (IPA field set) and an invalid descriptor', () => {
    const r = rig();
    const p = s2Table(r, 4096, 40);
    p.map(0x1000, DATA, 0x1000);
    attachS2(r, 1, p);
    expect(ev(r.smmu.translate({ sid: 1, iova: 2 ** 40 + 0x10 }))).toMatchObject({ name: 'F_TRANSLATION', s2: true, cls: 'IN', ipa: 2 ** 40 + 0x10 });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x2000 }))).toMatchObject({ name: 'F_TRANSLATION', s2: true, ipa: 0x2000, level: 3 });
  });

  it('nested: stage-1 fault reports S2 = 0 / CLASS = IN, final stage-2 fault reports the IPA', () => {
    const n = nestedRig();
    n.s1.map(0x1000, DATA_IPA, 0x1000);
    expect(ev(n.r.smmu.translate({ sid: 1, iova: 0x2000 }))).toMatchObject({ name: 'F_TRANSLATION', s2: false, cls: 'IN' });
    expect(ev(n.r.smmu.translate({ sid: 1, iova: 0x1010 }))).toMatchObject({ name: 'F_TRANSLATION', s2: true, cls: 'IN', ipa: DATA_IPA + 0x10 });
  });
});

describe('F_ADDR_SIZE', () => {
  it('stage-1 leaf and table addresses above the effective IPS', () => {
    const r = rig();
    const p = s1Table(r);
    p.map(0x5000, 0x1_0000_0000, 0x1000);
    attachCd(r, 1, { asid: 1, ips: 32, tt0: tt0(p.root) });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 }))).toMatchObject({ name: 'F_ADDR_SIZE', s2: false, level: 3 });
    p.setRaw(0x80_0000_0000, 0, 0x1_0000_0000n | 3n);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x80_0000_0000 }))).toMatchObject({ name: 'F_ADDR_SIZE', level: 0 });
  });

  it('Arm priority: address size is checked before the access flag', () => {
    const r = rig();
    const p = s1Table(r);
    attachCd(r, 1, { asid: 1, ips: 32, tt0: tt0(p.root) });
    p.setRaw(0x5000, 3, 0x1_0000_0000n | 0x43n); // AF = 0 and out of range
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 })).name).toBe('F_ADDR_SIZE');
    p.setRaw(0x6000, 3, 0x1000_0000n | 0x43n); // AF = 0 only
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x6000 })).name).toBe('F_ACCESS');
  });

  it('stage-2 output above S2PS', () => {
    const r = rig();
    const p = s2Table(r, 4096, 32);
    p.map(0x5000, 0x1_0000_0000, 0x1000);
    attachS2(r, 1, p, 1, { ps: 32 });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 }))).toMatchObject({ name: 'F_ADDR_SIZE', s2: true, ipa: 0x5000 });
  });

  it('bypassed stage 1: input above the OAS (STE bypass) or the IAS (stage 2 only) is a stage-1 fault', () => {
    const r = rig();
    r.drv.writeSte(1, steBypass());
    const a = r.smmu.translate({ sid: 1, iova: 2 ** 48 });
    expect(ev(a)).toMatchObject({ name: 'F_ADDR_SIZE', s2: false, cls: 'IN', inputAddr: 2n ** 48n });
    expect(a.recorded).toBe(true);
    expect(r.smmu.translate({ sid: 1, iova: 2 ** 48 - 1 }).pa).toBe(2 ** 48 - 1);
    const p = s2Table(r);
    attachS2(r, 2, p);
    expect(ev(r.smmu.translate({ sid: 2, iova: 0xffff_0000_0000_0000n }))).toMatchObject({ name: 'F_ADDR_SIZE', s2: false });
  });
});

describe('F_ACCESS', () => {
  it('stage-1 AF = 0 faults unless CD.AFFD', () => {
    const r = rig();
    const p = s1Table(r);
    p.setRaw(0x5000, 3, BigInt(DATA) | 0x43n);
    attachCd(r, 1, { asid: 1, ips: 48, tt0: tt0(p.root) });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 }))).toMatchObject({ name: 'F_ACCESS', s2: false, level: 3 });
    attachCd(r, 2, { asid: 2, ips: 48, tt0: tt0(p.root), affd: true });
    expectPa(r, { sid: 2, iova: 0x5008 }, DATA + 8);
  });

  it('stage-2 AF = 0 faults unless STE.S2AFFD', () => {
    const r = rig();
    const p = s2Table(r);
    p.setRaw(0x5000, 3, BigInt(DATA) | 0xc3n);
    attachS2(r, 1, p);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 }))).toMatchObject({ name: 'F_ACCESS', s2: true, ipa: 0x5000 });
    attachS2(r, 2, p, 2, { affd: true });
    expectPa(r, { sid: 2, iova: 0x5008 }, DATA + 8);
  });
});

describe('F_PERMISSION', () => {
  it('stage-1 AP: read-only (AP[2]) and privileged-only (AP[1] = 0)', () => {
    const r = rig();
    s1(r, 0x5000, { write: false });
    expectPa(r, { sid: 1, iova: 0x5000 }, DATA);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000, write: true }))).toMatchObject({ name: 'F_PERMISSION', s2: false, rnw: false, cls: 'IN' });
    s1(r, 0x5000, { write: true, priv: true }, {}, 2);
    expect(ev(r.smmu.translate({ sid: 2, iova: 0x5000 }))).toMatchObject({ name: 'F_PERMISSION', pnu: false });
    expectPa(r, { sid: 2, iova: 0x5000, priv: true, write: true }, DATA);
  });

  it('hierarchical APTable[1] (read-only below) and APTable[0] (no EL0 below); CD.HAD ignores them', () => {
    const r = rig();
    const p = s1(r, 0x5000, { write: true });
    const l2 = p.entryAddr(0x5000, 2);
    r.mem.read64(l2);
    const { lo, hi } = r.mem;
    r.mem.write64(l2, lo, hi | (1 << 30)); // APTable[1]
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000, write: true })).name).toBe('F_PERMISSION');
    expectPa(r, { sid: 1, iova: 0x5000 }, DATA);
    r.mem.write64(l2, lo, hi | (3 << 29)); // APTable[0] and [1]
    r.smmu.flushCaches();
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 })).name).toBe('F_PERMISSION');
    expectPa(r, { sid: 1, iova: 0x5000, priv: true }, DATA);
    attachCd(r, 2, { asid: 2, ips: 48, tt0: tt0(p.root, true) });
    expectPa(r, { sid: 2, iova: 0x5000, write: true }, DATA);
  });

  it('execute: XN, UXN for EL0, PXN for EL1, no privileged execution of EL0-writable pages, WXN', () => {
    const r = rig();
    const p = s1(r, 0x5000, { exec: false });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000, instr: true }))).toMatchObject({ name: 'F_PERMISSION', ind: true });
    expectPa(r, { sid: 1, iova: 0x5000 }, DATA);
    p.setRaw(0x6000, 3, BigInt(DATA) | 0x4c3n | (1n << 54n)); // AP = 11 (RO, EL0), UXN
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x6000, instr: true })).name).toBe('F_PERMISSION');
    expectPa(r, { sid: 1, iova: 0x6000, instr: true, priv: true }, DATA);
    p.setRaw(0x7000, 3, BigInt(DATA) | 0x4c3n | (1n << 53n)); // PXN
    expectPa(r, { sid: 1, iova: 0x7000, instr: true }, DATA);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x7000, instr: true, priv: true })).name).toBe('F_PERMISSION');
    p.setRaw(0x8000, 3, BigInt(DATA) | 0x443n); // AP = 01: EL0 writable
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x8000, instr: true, priv: true })).name).toBe('F_PERMISSION');
    expectPa(r, { sid: 1, iova: 0x8000, instr: true }, DATA);
    p.setRaw(0x9000, 3, BigInt(DATA) | 0x403n); // AP = 00: EL1 RW only
    expectPa(r, { sid: 1, iova: 0x9000, instr: true, priv: true }, DATA);
    attachCd(r, 2, { asid: 2, ips: 48, tt0: tt0(p.root), wxn: true });
    expect(ev(r.smmu.translate({ sid: 2, iova: 0x9000, instr: true, priv: true })).name).toBe('F_PERMISSION');
  });

  it('instruction writes are data writes: InD is 0 in the record', () => {
    const r = rig();
    s1(r, 0x5000, { write: false, exec: false });
    const e = ev(r.smmu.translate({ sid: 1, iova: 0x5000, write: true, instr: true }));
    expect(e).toMatchObject({ rnw: false, ind: false });
  });

  it('PAN forbids privileged data access to EL0-accessible pages (not instruction fetch)', () => {
    const r = rig();
    const p = s1(r, 0x5000, { write: false }, { pan: true });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000, priv: true })).name).toBe('F_PERMISSION');
    expectPa(r, { sid: 1, iova: 0x5000 }, DATA);
    expectPa(r, { sid: 1, iova: 0x5000, priv: true, instr: true }, DATA);
    p.map(0x6000, DATA, 0x1000, { priv: true });
    expectPa(r, { sid: 1, iova: 0x6000, priv: true }, DATA);
  });

  it('STE.PRIVCFG / INSTCFG override the incoming attributes (and the record shows the result)', () => {
    const r = rig();
    const p = s1Table(r);
    p.map(0x5000, DATA, 0x1000, { priv: true, exec: false });
    const cdAddr = attachCd(r, 1, { asid: 1, ips: 48, tt0: tt0(p.root) }, { privCfg: 2 });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000, priv: true }))).toMatchObject({ name: 'F_PERMISSION', pnu: false });
    r.drv.writeSte(1, steS1({ cdTable: cdAddr, privCfg: 3 }));
    expectPa(r, { sid: 1, iova: 0x5000 }, DATA);
    r.drv.writeSte(1, steS1({ cdTable: cdAddr, privCfg: 3, instCfg: 3 }));
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5000 }))).toMatchObject({ name: 'F_PERMISSION', ind: true, pnu: true });
    expect(r.smmu.translate({ sid: 1, iova: 0x5000, write: true }).outcome).toBe('fault'); // read-only page
    r.drv.writeSte(1, steS1({ cdTable: cdAddr, privCfg: 3, instCfg: 2 }));
    expectPa(r, { sid: 1, iova: 0x5000, instr: true }, DATA);
  });

  it('stage 2: S2AP write-only and read-only pages, XN; the record carries the IPA', () => {
    const r = rig();
    const p = s2Table(r);
    p.map(0x5000, DATA, 0x1000, { read: false, write: true });
    p.map(0x6000, DATA, 0x1000, { read: true, write: false, exec: false });
    attachS2(r, 1, p);
    expectPa(r, { sid: 1, iova: 0x5008, write: true }, DATA + 8);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x5008 }))).toMatchObject({ name: 'F_PERMISSION', s2: true, cls: 'IN', ipa: 0x5008, rnw: true });
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x6000, write: true })).s2).toBe(true);
    expect(ev(r.smmu.translate({ sid: 1, iova: 0x6000, instr: true })).name).toBe('F_PERMISSION');
    expectPa(r, { sid: 1, iova: 0x6000 }, DATA);
  });

  it('nested: a stage-1 table page not readable at stage 2 (CLASS = TT, TTRnW = 1, IPA = descriptor address)', () => {
    const n = nestedRig();
    n.s1.map(0x1000, DATA_IPA, 0x1000);
    n.s2.map(DATA_IPA, DATA, 0x1000, { write: true });
    const leaf = n.s2.entryAddr(n.s1.root, 3);
    n.r.mem.read64(leaf);
    n.r.mem.write64(leaf, n.r.mem.lo & ~0xc0, n.r.mem.hi); // S2AP = 00
    const e = ev(n.r.smmu.translate({ sid: 1, iova: 0x1000, write: true }));
    expect(e).toMatchObject({ name: 'F_PERMISSION', s2: true, cls: 'TT', ttRnW: true, ipa: n.s1.root, rnw: false });
    const words = new DataView(encodeEvent(e).buffer);
    expect((words.getUint32(12, true) >>> 12) & 1).toBe(1);
  });
});

describe('record suppression (CD.R, STE.S2R) applies to translation-class faults only', () => {
  it('CD.R = 0 suppresses F_TRANSLATION / F_PERMISSION but the transaction still aborts', () => {
    const r = rig();
    s1(r, 0x5000, { write: false }, { record: false });
    const a = r.smmu.translate({ sid: 1, iova: 0x9000 });
    expect(ev(a).name).toBe('F_TRANSLATION');
    expect(a.recorded).toBe(false);
    const b = r.smmu.translate({ sid: 1, iova: 0x5000, write: true });
    expect(ev(b).name).toBe('F_PERMISSION');
    expect(b.recorded).toBe(false);
    expect(r.drv.readEvents()).toEqual([]);
  });

  it('STE.S2R = 0 suppresses stage-2 faults while CD.R = 1 still records stage-1 faults (nested)', () => {
    const n = nestedRig({ s2extra: { record: false } });
    n.s1.map(0x1000, DATA_IPA, 0x1000);
    const s2f = n.r.smmu.translate({ sid: 1, iova: 0x1000 });
    expect(ev(s2f)).toMatchObject({ name: 'F_TRANSLATION', s2: true });
    expect(s2f.recorded).toBe(false);
    const s1f = n.r.smmu.translate({ sid: 1, iova: 0x3000 });
    expect(ev(s1f)).toMatchObject({ name: 'F_TRANSLATION', s2: false });
    expect(s1f.recorded).toBe(true);
    expect(n.r.drv.readEvents().map((e) => e.s2)).toEqual([false]);
  });
});

describe('event queue records', () => {
  it('stage-2 F_PERMISSION record bytes', () => {
    const r = rig();
    const p = s2Table(r, 4096, 40);
    p.map(0x34_5678_9000, DATA, 0x1000, { write: false });
    attachS2(r, 5, p);
    r.smmu.translate({ sid: 5, iova: 0x34_5678_9abc, write: true, priv: true, instr: true });
    const got = r.mem.readBytes(r.drv.eventq.base, 32)!;
    const want = new Uint8Array(32);
    const dv = new DataView(want.buffer);
    dv.setUint32(0, 0x13, true); // F_PERMISSION, SSV = 0
    dv.setUint32(4, 5, true); // StreamID
    dv.setUint32(12, (1 << 1) | (1 << 7) | (2 << 8), true); // PnU, S2, CLASS = IN; write: RnW = InD = 0
    dv.setUint32(16, 0x5678_9abc, true); // InputAddr
    dv.setUint32(20, 0x34, true);
    dv.setUint32(24, 0x5678_9000, true); // IPA[51:12]
    dv.setUint32(28, 0x34, true);
    expect([...got]).toEqual([...want]);
  });

  it('F_WALK_EABT record: FetchAddr[51:3] in dw3, CLASS = TT, RnW = 1, SSV/SSID', () => {
    const r = rig();
    const table = r.alloc.alloc(64 * 4);
    const p = s1Table(r);
    p.map(0x5000, DATA, 0x1000);
    p.setRaw(0x5000, 1, BigInt(UNBACKED) | 3n);
    writeDwords(r.mem, table + 64 * 3, mkCd({ asid: 3, ips: 48, tt0: tt0(p.root) }));
    r.drv.writeSte(2, steS1({ cdTable: table, s1CdMax: 2, s1Dss: 0 }));
    r.smmu.translate({ sid: 2, ssv: true, ssid: 3, iova: 0x5010 });
    const dv = new DataView(r.mem.readBytes(r.drv.eventq.base, 32)!.buffer);
    expect(dv.getUint32(0, true)).toBe(0x0b | (1 << 11) | (3 << 12));
    expect(dv.getUint32(12, true)).toBe((1 << 3) | (1 << 8));
    expect(dv.getUint32(24, true)).toBe(UNBACKED % 2 ** 32);
    expect(dv.getUint32(28, true)).toBe(Math.floor(UNBACKED / 2 ** 32));
  });

  it('encode/decode round trip for every event produced above keeps the record fields', () => {
    const r = rig();
    const seen: SmmuEvent[] = [];
    const n = nestedRig({ smmu: { onEvent: (e) => seen.push(e) } });
    n.s1.map(0x1000, DATA_IPA, 0x1000);
    n.r.smmu.translate({ sid: 1, iova: 0x1000, write: true });
    n.r.smmu.translate({ sid: 1, iova: 0x3000, ssv: false });
    n.r.smmu.translate({ sid: 1, ssv: true, ssid: 9, iova: 0x3000 });
    n.r.smmu.translate({ sid: 300, iova: 0 });
    expect(seen.map((e) => e.name)).toEqual(['F_PERMISSION', 'F_TRANSLATION', 'C_BAD_SUBSTREAMID', 'C_BAD_STREAMID']);
    for (const e of seen) {
      const d = decodeEvent(encodeEvent(e));
      expect({ ...d, level: e.level, detail: e.detail }).toEqual(e);
    }
    expect(r.smmu.stats.eventsRecorded).toBe(0);
  });

  it('full queue: records are lost and EVENTQ_PROD.OVFLG toggles until acknowledged', () => {
    const r = rig({ driver: { eventqLog2: 1 } });
    r.drv.writeSte(1, steBypass());
    for (let i = 0; i < 3; i++) r.smmu.translate({ sid: 1, iova: 2 ** 50 + i });
    expect(r.smmu.stats.eventsRecorded).toBe(2);
    expect(r.smmu.stats.eventsLost).toBe(1);
    expect(r.smmu.mmioRead(REG.PAGE1 + REG.EVENTQ_PROD) >>> 31).toBe(1);
    const got = r.drv.readEvents();
    expect(got.map((e) => e.inputAddr)).toEqual([2n ** 50n, 2n ** 50n + 1n]);
    expect(r.smmu.mmioRead(REG.PAGE1 + REG.EVENTQ_CONS) >>> 31).toBe(1);
    r.smmu.translate({ sid: 1, iova: 2 ** 50 + 7 });
    expect(r.drv.readEvents().map((e) => e.inputAddr)).toEqual([2n ** 50n + 7n]);
  });

  it('queue disabled (EVENTQEN = 0): nothing recorded; unbacked queue memory raises GERROR.EVENTQ_ABT_ERR', () => {
    const r = rig();
    r.drv.writeSte(1, steBypass());
    r.smmu.mmioWrite(REG.CR0, CR0.SMMUEN | CR0.CMDQEN);
    expect(r.smmu.translate({ sid: 1, iova: 2 ** 50 }).recorded).toBe(false);
    const mem = new PhysMem();
    const smmu = new Smmu(mem);
    mem.writeU64(0x10000 + 64, steBypass()[0]!);
    smmu.mmioWrite(REG.STRTAB_BASE, 0x10000n, 8);
    smmu.mmioWrite(REG.STRTAB_BASE_CFG, 4);
    smmu.mmioWrite(REG.EVENTQ_BASE, BigInt(UNBACKED) | 4n, 8);
    smmu.mmioWrite(REG.CR0, CR0.SMMUEN | CR0.EVENTQEN);
    const res = smmu.translate({ sid: 1, iova: 2 ** 50 });
    expect(ev(res).name).toBe('F_ADDR_SIZE');
    expect(res.recorded).toBe(false);
    expect(smmu.activeGlobalErrors & GERROR.EVENTQ_ABT_ERR).toBe(GERROR.EVENTQ_ABT_ERR);
    expect(smmu.stats.eventsLost).toBe(1);
    expect(EVT.F_ADDR_SIZE).toBe(0x11);
  });

  it('a stage-2-only stream uses the stage-2 table for the IPA = input address', () => {
    const r = rig();
    const p = s2Table(r);
    p.map(0x1000, DATA, 0x1000, { write: true });
    r.drv.writeSte(3, steS2({ vmid: 3, ...p.s2, ps: 48 }));
    expect(expectPa(r, { sid: 3, iova: 0x1abc }, DATA + 0xabc).ipa).toBe(0x1abc);
  });
});
