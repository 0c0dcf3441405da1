/**
 * Positive proofs: every example's emitted tables prove clean, against the config and on their
 * own, with every RID of every segment counted; and the every-RID proof of a 16-segment machine
 * stays well under a second.
 */
import { describe, expect, it } from 'vitest';
import { proveTables, type ProofReport } from '../../../src/verify/index';
import { build, devicesBehindSmmu, examples, lower, lowerExample } from './helpers';
import { bigMachine } from './machines';

const errors = (r: ProofReport) => r.diagnostics.filter((d) => d.severity === 'error');

describe('every example proves clean', () => {
  for (const file of examples()) {
    const b = build(lowerExample(file));
    const segs = b.ir.segments.length;

    it(`${file}: against its config`, () => {
      const r = proveTables({ ...b, files: { iort: 'iort.bin', dtb: 'machine.dtb' } });
      expect(errors(r)).toEqual([]);
      expect(r.proven).toBe(true);
      expect(r.counterexamples).toEqual([]);
      expect(r.summary.segments).toEqual(b.ir.segments.map((s) => s.segment));
      expect(r.summary.ridsTotal).toBe(0x10000 * segs);
      expect(r.summary.ridsReplayed).toBe(0x10000 * segs);
      expect(r.summary.smmus).toBe(b.ir.smmus.length);
      expect(r.summary.devices).toBe(devicesBehindSmmu(b.ir));
      // Two DMA transactions per device at least, one per StreamID class, MSIs for devices with an ITS.
      expect(r.summary.dmaTransactions).toBeGreaterThanOrEqual(2 * b.ir.devices.length);
      expect(r.summary.transactions).toBe(r.summary.dmaTransactions + r.summary.msiTransactions + r.summary.classTransactions);
      if (b.ir.smmus.length) expect(r.summary.classTransactions).toBeGreaterThan(0);
    });

    it(`${file}: tables alone (IORT + DTB, and IORT only)`, () => {
      const both = proveTables({ iort: b.iort, dtb: b.dtb });
      expect(errors(both)).toEqual([]);
      expect(both.summary.ridsReplayed).toBe(0x10000 * segs);
      const alone = proveTables({ iort: b.iort });
      expect(errors(alone)).toEqual([]);
      expect(alone.proven).toBe(true);
      expect(alone.summary.ridsReplayed).toBe(0x10000 * segs);
    });
  }
});

describe('scale', () => {
  // Timings are not asserted (they depend on the machine; `summary.timeMs` reports them, about
  // 50-250 ms here). What keeps the proof fast is asserted instead: the work is proportional to
  // the uniform ranges and the transactions, not to RIDs x mappings.
  it('proves every RID of a 16-segment machine (32 SMMUs) with work bounded by ranges, not RIDs', () => {
    const b = build(lower(bigMachine(16), 'big16.iotopo'));
    let best = Infinity;
    let r: ProofReport | null = null;
    for (let i = 0; i < 3; i++) {
      r = proveTables(b);
      best = Math.min(best, r.summary.timeMs);
    }
    expect(errors(r!)).toEqual([]);
    expect(r!.summary.ridsReplayed).toBe(16 * 0x10000);
    expect(r!.summary.smmus).toBe(32);
    expect(r!.summary.devices).toBe(64);
    console.log(`16 segments, 1048576 RIDs: ${r!.summary.pieces} uniform ranges, ${r!.summary.transactions} transactions, best of 3: ${best.toFixed(1)} ms`);
    expect(r!.summary.pieces).toBeLessThan(16 * 20);
    expect(r!.summary.transactions).toBeLessThan(2000);
  });
});
