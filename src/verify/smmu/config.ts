/**
 * STE and CD decoding with the validity rules of Arm IHI 0070 §5.2 / §5.4 (v3.1 behaviour:
 * out-of-range sizes and addresses are ILLEGAL → C_BAD_STE / C_BAD_CD), plus the VMSAv8-64
 * walk geometry shared with the page-table builder.
 *
 * Structures arrive as 16 little-endian u32 words: word k holds bits [32k+31 : 32k].
 */
import { granuleSupported, type SmmuFeatures } from './features';
import { PA_SIZE_BITS } from './regs';

const TWO32 = 4294967296;

// ---------------------------------------------------------------- geometry

/** log2(granule) for TG0 / S2TG encodings (0 4K, 1 64K, 2 16K). */
export const TG0_G: readonly (number | null)[] = [12, 16, 14, null];
/** log2(granule) for TG1 (0 reserved, 1 16K, 2 4K, 3 64K): a different encoding (trap). */
export const TG1_G: readonly (number | null)[] = [null, 14, 12, 16];

/** Lowest address bit that indexes the table at `level`. */
export function levelShift(g: number, level: number): number {
  return g + (3 - level) * (g - 3);
}

/** Stage-1 start level for an input size (Arm ARM; QEMU smmu_ptw_64_s1). */
export function s1StartLevel(g: number, inBits: number): number {
  return 4 - Math.floor((inBits - 4) / (g - 3));
}

/** Stage-2 start level for S2SL0, or null when the encoding is reserved / needs absent features. */
export function s2StartLevel(g: number, sl0: number): number | null {
  if (g === 12) return sl0 <= 2 ? 2 - sl0 : null;
  return sl0 <= 2 ? 3 - sl0 : null;
}

/**
 * Why an S2T0SZ/S2SL0/granule combination is inconsistent (Arm S2InconsistentSL, QPTW
 * check_s2_mmu_setup), or null when it is valid. `oas` is the implemented PA size.
 */
export function s2GeometryError(g: number, inBits: number, sl0: number, oas: number): string | null {
  const start = s2StartLevel(g, sl0);
  if (start === null) return `S2SL0=${sl0} is reserved for the ${2 ** (g - 10)}K granule`;
  if (g === 12 && start === 0 && oas <= 42) return 'S2SL0 selects level 0, which needs a PA size of at least 44 bits';
  if (g === 14 && start === 1 && oas <= 40) return 'S2SL0 selects level 1, which needs a PA size of at least 42 bits';
  if (g === 16 && start === 1 && oas <= 42) return 'S2SL0 selects level 1, which needs a PA size of at least 44 bits';
  const width = inBits - levelShift(g, start);
  if (width < 1 || width > g - 3 + 4) {
    return `S2T0SZ=${64 - inBits} is inconsistent with S2SL0=${sl0} (start-level index would be ${width} bits)`;
  }
  return null;
}

/** True when a block descriptor is allowed at `level` (QPTW lpae_block_desc_valid, no DS). */
export function blockAllowed(g: number, level: number, oas: number): boolean {
  if (level === 3) return false;
  if (g === 12) return level === 1 || level === 2;
  if (g === 14) return level === 2;
  return level === 2 || (level === 1 && oas === 52);
}

// ---------------------------------------------------------------- decoded forms

/** One stage-1 translation table (TTB0 or TTB1 of a CD). */
export interface TtCfg {
  ttb: number;
  inBits: number;
  g: number;
  startLevel: number;
  startWidth: number;
  /** Output address size of this table's walks (eff IPS, capped to 48 unless 64K). */
  outBits: number;
  /** Hierarchical attributes (APTable, PXNTable, UXNTable) ignored. */
  had: boolean;
  tbi: boolean;
  /** Masks (int32) over the input address halves for the bits that must equal VA[55]. */
  rangeHi: number;
  rangeLo: number;
}

export interface CdCfg {
  asid: number;
  tt0: TtCfg | null;
  tt1: TtCfg | null;
  affd: boolean;
  wxn: boolean;
  pan: boolean;
  /** CD.R: record stage-1 translation-class faults. */
  record: boolean;
  /** Raw words, kept for cache comparison. */
  words: Uint32Array;
}

