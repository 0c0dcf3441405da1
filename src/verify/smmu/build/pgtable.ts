/**
 * VMSAv8-64 page-table builder with the choices Linux's io-pgtable-arm makes: start level
 * from the input size, stage-2 tables concatenated at level 1 when the level-0 table would
 * have at most 16 entries (arm_64_lpae_alloc_pgtable_s2), largest block that fits when
 * mapping, and the same descriptor bits for IOMMU_READ / WRITE / NOEXEC / PRIV / CACHE / MMIO.
 *
 * Tables are addressed in the "table address space" of a MemView: physical memory for a
 * host table, or an IPA view (through a stage-2 table) for a guest's stage-1 tables.
 */
import { blockAllowed, levelShift, s1StartLevel, s2GeometryError } from '../config';
import { CHUNK_SIZE, PhysMem } from '../physmem';
import type { Granule } from './encode';

const TWO32 = 4294967296;

export interface MemView {
  read64(addr: number): boolean;
  readonly lo: number;
  readonly hi: number;
  write64(addr: number, lo: number, hi: number): void;
}

/**
 * Bump allocator of zeroed, naturally aligned blocks of physical memory. Its range belongs to
 * it: memory it backed itself and has not handed out yet is known to be zero, so only memory
 * someone else backed (or wrote) is cleared.
 */
export class PageAllocator {
  private nextFree: number;
  /** [clean, cleanEnd): backed by this allocator, not handed out, still zero. */
  private clean = 0;
  private cleanEnd = 0;
  constructor(
    readonly mem: PhysMem,
    readonly base: number,
    readonly limit: number,
  ) {
    this.nextFree = base;
  }
  alloc(size: number, align = size): number {
    const a = Math.ceil(this.nextFree / align) * align;
    if (a + size > this.limit) throw new RangeError(`allocator [0x${this.base.toString(16)}, 0x${this.limit.toString(16)}) exhausted`);
    this.nextFree = a + size;
    this.zero(a, size);
    return a;
  }
  get used(): number {
    return this.nextFree - this.base;
  }
  private zero(a: number, size: number): void {
    const end = a + size;
    let fresh = false;
    for (let c = a; c < end; ) {
      const next = Math.min(end, (Math.floor(c / CHUNK_SIZE) + 1) * CHUNK_SIZE);
      const backed = this.mem.isBacked(c);
      fresh = !backed || (c >= this.clean && next <= this.cleanEnd);
      if (!backed) this.mem.back(c, next - c);
      else if (!fresh) this.mem.fill(c, next - c, 0);
      c = next;
    }
    this.clean = fresh ? end : 0;
    this.cleanEnd = fresh ? Math.ceil(end / CHUNK_SIZE) * CHUNK_SIZE : 0;
  }
}

export interface Prot {
  read?: boolean;
  write?: boolean;
  /** Default true; false sets XN (Linux IOMMU_NOEXEC). */
  exec?: boolean;
  /** Stage 1: privileged-only (Linux IOMMU_PRIV, AP[1] = 0). */
  priv?: boolean;
  /** Default true (IOMMU_CACHE): cacheable attributes. */
  cache?: boolean;
  mmio?: boolean;
}

export interface PageTableFormat {
  stage: 1 | 2;
  granule: Granule;
  /** Input address size in bits (VA size at stage 1, IPA size at stage 2). */
  ias: number;
  /** Output address size in bits (for block-level rules and range checks). */
  oas: number;
  /** Force the stage-2 start level (default: Linux's choice with concatenation). */
  startLevel?: number;
}

export interface Mapping {
  pa: number;
  shift: number;
  lo: number;
  hi: number;
}

export class PageTable {
  readonly g: number;
  readonly stride: number;
  readonly startLevel: number;
  /** Index bits at the start level (> stride when stage-2 tables are concatenated). */
  readonly startWidth: number;
  readonly root: number;

  constructor(
    readonly mem: MemView,
    private readonly allocTable: (size: number) => number,
    readonly fmt: PageTableFormat,
  ) {
    const g = Math.log2(fmt.granule);
    this.g = g;
    this.stride = g - 3;
    let start = s1StartLevel(g, fmt.ias);
    if (fmt.stage === 2) {
      if (fmt.startLevel !== undefined) start = fmt.startLevel;
      else if (start === 0 && fmt.ias - levelShift(g, 0) <= 4) start = 1;
      const sl0 = g === 12 ? 2 - start : 3 - start;
      const err = s2GeometryError(g, fmt.ias, sl0, fmt.oas);
      if (err !== null) throw new RangeError(err);
    } else if (fmt.startLevel !== undefined && fmt.startLevel !== start) {
      throw new RangeError(`stage-1 start level is ${start} for a ${fmt.ias}-bit input`);
    }
    this.startLevel = start;
    this.startWidth = fmt.ias - levelShift(g, start);
    this.root = this.newTable(this.startWidth);
  }

