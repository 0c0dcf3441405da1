/**
 * Sparse simulated physical memory: 64 KiB chunks created on first write.
 *
 * A read of a chunk that was never written (or was explicitly unbacked) is an external abort,
 * which the SMMU turns into F_STE_FETCH / F_CD_FETCH / F_WALK_EABT depending on who read.
 * 64-bit values travel as two u32 halves (`lo`, `hi`) so the hot paths never allocate a
 * BigInt; physical addresses are plain numbers (exact up to 2^53, PA is at most 52 bits).
 */
export const CHUNK_SHIFT = 16;
export const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SIZE - 1;
const TWO32 = 4294967296;
/** Highest address + 1 that PhysMem accepts; beyond this every access aborts. */
export const PA_LIMIT = 2 ** 53;

export class PhysMem {
  private readonly chunks = new Map<number, DataView>();
  private lastIdx = -1;
  private lastView: DataView | undefined = undefined;
  /** Low / high 32 bits of the last successful read64(). */
  lo = 0;
  hi = 0;
  /** Count of write operations; lets callers notice that memory changed between two points. */
  writes = 0;

  private view(pa: number): DataView | undefined {
    const idx = Math.floor(pa / CHUNK_SIZE);
    if (idx === this.lastIdx) return this.lastView;
    const v = this.chunks.get(idx);
    if (v !== undefined) {
      this.lastIdx = idx;
      this.lastView = v;
    }
    return v;
  }

  private viewOrCreate(pa: number): DataView {
    const v = this.view(pa);
    if (v !== undefined) return v;
    const idx = Math.floor(pa / CHUNK_SIZE);
    const nv = new DataView(new ArrayBuffer(CHUNK_SIZE));
    this.chunks.set(idx, nv);
    this.lastIdx = idx;
    this.lastView = nv;
    return nv;
  }

  private static valid(pa: number, len: number): boolean {
    return Number.isInteger(pa) && pa >= 0 && pa + len <= PA_LIMIT;
  }

  /** True when every byte of [pa, pa+len) is backed. */
  isBacked(pa: number, len = 1): boolean {
    if (!PhysMem.valid(pa, len)) return false;
    for (let c = Math.floor(pa / CHUNK_SIZE); c <= Math.floor((pa + len - 1) / CHUNK_SIZE); c++) {
      if (!this.chunks.has(c)) return false;
    }
    return true;
  }

  /** Backs [pa, pa+len) with zeroed memory where it is not backed yet. */
  back(pa: number, len: number): void {
    if (!PhysMem.valid(pa, len)) throw new RangeError(`bad physical range 0x${pa.toString(16)}+0x${len.toString(16)}`);
    if (len === 0) return;
    for (let c = Math.floor(pa / CHUNK_SIZE); c <= Math.floor((pa + len - 1) / CHUNK_SIZE); c++) {
      if (!this.chunks.has(c)) this.chunks.set(c, new DataView(new ArrayBuffer(CHUNK_SIZE)));
    }
  }

  /** Removes the 64 KiB chunks that overlap [pa, pa+len): later reads there abort. */
  unback(pa: number, len: number): void {
    if (len <= 0) return;
    for (let c = Math.floor(pa / CHUNK_SIZE); c <= Math.floor((pa + len - 1) / CHUNK_SIZE); c++) this.chunks.delete(c);
    this.lastIdx = -1;
    this.lastView = undefined;
    this.writes++;
  }