export interface S2Cfg {
  vmid: number;
  ttb: number;
  inBits: number;
  g: number;
  startLevel: number;
  startWidth: number;
  outBits: number;
  affd: boolean;
  /** STE.S2R: record stage-2 translation-class faults. */
  record: boolean;
}

export type SteKind = 'abort' | 'bypass' | 'translate';

export interface SteCfg {
  kind: SteKind;
  s1: boolean;
  s2: boolean;
  ctxPtr: number;
  s1Fmt: number;
  s1CdMax: number;
  s1Dss: number;
  /** 0 incoming, 2 unprivileged, 3 privileged (1 behaves as 0). */
  privCfg: number;
  /** 0 incoming, 2 data, 3 instruction. */
  instCfg: number;
  /** VMID tag for TLB entries, -1 when translations are not VMID-tagged (no stage 2 implemented). */
  vmid: number;
  s2cfg: S2Cfg | null;
  words: Uint32Array;
}

/** A decode that failed: the structure is ILLEGAL (or invalid) for this reason. */
export interface Illegal {
  illegal: string;
}
export function isIllegal<T extends object>(x: T | Illegal): x is Illegal {
  return (x as Illegal).illegal !== undefined;
}

function addr(lo: number, hi: number, lowBit: number, hiBits = 20): number {
  const l = lowBit >= 32 ? 0 : (lo >>> lowBit) * 2 ** lowBit;
  return (hi & (2 ** hiBits - 1)) * TWO32 + l;
}

/** Bits [top:inBits] of an input address, as (hi, lo) masks. */
export function rangeMasks(inBits: number, tbi: boolean): { hi: number; lo: number } {
  const top = tbi ? 55 : 63;
  const lowHi = Math.max(inBits - 32, 0);
  const hi = 2 ** (top - 32 + 1) - 2 ** lowHi;
  const lo = inBits >= 32 ? 0 : TWO32 - 2 ** inBits;
  return { hi, lo };
}

function effSize(code: number, oas: number, g: number): number {
  // 56 (0b111) is reserved before v3.4 and behaves as 52; 52 needs the 64K granule (no DS).
  const bits = Math.min(PA_SIZE_BITS[code === 7 ? 6 : code]!, oas);
  return bits === 52 && g !== 16 ? 48 : bits;
}

// ---------------------------------------------------------------- STE

export function decodeSte(w: Uint32Array, f: SmmuFeatures): SteCfg | Illegal {
  const w0 = w[0]!;
  if ((w0 & 1) === 0) return { illegal: 'STE.V == 0' };
  const config = (w0 >>> 1) & 7;
  const base: SteCfg = {
    kind: 'abort',
    s1: false,
    s2: false,
    ctxPtr: 0,
    s1Fmt: 0,
    s1CdMax: 0,
    s1Dss: 0,
    privCfg: 0,
    instCfg: 0,
    vmid: -1,
    s2cfg: null,
    words: w.slice(0, 16),
  };
  // Config 0b0xx: reserved values behave as 0b000 (abort, no event).
  if ((config & 4) === 0) return base;
  const w3 = w[3]!;
  if (f.attrPermsOvr) {
    const p = (w3 >>> 16) & 3;
    const i = (w3 >>> 18) & 3;
    base.privCfg = p === 1 ? 0 : p;
    base.instCfg = i === 1 ? 0 : i;
  }
  if (config === 4) {
    base.kind = 'bypass';
    return base;
  }
  base.kind = 'translate';
  base.s1 = (config & 1) === 1;
  base.s2 = (config & 2) === 2;
  if (base.s1 && !f.s1p) return { illegal: 'STE.Config enables stage 1, which is not implemented' };
  if (base.s2 && !f.s2p) return { illegal: 'STE.Config enables stage 2, which is not implemented' };
  if (f.s2p) {
    const vmid = w[4]! & 0xffff;
    if (!f.vmid16 && vmid > 0xff) return { illegal: 'STE.S2VMID[15:8] != 0 with 8-bit VMIDs' };
    base.vmid = vmid;
  }
  if (base.s1) {
    const w1 = w[1]!;
    const w2 = w[2]!;
    base.ctxPtr = addr(w0, w1, 6, 24);
    if (!base.s2 && base.ctxPtr >= 2 ** f.oas) return { illegal: 'STE.S1ContextPtr is outside the OAS' };
    const fmt = (w0 >>> 4) & 3;
    base.s1Fmt = fmt === 3 ? 0 : fmt;
    base.s1CdMax = f.ssidBits === 0 ? 0 : w1 >>> 27;
    if (base.s1CdMax > f.ssidBits) return { illegal: `STE.S1CDMax=${base.s1CdMax} exceeds SSIDSIZE=${f.ssidBits}` };
    if (base.s1CdMax !== 0 && base.s1Fmt !== 0 && !f.cd2l) return { illegal: 'STE.S1Fmt selects a 2-level CD table, which is not implemented' };
    const dss = w2 & 3;
    base.s1Dss = dss === 3 ? 0 : dss;
    if (((w2 >>> 27) & 1) === 1) return { illegal: 'STE.S1STALLD == 1 but the stall model is not configurable' };
  }
  if (base.s2) {
    const s2 = decodeS2(w, f, base.vmid);
    if (isIllegal(s2)) return s2;
    base.s2cfg = s2;
  }
  return base;
}

