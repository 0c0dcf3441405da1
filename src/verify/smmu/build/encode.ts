/**
 * Encoders for the in-memory SMMUv3 structures, with the field values Linux's arm-smmu-v3
 * driver writes (arm_smmu_make_{abort,bypass,cdtable,s2_domain,nested_domain}_ste,
 * arm_smmu_make_s1_cd, arm_smmu_write_strtab_l1_desc, arm_smmu_cmdq_build_cmd).
 *
 * STEs and CDs are 8 little-endian dwords (bigint); commands are 2 dwords.
 */
import { paSizeCode } from '../regs';
import { CMD, SYNC_CS } from '../regs';

export type Dwords = bigint[];
export type Granule = 4096 | 16384 | 65536;

const M = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
function field(v: number | bigint, lsb: number, width: number): bigint {
  const b = BigInt(v);
  if (b < 0n || b > M(width)) throw new RangeError(`value 0x${b.toString(16)} does not fit in ${width} bits`);
  return b << BigInt(lsb);
}
function addrField(a: number | bigint, lsb: number, msb = 51): bigint {
  const b = BigInt(a);
  if (b < 0n || b >> BigInt(msb + 1) !== 0n) throw new RangeError(`address 0x${b.toString(16)} above bit ${msb}`);
  if ((b & M(lsb)) !== 0n) throw new RangeError(`address 0x${b.toString(16)} not aligned to 2^${lsb}`);
  return b;
}

/** TG0 / S2TG encoding of a granule. */
export function tg0(granule: Granule): number {
  return granule === 4096 ? 0 : granule === 65536 ? 1 : 2;
}
/** TG1 encoding (differs from TG0). */
export function tg1(granule: Granule): number {
  return granule === 16384 ? 1 : granule === 4096 ? 2 : 3;
}

// ------------------------------------------------------------------ STE

export interface SteCommon {
  /** STE.PRIVCFG / INSTCFG overrides (0 = use incoming). */
  privCfg?: 0 | 2 | 3;
  instCfg?: 0 | 2 | 3;
}

function steDw1Common(o: SteCommon): bigint {
  return field(o.privCfg ?? 0, 48, 2) | field(o.instCfg ?? 0, 50, 2);
}