  /** u32 at pa, or -1 on external abort. */
  read32(pa: number): number {
    if ((pa & 3) === 0 && pa >= 0 && pa < PA_LIMIT) {
      const v = this.view(pa);
      if (v === undefined) return -1;
      return v.getUint32(pa & CHUNK_MASK, true);
    }
    const b = this.readBytes(pa, 4);
    if (b === null) return -1;
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** Reads a little-endian u64 into `lo`/`hi`; false on external abort. */
  read64(pa: number): boolean {
    if ((pa & 7) === 0 && pa >= 0 && pa < PA_LIMIT) {
      const v = this.view(pa);
      if (v === undefined) return false;
      const o = pa & CHUNK_MASK;
      this.lo = v.getUint32(o, true);
      this.hi = v.getUint32(o + 4, true);
      return true;
    }
    const b = this.readBytes(pa, 8);
    if (b === null) return false;
    this.lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    this.hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
    return true;
  }

  /** u64 at pa as a bigint, or null on external abort. Convenience for tests and dumps. */
  read64Big(pa: number): bigint | null {
    if (!this.read64(pa)) return null;
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  readBytes(pa: number, len: number): Uint8Array | null {
    if (!this.isBacked(pa, len)) return null;
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = pa + i;
      out[i] = this.view(a)!.getUint8(a & CHUNK_MASK);
    }
    return out;
  }

  /** Writes bytes, backing memory as needed (software setup path). */
  writeBytes(pa: number, bytes: Uint8Array): void {
    this.back(pa, bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const a = pa + i;
      this.view(a)!.setUint8(a & CHUNK_MASK, bytes[i]!);
    }
    this.writes++;
  }

  /** Writes a u32 (backing memory as needed). */
  write32(pa: number, v: number): void {
    if ((pa & 3) === 0 && PhysMem.valid(pa, 4)) {
      this.viewOrCreate(pa).setUint32(pa & CHUNK_MASK, v >>> 0, true);
      this.writes++;
      return;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.writeBytes(pa, b);
  }

  /** Writes a u64 given as halves (backing memory as needed). */
  write64(pa: number, lo: number, hi: number): void {
    if ((pa & 7) === 0 && PhysMem.valid(pa, 8)) {
      const v = this.viewOrCreate(pa);
      const o = pa & CHUNK_MASK;
      v.setUint32(o, lo >>> 0, true);
      v.setUint32(o + 4, hi >>> 0, true);
      this.writes++;
      return;
    }
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, lo >>> 0, true);
    dv.setUint32(4, hi >>> 0, true);
    this.writeBytes(pa, b);
  }

  /** Writes a u64 given as a bigint or a non-negative integer number < 2^53. */
  writeU64(pa: number, value: bigint | number): void {
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value >= PA_LIMIT) throw new RangeError(`bad u64 ${value}`);
      this.write64(pa, value % TWO32, Math.floor(value / TWO32));
      return;
    }
    const v = BigInt.asUintN(64, value);
    this.write64(pa, Number(v & 0xffffffffn), Number(v >> 32n));
  }

  /**
   * Device-side write (event records, MSIs): never backs memory, so a write to an unbacked
   * address fails like an aborted bus write would.
   */
  tryWrite32(pa: number, v: number): boolean {
    if ((pa & 3) !== 0 || !PhysMem.valid(pa, 4)) return false;
    const view = this.view(pa);
    if (view === undefined) return false;
    view.setUint32(pa & CHUNK_MASK, v >>> 0, true);
    this.writes++;
    return true;
  }

  tryWrite64(pa: number, lo: number, hi: number): boolean {
    if ((pa & 7) !== 0 || !PhysMem.valid(pa, 8)) return false;
    const view = this.view(pa);
    if (view === undefined) return false;
    const o = pa & CHUNK_MASK;
    view.setUint32(o, lo >>> 0, true);
    view.setUint32(o + 4, hi >>> 0, true);
    this.writes++;
    return true;
  }

  /** Fills [pa, pa+len) with a byte value, backing memory. */
  fill(pa: number, len: number, byte = 0): void {
    this.back(pa, len);
    for (let i = 0; i < len; i++) {
      const a = pa + i;
      this.view(a)!.setUint8(a & CHUNK_MASK, byte);
    }
    this.writes++;
  }

  /** Number of backed chunks (for tests and memory accounting). */
  get chunkCount(): number {
    return this.chunks.size;
  }
}