function decodeS2(w: Uint32Array, f: SmmuFeatures, vmid: number): S2Cfg | Illegal {
  const w5 = w[5]!;
  const t0sz = w5 & 0x3f;
  const sl0 = (w5 >>> 6) & 3;
  const tg = (w5 >>> 14) & 3;
  const ps = (w5 >>> 16) & 7;
  const g = TG0_G[tg];
  if (g === null || g === undefined) return { illegal: 'STE.S2TG is reserved' };
  if (!granuleSupported(f, g)) return { illegal: `STE.S2TG selects the unsupported ${2 ** (g - 10)}K granule` };
  if (((w5 >>> 19) & 1) === 0) return { illegal: 'STE.S2AA64 == 0 selects VMSAv8-32, which is not implemented' };
  if (((w5 >>> 20) & 1) === 1) return { illegal: 'STE.S2ENDI == 1 but only little-endian tables are implemented' };
  if (((w5 >>> 23) & 3) !== 0) return { illegal: 'STE.S2HA/S2HD set but HTTU is not implemented' };
  if (((w5 >>> 25) & 1) === 1) return { illegal: 'STE.S2S == 1 but stalls are not supported' };
  const inBits = 64 - t0sz;
  if (t0sz > 39) return { illegal: `STE.S2T0SZ=${t0sz} is above the maximum 39` };
  const maxIn = g === 16 ? f.ias : Math.min(f.ias, 48);
  if (inBits > maxIn) return { illegal: `STE.S2T0SZ=${t0sz} gives a ${inBits}-bit IPA, above the ${maxIn}-bit limit` };
  const geo = s2GeometryError(g, inBits, sl0, f.oas);
  if (geo !== null) return { illegal: geo };
  const startLevel = s2StartLevel(g, sl0)!;
  const outBits = effSize(ps, f.oas, g);
  const ttb = addr(w[6]!, w[7]!, 4);
  if (ttb >= 2 ** outBits) return { illegal: `STE.S2TTB is outside the ${outBits}-bit effective S2PS` };
  return {
    vmid: vmid < 0 ? 0 : vmid,
    ttb,
    inBits,
    g,
    startLevel,
    startWidth: inBits - levelShift(g, startLevel),
    outBits,
    affd: ((w5 >>> 21) & 1) === 1,
    record: ((w5 >>> 26) & 1) === 1,
  };
}

// ---------------------------------------------------------------- CD

