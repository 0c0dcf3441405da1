/**
 * Bounds-checked byte reading and growable writing, little- or big-endian.
 * Decoders use ByteReader so that every out-of-range read becomes a located error
 * (OutOfBounds carries the offset) instead of an exception deep in a DataView.
 */
export class OutOfBounds extends Error {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly size: number,
  ) {
    super(`read of ${length} byte(s) at offset 0x${offset.toString(16)} is outside the ${size}-byte input`);
  }
}

export class ByteReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get size(): number {
    return this.bytes.byteLength;
  }
  has(offset: number, length: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.bytes.byteLength;
  }
  check(offset: number, length: number): void {
    if (!this.has(offset, length)) throw new OutOfBounds(offset, length, this.bytes.byteLength);
  }
  u8(o: number): number {
    this.check(o, 1);
    return this.view.getUint8(o);
  }
  u16(o: number): number {
    this.check(o, 2);
    return this.view.getUint16(o, this.littleEndian);
  }
  u32(o: number): number {
    this.check(o, 4);
    return this.view.getUint32(o, this.littleEndian);
  }
  u64(o: number): bigint {
    this.check(o, 8);
    return this.view.getBigUint64(o, this.littleEndian);
  }
  slice(o: number, n: number): Uint8Array {
    this.check(o, n);
    return this.bytes.subarray(o, o + n);
  }
  /** ASCII of exactly n bytes (NULs kept as-is). */
  ascii(o: number, n: number): string {
    const b = this.slice(o, n);
    let s = '';
    for (const c of b) s += String.fromCharCode(c);
    return s;
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  constructor(
    readonly littleEndian: boolean,
    initial = 256,
  ) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }
  get length(): number {
    return this.len;
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.len, v);
    this.len += 1;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.len, v, this.littleEndian);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.len, v >>> 0, this.littleEndian);
    this.len += 4;
    return this;
  }
  u64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, v), this.littleEndian);
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }
  align(n: number): this {
    const pad = (n - (this.len % n)) % n;
    return this.zeros(pad);
  }
  /** Overwrite a u32 at an earlier position (for lengths/offsets known later). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, this.littleEndian);
  }
  patchU8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  patchU16(at: number, v: number): void {
    this.view.setUint16(at, v, this.littleEndian);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
