/**
 * A minimal OS driver for the model, doing what Linux's arm-smmu-v3 does: probe the ID
 * registers, allocate the stream table (2-level with SPLIT = 8 and Span = SPLIT + 1 when
 * supported) and the queues, run the arm_smmu_device_reset() enable sequence, write STEs and
 * CDs followed by CFGI + CMD_SYNC, invalidate TLBs after unmaps, and drain the event queue.
 *
 * Tests and the replay proof use it to program the SMMU through MMIO and memory only, so the
 * interpreter sees exactly what a driver would have left behind.
 *
 * STEs written before reset() (the RMR bypass STEs of arm_smmu_rmr_install_bypass_ste, at probe)
 * go to memory only: the command queue is not running yet, and the CFGI_ALL of the enable
 * sequence makes them visible.
 */
import { decodeEvent, type SmmuEvent } from '../events';
import type { PhysMem } from '../physmem';
import { CERROR, CR0, CR2, GBPA, GERROR, REG } from '../regs';
import type { Smmu } from '../smmu';
import {
  type Command,
  cd as encodeCd,
  cmd,
  type Dwords,
  type Granule,
  l1cd,
  l1std,
  steAbort,
  steBypass,
  steNested,
  steS1,
  steS2,
  type S1SteFields,
  writeDwords,
} from './encode';
import { type PageAllocator, PageTable, type Prot } from './pgtable';

export interface DriverOptions {
  /**
   * Default as Linux: 2-level when IDR0.ST_LEVEL allows and the StreamIDs do not fit in one
   * level-2 table (sid_bits > STRTAB_SPLIT), else linear.
   */
  streamTable?: 'linear' | '2level';
  /** Stream table LOG2SIZE (default IDR1.SIDSIZE). */
  sidBits?: number;
  /** 2-level SPLIT (Linux STRTAB_SPLIT = 8). */
  split?: number;
  cmdqLog2?: number;
  eventqLog2?: number;
  /** STE written to unused StreamIDs: Linux disable_bypass = 1 writes abort STEs. */
  defaultSte?: 'abort' | 'bypass';
  /** Complete CMD_SYNC with an MSI write that the driver polls (Linux with IDR0.MSI). */
  msiSync?: boolean;
  /** CR2.RECINVSID (Linux sets it). */
  recordInvalidSid?: boolean;
}

export interface CmdqOutcome {
  ok: boolean;
  /** CMDQ_CONS.ERR when the queue stopped (then the driver skipped the bad command). */
  error: 'ILL' | 'ABT' | 'ATC_INV_SYNC' | null;
}

export interface S1Domain {
  asid: number;
  pt: PageTable;
  ias: number;
  /** CD contents for this domain (Linux arm_smmu_make_s1_cd). */
  cd: Dwords;
}

export interface S2Domain {
  vmid: number;
  pt: PageTable;
  ias: number;
}

interface CdTable {
  base: number;
  s1Fmt: 0 | 2;
  s1CdMax: number;
  l2: Map<number, number>;
}

const Q_BASE_RWA = 1n << 62n;

/** Little-endian 32-bit halves of each dword: [lo0, hi0, lo1, hi1, ...]. */
function dwordHalves(d: readonly bigint[]): Uint32Array {
  const out = new Uint32Array(d.length * 2);
  d.forEach((v, i) => {
    const u = BigInt.asUintN(64, v);
    out[2 * i] = Number(u & 0xffff_ffffn);
    out[2 * i + 1] = Number(u >> 32n);
  });
  return out;
}

export class SmmuDriver {
  readonly mem: PhysMem;
  readonly strtab: { base: number; log2: number; twoLevel: boolean; split: number };
  readonly cmdq: { base: number; log2: number };
  readonly eventq: { base: number; log2: number };
  private readonly l2 = new Map<number, number>();
  private readonly cdTables = new Map<number, CdTable>();
  private readonly syncAddr: number | null;
  private syncSeq = 0;
  private cmdqRunning = false;
  private nextAsid = 1;
  private nextVmid = 1;
  readonly oas: number;
  readonly ssidBits: number;
  private readonly opts: DriverOptions;
  /** Command errors the driver recovered from (what Linux reports with dev_err). */
  readonly cmdqErrors: string[] = [];

