/**
 * Reference SMMUv3 model: the programming interface an OS driver sees (MMIO registers,
 * command queue consumer, event queue producer) and the translation of client transactions
 * (Arm IHI 0070 §3, §5, §7; algorithm in /work/shared/reference/smmuv3.md §7).
 *
 * Caching is architectural: decoded STEs/CDs stay in a configuration cache and successful
 * translations in an IOTLB until a CMD_CFGI_* / CMD_TLBI_* removes them, so a driver that
 * forgets an invalidation sees stale results exactly as on hardware. With `checkCaches`
 * every result that used a cache is compared with a fresh, uncached translation and any
 * difference is reported in `cacheMismatches`.
 */
import {
  type CdCfg,
  decodeCd,
  decodeSte,
  isIllegal,
  readWords,
  type S2Cfg,
  type SteCfg,
  type TtCfg,
} from './config';
import { encodeEventWords, makeEvent, type SmmuEvent, sameRecord } from './events';
import { idRegisters, resolveFeatures, type SmmuFeatureOptions, type SmmuFeatures } from './features';
import { ASID_GLOBAL, ASID_NONE, Iotlb, KIND_NESTED, KIND_S1, KIND_S2, type TlbEntry, VMID_NONE } from './iotlb';
import type { PhysMem } from './physmem';
import { CERROR, CLASS, CLASS_NAMES, CMD, CR0, CR2, EVT, GBPA, GERROR, REG, SYNC_CS } from './regs';
import { type Transaction, TranslationResult } from './result';
import { INV2, POW2, s1Permits, s2Permits, Walker } from './walk';

const TWO32 = 4294967296;
const TWO48 = 2 ** 48;

export interface SmmuOptions extends SmmuFeatureOptions {
  /** Keep successful translations in the IOTLB (default true). */
  iotlb?: boolean;
  /** IOTLB entries before a flush-all (default 65536). */
  iotlbCapacity?: number;
  /** Cache decoded STEs/CDs (default true). */
  configCache?: boolean;
  /** Compare every cached result with a fresh walk (default false). */
  checkCaches?: boolean;
  /** GBPA.ABORT value at reset (IMPLEMENTATION DEFINED; default false = bypass). */
  gbpaAbortAtReset?: boolean;
  /** Called for every fault, recorded or not. */
  onEvent?: (e: SmmuEvent, recorded: boolean) => void;
}

export interface CacheMismatch {
  sid: number;
  ssv: boolean;
  ssid: number;
  iova: bigint;
  write: boolean;
  priv: boolean;
  instr: boolean;
  cached: string;
  fresh: string;
}

export interface SmmuStats {
  translations: number;
  tlbHits: number;
  tlbMisses: number;
  walkReads: number;
  commands: number;
  syncs: number;
  eventsRecorded: number;
  eventsLost: number;
}

/** Decoded configuration cached for one StreamID. */
class SidEntry {
  readonly cds = new Map<number, CdCfg>();
  fast0: FastCtx | null = null;
  readonly fastSs = new Map<number, FastCtx>();
  constructor(readonly ste: SteCfg) {}
}

const FAST_BYPASS = 0;
const FAST_S1 = 1;
const FAST_S2 = 2;

/** Everything the IOTLB-hit path needs for one (StreamID, SubstreamID) context. */
class FastCtx {
  constructor(
    readonly kind: number,
    readonly privCfg: number,
    readonly instCfg: number,
    readonly cd: CdCfg | null,
    readonly tt0: TtCfg | null,
    readonly tt1: TtCfg | null,
    readonly vmidSlot: number,
    /** cd.asid for stage 1, ASID_NONE for stage 2 only. */
    readonly asidSlot: number,
    /** Inputs must have hi32 below this (IAS / OAS check for bypassed stage 1). */
    readonly inLimitHi: number,
    readonly reason: string,
  ) {}
}

/** Normalised transaction, reused between calls. */
class Txn {
  sid = 0;
  ssv = false;
  ssid = 0;
  hi = 0;
  lo = 0;
  write = false;
  /** Incoming attributes; `priv`/`instr` are the post-STE-override values of one pass. */
  priv0 = false;
  instr0 = false;
  priv = false;
  instr = false;
}

/** Outcome codes of substream selection (non-negative values are CD indexes). */
const CD_S1_BYPASS = -1;
const CD_STREAM_DISABLED = -2;
const CD_BAD_SUBSTREAM = -3;

function addrOf(lo: number, hi: number, lowBit: number, hiBits = 20): number {
  return (hi & (2 ** hiBits - 1)) * TWO32 + (lo >>> lowBit) * 2 ** lowBit;
}

function alignDown(a: number, shift: number): number {
  return Math.floor(a * INV2[shift]!) * POW2[shift]!;
}

export class Smmu {
  readonly features: SmmuFeatures;
  readonly stats: SmmuStats = {
    translations: 0,
    tlbHits: 0,
    tlbMisses: 0,
    walkReads: 0,
    commands: 0,
    syncs: 0,
    eventsRecorded: 0,
    eventsLost: 0,
  };
  readonly cacheMismatches: CacheMismatch[] = [];
  checkCaches: boolean;

  private readonly regs = new Uint32Array(0x1000 / 4);
  private readonly ids: { idr0: number; idr1: number; idr3: number; idr5: number };
  private readonly walker: Walker;
  private readonly tlb: Iotlb;
  private readonly tlbOn: boolean;
  private readonly cfgOn: boolean;
  private readonly cfg = new Map<number, SidEntry>();
  private lastSid = -1;
  private lastEntry: SidEntry | undefined = undefined;
  private readonly onEvent: ((e: SmmuEvent, recorded: boolean) => void) | undefined;
  private readonly txn = new Txn();
  private readonly res = new TranslationResult();
  private readonly freshRes = new TranslationResult();
  private readonly words = new Uint32Array(16);
  private readonly evWords = new Uint32Array(8);
  private inCmdq = false;
  private readonly oasLimit: number;
  private readonly oasLimitHi: number;

