/**
 * The harness must catch what it exists to catch: a hang (watchdog kills the worker and
 * reports the case in flight), a memory blow-up (worker heap limit), an exception, a case over
 * the time bound, heap growth over the size-proportional bound, a broken invariant; and a
 * failing case must round-trip through the regression store.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzInWorker } from './lib/worker';
import { checkCase, DEFAULT_BOUNDS, fuzzTarget } from './lib/runner';
import { loadRegressions, saveRegression } from './lib/regressions';
import { decodeInput, encodeInput } from './lib/serialize';
import { Scratch, type FuzzInput } from './lib/targets';

const self = (k: number): FuzzInput => ({ target: 'selftest', file: 'self.bin', bytes: Uint8Array.of(k), origin: `selftest ${k}` });
const ctx = () => ({ cli: false, scratch: new Scratch() });

describe('fuzz harness', () => {
  it('a passing target reports every case', async () => {
    const r = await fuzzInWorker({ target: 'selftest', seed: 1, numRuns: 30, selftest: [0] });
    expect(r.failure).toBeNull();
    expect(r.runs).toBe(30);
  });

  it('the watchdog ends a hang and reports the case that hung', async () => {
    const t0 = Date.now();
    const r = await fuzzInWorker({ target: 'selftest', seed: 1, numRuns: 10, selftest: [0, 1] }, { hangMs: 500 });
    expect(r.failure?.problems[0]).toMatch(/^hang: /);
    expect([...r.failure!.input.bytes]).toEqual([1]);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a memory blow-up ends the worker and reports the case in flight', async () => {
    const r = await fuzzInWorker({ target: 'selftest', seed: 1, numRuns: 5, selftest: [2] }, { maxHeapMb: 64, hangMs: 60_000 });
    expect(r.failure?.problems[0]).toMatch(/memory blow-up/);
    expect([...r.failure!.input.bytes]).toEqual([2]);
  });

  it('exceptions, slow cases, heap growth and broken invariants fail a case', async () => {
    expect((await checkCase(self(3), ctx())).problems[0]).toMatch(/^uncaught TypeError: selftest exception/);
    expect((await checkCase(self(4), ctx(), { ...DEFAULT_BOUNDS, caseMs: 100 })).problems.join()).toMatch(/over the 100 ms bound/);
    expect((await checkCase(self(5), ctx(), { caseMs: 10_000, heapFixed: 1 << 20, heapPerByte: 0 })).problems.join()).toMatch(/heap grew by/);
    expect((await checkCase(self(6), ctx())).problems).toEqual(['selftest invariant broken']);
    expect((await checkCase(self(0), ctx())).problems).toEqual([]);
  });

  it('fast-check reports the failing case in process', async () => {
    const r = await fuzzTarget({ target: 'selftest', seed: 3, numRuns: 50, selftest: [0, 6] });
    expect(r.failure?.problems).toEqual(['selftest invariant broken']);
  });

  it('a failure round-trips through the regression store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iotopo-reg-'));
    try {
      const input: FuzzInput = { target: 'dsl', file: 'fuzz.iotopo', bytes: new TextEncoder().encode('machine x { }'), twin: new TextEncoder().encode('machine: x\n'), valid: true, origin: 'test' };
      saveRegression({ input, problems: ['p'] }, 9, dir);
      expect(readdirSync(dir).sort()).toHaveLength(3);
      const [back] = loadRegressions(dir);
      expect(back!.input).toEqual(input);
      expect(back!.meta.problems).toEqual(['p']);
      expect(decodeInput(encodeInput(input))).toEqual(input);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