  constructor(
    readonly smmu: Smmu,
    readonly alloc: PageAllocator,
    opts: DriverOptions = {},
  ) {
    this.opts = opts;
    this.mem = smmu.mem;
    const idr0 = smmu.mmioRead(REG.IDR0);
    const idr1 = smmu.mmioRead(REG.IDR1);
    const idr5 = smmu.mmioRead(REG.IDR5);
    this.oas = [32, 36, 40, 42, 44, 48, 52][idr5 & 7] ?? 48;
    this.ssidBits = (idr1 >>> 6) & 0x1f;
    const sidBits = opts.sidBits ?? (idr1 & 0x3f);
    const split = opts.split ?? 8;
    const twoLevel = opts.streamTable ? opts.streamTable === '2level' : ((idr0 >>> 27) & 3) === 1 && sidBits > split;
    let base: number;
    if (twoLevel) {
      const l1Bytes = Math.max(8 * 2 ** Math.max(sidBits - split, 0), 64);
      base = alloc.alloc(l1Bytes);
    } else {
      base = alloc.alloc(64 * 2 ** sidBits);
    }
    this.strtab = { base, log2: sidBits, twoLevel, split };
    const cq = Math.min(opts.cmdqLog2 ?? 8, (idr1 >>> 21) & 0x1f);
    const eq = Math.min(opts.eventqLog2 ?? 7, (idr1 >>> 16) & 0x1f);
    this.cmdq = { base: alloc.alloc(Math.max(16 * 2 ** cq, 32)), log2: cq };
    this.eventq = { base: alloc.alloc(Math.max(32 * 2 ** eq, 32)), log2: eq };
    // Only a driver that polls for CMD_SYNC MSIs needs the word: without one, the tables
    // allocated later sit where they would without this feature.
    this.syncAddr = opts.msiSync ? alloc.alloc(64) : null;
    if (!twoLevel) this.initStes(base, 2 ** sidBits);
  }

  /** Fills a table fresh from the allocator (zeroed) with the default STE, non-zero dwords only. */
  private initStes(base: number, count: number): void {
    const ste = this.opts.defaultSte === 'bypass' ? steBypass() : steAbort();
    const words = ste.flatMap((v, i) => (v === 0n ? [] : [{ off: i * 8, lo: Number(v & 0xffff_ffffn), hi: Number(v >> 32n) }]));
    for (let n = 0; n < count; n++) for (const w of words) this.mem.write64(base + n * 64 + w.off, w.lo, w.hi);
  }

  /** arm_smmu_device_reset(): programs and enables the SMMU. */
  reset(): void {
    const s = this.smmu;
    if ((s.mmioRead(REG.CR0) & CR0.SMMUEN) !== 0) s.mmioWrite(REG.GBPA, GBPA.UPDATE | GBPA.ABORT);
    s.mmioWrite(REG.CR0, 0);
    this.cmdqRunning = false;
    // CR1: ISH, WBRA for tables and queues.
    s.mmioWrite(REG.CR1, (3 << 10) | (1 << 8) | (1 << 6) | (3 << 4) | (1 << 2) | 1);
    s.mmioWrite(REG.CR2, CR2.PTM | ((this.opts.recordInvalidSid ?? true) ? CR2.RECINVSID : 0));
    const st = this.strtab;
    s.mmioWrite(REG.STRTAB_BASE, BigInt(st.base) | Q_BASE_RWA, 8);
    s.mmioWrite(REG.STRTAB_BASE_CFG, (st.twoLevel ? 1 << 16 : 0) | (st.twoLevel ? st.split << 6 : 0) | st.log2);
    s.mmioWrite(REG.CMDQ_BASE, BigInt(this.cmdq.base) | Q_BASE_RWA | BigInt(this.cmdq.log2), 8);
    s.mmioWrite(REG.CMDQ_PROD, 0);
    s.mmioWrite(REG.CMDQ_CONS, 0);
    s.mmioWrite(REG.CR0, CR0.CMDQEN);
    this.cmdqRunning = true;
    this.submit(cmd.cfgiAll());
    this.sync();
    this.submit(cmd.tlbiNsnhAll());
    this.sync();
    s.mmioWrite(REG.EVENTQ_BASE, BigInt(this.eventq.base) | Q_BASE_RWA | BigInt(this.eventq.log2), 8);
    s.mmioWrite(REG.PAGE1 + REG.EVENTQ_PROD, 0);
    s.mmioWrite(REG.PAGE1 + REG.EVENTQ_CONS, 0);
    s.mmioWrite(REG.CR0, CR0.CMDQEN | CR0.EVENTQEN);
    s.mmioWrite(REG.IRQ_CTRL, 5);
    s.mmioWrite(REG.CR0, CR0.CMDQEN | CR0.EVENTQEN | CR0.SMMUEN);
  }

  /** CR0ACK.SMMUEN: the SMMU took the enable. */
  get enabled(): boolean {
    return (this.smmu.mmioRead(REG.CR0ACK) & CR0.SMMUEN) !== 0;
  }