  constructor(
    readonly mem: PhysMem,
    opts: SmmuOptions = {},
  ) {
    this.features = resolveFeatures(opts);
    this.ids = idRegisters(this.features);
    this.walker = new Walker(mem, this.features.oas);
    this.tlbOn = opts.iotlb ?? true;
    this.cfgOn = opts.configCache ?? true;
    this.tlb = new Iotlb(opts.iotlbCapacity ?? 65536);
    this.checkCaches = opts.checkCaches ?? false;
    this.onEvent = opts.onEvent;
    this.oasLimit = POW2[this.features.oas]!;
    this.oasLimitHi = POW2[this.features.oas - 32]!;
    this.reset(opts.gbpaAbortAtReset ?? false);
  }

  /** Register state after reset: everything disabled, caches empty. */
  reset(gbpaAbort = false): void {
    this.regs.fill(0);
    this.regs[REG.GBPA >> 2] = (gbpaAbort ? GBPA.ABORT : 0) | (1 << 12);
    this.flushCaches();
  }

  /** Drops every cached configuration and translation (not an architectural operation). */
  flushCaches(): void {
    this.cfg.clear();
    this.lastSid = -1;
    this.lastEntry = undefined;
    this.tlb.clear();
  }

  // ------------------------------------------------------------ register interface

  private r(off: number): number {
    return this.regs[off >> 2]!;
  }
  private setR(off: number, v: number): void {
    this.regs[off >> 2] = v >>> 0;
  }
  get smmuEnabled(): boolean {
    return (this.r(REG.CR0) & CR0.SMMUEN) !== 0;
  }

