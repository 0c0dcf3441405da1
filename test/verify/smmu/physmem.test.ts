import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, PhysMem } from '../../../src/verify/smmu';

describe('PhysMem', () => {
  it('unbacked reads are external aborts; writes back memory', () => {
    const m = new PhysMem();
    expect(m.read32(0x1000)).toBe(-1);
    expect(m.read64(0x1000)).toBe(false);
    expect(m.read64Big(0x1000)).toBeNull();
    m.write32(0x1004, 0xdeadbeef);
    expect(m.read32(0x1004)).toBe(0xdeadbeef);
    expect(m.read32(0x1000)).toBe(0); // same chunk, zero-filled
    expect(m.isBacked(0x1000 + CHUNK_SIZE)).toBe(false);
  });

  it('stores u64 little-endian, including values with bit 31 / bit 63 set, at addresses above 2^32', () => {
    const m = new PhysMem();
    const a = 0xf_ffff_fff8;
    m.writeU64(a, 0x8000000180000002n);
    expect(m.read64(a)).toBe(true);
    expect(m.lo).toBe(0x80000002);
    expect(m.hi).toBe(0x80000001);
    expect(m.read64Big(a)).toBe(0x8000000180000002n);
    expect([...m.readBytes(a, 8)!]).toEqual([2, 0, 0, 0x80, 1, 0, 0, 0x80]);
    const high = 2 ** 51 + 0x40;
    m.write64(high, 0x11223344, 0x55667788);
    expect(m.read64Big(high)).toBe(0x5566778811223344n);
  });

  it('unaligned accesses that straddle a chunk boundary need both chunks', () => {
    const m = new PhysMem();
    const edge = CHUNK_SIZE * 3 - 2;
    m.write32(edge - 2, 0); // backs only the first chunk
    expect(m.read32(edge)).toBe(-1);
    m.write32(edge, 0xa1b2c3d4);
    expect(m.read32(edge)).toBe(0xa1b2c3d4);
    expect(m.isBacked(edge, 4)).toBe(true);
  });

  it('device writes (tryWrite) never back memory; unback makes a region abort again', () => {
    const m = new PhysMem();
    expect(m.tryWrite64(0x2000, 1, 2)).toBe(false);
    expect(m.isBacked(0x2000)).toBe(false);
    m.back(0x2000, 8);
    expect(m.tryWrite64(0x2000, 1, 2)).toBe(true);
    expect(m.read64Big(0x2000)).toBe(0x200000001n);
    m.unback(0x2000, 8);
    expect(m.read64(0x2000)).toBe(false);
  });

  it('rejects addresses beyond 2^53 and negative ones', () => {
    const m = new PhysMem();
    expect(m.read64(2 ** 53)).toBe(false);
    expect(m.read32(-4)).toBe(-1);
    expect(() => m.write32(2 ** 53, 1)).toThrow(RangeError);
  });
});