  // ---------------------------------------------------------------- command queue

  /** Writes commands at PROD and publishes them; recovers like arm_smmu_cmdq_skip_err. */
  submit(...cmds: Command[]): CmdqOutcome {
    const s = this.smmu;
    const n = 2 ** this.cmdq.log2;
    const wrapMask = 2 * n - 1;
    let error: CmdqOutcome['error'] = null;
    for (const c of cmds) {
      let prod = s.mmioRead(REG.CMDQ_PROD) & wrapMask;
      const a = this.cmdq.base + (prod % n) * 16;
      this.mem.writeU64(a, c[0]);
      this.mem.writeU64(a + 8, c[1]);
      prod = (prod + 1) & wrapMask;
      s.mmioWrite(REG.CMDQ_PROD, prod);
      const cons = s.mmioRead(REG.CMDQ_CONS);
      if ((cons & wrapMask) !== prod) {
        const err = (cons >>> 24) & 0x7f;
        if ((s.activeGlobalErrors & GERROR.CMDQ_ERR) === 0) throw new Error('command queue did not advance');
        error = err === CERROR.ILL ? 'ILL' : err === CERROR.ABT ? 'ABT' : 'ATC_INV_SYNC';
        this.cmdqErrors.push(`CMDQ error (cons 0x${cons.toString(16)}): ${error}, command 0x${(c[0] & 0xffn).toString(16)} skipped`);
        // Replace the failing command with CMD_SYNC and acknowledge the error.
        const ea = this.cmdq.base + ((cons & wrapMask) % n) * 16;
        const sy = cmd.sync();
        this.mem.writeU64(ea, sy[0]);
        this.mem.writeU64(ea + 8, sy[1]);
        const gerror = s.mmioRead(REG.GERROR);
        const gerrorn = s.mmioRead(REG.GERRORN);
        s.mmioWrite(REG.GERRORN, (gerrorn & ~GERROR.CMDQ_ERR) | (gerror & GERROR.CMDQ_ERR));
      }
    }
    return { ok: error === null, error };
  }

  /** CMD_SYNC; with msiSync the completion MSI is checked like Linux's polling. */
  sync(): CmdqOutcome {
    if (this.syncAddr !== null) {
      const data = ++this.syncSeq;
      const r = this.submit(cmd.sync({ addr: this.syncAddr, data }));
      if (this.mem.read32(this.syncAddr) !== data) throw new Error('CMD_SYNC MSI was not written');
      return r;
    }
    return this.submit(cmd.sync());
  }

  // ---------------------------------------------------------------- stream table

  /** Does the stream table have an entry for `sid` (Linux arm_smmu_sid_in_range)? */
  holds(sid: number): boolean {
    return Number.isInteger(sid) && sid >= 0 && sid < 2 ** this.strtab.log2;
  }

  /** Address of the STE for `sid` if the table has one now (no level-2 table is created). */
  steAt(sid: number): number | null {
    const st = this.strtab;
    if (!this.holds(sid)) return null;
    if (!st.twoLevel) return st.base + sid * 64;
    const l2 = this.l2.get(Math.floor(sid / 2 ** st.split));
    return l2 === undefined ? null : l2 + (sid % 2 ** st.split) * 64;
  }

  /** Level-1 indexes (StreamID >> SPLIT) that have a level-2 table, in allocation order. */
  l2Tables(): number[] {
    return [...this.l2.keys()];
  }

  /** Address of the STE for `sid`, creating its level-2 table like arm_smmu_init_l2_strtab. */
  steAddr(sid: number): number {
    const st = this.strtab;
    if (!this.holds(sid)) throw new RangeError(`StreamID ${sid} outside the ${st.log2}-bit stream table`);
    if (!st.twoLevel) return st.base + sid * 64;
    const l1 = Math.floor(sid / 2 ** st.split);
    let l2 = this.l2.get(l1);
    if (l2 === undefined) {
      const size = 64 * 2 ** st.split;
      l2 = this.alloc.alloc(size);
      this.initStes(l2, 2 ** st.split);
      this.mem.writeU64(st.base + l1 * 8, l1std(l2, st.split + 1));
      this.l2.set(l1, l2);
      if (this.cmdqRunning) {
        this.submit(cmd.cfgiSte(sid, false));
        this.sync();
      }
    }
    return l2 + (sid % 2 ** st.split) * 64;
  }

  writeSte(sid: number, ste: Dwords): void {
    writeDwords(this.mem, this.steAddr(sid), ste);
    if (!this.cmdqRunning) return;
    this.submit(cmd.cfgiSte(sid));
    this.sync();
  }