export function decodeCd(w: Uint32Array, f: SmmuFeatures): CdCfg | Illegal {
  const w0 = w[0]!;
  const w1 = w[1]!;
  if (((w0 >>> 31) & 1) === 0) return { illegal: 'CD.V == 0' };
  if (((w1 >>> 9) & 1) === 0) return { illegal: 'CD.AA64 == 0 selects VMSAv8-32, which is not implemented' };
  const epd0 = ((w0 >>> 14) & 1) === 1;
  const epd1 = ((w0 >>> 30) & 1) === 1;
  if (((w0 >>> 15) & 1) === 1 && !(epd0 && epd1)) return { illegal: 'CD.ENDI == 1 but only little-endian tables are implemented' };
  if (((w1 >>> 10) & 3) !== 0) return { illegal: 'CD.HA/HD set but HTTU is not implemented' };
  if (((w1 >>> 12) & 1) === 1) return { illegal: 'CD.S == 1 but stalls are not supported' };
  if (((w1 >>> 14) & 1) === 0) return { illegal: 'CD.A == 0 but TERM_MODEL requires abort termination' };
  const asid = w1 >>> 16;
  if (!f.asid16 && asid > 0xff) return { illegal: 'CD.ASID[15:8] != 0 with 8-bit ASIDs' };
  const ips = w1 & 7;
  const tbi0 = ((w1 >>> 6) & 1) === 1;
  const tbi1 = ((w1 >>> 7) & 1) === 1;
  let tt0: TtCfg | null = null;
  let tt1: TtCfg | null = null;
  if (!epd0) {
    const g = TG0_G[(w0 >>> 6) & 3];
    const r = tt('0', g ?? null, w0 & 0x3f, addr(w[2]!, w[3]!, 4), ((w[2]! >>> 1) & 1) === 1, tbi0, ips, f);
    if (isIllegal(r)) return r;
    tt0 = r;
  }
  if (!epd1) {
    const g = TG1_G[(w0 >>> 22) & 3];
    const r = tt('1', g ?? null, (w0 >>> 16) & 0x3f, addr(w[4]!, w[5]!, 4), ((w[4]! >>> 1) & 1) === 1, tbi1, ips, f);
    if (isIllegal(r)) return r;
    tt1 = r;
  }
  return {
    asid,
    tt0,
    tt1,
    affd: ((w1 >>> 3) & 1) === 1,
    wxn: ((w1 >>> 4) & 1) === 1,
    pan: ((w1 >>> 8) & 1) === 1,
    record: ((w1 >>> 13) & 1) === 1,
    words: w.slice(0, 16),
  };
}

function tt(
  n: string,
  g: number | null,
  tsz: number,
  ttb: number,
  had: boolean,
  tbi: boolean,
  ips: number,
  f: SmmuFeatures,
): TtCfg | Illegal {
  if (g === null) return { illegal: `CD.TG${n} is reserved` };
  if (!granuleSupported(f, g)) return { illegal: `CD.TG${n} selects the unsupported ${2 ** (g - 10)}K granule` };
  if (tsz < 16 || tsz > 39) return { illegal: `CD.T${n}SZ=${tsz} is outside 16..39` };
  const outBits = effSize(ips, f.oas, g);
  if (ttb >= 2 ** outBits) return { illegal: `CD.TTB${n} is outside the ${outBits}-bit effective IPS` };
  const inBits = 64 - tsz;
  const startLevel = s1StartLevel(g, inBits);
  const m = rangeMasks(inBits, tbi);
  return {
    ttb,
    inBits,
    g,
    startLevel,
    startWidth: inBits - levelShift(g, startLevel),
    outBits,
    had: had && f.had,
    tbi,
    // Stored as int32 so the hit path compares small integers.
    rangeHi: m.hi | 0,
    rangeLo: m.lo | 0,
  };
}

/** Reads 16 u32 words; false on external abort. */
export function readWords(
  mem: { read64(pa: number): boolean; lo: number; hi: number },
  pa: number,
  out: Uint32Array,
): boolean {
  for (let i = 0; i < 8; i++) {
    if (!mem.read64(pa + i * 8)) return false;
    out[2 * i] = mem.lo;
    out[2 * i + 1] = mem.hi;
  }
  return true;
}
