/**
 * A minimal arm-smmu-v3 driver for the reference interpreter: it brings an SMMU up through its
 * registers and queues in the order Linux does (arm_smmu_device_probe / _reset), so that the
 * replay exercises the same structures a kernel would build from the tables:
 *
 * - stream table sized for the largest StreamID the machine can emit: linear when it holds at
 *   most 256 STEs, otherwise 2-level with SPLIT = 8, level-2 tables allocated on demand (Linux
 *   arm_smmu_init_l2_strtab), each filled with abort STEs (arm_smmu_init_initial_stes with
 *   disable_bypass); a StreamID beyond the table or in a span without a level-2 table raises
 *   C_BAD_STREAMID, recorded because CR2.RECINVSID is set;
 * - bypass STEs for RMR StreamIDs before the SMMU is enabled (arm_smmu_rmr_install_bypass_ste);
 * - CR2 (RECINVSID | PTM), STRTAB_BASE(_CFG), CMDQ, CFGI_ALL + TLBI_NSNH_ALL + SYNC, EVENTQ,
 *   IRQ_CTRL, then SMMUEN;
 * - STE updates after enabling go through CFGI_STE + CMD_SYNC, events are consumed the way
 *   the event IRQ thread does (read the record, advance EVENTQ_CONS).
 */
import { cmd, type Command, type Dwords, l1std, steAbort, steBypass, writeDwords } from '../smmu/build/encode';
import { decodeEvent, type SmmuEvent } from '../smmu/events';
import type { PhysMem } from '../smmu/physmem';
import { CR0, CR2, GERROR, REG } from '../smmu/regs';
import { Smmu } from '../smmu/smmu';

export const SPLIT = 8;
export const MAX_SID_BITS = 24;
const CMDQ_LOG2 = 8;
const EVTQ_LOG2 = 8;
const RA = 1n << 62n;

/** Bump allocator over simulated physical memory; fresh chunks read as zero. */
export class Bump {
  private next: number;
  constructor(
    readonly mem: PhysMem,
    readonly base: number,
    readonly limit: number,
  ) {
    this.next = base;
  }
  alloc(size: number, align = size): number {
    const al = Math.max(align, 8);
    const a = Math.ceil(this.next / al) * al;
    if (a + size > this.limit) throw new RangeError(`table memory [0x${this.base.toString(16)}, 0x${this.limit.toString(16)}) exhausted`);
    this.next = a + size;
    this.mem.back(a, size);
    return a;
  }
  get used(): number {
    return this.next - this.base;
  }
}

export type SidClass = 'beyond' | 'no-l2' | 'ste';

const ABORT_DW0 = Number(steAbort()[0]!);

/** An abort STE in fresh (zeroed) memory: only dword 0 is non-zero. */
function writeAbort(mem: PhysMem, at: number): void {
  mem.write64(at, ABORT_DW0, 0);
}

export class SmmuRig {
  readonly smmu: Smmu;
  readonly log2size: number;
  readonly twoLevel: boolean;
  readonly strtab: number;
  private readonly l2 = new Map<number, number>();
  private readonly cmdqBase: number;
  private prod = 0;
  private readonly evtqBase: number;
  enabled = false;
  /** Commands that did not complete (CMDQ_ERR), for the report. */
  readonly cmdErrors: string[] = [];

  constructor(
    readonly mem: PhysMem,
    private readonly bump: Bump,
    readonly base: bigint,
    readonly label: string,
    maxSid: number,
  ) {
    // Real SMMUs implement at most 32 SID bits; beyond 24 a stream table would not fit the
    // simulated memory, and such StreamIDs only come from broken tables (C_BAD_STREAMID).
    const bits = Math.min(MAX_SID_BITS, Math.max(1, Math.ceil(Math.log2(maxSid + 1))));
    this.log2size = bits;
    // A small IOTLB: a proof sends a few transactions per StreamID, and 32 SMMUs with the
    // default 64K-entry IOTLB would spend most of the proof allocating it.
    this.smmu = new Smmu(mem, { sidBits: bits, oas: 48, iotlbCapacity: 512 });
    this.twoLevel = bits > SPLIT;
    if (this.twoLevel) {
      const l1Bytes = 2 ** (bits - SPLIT) * 8;
      this.strtab = bump.alloc(l1Bytes, Math.max(64, l1Bytes));
    } else {
      const bytes = 2 ** bits * 64;
      this.strtab = bump.alloc(bytes, bytes);
      for (let sid = 0; sid < 2 ** bits; sid++) writeAbort(mem, this.strtab + sid * 64);
    }
    this.cmdqBase = bump.alloc(2 ** CMDQ_LOG2 * 16);
    this.evtqBase = bump.alloc(2 ** EVTQ_LOG2 * 32);
  }

  classOf(sid: number): SidClass {
    if (sid >= 2 ** this.log2size) return 'beyond';
    if (this.twoLevel && !this.l2.has(Math.floor(sid / 2 ** SPLIT))) return 'no-l2';
    return 'ste';
  }

  /** Physical address of the STE of `sid`, or null when the table has none for it. */
  steAddr(sid: number): number | null {
    if (sid >= 2 ** this.log2size) return null;
    if (!this.twoLevel) return this.strtab + sid * 64;
    const l2 = this.l2.get(Math.floor(sid / 2 ** SPLIT));
    return l2 === undefined ? null : l2 + (sid % 2 ** SPLIT) * 64;
  }

  /** Indexes of the level-2 tables allocated so far (2-level tables only). */
  l2Spans(): number[] {
    return [...this.l2.keys()];
  }