  attachAbort(sid: number): void {
    this.writeSte(sid, steAbort());
  }
  attachBypass(sid: number): void {
    this.writeSte(sid, steBypass());
  }

  /**
   * Bypass STEs for the StreamIDs [first, last] the table holds, in StreamID order, as
   * arm_smmu_rmr_install_bypass_ste does for an RMR (a broken one may name more than exist).
   */
  attachBypassRange(first: number, last: number): void {
    // An RMR can cover thousands of StreamIDs (a bridge's whole bus range) and a machine
    // thousands of RMRs: the STE is split into 32-bit halves once, so each StreamID costs
    // eight plain stores instead of eight BigInt conversions.
    const words = dwordHalves(steBypass());
    const st = this.strtab;
    const lo = Math.max(first, 0);
    const hi = Math.min(last, 2 ** st.log2 - 1);
    const span = st.twoLevel ? 2 ** st.split : Infinity;
    for (let sid = lo; sid <= hi; ) {
      // One level-2 table (or the linear table) at a time: its STEs are contiguous, and
      // steAddr() creates the table on the first StreamID, as writeSte() would.
      const end = Math.min(hi, st.twoLevel ? (Math.floor(sid / span) + 1) * span - 1 : hi);
      let a = this.steAddr(sid);
      for (; sid <= end; sid++, a += 64) {
        for (let i = 0; i < 8; i++) this.mem.write64(a + i * 8, words[2 * i]!, words[2 * i + 1]!);
        if (!this.cmdqRunning) continue;
        this.submit(cmd.cfgiSte(sid));
        this.sync();
      }
    }
  }

  // ---------------------------------------------------------------- domains

  newS1Domain(o: { granule?: Granule; ias?: number; asid?: number } = {}): S1Domain {
    const granule = o.granule ?? 4096;
    const ias = o.ias ?? 48;
    const pt = new PageTable(this.mem, (sz) => this.alloc.alloc(sz), { stage: 1, granule, ias, oas: this.oas });
    const asid = o.asid ?? this.nextAsid++;
    const ips = this.oas === 52 && granule !== 65536 ? 48 : this.oas;
    return { asid, pt, ias, cd: encodeCd({ asid, ips, tt0: { ttb: pt.root, ias, granule } }) };
  }

  newS2Domain(o: { granule?: Granule; ias?: number; vmid?: number } = {}): S2Domain {
    const granule = o.granule ?? 4096;
    const ias = o.ias ?? Math.min(this.oas, 48);
    const pt = new PageTable(this.mem, (sz) => this.alloc.alloc(sz), { stage: 2, granule, ias, oas: this.oas });
    return { vmid: o.vmid ?? this.nextVmid++, pt, ias };
  }

  s2Fields(d: S2Domain): { vmid: number; ttb: number; t0sz: number; sl0: number; granule: Granule; ps: number } {
    return { vmid: d.vmid, ...d.pt.s2, ps: this.oas };
  }

  /** A CD table of one entry (no substreams) holding the domain's CD; returns its address. */
  writeCdTable(d: S1Domain): number {
    const cdAddr = this.alloc.alloc(64);
    writeDwords(this.mem, cdAddr, d.cd);
    return cdAddr;
  }

  /**
   * Attaches a stage-1 domain; returns the CD table address (S1ContextPtr). With `ssidBits` the
   * stream gets a CD table (linear up to 1024 CDs, else 2-level with 64K leaves, as Linux) and
   * S1DSS = SSID0; the domain is CD 0.
   */
  attachS1(sid: number, d: S1Domain, o: { ssidBits?: number } = {}): number {
    const bits = Math.min(o.ssidBits ?? 0, this.ssidBits);
    if (bits === 0) {
      const cdAddr = this.writeCdTable(d);
      this.cdTables.delete(sid);
      this.writeSte(sid, steS1({ cdTable: cdAddr }));
      return cdAddr;
    }
    const linear = bits <= 10 || ((this.smmu.mmioRead(REG.IDR0) >>> 19) & 1) === 0;
    const t: CdTable = linear
      ? { base: this.alloc.alloc(64 * 2 ** bits), s1Fmt: 0, s1CdMax: bits, l2: new Map() }
      : { base: this.alloc.alloc(Math.max(8 * 2 ** (bits - 10), 64)), s1Fmt: 2, s1CdMax: bits, l2: new Map() };
    this.cdTables.set(sid, t);
    writeDwords(this.mem, this.cdSlot(t, 0), d.cd);
    this.writeSte(sid, steS1({ cdTable: t.base, s1Fmt: t.s1Fmt, s1CdMax: bits, s1Dss: 2 }));
    return t.base;
  }