  /** Stage-2 STE fields for this table. */
  get s2(): { ttb: number; t0sz: number; sl0: number; granule: Granule } {
    return {
      ttb: this.root,
      t0sz: 64 - this.fmt.ias,
      sl0: this.g === 12 ? 2 - this.startLevel : 3 - this.startLevel,
      granule: this.fmt.granule,
    };
  }

  private newTable(width: number): number {
    const size = 2 ** (width + 3);
    const t = this.allocTable(Math.max(size, this.fmt.granule));
    for (let i = 0; i < size; i += 8) this.mem.write64(t + i, 0, 0);
    return t;
  }

  /**
   * The address bits the walk indexes with: VA[47:0] at stage 1 (the bits above are the
   * TTB0/TTB1 sign extension or the TBI tag), the whole IPA (up to 52 bits) at stage 2.
   */
  private va(iova: number | bigint): number {
    const bits = this.fmt.stage === 1 ? 48 : 52;
    if (typeof iova === 'bigint') return Number(BigInt.asUintN(bits, iova));
    return iova % 2 ** bits;
  }

  private index(va: number, level: number): number {
    const w = level === this.startLevel ? this.startWidth : this.stride;
    return Math.floor(va / 2 ** levelShift(this.g, level)) % 2 ** w;
  }

  /** Address of the descriptor for `iova` at `level`, creating intermediate tables. */
  entryAddr(iova: number | bigint, level: number): number {
    const va = this.va(iova);
    if (level < this.startLevel || level > 3) throw new RangeError(`level ${level} outside ${this.startLevel}..3`);
    let table = this.root;
    for (let l = this.startLevel; ; l++) {
      const da = table + this.index(va, l) * 8;
      if (l === level) return da;
      if (!this.mem.read64(da)) throw new RangeError(`table at 0x${table.toString(16)} is not readable`);
      const lo = this.mem.lo;
      const hi = this.mem.hi;
      if ((lo & 1) === 0) {
        const t = this.newTable(this.stride);
        this.mem.write64(da, (t % TWO32) | 3, Math.floor(t / TWO32));
        table = t;
      } else if ((lo & 2) === 0) {
        throw new RangeError(`0x${va.toString(16)} is already mapped by a block at level ${l}`);
      } else {
        table = this.outAddr(lo, hi);
      }
    }
  }

  /** Writes a raw descriptor for `iova` at `level` (tests build faulty tables with this). */
  setRaw(iova: number | bigint, level: number, value: bigint): number {
    const da = this.entryAddr(iova, level);
    const v = BigInt.asUintN(64, value);
    this.mem.write64(da, Number(v & 0xffffffffn), Number(v >> 32n));
    return da;
  }

  private outAddr(lo: number, hi: number): number {
    let a = (hi & 0xffff) * TWO32 + ((lo & -(1 << this.g)) >>> 0);
    if (this.g === 16 && this.fmt.oas === 52) a += ((lo >>> 12) & 0xf) * 2 ** 48;
    return a;
  }

  /** The leaf descriptor bits Linux would write for `prot` (without type and address). */
  leafAttrs(prot: Prot): { lo: number; hi: number } {
    const read = prot.read ?? true;
    const write = prot.write ?? false;
    let lo = (3 << 8) | (1 << 10); // SH = inner shareable, AF
    let hi = 0;
    if (this.fmt.stage === 1) {
      lo |= 1 << 11; // nG
      if (read && !write) lo |= 1 << 7; // AP[2]: read-only
      if (!prot.priv) lo |= 1 << 6; // AP[1]: EL0 access
      const attrIdx = prot.mmio ? 2 : (prot.cache ?? true) ? 1 : 0;
      lo |= attrIdx << 2;
    } else {
      if (read) lo |= 1 << 6;
      if (write) lo |= 1 << 7;
      const memAttr = prot.mmio ? 0x1 : (prot.cache ?? true) ? 0xf : 0x5;
      lo |= memAttr << 2;
    }
    if (prot.exec === false) hi |= 3 << 21; // PXN|UXN (bits 53, 54), XN[1:0] at stage 2
    return { lo, hi };
  }