  /** Level-1 descriptor address of `sid` (2-level tables only). */
  l1Addr(sid: number): number | null {
    return this.twoLevel && sid < 2 ** this.log2size ? this.strtab + Math.floor(sid / 2 ** SPLIT) * 8 : null;
  }

  /** Allocates the level-2 table that holds `sid` (abort STEs) and points the L1 entry at it. */
  ensureSte(sid: number): number | null {
    if (sid >= 2 ** this.log2size) return null;
    if (!this.twoLevel) return this.strtab + sid * 64;
    const idx = Math.floor(sid / 2 ** SPLIT);
    let l2 = this.l2.get(idx);
    if (l2 === undefined) {
      const bytes = 2 ** SPLIT * 64;
      l2 = this.bump.alloc(bytes, bytes);
      for (let i = 0; i < 2 ** SPLIT; i++) writeAbort(this.mem, l2 + i * 64);
      this.mem.writeU64(this.strtab + idx * 8, l1std(l2, SPLIT + 1));
      this.l2.set(idx, l2);
    }
    return l2 + (sid % 2 ** SPLIT) * 64;
  }

  /** Writes an STE; once the SMMU runs, invalidates it the way Linux does (CFGI_STE + SYNC). */
  writeSte(sid: number, ste: Dwords, extra: Command[] = []): number | null {
    const at = this.ensureSte(sid);
    if (at === null) return null;
    writeDwords(this.mem, at, ste);
    if (this.enabled) this.issue([...extra, cmd.cfgiSte(sid), cmd.sync()]);
    return at;
  }

  installBypass(sid: number): void {
    this.writeSte(sid, steBypass());
  }

  readDwords(pa: number, n = 8): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(this.mem.read64Big(pa + i * 8) ?? 0n);
    return out;
  }

  /** Puts commands in the queue and rings PROD; the interpreter consumes them synchronously. */
  issue(cmds: readonly Command[]): void {
    const mask = 2 ** (CMDQ_LOG2 + 1) - 1;
    for (const c of cmds) {
      const slot = this.prod & (2 ** CMDQ_LOG2 - 1);
      writeDwords(this.mem, this.cmdqBase + slot * 16, c);
      this.prod = (this.prod + 1) & mask;
      this.smmu.mmioWrite(REG.CMDQ_PROD, this.prod);
      const cons = this.smmu.mmioRead(REG.CMDQ_CONS) & mask;
      if (cons !== this.prod || (this.smmu.activeGlobalErrors & GERROR.CMDQ_ERR) !== 0) {
        this.cmdErrors.push(`command 0x${(c[0] & 0xffn).toString(16)} not consumed (CMDQ_CONS 0x${this.smmu.mmioRead(REG.CMDQ_CONS).toString(16)})`);
        return;
      }
    }
  }

  /** arm_smmu_device_reset. */
  enable(): void {
    const s = this.smmu;
    s.mmioWrite(REG.CR0, 0);
    s.mmioWrite(REG.CR1, 0x0d75);
    s.mmioWrite(REG.CR2, CR2.RECINVSID | CR2.PTM);
    s.mmioWrite(REG.STRTAB_BASE, BigInt(this.strtab) | RA, 8);
    s.mmioWrite(REG.STRTAB_BASE_CFG, ((this.twoLevel ? 1 : 0) << 16) | ((this.twoLevel ? SPLIT : 0) << 6) | this.log2size);
    s.mmioWrite(REG.CMDQ_BASE, BigInt(this.cmdqBase) | BigInt(CMDQ_LOG2) | RA, 8);
    s.mmioWrite(REG.CMDQ_PROD, 0);
    s.mmioWrite(REG.CMDQ_CONS, 0);
    this.prod = 0;
    s.mmioWrite(REG.CR0, CR0.CMDQEN);
    this.issue([cmd.cfgiAll(), cmd.tlbiNsnhAll(), cmd.sync()]);
    s.mmioWrite(REG.EVENTQ_BASE, BigInt(this.evtqBase) | BigInt(EVTQ_LOG2) | RA, 8);
    s.mmioWrite(REG.PAGE1 + REG.EVENTQ_PROD, 0);
    s.mmioWrite(REG.PAGE1 + REG.EVENTQ_CONS, 0);
    s.mmioWrite(REG.CR0, CR0.CMDQEN | CR0.EVENTQEN);
    s.mmioWrite(REG.IRQ_CTRL, 5);
    s.mmioWrite(REG.CR0, CR0.CMDQEN | CR0.EVENTQEN | CR0.SMMUEN);
    this.enabled = (s.mmioRead(REG.CR0) & CR0.SMMUEN) !== 0;
  }

  /** Reads the records produced since the last call and acknowledges them (EVENTQ_CONS = PROD). */
  drainEvents(): SmmuEvent[] {
    const s = this.smmu;
    const prod = s.mmioRead(REG.PAGE1 + REG.EVENTQ_PROD);
    let cons = s.mmioRead(REG.PAGE1 + REG.EVENTQ_CONS);
    const wrap = 2 ** (EVTQ_LOG2 + 1) - 1;
    const out: SmmuEvent[] = [];
    while ((cons & wrap) !== (prod & wrap)) {
      const slot = cons & (2 ** EVTQ_LOG2 - 1);
      const bytes = this.mem.readBytes(this.evtqBase + slot * 32, 32);
      if (bytes) out.push(decodeEvent(bytes));
      cons = (cons & 0x80000000) | ((cons + 1) & wrap);
    }
    // Acknowledge overflow too (OVACKFLG follows OVFLG).
    s.mmioWrite(REG.PAGE1 + REG.EVENTQ_CONS, ((prod & 0x80000000) | (cons & wrap)) >>> 0);
    return out;
  }
}
