/**
 * VMSAv8-64 translation table walks for one stage, in the fault order of the Arm pseudocode
 * (QEMU target/arm/ptw.c): descriptor fetch abort → invalid / reserved / block at a level that
 * forbids blocks (translation) → output address size → [table: next level] → access flag →
 * permission. Nested stage-1 walks translate every descriptor address through stage 2 as a
 * data read (CLASS = TT), so a stage-1 table spanning several stage-2 pages is handled.
 *
 * The walker keeps its outputs in fields instead of returning objects: a walk allocates
 * nothing.
 */
import { blockAllowed, type CdCfg, type S2Cfg, type TtCfg } from './config';
import type { PhysMem } from './physmem';
import { CLASS, EVT } from './regs';

const TWO32 = 4294967296;
/** POW2[k] = 2^k, INV2[k] = 2^-k (exact in doubles). */
export const POW2 = new Float64Array(64);
export const INV2 = new Float64Array(64);
for (let k = 0; k < 64; k++) {
  POW2[k] = 2 ** k;
  INV2[k] = 2 ** -k;
}

/**
 * Stage-1 permission bits kept per translation: bit0 AP[1] (EL0 access), bit1 AP[2]
 * (read-only), bit2 PXN, bit3 UXN — after APTable / PXNTable / UXNTable are applied.
 */
export const S1P = { USER: 1, RO: 2, PXN: 4, UXN: 8 } as const;
/** Stage-2 permission bits: bit0 S2AP[0] read, bit1 S2AP[1] write, bit2 XN. */
export const S2P = { R: 1, W: 2, XN: 4 } as const;

/**
 * Stage-1 access check for the EL1&0 regime (QPTW get_S1prot). Instruction fetches need only
 * execute permission; privileged execution of an EL0-writable page is never allowed (UWXN is
 * implied for VMSAv8-64); WXN makes writable pages non-executable; PAN forbids privileged
 * data access to EL0-accessible pages. `instr` is ignored for writes (writes are data).
 */
export function s1Permits(perm: number, write: boolean, priv: boolean, instr: boolean, pan: boolean, wxn: boolean): boolean {
  const user = (perm & S1P.USER) !== 0;
  const ro = (perm & S1P.RO) !== 0;
  if (instr && !write) {
    let writable: boolean;
    if (priv) {
      if ((perm & S1P.PXN) !== 0 || (user && !ro)) return false;
      writable = !ro;
    } else {
      if ((perm & S1P.UXN) !== 0) return false;
      writable = user && !ro;
    }
    return !(wxn && writable);
  }
  if (!priv) return user && (!write || !ro);
  if (pan && user) return false;
  return !write || !ro;
}

/** Stage-2 access check (S2AP, XN without FEAT_XNX). */
export function s2Permits(perm: number, write: boolean, instr: boolean): boolean {
  if (write) return (perm & S2P.W) !== 0;
  if (instr) return (perm & S2P.XN) === 0;
  return (perm & S2P.R) !== 0;
}

export class Walker {
  // Result of the last successful stage walk.
  /** Output address including the page offset. */
  oa = 0;
  /** log2 of the size of the page/block that translated. */
  shift = 0;
  perm = 0;
  /** Stage 1: the leaf had nG = 0. */
  global = false;

  // Fault description when a walk returns false.
  fCode = 0;
  fS2 = false;
  fCls = 0;
  fIpa = 0;
  fFetch = 0;
  fLevel = 0;
  fDetail = '';

  /** Descriptor reads performed (statistics). */
  reads = 0;

  constructor(
    readonly mem: PhysMem,
    /** Implemented PA size: a 64K level-1 block exists only with 52-bit PAs. */
    readonly oas: number,
  ) {}

  private fault(code: number, s2: boolean, cls: number, level: number, detail: string): false {
    this.fCode = code;
    this.fS2 = s2;
    this.fCls = cls;
    this.fLevel = level;
    this.fDetail = detail;
    return false;
  }