  /**
   * Maps [iova, iova+size) to [pa, pa+size) like io-pgtable-arm's map_pages: each step uses
   * the largest block the granule allows at an aligned address. Overlapping an existing
   * mapping throws (Linux returns -EEXIST).
   */
  map(iova: number | bigint, pa: number, size: number, prot: Prot = {}, opts: { blocks?: boolean } = {}): void {
    if (!(prot.read ?? true) && !prot.write) throw new RangeError('a mapping needs read or write permission');
    const page = 2 ** this.g;
    const va0 = this.va(iova);
    if (va0 % page !== 0 || pa % page !== 0 || size % page !== 0 || size <= 0) throw new RangeError('iova, pa and size must be granule aligned');
    const attrs = this.leafAttrs(prot);
    let off = 0;
    while (off < size) {
      const va = va0 + off;
      const p = pa + off;
      let level = 3;
      if (opts.blocks ?? true) {
        for (let l = this.startLevel; l < 3; l++) {
          const bs = 2 ** levelShift(this.g, l);
          if (blockAllowed(this.g, l, this.fmt.oas) && va % bs === 0 && p % bs === 0 && size - off >= bs) {
            level = l;
            break;
          }
        }
      }
      const bs = 2 ** levelShift(this.g, level);
      const da = this.entryAddr(va, level);
      if (!this.mem.read64(da)) throw new RangeError('table not readable');
      if ((this.mem.lo & 1) !== 0) throw new RangeError(`0x${va.toString(16)} is already mapped`);
      let lo = attrs.lo | (level === 3 ? 3 : 1) | ((p % TWO32) >>> 0);
      const hiAddr = Math.floor(p / TWO32);
      let hi = attrs.hi | (hiAddr & 0xffff);
      if (this.g === 16 && this.fmt.oas === 52) lo |= ((hiAddr >>> 16) & 0xf) << 12;
      lo >>>= 0;
      hi >>>= 0;
      this.mem.write64(da, lo, hi);
      off += bs;
    }
  }

  /** Clears the leaf entries covering [iova, iova+size) (no table freeing). */
  unmap(iova: number | bigint, size: number): void {
    const va0 = this.va(iova);
    let off = 0;
    while (off < size) {
      const m = this.lookup(va0 + off);
      if (m === null) {
        off += 2 ** this.g;
        continue;
      }
      const va = va0 + off;
      const lvl = 3 - (m.shift - this.g) / this.stride;
      this.mem.write64(this.entryAddr(va, lvl), 0, 0);
      off += 2 ** m.shift - (va % 2 ** m.shift);
    }
  }

  /** Software walk (iova_to_phys): output address and leaf size, or null. */
  lookup(iova: number | bigint): Mapping | null {
    const va = this.va(iova);
    let table = this.root;
    for (let l = this.startLevel; l <= 3; l++) {
      const da = table + this.index(va, l) * 8;
      if (!this.mem.read64(da)) return null;
      const lo = this.mem.lo;
      const hi = this.mem.hi;
      if ((lo & 1) === 0) return null;
      if (l < 3 && (lo & 2) !== 0) {
        table = this.outAddr(lo, hi);
        continue;
      }
      if (l === 3 && (lo & 2) === 0) return null;
      const shift = levelShift(this.g, l);
      const base = Math.floor(this.outAddr(lo, hi) / 2 ** shift) * 2 ** shift;
      return { pa: base + (va % 2 ** shift), shift, lo, hi };
    }
    return null;
  }
}

/** A MemView of physical memory. */
export function physView(mem: PhysMem): MemView {
  return mem;
}

/**
 * A MemView of an intermediate physical address space: accesses go through a stage-2
 * table (software walk), the way a guest's stage-1 tables and CDs are reached.
 */
export class IpaView implements MemView {
  lo = 0;
  hi = 0;
  constructor(
    readonly mem: PhysMem,
    readonly s2: PageTable,
  ) {}
  private pa(ipa: number): number {
    const m = this.s2.lookup(ipa);
    if (m === null) throw new RangeError(`IPA 0x${ipa.toString(16)} is not mapped at stage 2`);
    return m.pa;
  }
  read64(ipa: number): boolean {
    const ok = this.mem.read64(this.pa(ipa));
    this.lo = this.mem.lo;
    this.hi = this.mem.hi;
    return ok;
  }
  write64(ipa: number, lo: number, hi: number): void {
    this.mem.write64(this.pa(ipa), lo, hi);
  }
  writeU64(ipa: number, v: bigint): void {
    this.mem.writeU64(this.pa(ipa), v);
  }
}