  mmioRead(offset: number, size?: 4): number;
  mmioRead(offset: number, size: 8): bigint;
  mmioRead(offset: number, size: 4 | 8 = 4): number | bigint {
    if (size === 8) {
      const lo = this.read32(offset);
      const hi = this.read32(offset + 4);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return this.read32(offset);
  }

  private read32(offset: number): number {
    const off = offset >= REG.PAGE1 ? offset - REG.PAGE1 : offset;
    if (off < 0 || off >= 0x1000 || (off & 3) !== 0) return 0;
    switch (off) {
      case REG.IDR0:
        return this.ids.idr0;
      case REG.IDR1:
        return this.ids.idr1;
      case REG.IDR3:
        return this.ids.idr3;
      case REG.IDR5:
        return this.ids.idr5;
      case REG.AIDR:
        return 1; // SMMUv3.1
      case REG.IDR2:
      case REG.IDR4:
      case REG.IIDR:
      case REG.STATUSR:
        return 0;
      default:
        return this.r(off);
    }
  }

  mmioWrite(offset: number, value: number | bigint, size: 4 | 8 = 4): void {
    if (size === 8) {
      const v = BigInt.asUintN(64, BigInt(value));
      this.write32(offset, Number(v & 0xffffffffn));
      this.write32(offset + 4, Number(v >> 32n));
      return;
    }
    this.write32(offset, Number(BigInt.asUintN(32, BigInt(value))));
  }

  private write32(offset: number, v: number): void {
    const off = offset >= REG.PAGE1 ? offset - REG.PAGE1 : offset;
    if (off < 0 || off >= 0x1000 || (off & 3) !== 0) return;
    const cr0 = this.r(REG.CR0);
    switch (off) {
      case REG.CR0: {
        // PRIQEN and ATSCHK are RES0: no PRI queue, no ATS.
        const nv = v & (CR0.SMMUEN | CR0.EVENTQEN | CR0.CMDQEN);
        this.setR(REG.CR0, nv);
        this.setR(REG.CR0ACK, nv);
        if ((nv & CR0.CMDQEN) !== 0 && (cr0 & CR0.CMDQEN) === 0) this.processCmdq();
        return;
      }
      case REG.CR1:
        this.setR(off, v);
        return;
      case REG.CR2:
        this.setR(off, v & (CR2.RECINVSID | CR2.PTM));
        return;
      case REG.GBPA:
        if ((v & GBPA.UPDATE) !== 0) this.setR(off, v & ~GBPA.UPDATE & 0x001f3fff);
        return;
      case REG.IRQ_CTRL:
        this.setR(off, v & 7);
        this.setR(REG.IRQ_CTRLACK, v & 7);
        return;
      case REG.GERRORN: {
        const before = (this.r(REG.GERROR) ^ this.r(REG.GERRORN)) & GERROR.CMDQ_ERR;
        this.setR(off, v & 0x1fd);
        const after = (this.r(REG.GERROR) ^ this.r(REG.GERRORN)) & GERROR.CMDQ_ERR;
        if (before !== 0 && after === 0) this.processCmdq();
        return;
      }
      case REG.STRTAB_BASE:
      case REG.STRTAB_BASE + 4:
      case REG.STRTAB_BASE_CFG:
        // Guarded by SMMUEN: a write while enabled is ignored.
        if ((cr0 & CR0.SMMUEN) === 0) this.setR(off, off === REG.STRTAB_BASE_CFG ? v & 0x307ff : v);
        return;
      case REG.CMDQ_BASE:
      case REG.CMDQ_BASE + 4:
        if ((cr0 & CR0.CMDQEN) === 0) this.setR(off, v);
        return;
      case REG.CMDQ_PROD:
        this.setR(off, v & 0xfffff);
        this.processCmdq();
        return;
      case REG.CMDQ_CONS:
        if ((cr0 & CR0.CMDQEN) === 0) this.setR(off, v & 0x7f0fffff);
        return;
      case REG.EVENTQ_BASE:
      case REG.EVENTQ_BASE + 4:
        if ((cr0 & CR0.EVENTQEN) === 0) this.setR(off, v);
        return;
      case REG.EVENTQ_PROD:
        if ((cr0 & CR0.EVENTQEN) === 0) this.setR(off, v & 0x800fffff);
        return;
      case REG.EVENTQ_CONS:
        this.setR(off, v & 0x800fffff);
        return;
      case REG.GERROR_IRQ_CFG0:
      case REG.GERROR_IRQ_CFG0 + 4:
      case REG.GERROR_IRQ_CFG1:
      case REG.GERROR_IRQ_CFG2:
      case REG.EVENTQ_IRQ_CFG0:
      case REG.EVENTQ_IRQ_CFG0 + 4:
      case REG.EVENTQ_IRQ_CFG1:
      case REG.EVENTQ_IRQ_CFG2:
        this.setR(off, v);
        return;
      default:
        // ID registers, CR0ACK, GERROR, STATUSR and the PRI queue (not implemented) are
        // read-only or RES0.
        return;
    }
  }

  private gerrorRaise(bit: number): void {
    const g = this.r(REG.GERROR);
    const n = this.r(REG.GERRORN);
    this.setR(REG.GERROR, (g & ~bit) | ((n & bit) ^ bit));
  }

  /** GERROR bits whose error is active (GERROR ^ GERRORN). */
  get activeGlobalErrors(): number {
    return (this.r(REG.GERROR) ^ this.r(REG.GERRORN)) >>> 0;
  }

  // ------------------------------------------------------------ queues

  private queue(baseOff: number, entryShift: number, maxLog2: number): { base: number; log2: number } {
    const lo = this.r(baseOff);
    const hi = this.r(baseOff + 4);
    const log2 = Math.min(lo & 0x1f, maxLog2);
    const base = alignDown(addrOf(lo, hi, 5), Math.max(5, log2 + entryShift));
    return { base, log2 };
  }

  private processCmdq(): void {
    if (this.inCmdq) return;
    this.inCmdq = true;
    try {
      for (;;) {
        if ((this.r(REG.CR0) & CR0.CMDQEN) === 0) return;
        if ((this.activeGlobalErrors & GERROR.CMDQ_ERR) !== 0) return;
        const q = this.queue(REG.CMDQ_BASE, 4, this.features.cmdqLog2Max);
        const wrapMask = 2 ** (q.log2 + 1) - 1;
        const idxMask = 2 ** q.log2 - 1;
        const prod = this.r(REG.CMDQ_PROD) & wrapMask;
        const consReg = this.r(REG.CMDQ_CONS);
        const cons = consReg & wrapMask;
        if (prod === cons) return;
        const a = q.base + (cons & idxMask) * 16;
        const mem = this.mem;
        let ok = mem.read64(a);
        const w0lo = mem.lo;
        const w0hi = mem.hi;
        ok = ok && mem.read64(a + 8);
        if (!ok) {
          this.cmdqError(CERROR.ABT);
          return;
        }
        if (!this.execCommand(w0lo, w0hi, mem.lo, mem.hi)) {
          this.cmdqError(CERROR.ILL);
          return;
        }
        this.stats.commands++;
        this.setR(REG.CMDQ_CONS, (consReg & 0x7f000000) | ((cons + 1) & wrapMask));
      }
    } finally {
      this.inCmdq = false;
    }
  }

  private cmdqError(code: number): void {
    this.setR(REG.CMDQ_CONS, (this.r(REG.CMDQ_CONS) & 0x00ffffff) | (code << 24));
    this.gerrorRaise(GERROR.CMDQ_ERR);
  }

  /** Executes one command; false = CERROR_ILL. */
  private execCommand(w0lo: number, w0hi: number, w1lo: number, w1hi: number): boolean {
    const op = w0lo & 0xff;
    const f = this.features;
    const ssec = ((w0lo >>> 10) & 1) === 1;
    switch (op) {
      case CMD.PREFETCH_CONFIG:
      case CMD.PREFETCH_ADDR:
        return !ssec;
      case CMD.CFGI_STE:
        if (ssec) return false;
        this.invalidateSids(w0hi, 1);
        return true;
      case CMD.CFGI_STE_RANGE: {
        if (ssec) return false;
        const range = w1lo & 0x1f;
        if (range === 31) {
          this.cfg.clear();
          this.lastSid = -1;
          this.lastEntry = undefined;
        } else {
          const n = 2 ** (range + 1);
          this.invalidateSids(Math.floor(w0hi / n) * n, n);
        }
        return true;
      }
      case CMD.CFGI_CD:
      case CMD.CFGI_CD_ALL: {
        if (ssec || !f.s1p) return false;
        const e = this.cfg.get(w0hi);
        if (e !== undefined) {
          if (op === CMD.CFGI_CD) e.cds.delete((w0lo >>> 12) & 0xfffff);
          else e.cds.clear();
          e.fast0 = null;
          e.fastSs.clear();
        }
        return true;
      }
      case CMD.TLBI_NH_ALL: {
        const vm = this.vmidSlotOf(w0hi & 0xffff);
        const t = this.tlb;
        t.invalidate((i) => t.kind[i] !== KIND_S2 && t.vmid[i] === vm);
        return true;
      }
      case CMD.TLBI_NH_ASID: {
        const vm = this.vmidSlotOf(w0hi & 0xffff);
        const asid = w0hi >>> 16;
        const t = this.tlb;
        t.invalidate((i) => t.kind[i] !== KIND_S2 && t.vmid[i] === vm && t.asid[i] === asid);
        return true;
      }
      case CMD.TLBI_NH_VA:
      case CMD.TLBI_NH_VAA: {
        const vm = this.vmidSlotOf(w0hi & 0xffff);
        const asid = w0hi >>> 16;
        const sel = (w1hi >>> 23) & 1;
        const start = sel * TWO48 + (w1hi & 0xffff) * TWO32 + ((w1lo & 0xfffff000) >>> 0);
        const span = this.tlbiSpan(w0lo, w1lo);
        const anyAsid = op === CMD.TLBI_NH_VAA;
        const t = this.tlb;
        t.invalidate(
          (i) =>
            t.kind[i] !== KIND_S2 &&
            t.vmid[i] === vm &&
            (anyAsid || t.asid[i] === asid || t.asid[i] === ASID_GLOBAL) &&
            t.overlaps(i, start, span),
        );
        return true;
      }
      case CMD.TLBI_S12_VMALL: {
        if (!f.s2p) return false;
        const vm = w0hi & 0xffff;
        const t = this.tlb;
        t.invalidate((i) => t.vmid[i] === vm);
        return true;
      }
      case CMD.TLBI_S2_IPA: {
        if (!f.s2p) return false;
        const vm = w0hi & 0xffff;
        const start = (w1hi & 0xfffff) * TWO32 + ((w1lo & 0xfffff000) >>> 0);
        const span = this.tlbiSpan(w0lo, w1lo);
        // Architecture: only stage-2-only entries; combined S1+S2 entries survive.
        const t = this.tlb;
        t.invalidate((i) => t.kind[i] === KIND_S2 && t.vmid[i] === vm && t.overlaps(i, start, span));
        return true;
      }
      case CMD.TLBI_NSNH_ALL:
        this.tlb.clear();
        return true;
      case CMD.SYNC: {
        this.stats.syncs++;
        const cs = (w0lo >>> 12) & 3;
        if (cs === SYNC_CS.IRQ && f.msi) {
          const msiAddr = addrOf(w1lo, w1hi, 2);
          if (msiAddr !== 0 && !this.mem.tryWrite32(msiAddr, w0hi)) this.gerrorRaise(GERROR.MSI_CMDQ_ABT_ERR);
        }
        return cs !== 3;
      }
      default:
        // EL2/EL3 TLBIs (no HYP, no Secure), ATC_INV (no ATS), PRI_RESP (no PRI),
        // RESUME/STALL_TERM (no stalls) and reserved opcodes.
        return false;
    }
  }

  private vmidSlotOf(vmid: number): number {
    return this.features.s2p ? vmid : VMID_NONE;
  }

  /** Bytes covered by a TLBI by address: one address, or a range with IDR3.RIL. */
  private tlbiSpan(w0lo: number, w1lo: number): number {
    const tg = (w1lo >>> 10) & 3;
    if (tg === 0 || !this.features.ril) return 1;
    const num = (w0lo >>> 12) & 0x1f;
    const scale = (w0lo >>> 20) & 0x1f;
    return (num + 1) * 2 ** scale * 2 ** (tg * 2 + 10);
  }

  private invalidateSids(first: number, count: number): void {
    if (count === 1) this.cfg.delete(first);
    else for (const sid of [...this.cfg.keys()]) if (sid >= first && sid < first + count) this.cfg.delete(sid);
    this.lastSid = -1;
    this.lastEntry = undefined;
  }

  /** Writes an event record; false when it could not be written (disabled, full, abort). */
  private writeEvent(e: SmmuEvent): boolean {
    if ((this.r(REG.CR0) & CR0.EVENTQEN) === 0) return false;
    const q = this.queue(REG.EVENTQ_BASE, 5, this.features.eventqLog2Max);
    const wrapMask = 2 ** (q.log2 + 1) - 1;
    const idxMask = 2 ** q.log2 - 1;
    const prodReg = this.r(REG.EVENTQ_PROD);
    const consReg = this.r(REG.EVENTQ_CONS);
    const p = prodReg & wrapMask;
    const c = consReg & wrapMask;
    if ((p & idxMask) === (c & idxMask) && p !== c) {
      // Full: the record is lost; signal overflow until software acknowledges it.
      if (prodReg >>> 31 === consReg >>> 31) this.setR(REG.EVENTQ_PROD, prodReg ^ 0x80000000);
      this.stats.eventsLost++;
      return false;
    }
    const a = q.base + (p & idxMask) * 32;
    const w = encodeEventWords(e, this.evWords);
    for (let i = 0; i < 4; i++) {
      if (!this.mem.tryWrite64(a + i * 8, w[2 * i]!, w[2 * i + 1]!)) {
        this.gerrorRaise(GERROR.EVENTQ_ABT_ERR);
        this.stats.eventsLost++;
        return false;
      }
    }
    this.setR(REG.EVENTQ_PROD, (prodReg & 0x80000000) | ((p + 1) & wrapMask));
    this.stats.eventsRecorded++;
    return true;
  }

  // ------------------------------------------------------------ translation

  /**
   * Translates one client transaction. The returned object is reused by the next call
   * unless `out` is given.
   */
  translate(t: Transaction, out?: TranslationResult): TranslationResult {
    this.load(t);
    return this.run(out ?? this.res);
  }

  private load(t: Transaction): void {
    const x = this.txn;
    x.sid = t.sid >>> 0;
    x.ssv = t.ssv === true;
    x.ssid = x.ssv ? (t.ssid ?? 0) & 0xfffff : 0;
    const iova = t.iova;
    if (typeof iova === 'number') {
      if (!(iova >= 0 && iova < 2 ** 53) || !Number.isInteger(iova)) throw new RangeError(`iova ${iova} is not an integer in [0, 2^53)`);
      x.hi = Math.floor(iova / TWO32);
      x.lo = iova >>> 0;
    } else {
      const v = BigInt.asUintN(64, iova);
      x.hi = Number(v >> 32n);
      x.lo = Number(v & 0xffffffffn);
    }
    x.write = t.write === true;
    x.priv0 = t.priv === true;
    x.instr0 = t.instr === true;
  }

  /**
   * Allocation-free entry point: the address as two u32 halves, flags bit0 write, bit1
   * privileged, bit2 instruction. ssid < 0 means no SubstreamID.
   */
  translateHL(sid: number, ssid: number, hi: number, lo: number, flags: number, out?: TranslationResult): TranslationResult {
    const x = this.txn;
    x.sid = sid >>> 0;
    x.ssv = ssid >= 0;
    x.ssid = x.ssv ? ssid & 0xfffff : 0;
    x.hi = hi >>> 0;
    x.lo = lo >>> 0;
    x.write = (flags & 1) !== 0;
    x.priv0 = (flags & 2) !== 0;
    x.instr0 = (flags & 4) !== 0;
    return this.run(out ?? this.res);
  }

  /**
   * What a fresh walk says now, ignoring and not touching caches or the event queue.
   * Returns a new object.
   */
  probe(t: Transaction): TranslationResult {
    this.load(t);
    const r = new TranslationResult();
    const reads = this.stats.walkReads;
    this.core(this.txn, r, false);
    this.stats.walkReads = reads;
    return r;
  }

  private run(res: TranslationResult): TranslationResult {
    const x = this.txn;
    this.stats.translations++;
    if (!this.fastPath(x, res)) this.core(x, res, true);
    if (this.checkCaches && res.usedCache) this.compareFresh(x, res);
    return res;
  }

  private compareFresh(x: Txn, res: TranslationResult): void {
    const fresh = this.freshRes;
    const reads = this.stats.walkReads;
    this.core(x, fresh, false);
    // The check is not part of the modelled SMMU's work.
    this.stats.walkReads = reads;
    let same = fresh.outcome === res.outcome;
    if (same && (res.outcome === 'translated' || res.outcome === 'bypass')) same = fresh.pa === res.pa;
    if (same && res.outcome === 'fault') same = res.event !== null && fresh.event !== null && sameRecord(res.event, fresh.event);
    if (!same) {
      this.cacheMismatches.push({
        sid: x.sid,
        ssv: x.ssv,
        ssid: x.ssid,
        iova: (BigInt(x.hi) << 32n) | BigInt(x.lo),
        write: x.write,
        priv: x.priv0,
        instr: x.instr0,
        cached: res.toString(),
        fresh: fresh.toString(),
      });
    }
  }

  private fastPath(x: Txn, res: TranslationResult): boolean {
    if ((this.regs[REG.CR0 >> 2]! & CR0.SMMUEN) === 0) return false;
    const e = x.sid === this.lastSid ? this.lastEntry : this.cfg.get(x.sid);
    if (e === undefined) return false;
    const fc = x.ssv ? e.fastSs.get(x.ssid) : e.fast0;
    if (fc === undefined || fc === null) return false;
    this.lastSid = x.sid;
    this.lastEntry = e;
    const write = x.write;
    let priv = x.priv0;
    let instr = x.instr0 && !write;
    if (fc.privCfg >= 2) priv = fc.privCfg === 3;
    if (fc.instCfg >= 2 && !write) instr = fc.instCfg === 3;
    const hi = x.hi;
    const lo = x.lo;
    if (fc.kind === FAST_S1) {
      const sel = (hi >>> 23) & 1;
      const tt = sel === 1 ? fc.tt1 : fc.tt0;
      if (tt === null) return false;
      if ((hi & tt.rangeHi) !== (sel === 1 ? tt.rangeHi : 0)) return false;
      if ((lo & tt.rangeLo) !== (sel === 1 ? tt.rangeLo : 0)) return false;
      const key = sel * TWO48 + (hi & 0xffff) * TWO32 + lo;
      const t = this.tlb;
      let en = t.lookup(fc.vmidSlot, fc.asidSlot, key);
      if (en < 0) en = t.lookup(fc.vmidSlot, ASID_GLOBAL, key);
      if (en < 0) return false;
      const cd = fc.cd!;
      const p1 = t.s1Perm[en]!;
      const p2 = t.s2Perm[en]!;
      if (!s1Permits(p1, write, priv, instr, cd.pan, cd.wxn)) return false;
      if (p2 >= 0 && !s2Permits(p2, write, instr)) return false;
      const off = key - t.vaBase[en]!;
      this.hit(res, t.paBase[en]! + off, t.ipaBase[en]! + off, t.shift[en]!, p1, p2);
      return true;
    }
    if (hi >= fc.inLimitHi) return false;
    const key = hi * TWO32 + lo;
    if (fc.kind === FAST_S2) {
      const t = this.tlb;
      const en = t.lookup(fc.vmidSlot, ASID_NONE, key);
      if (en < 0) return false;
      const p2 = t.s2Perm[en]!;
      if (!s2Permits(p2, write, instr)) return false;
      this.hit(res, t.paBase[en]! + (key - t.vaBase[en]!), key, t.shift[en]!, -1, p2);
      return true;
    }
    res.reset();
    res.outcome = 'bypass';
    res.pa = key;
    res.usedCache = true;
    res.reason = fc.reason;
    return true;
  }

  /** Fills every result field once (the hit path skips reset()). */
  private hit(res: TranslationResult, pa: number, ipa: number, shift: number, p1: number, p2: number): void {
    res.outcome = 'translated';
    res.pa = pa;
    res.ipa = ipa;
    res.pageShift = shift;
    res.s1Perm = p1;
    res.s2Perm = p2;
    res.event = null;
    res.recorded = false;
    res.fromTlb = true;
    res.usedCache = true;
    res.reason = '';
    this.stats.tlbHits++;
  }

  /** The full translation; `cached` = consult and fill caches and record events. */
  private core(x: Txn, res: TranslationResult, cached: boolean): void {
    res.reset();
    x.priv = x.priv0;
    x.instr = x.instr0 && !x.write;
    if ((this.r(REG.CR0) & CR0.SMMUEN) === 0) {
      if ((this.r(REG.GBPA) & GBPA.ABORT) !== 0) {
        res.reason = 'SMMU disabled, GBPA.ABORT';
        return;
      }
      if (x.hi >= this.oasLimitHi) {
        res.reason = 'SMMU disabled, address above OAS';
        return;
      }
      res.outcome = 'bypass';
      res.pa = x.hi * TWO32 + x.lo;
      res.reason = 'SMMU disabled (GBPA bypass)';
      return;
    }

    // Stream table.
    let entry = cached && this.cfgOn ? (x.sid === this.lastSid ? this.lastEntry : this.cfg.get(x.sid)) : undefined;
    let ste: SteCfg;
    if (entry !== undefined) {
      ste = entry.ste;
      res.usedCache = true;
    } else {
      const r = this.fetchSte(x);
      if (!('kind' in r)) {
        const rec = r.code !== EVT.C_BAD_STREAMID || (this.r(REG.CR2) & CR2.RECINVSID) !== 0;
        this.fault(res, r, rec, cached);
        return;
      }
      ste = r;
      if (cached && this.cfgOn) {
        entry = new SidEntry(ste);
        this.cfg.set(x.sid, entry);
      }
    }
    if (entry !== undefined) {
      this.lastSid = x.sid;
      this.lastEntry = entry;
    }
    if (ste.kind === 'abort') {
      res.reason = 'STE.Config = abort';
      return;
    }
    if (ste.privCfg >= 2) x.priv = ste.privCfg === 3;
    if (!x.write && ste.instCfg >= 2) x.instr = ste.instCfg === 3;

    // Substream → CD index.
    let cdIndex = CD_S1_BYPASS;
    if (!ste.s1) {
      if (x.ssv) cdIndex = CD_BAD_SUBSTREAM;
    } else cdIndex = this.selectCd(ste, x);
    if (cdIndex === CD_BAD_SUBSTREAM) {
      this.fault(res, this.cfgEvent(EVT.C_BAD_SUBSTREAMID, x, x.ssid, 'SubstreamID not accepted by this STE'), true, cached);
      return;
    }
    if (cdIndex === CD_STREAM_DISABLED) {
      const why = x.ssv ? 'SubstreamID 0 is reserved (S1DSS = SSID0)' : 'transaction without SubstreamID and S1DSS = terminate';
      this.fault(res, this.cfgEvent(EVT.F_STREAM_DISABLED, x, x.ssid, why), true, cached);
      return;
    }

    if (ste.kind === 'bypass' || cdIndex === CD_S1_BYPASS) {
      this.bypassStage1(x, res, ste, entry, cached);
      return;
    }

    // Context descriptor.
    let cd = entry?.cds.get(cdIndex);
    if (cd !== undefined) res.usedCache = true;
    else {
      const r = this.fetchCd(ste, cdIndex, x);
      if (!('asid' in r)) {
        this.fault(res, r, this.recordFlag(r, ste, null), cached);
        return;
      }
      cd = r;
      if (entry !== undefined) entry.cds.set(cdIndex, cd);
    }

    // Stage 1 table selection and input range check (§3.4.1).
    const sel = (x.hi >>> 23) & 1;
    const tt = sel === 1 ? cd.tt1 : cd.tt0;
    if (tt === null) {
      this.fault(res, this.walkEvent(EVT.F_TRANSLATION, x, false, CLASS.IN, null, null, 0, `TTB${sel} walks disabled (EPD${sel})`), cd.record, cached);
      return;
    }
    if ((x.hi & tt.rangeHi) !== (sel === 1 ? tt.rangeHi : 0) || (x.lo & tt.rangeLo) !== (sel === 1 ? tt.rangeLo : 0)) {
      const why = `address outside the ${tt.inBits}-bit TTB${sel} range${tt.tbi ? ' (TBI)' : ''}`;
      this.fault(res, this.walkEvent(EVT.F_TRANSLATION, x, false, CLASS.IN, null, null, 0, why), cd.record, cached);
      return;
    }
    const va = (x.hi & 0xffff) * TWO32 + x.lo;
    const key = sel * TWO48 + va;
    const s2 = ste.s2cfg;
    const vmSlot = ste.vmid < 0 ? VMID_NONE : ste.vmid;
    if (cached && this.tlbOn) {
      let en = this.tlb.lookup(vmSlot, cd.asid, key);
      if (en < 0) en = this.tlb.lookup(vmSlot, ASID_GLOBAL, key);
      if (en >= 0) {
        this.stats.tlbHits++;
        this.fromEntry(x, res, en, key, cd, s2, cached);
        if (res.ok) this.makeFast(entry, x, FAST_S1, ste, cd, vmSlot, cd.asid, 0, '');
        return;
      }
      this.stats.tlbMisses++;
    }
    const w = this.walker;
    const r0 = w.reads;
    const ok1 = w.s1(tt, cd, va, s2, x.write, x.priv, x.instr);
    if (!ok1) {
      this.stats.walkReads += w.reads - r0;
      this.walkFault(x, res, ste, cd, cached);
      return;
    }
    const ipa = w.oa;
    const s1Shift = w.shift;
    const s1Perm = w.perm;
    const global = w.global;
    let pa = ipa;
    let shift = s1Shift;
    let s2Perm = -1;
    if (s2 !== null) {
      if (!w.s2(s2, ipa, CLASS.IN, x.write, x.instr)) {
        this.stats.walkReads += w.reads - r0;
        this.walkFault(x, res, ste, cd, cached);
        return;
      }
      pa = w.oa;
      s2Perm = w.perm;
      if (w.shift < shift) shift = w.shift;
    }
    this.stats.walkReads += w.reads - r0;
    res.outcome = 'translated';
    res.pa = pa;
    res.ipa = ipa;
    res.pageShift = shift;
    res.s1Perm = s1Perm;
    res.s2Perm = s2Perm;
    if (cached && this.tlbOn) {
      const base = alignDown(key, shift);
      const off = key - base;
      const asidSlot = global ? ASID_GLOBAL : cd.asid;
      this.tlb.insert(vmSlot, asidSlot, base, shift, pa - off, ipa - off, s1Perm, s2Perm, s2 === null ? KIND_S1 : KIND_NESTED);
      this.makeFast(entry, x, FAST_S1, ste, cd, vmSlot, cd.asid, 0, '');
    }
  }

  /** STE bypass, or stage 1 bypassed (Config 0b110, S1DSS = bypass): §3.4 address checks. */
  private bypassStage1(x: Txn, res: TranslationResult, ste: SteCfg, entry: SidEntry | undefined, cached: boolean): void {
    // IAS = OAS here (no VMSAv8-32), so one limit serves both the bypass and the S1-bypass checks.
    if (x.hi >= this.oasLimitHi) {
      this.fault(res, this.walkEvent(EVT.F_ADDR_SIZE, x, false, CLASS.IN, null, null, 0, 'input address above the IAS/OAS with stage 1 bypassed'), true, cached);
      return;
    }
    const ipa = x.hi * TWO32 + x.lo;
    const s2 = ste.kind === 'bypass' ? null : ste.s2cfg;
    if (s2 === null) {
      res.outcome = 'bypass';
      res.pa = ipa;
      res.reason = ste.kind === 'bypass' ? 'STE.Config = bypass' : 'stage 1 bypassed (S1DSS)';
      if (cached) this.makeFast(entry, x, FAST_BYPASS, ste, null, 0, ASID_NONE, this.oasLimitHi, res.reason);
      return;
    }
    const vmSlot = ste.vmid < 0 ? VMID_NONE : ste.vmid;
    if (cached && this.tlbOn) {
      const en = this.tlb.lookup(vmSlot, ASID_NONE, ipa);
      if (en >= 0) {
        this.stats.tlbHits++;
        this.fromEntry(x, res, en, ipa, null, s2, cached);
        if (res.ok) this.makeFast(entry, x, FAST_S2, ste, null, vmSlot, ASID_NONE, this.oasLimitHi, '');
        return;
      }
      this.stats.tlbMisses++;
    }
    const w = this.walker;
    const r0 = w.reads;
    const ok = w.s2(s2, ipa, CLASS.IN, x.write, x.instr);
    this.stats.walkReads += w.reads - r0;
    if (!ok) {
      this.walkFault(x, res, ste, null, cached);
      return;
    }
    res.outcome = 'translated';
    res.pa = w.oa;
    res.ipa = ipa;
    res.pageShift = w.shift;
    res.s2Perm = w.perm;
    if (cached && this.tlbOn) {
      const base = alignDown(ipa, w.shift);
      this.tlb.insert(vmSlot, ASID_NONE, base, w.shift, w.oa - (ipa - base), -1, -1, w.perm, KIND_S2);
      this.makeFast(entry, x, FAST_S2, ste, null, vmSlot, ASID_NONE, this.oasLimitHi, '');
    }
  }

  /** Completes a transaction from an IOTLB entry, re-checking both stages' permissions. */
  private fromEntry(x: Txn, res: TranslationResult, slot: number, key: number, cd: CdCfg | null, s2: S2Cfg | null, cached: boolean): void {
    res.usedCache = true;
    res.fromTlb = true;
    const en = this.tlb.entry(slot);
    const off = key - en.vaBase;
    if (en.s1Perm >= 0 && cd !== null && !s1Permits(en.s1Perm, x.write, x.priv, x.instr, cd.pan, cd.wxn)) {
      this.fault(res, this.walkEvent(EVT.F_PERMISSION, x, false, CLASS.IN, null, null, -1, 'stage-1 permission (IOTLB)'), cd.record, cached);
      return;
    }
    if (en.s2Perm >= 0 && !s2Permits(en.s2Perm, x.write, x.instr)) {
      const ipa = en.ipaBase >= 0 ? en.ipaBase + off : key;
      this.fault(res, this.walkEvent(EVT.F_PERMISSION, x, true, CLASS.IN, ipa, null, -1, 'stage-2 permission (IOTLB)'), s2?.record ?? true, cached);
      return;
    }
    res.outcome = 'translated';
    res.pa = en.paBase + off;
    res.ipa = en.ipaBase >= 0 ? en.ipaBase + off : key;
    res.pageShift = en.shift;
    res.s1Perm = en.s1Perm;
    res.s2Perm = en.s2Perm;
  }

  private makeFast(entry: SidEntry | undefined, x: Txn, kind: number, ste: SteCfg, cd: CdCfg | null, vmidSlot: number, asidSlot: number, inLimitHi: number, reason: string): void {
    if (entry === undefined) return;
    if (x.ssv ? entry.fastSs.has(x.ssid) : entry.fast0 !== null) return;
    const fc = new FastCtx(kind, ste.privCfg, ste.instCfg, cd, cd?.tt0 ?? null, cd?.tt1 ?? null, vmidSlot, asidSlot, inLimitHi, reason);
    if (x.ssv) entry.fastSs.set(x.ssid, fc);
    else entry.fast0 = fc;
  }

  private selectCd(ste: SteCfg, x: Txn): number {
    if (ste.s1CdMax === 0) return x.ssv ? CD_BAD_SUBSTREAM : 0;
    if (x.ssv) {
      if (x.ssid >= 2 ** ste.s1CdMax) return CD_BAD_SUBSTREAM;
      if (ste.s1Dss === 2 && x.ssid === 0) return CD_STREAM_DISABLED;
      return x.ssid;
    }
    if (ste.s1Dss === 1) return CD_S1_BYPASS;
    if (ste.s1Dss === 2) return 0;
    return CD_STREAM_DISABLED;
  }

  private fetchSte(x: Txn): SteCfg | SmmuEvent {
    const f = this.features;
    const cfgReg = this.r(REG.STRTAB_BASE_CFG);
    const log2 = Math.min(cfgReg & 0x3f, f.sidBits);
    const fmt = (cfgReg >>> 16) & 3;
    const base = addrOf(this.r(REG.STRTAB_BASE), this.r(REG.STRTAB_BASE + 4), 6);
    const sid = x.sid;
    if (sid >= 2 ** log2) return this.cfgEvent(EVT.C_BAD_STREAMID, x, x.ssid, `StreamID above the ${log2}-bit stream table`);
    let steAddr: number;
    if (fmt === 1 && f.st2l) {
      const split = (cfgReg >>> 6) & 0x1f;
      const l1Base = alignDown(base, Math.max(6, log2 - split + 3));
      const l1 = l1Base + Math.floor(sid / 2 ** split) * 8;
      if (l1 >= this.oasLimit || !this.mem.read64(l1)) {
        return this.fetchEvent(EVT.F_STE_FETCH, x, l1, 'external abort reading the L1 stream table descriptor');
      }
      const span = this.mem.lo & 0x1f;
      const l2 = addrOf(this.mem.lo, this.mem.hi, 6, 24);
      if (span === 0 || span > split + 1 || span > 11) {
        return this.cfgEvent(EVT.C_BAD_STREAMID, x, x.ssid, span === 0 ? 'L1STD.Span = 0 (no level-2 table)' : `L1STD.Span = ${span} is invalid for SPLIT = ${split}`);
      }
      const idx = sid % 2 ** split;
      if (idx >= 2 ** (span - 1)) return this.cfgEvent(EVT.C_BAD_STREAMID, x, x.ssid, `StreamID beyond L1STD.Span = ${span}`);
      steAddr = alignDown(l2, span - 1 + 6) + idx * 64;
    } else {
      steAddr = alignDown(base, log2 + 6) + sid * 64;
    }
    if (steAddr >= this.oasLimit || !readWords(this.mem, steAddr, this.words)) {
      return this.fetchEvent(EVT.F_STE_FETCH, x, steAddr, 'external abort reading the STE');
    }
    const ste = decodeSte(this.words, f);
    if (isIllegal(ste)) return this.cfgEvent(EVT.C_BAD_STE, x, x.ssid, ste.illegal);
    return ste;
  }

  /** Fetches CD `idx` (§5.3-5.4), through stage 2 when the STE nests. */
  private fetchCd(ste: SteCfg, idx: number, x: Txn): CdCfg | SmmuEvent {
    let cdAddr: number;
    const s2 = ste.s2cfg;
    if (ste.s1CdMax === 0) cdAddr = ste.ctxPtr;
    else if (ste.s1Fmt === 0) cdAddr = alignDown(ste.ctxPtr, ste.s1CdMax + 6) + idx * 64;
    else {
      const s = ste.s1Fmt === 1 ? 6 : 10;
      const l1Base = alignDown(ste.ctxPtr, Math.max(6, ste.s1CdMax - s + 3));
      const l1 = l1Base + Math.floor(idx / 2 ** s) * 8;
      const l1pa = this.cdAddr(l1, s2, x);
      if (typeof l1pa !== 'number') return l1pa;
      if (!this.mem.read64(l1pa)) return this.fetchEvent(EVT.F_CD_FETCH, x, l1pa, 'external abort reading the L1 CD descriptor');
      if ((this.mem.lo & 1) === 0) return this.cfgEvent(EVT.C_BAD_SUBSTREAMID, x, idx, 'L1CD.V = 0');
      let l2 = addrOf(this.mem.lo, this.mem.hi, 12, 24);
      if (s === 10) l2 = alignDown(l2, 16);
      if (s2 === null && l2 >= this.oasLimit) return this.cfgEvent(EVT.C_BAD_SUBSTREAMID, x, idx, 'L1CD.L2Ptr outside the OAS');
      cdAddr = l2 + (idx % 2 ** s) * 64;
    }
    const pa = this.cdAddr(cdAddr, s2, x);
    if (typeof pa !== 'number') return pa;
    if (!readWords(this.mem, pa, this.words)) return this.fetchEvent(EVT.F_CD_FETCH, x, pa, 'external abort reading the CD');
    const cd = decodeCd(this.words, this.features);
    if (isIllegal(cd)) return this.cfgEvent(EVT.C_BAD_CD, x, x.ssid, cd.illegal);
    return cd;
  }

  /** A CD-table address: through stage 2 (CLASS = CD) when nested. */
  private cdAddr(a: number, s2: S2Cfg | null, x: Txn): number | SmmuEvent {
    if (s2 === null) {
      if (a >= this.oasLimit) return this.fetchEvent(EVT.F_CD_FETCH, x, a, 'CD address outside the OAS');
      return a;
    }
    const w = this.walker;
    const r0 = w.reads;
    const ok = w.s2(s2, a, CLASS.CD, false, false);
    this.stats.walkReads += w.reads - r0;
    if (!ok) return this.walkerEvent(x);
    return w.oa;
  }

  // ------------------------------------------------------------ events

  private txnAddr(x: Txn): bigint {
    return (BigInt(x.hi) << 32n) | BigInt(x.lo);
  }

  private cfgEvent(code: number, x: Txn, ssid: number, detail: string): SmmuEvent {
    // The records define the SubstreamID as always valid for C_BAD_SUBSTREAMID and absent for
    // F_STREAM_DISABLED; the decoded form says the same thing as the bytes.
    if (code === EVT.C_BAD_SUBSTREAMID) return makeEvent(code, { sid: x.sid, ssv: true, ssid, detail });
    if (code === EVT.F_STREAM_DISABLED) return makeEvent(code, { sid: x.sid, detail });
    return makeEvent(code, { sid: x.sid, ssv: x.ssv, ssid, detail });
  }

  private fetchEvent(code: number, x: Txn, fetchAddr: number, detail: string): SmmuEvent {
    return makeEvent(code, { sid: x.sid, ssv: x.ssv, ssid: x.ssid, fetchAddr, detail });
  }

  private walkEvent(code: number, x: Txn, s2: boolean, cls: number, ipa: number | null, fetchAddr: number | null, level: number, detail: string): SmmuEvent {
    return makeEvent(code, {
      sid: x.sid,
      ssv: x.ssv,
      ssid: x.ssid,
      rnw: !x.write,
      pnu: x.priv,
      ind: x.instr && !x.write,
      s2,
      cls: CLASS_NAMES[cls]!,
      inputAddr: this.txnAddr(x),
      // Only the translation-class records have an IPA field.
      ipa: s2 && code >= EVT.F_TRANSLATION ? ipa : null,
      fetchAddr,
      ttRnW: code === EVT.F_PERMISSION && cls === CLASS.TT ? true : null,
      level: level >= 0 ? level : null,
      detail,
    });
  }

  private walkerEvent(x: Txn): SmmuEvent {
    const w = this.walker;
    return this.walkEvent(w.fCode, x, w.fS2, w.fCls, w.fS2 ? w.fIpa : null, w.fCode === EVT.F_WALK_EABT ? w.fFetch : null, w.fLevel, w.fDetail);
  }

  private recordFlag(e: SmmuEvent, ste: SteCfg, cd: CdCfg | null): boolean {
    if (e.code < EVT.F_TRANSLATION || e.code > EVT.F_PERMISSION) return true;
    if (e.s2) return ste.s2cfg?.record ?? true;
    return cd?.record ?? true;
  }

  private walkFault(x: Txn, res: TranslationResult, ste: SteCfg, cd: CdCfg | null, cached: boolean): void {
    const e = this.walkerEvent(x);
    this.fault(res, e, this.recordFlag(e, ste, cd), cached);
  }

  private fault(res: TranslationResult, e: SmmuEvent, record: boolean, cached: boolean): void {
    res.outcome = 'fault';
    res.event = e;
    if (!cached) return;
    res.recorded = record && this.writeEvent(e);
    this.onEvent?.(e, res.recorded);
  }

  // ------------------------------------------------------------ introspection

  /** Number of IOTLB entries. */
  get tlbSize(): number {
    return this.tlb.size;
  }
  tlbEntries(): TlbEntry[] {
    return this.tlb.entries();
  }
  /** StreamIDs with a cached configuration. */
  cachedSids(): number[] {
    return [...this.cfg.keys()].sort((a, b) => a - b);
  }
}