  /**
   * Stage-2 walk of `ipa`. `cls` says why (CD fetch, stage-1 table fetch, final IPA); table and
   * CD fetches are data reads.
   */
  s2(c: S2Cfg, ipa: number, cls: number, write: boolean, instr: boolean): boolean {
    this.fIpa = ipa;
    if (ipa >= POW2[c.inBits]!) return this.fault(EVT.F_TRANSLATION, true, cls, c.startLevel, 'IPA above the S2T0SZ input range');
    const g = c.g;
    const stride = g - 3;
    const gMask = -(1 << g);
    const lpa = g === 16 && c.outBits === 52;
    const outLimit = POW2[c.outBits]!;
    let level = c.startLevel;
    let width = c.startWidth;
    let base = Math.floor(c.ttb * INV2[width + 3]!) * POW2[width + 3]!;
    const mem = this.mem;
    for (;;) {
      const sh = g + (3 - level) * stride;
      const idx = Math.floor(ipa * INV2[sh]!) & (POW2[width]! - 1);
      const da = base + idx * 8;
      this.reads++;
      if (!mem.read64(da)) {
        this.fFetch = da;
        return this.fault(EVT.F_WALK_EABT, true, cls, level, `external abort reading the stage-2 level-${level} descriptor`);
      }
      const lo = mem.lo;
      const hi = mem.hi;
      if ((lo & 1) === 0) return this.fault(EVT.F_TRANSLATION, true, cls, level, `stage-2 level-${level} descriptor invalid`);
      let out = (hi & 0xffff) * TWO32 + ((lo & gMask) >>> 0);
      if (lpa) out += ((lo >>> 12) & 0xf) * POW2[48]!;
      if (level < 3 && (lo & 2) !== 0) {
        if (out >= outLimit) return this.fault(EVT.F_ADDR_SIZE, true, cls, level, `stage-2 level-${level} table address above ${c.outBits} bits`);
        base = out;
        level++;
        width = stride;
        continue;
      }
      if (level === 3 ? (lo & 2) === 0 : !blockAllowed(g, level, this.oas)) {
        return this.fault(EVT.F_TRANSLATION, true, cls, level, level === 3 ? 'reserved stage-2 level-3 descriptor' : `stage-2 block not allowed at level ${level}`);
      }
      const oa = sh === g ? out : Math.floor(out * INV2[sh]!) * POW2[sh]!;
      if (oa >= outLimit) return this.fault(EVT.F_ADDR_SIZE, true, cls, level, `stage-2 output address above ${c.outBits} bits`);
      if (!c.affd && (lo & 0x400) === 0) return this.fault(EVT.F_ACCESS, true, cls, level, 'stage-2 access flag is 0');
      const perm = ((lo >>> 6) & 3) | (((hi >>> 22) & 1) << 2);
      if (!s2Permits(perm, write, instr)) return this.fault(EVT.F_PERMISSION, true, cls, level, 'stage-2 permission');
      this.oa = oa + (ipa - Math.floor(ipa * INV2[sh]!) * POW2[sh]!);
      this.shift = sh;
      this.perm = perm;
      return true;
    }
  }

  /**
   * Stage-1 walk of `va` (address bits [47:0]; the caller has already selected the table and
   * range-checked the top bits). With `nest`, table addresses are IPAs translated through it.
   */
  s1(t: TtCfg, cd: CdCfg, va: number, nest: S2Cfg | null, write: boolean, priv: boolean, instr: boolean): boolean {
    const g = t.g;
    const stride = g - 3;
    const gMask = -(1 << g);
    const lpa = g === 16 && t.outBits === 52;
    const outLimit = POW2[t.outBits]!;
    let level = t.startLevel;
    let width = t.startWidth;
    let base = Math.floor(t.ttb * INV2[width + 3]!) * POW2[width + 3]!;
    let apTable = 0;
    let pxnTable = 0;
    let uxnTable = 0;
    const mem = this.mem;
    for (;;) {
      const sh = g + (3 - level) * stride;
      const idx = Math.floor(va * INV2[sh]!) & (POW2[width]! - 1);
      let da = base + idx * 8;
      if (nest !== null) {
        if (!this.s2(nest, da, CLASS.TT, false, false)) return false;
        da = this.oa;
      }
      this.reads++;
      if (!mem.read64(da)) {
        this.fFetch = da;
        return this.fault(EVT.F_WALK_EABT, false, CLASS.TT, level, `external abort reading the stage-1 level-${level} descriptor`);
      }
      const lo = mem.lo;
      const hi = mem.hi;
      if ((lo & 1) === 0) return this.fault(EVT.F_TRANSLATION, false, CLASS.IN, level, `stage-1 level-${level} descriptor invalid`);
      let out = (hi & 0xffff) * TWO32 + ((lo & gMask) >>> 0);
      if (lpa) out += ((lo >>> 12) & 0xf) * POW2[48]!;
      if (level < 3 && (lo & 2) !== 0) {
        if (out >= outLimit) return this.fault(EVT.F_ADDR_SIZE, false, CLASS.IN, level, `stage-1 level-${level} table address above ${t.outBits} bits`);
        if (!t.had) {
          apTable |= (hi >>> 29) & 3;
          pxnTable |= (hi >>> 27) & 1;
          uxnTable |= (hi >>> 28) & 1;
        }
        base = out;
        level++;
        width = stride;
        continue;
      }
      if (level === 3 ? (lo & 2) === 0 : !blockAllowed(g, level, this.oas)) {
        return this.fault(EVT.F_TRANSLATION, false, CLASS.IN, level, level === 3 ? 'reserved stage-1 level-3 descriptor' : `stage-1 block not allowed at level ${level}`);
      }
      const oa = sh === g ? out : Math.floor(out * INV2[sh]!) * POW2[sh]!;
      if (oa >= outLimit) return this.fault(EVT.F_ADDR_SIZE, false, CLASS.IN, level, `stage-1 output address above ${t.outBits} bits`);
      if (!cd.affd && (lo & 0x400) === 0) return this.fault(EVT.F_ACCESS, false, CLASS.IN, level, 'stage-1 access flag is 0');
      let perm = ((lo >>> 6) & 1) | (((lo >>> 7) & 1) << 1) | ((((hi >>> 21) & 1) | pxnTable) << 2) | ((((hi >>> 22) & 1) | uxnTable) << 3);
      if ((apTable & 1) !== 0) perm &= ~S1P.USER;
      if ((apTable & 2) !== 0) perm |= S1P.RO;
      if (!s1Permits(perm, write, priv, instr, cd.pan, cd.wxn)) return this.fault(EVT.F_PERMISSION, false, CLASS.IN, level, 'stage-1 permission');
      this.oa = oa + (va - Math.floor(va * INV2[sh]!) * POW2[sh]!);
      this.shift = sh;
      this.perm = perm;
      this.global = (lo & 0x800) === 0;
      return true;
    }
  }
}