  private cdSlot(t: CdTable, ssid: number): number {
    if (t.s1Fmt === 0) return t.base + ssid * 64;
    const l1 = Math.floor(ssid / 1024);
    let l2 = t.l2.get(l1);
    if (l2 === undefined) {
      l2 = this.alloc.alloc(65536);
      this.mem.writeU64(t.base + l1 * 8, l1cd(l2));
      t.l2.set(l1, l2);
    }
    return l2 + (ssid % 1024) * 64;
  }

  /** Installs a domain as the CD of one SubstreamID (arm_smmu_write_cd_entry + CFGI_CD). */
  setPasid(sid: number, ssid: number, d: S1Domain | null): void {
    const t = this.cdTables.get(sid);
    if (t === undefined) throw new Error(`StreamID ${sid} has no CD table`);
    writeDwords(this.mem, this.cdSlot(t, ssid), d === null ? [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n] : d.cd);
    this.submit(cmd.cfgiCd(sid, ssid, false));
    this.sync();
  }

  attachS2(sid: number, d: S2Domain): void {
    this.writeSte(sid, steS2(this.s2Fields(d)));
  }

  /** Nested: guest stage-1 STE fields (CD table address is an IPA) over host domain `d`. */
  attachNested(sid: number, d: S2Domain, guest: S1SteFields): void {
    this.writeSte(sid, steNested(guest, this.s2Fields(d)));
  }

  // ---------------------------------------------------------------- TLB maintenance

  /** After unmapping from a stage-1 domain (arm_smmu_tlb_inv_range_asid, leaf). */
  invalidateS1Range(d: S1Domain, iova: number, size: number, vmid = 0): void {
    const page = 2 ** d.pt.g;
    for (let a = iova; a < iova + size; a += page) this.submit(cmd.tlbiNhVa(d.asid, vmid, a, { leaf: true }));
    this.sync();
  }
  invalidateAsid(asid: number, vmid = 0): void {
    this.submit(cmd.tlbiNhAsid(asid, vmid));
    this.sync();
  }
  invalidateS2Range(d: S2Domain, ipa: number, size: number): void {
    const page = 2 ** d.pt.g;
    for (let a = ipa; a < ipa + size; a += page) this.submit(cmd.tlbiS2Ipa(d.vmid, a, { leaf: true }));
    this.sync();
  }
  invalidateVmid(vmid: number): void {
    this.submit(cmd.tlbiS12Vmall(vmid));
    this.sync();
  }

  map(d: S1Domain | S2Domain, iova: number | bigint, pa: number, size: number, prot?: Prot): void {
    d.pt.map(iova, pa, size, prot);
  }

  /**
   * An IOMMU_RESV_DIRECT region (an IORT RMR, a DT reserved-memory iommu-addresses entry)
   * as iommu_create_device_direct_mappings() maps it: identity, widened to whole granules,
   * skipping granules that already translate. Returns the granule-aligned range mapped.
   */
  mapDirect(d: S1Domain | S2Domain, base: number, length: number, prot: Prot = { read: true, write: true }): { start: number; end: number } {
    const g = 2 ** d.pt.g;
    const start = Math.floor(base / g) * g;
    const end = Math.ceil((base + length) / g) * g;
    for (let a = start; a < end; a += g) if (d.pt.lookup(a) === null) d.pt.map(a, a, g, prot);
    return { start, end };
  }

  // ---------------------------------------------------------------- events

  /** Drains the event queue (arm_smmu_evtq_thread), acknowledging overflow. */
  readEvents(): SmmuEvent[] {
    const s = this.smmu;
    const n = 2 ** this.eventq.log2;
    const wrapMask = 2 * n - 1;
    const out: SmmuEvent[] = [];
    const prod = s.mmioRead(REG.PAGE1 + REG.EVENTQ_PROD);
    let cons = s.mmioRead(REG.PAGE1 + REG.EVENTQ_CONS) & wrapMask;
    while ((prod & wrapMask) !== cons) {
      const bytes = this.mem.readBytes(this.eventq.base + (cons % n) * 32, 32);
      if (bytes === null) throw new Error('event queue memory is not readable');
      out.push(decodeEvent(bytes));
      cons = (cons + 1) & wrapMask;
    }
    s.mmioWrite(REG.PAGE1 + REG.EVENTQ_CONS, ((prod & 0x80000000) | cons) >>> 0);
    return out;
  }
}