export function steAbort(): Dwords {
  return [1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
}

export function steBypass(o: SteCommon = {}): Dwords {
  return [1n | field(4, 1, 3), steDw1Common(o), 0n, 0n, 0n, 0n, 0n, 0n];
}

export interface S1SteFields extends SteCommon {
  /** S1ContextPtr: address of the CD (or CD table / L1 CD table). */
  cdTable: number;
  /** 0 linear, 1 2-level with 4K leaves, 2 2-level with 64K leaves. */
  s1Fmt?: 0 | 1 | 2;
  /** log2 of the number of CDs; 0 = one CD, no substreams. */
  s1CdMax?: number;
  /** 0 terminate, 1 bypass, 2 use CD 0 (Linux default SSID0). */
  s1Dss?: 0 | 1 | 2;
  /** S2VMID tag for stage-1-only streams (Linux: 0). */
  vmid?: number;
}

export interface S2SteFields {
  vmid: number;
  ttb: number;
  t0sz: number;
  sl0: number;
  granule: Granule;
  /** Output size in bits (S2PS). */
  ps: number;
  affd?: boolean;
  /** S2R: record faults (Linux always sets it). */
  record?: boolean;
  /** Raw overrides for tests of illegal encodings. */
  aa64?: boolean;
  endi?: boolean;
  tgRaw?: number;
  psRaw?: number;
}

function s1Dw0(o: S1SteFields, config: number): bigint {
  return 1n | field(config, 1, 3) | field(o.s1Fmt ?? 0, 4, 2) | addrField(o.cdTable, 6) | field(o.s1CdMax ?? 0, 59, 5);
}
function s1Dw1(o: S1SteFields): bigint {
  // S1CIR/S1COR = WBRA, S1CSH = ISH, STRW = NS-EL1 (as Linux for a non-E2H SMMU).
  return field(o.s1Dss ?? 0, 0, 2) | field(1, 2, 2) | field(1, 4, 2) | field(3, 6, 2) | steDw1Common(o);
}
function s2Dw2(s: S2SteFields): bigint {
  return (
    field(s.vmid, 0, 16) |
    field(s.t0sz, 32, 6) |
    field(s.sl0, 38, 2) |
    field(1, 40, 2) | // S2IR0 WBWA
    field(1, 42, 2) | // S2OR0 WBWA
    field(3, 44, 2) | // S2SH0 ISH
    field(s.tgRaw ?? tg0(s.granule), 46, 2) |
    field(s.psRaw ?? paSizeCode(s.ps), 48, 3) |
    (s.aa64 === false ? 0n : 1n << 51n) |
    (s.endi ? 1n << 52n : 0n) |
    (s.affd ? 1n << 53n : 0n) |
    (s.record === false ? 0n : 1n << 58n)
  );
}

/** Stage-1-only STE pointing at a CD / CD table (Config 0b101). */
export function steS1(o: S1SteFields): Dwords {
  return [s1Dw0(o, 5), s1Dw1(o), field(o.vmid ?? 0, 0, 16), 0n, 0n, 0n, 0n, 0n];
}

/** Stage-2-only STE (Config 0b110). */
export function steS2(s: S2SteFields, o: SteCommon = {}): Dwords {
  return [1n | field(6, 1, 3), steDw1Common(o), s2Dw2(s), addrField(s.ttb, 4), 0n, 0n, 0n, 0n];
}

/** Nested STE (Config 0b111): guest stage-1 fields over a host stage-2 (cdTable is an IPA). */
export function steNested(s1: S1SteFields, s: S2SteFields): Dwords {
  return [s1Dw0(s1, 7), s1Dw1(s1), s2Dw2(s), addrField(s.ttb, 4), 0n, 0n, 0n, 0n];
}

// ------------------------------------------------------------------ CD

export interface TableFields {
  ttb: number;
  /** Input size in bits (TxSZ = 64 - ias). */
  ias: number;
  granule: Granule;
  had?: boolean;
}

export interface CdFields {
  asid: number;
  tt0?: TableFields | null;
  tt1?: TableFields | null;
  /** IPS in bits. */
  ips: number;
  tbi0?: boolean;
  tbi1?: boolean;
  affd?: boolean;
  wxn?: boolean;
  pan?: boolean;
  /** CD.R (Linux: 1). */
  record?: boolean;
  /** Linux's MAIR: NC, WBRWA, DEVICE_nGnRE, INC_OWBRWA. */
  mair?: bigint;
  /** Raw overrides for tests of illegal encodings. */
  valid?: boolean;
  aa64?: boolean;
  a?: boolean;
}

export const LINUX_MAIR = 0xf404ff44n;

export function cd(o: CdFields): Dwords {
  const t0 = o.tt0 ?? null;
  const t1 = o.tt1 ?? null;
  let dw0 =
    (t0 ? field(64 - t0.ias, 0, 6) | field(tg0(t0.granule), 6, 2) | field(1, 8, 2) | field(1, 10, 2) | field(3, 12, 2) : 1n << 14n) |
    (t1 ? field(64 - t1.ias, 16, 6) | field(tg1(t1.granule), 22, 2) | field(1, 24, 2) | field(1, 26, 2) | field(3, 28, 2) : 1n << 30n) |
    (o.valid === false ? 0n : 1n << 31n) |
    field(paSizeCode(o.ips), 32, 3) |
    (o.affd ? 1n << 35n : 0n) |
    (o.wxn ? 1n << 36n : 0n) |
    (o.tbi0 ? 1n << 38n : 0n) |
    (o.tbi1 ? 1n << 39n : 0n) |
    (o.pan ? 1n << 40n : 0n) |
    (o.aa64 === false ? 0n : 1n << 41n) |
    (o.record === false ? 0n : 1n << 45n) |
    (o.a === false ? 0n : 1n << 46n) |
    (1n << 47n) | // ASET: not shared with CPU TLB invalidation
    field(o.asid, 48, 16);
  dw0 = BigInt.asUintN(64, dw0);
  const dw1 = t0 ? addrField(t0.ttb, 4) | (t0.had ? 2n : 0n) : 0n;
  const dw2 = t1 ? addrField(t1.ttb, 4) | (t1.had ? 2n : 0n) : 0n;
  return [dw0, dw1, dw2, o.mair ?? LINUX_MAIR, 0n, 0n, 0n, 0n];
}

// ------------------------------------------------------------------ table descriptors

/** Level-1 stream table descriptor; Linux writes Span = SPLIT + 1. */
export function l1std(l2Ptr: number, span: number): bigint {
  return addrField(l2Ptr, 6) | field(span, 0, 5);
}

/** Level-1 CD descriptor. */
export function l1cd(l2Ptr: number, valid = true): bigint {
  return addrField(l2Ptr, 12) | (valid ? 1n : 0n);
}

export function writeDwords(mem: { writeU64(pa: number, v: bigint): void }, pa: number, d: readonly bigint[]): void {
  d.forEach((v, i) => mem.writeU64(pa + i * 8, v));
}

// ------------------------------------------------------------------ commands

export type Command = readonly [bigint, bigint];

export interface TlbiRange {
  /** Granule of the range (TG); omit for a single-address invalidation. */
  granule?: Granule;
  /** Pages = (num + 1) << scale. */
  num?: number;
  scale?: number;
  leaf?: boolean;
  /** Level hint (TTL), 0 = none. */
  ttl?: number;
}

function tlbiDw1(addr: number | bigint, r: TlbiRange): bigint {
  const a = BigInt.asUintN(64, BigInt(addr)) & ~0xfffn;
  const tg = r.granule === undefined ? 0 : r.granule === 4096 ? 1 : r.granule === 16384 ? 2 : 3;
  return a | field(tg, 10, 2) | field(r.ttl ?? 0, 8, 2) | (r.leaf ? 1n : 0n);
}
function rangeDw0(r: TlbiRange): bigint {
  return r.granule === undefined ? 0n : field(r.num ?? 0, 12, 5) | field(r.scale ?? 0, 20, 5);
}

export const cmd = {
  raw(op: number, dw0 = 0n, dw1 = 0n): Command {
    return [BigInt(op & 0xff) | (dw0 & ~0xffn), dw1];
  },
  prefetchConfig(sid: number): Command {
    return [BigInt(CMD.PREFETCH_CONFIG) | field(sid, 32, 32), 0n];
  },
  cfgiSte(sid: number, leaf = true): Command {
    return [BigInt(CMD.CFGI_STE) | field(sid, 32, 32), leaf ? 1n : 0n];
  },
  cfgiSteRange(sid: number, range: number): Command {
    return [BigInt(CMD.CFGI_STE_RANGE) | field(sid, 32, 32), field(range, 0, 5)];
  },
  cfgiAll(): Command {
    return [BigInt(CMD.CFGI_STE_RANGE), 31n];
  },
  cfgiCd(sid: number, ssid: number, leaf = true): Command {
    return [BigInt(CMD.CFGI_CD) | field(ssid, 12, 20) | field(sid, 32, 32), leaf ? 1n : 0n];
  },
  cfgiCdAll(sid: number): Command {
    return [BigInt(CMD.CFGI_CD_ALL) | field(sid, 32, 32), 0n];
  },
  tlbiNhAll(vmid: number): Command {
    return [BigInt(CMD.TLBI_NH_ALL) | field(vmid, 32, 16), 0n];
  },
  tlbiNhAsid(asid: number, vmid: number): Command {
    return [BigInt(CMD.TLBI_NH_ASID) | field(vmid, 32, 16) | field(asid, 48, 16), 0n];
  },
  tlbiNhVa(asid: number, vmid: number, addr: number | bigint, r: TlbiRange = {}): Command {
    return [BigInt(CMD.TLBI_NH_VA) | rangeDw0(r) | field(vmid, 32, 16) | field(asid, 48, 16), tlbiDw1(addr, r)];
  },
  tlbiNhVaa(vmid: number, addr: number | bigint, r: TlbiRange = {}): Command {
    return [BigInt(CMD.TLBI_NH_VAA) | rangeDw0(r) | field(vmid, 32, 16), tlbiDw1(addr, r)];
  },
  tlbiS12Vmall(vmid: number): Command {
    return [BigInt(CMD.TLBI_S12_VMALL) | field(vmid, 32, 16), 0n];
  },
  tlbiS2Ipa(vmid: number, ipa: number, r: TlbiRange = {}): Command {
    return [BigInt(CMD.TLBI_S2_IPA) | rangeDw0(r) | field(vmid, 32, 16), tlbiDw1(ipa, r)];
  },
  tlbiNsnhAll(): Command {
    return [BigInt(CMD.TLBI_NSNH_ALL), 0n];
  },
  /** CMD_SYNC; with msiAddr, completion writes msiData there (CS = SIG_IRQ), as Linux polls. */
  sync(msi?: { addr: number; data: number }): Command {
    if (msi === undefined) return [BigInt(CMD.SYNC), 0n];
    return [BigInt(CMD.SYNC) | field(SYNC_CS.IRQ, 12, 2) | field(3, 22, 2) | field(msi.data >>> 0, 32, 32), addrField(msi.addr, 2)];
  },
};
