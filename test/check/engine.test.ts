import { describe, expect, it } from 'vitest';
import { resolveLevels, runChecks } from '../../src/check/engine';
import { covered, gaps, sweepOverlaps, union } from '../../src/check/intervals';
import { allChecks, checkInfo } from '../../src/check/registry';
import type { CheckDef, CheckInfo } from '../../src/check/types';
import { allCodes } from '../../src/diag/diagnostic';
import { CONFIG_CASES } from './cases-config';
import { DT_CASES, IORT_CASES } from './cases-binary';

// A toy registry: a <- b <- c (c depends on b, b on a); d independent and off by default.
const toy = (log: string[], fail: Set<string>): CheckDef<null>[] =>
  (
    [
      ['a', 'error', []],
      ['b', 'warning', ['a']],
      ['c', 'warning', ['b']],
      ['d', 'off', []],
    ] as const
  ).map(([name, level, prereqs], i) => ({
    name,
    code: `IOT58${i}0`,
    level,
    target: 'config' as const,
    title: name,
    explain: name,
    source: 'test',
    prereqs: [...prereqs],
    run(_ctx: null, report) {
      log.push(name);
      if (fail.has(name)) report({ message: `${name} failed` });
    },
  }));
const infos = (cs: CheckDef<null>[]): CheckInfo[] => cs.map((c) => checkInfo(c as CheckDef<unknown>));

describe('resolveLevels (dtc-style toggles)', () => {
  const cs = toy([], new Set());
  it('defaults come from the registry', () => {
    const { levels, unknown } = resolveLevels(infos(cs));
    expect(Object.fromEntries(levels)).toEqual({ a: 'error', b: 'warning', c: 'warning', d: 'off' });
    expect(unknown).toEqual([]);
  });
  it('-E raises prerequisites transitively to the same level', () => {
    const { levels } = resolveLevels(infos(cs), { toggles: [{ flag: 'E', name: 'c' }] });
    expect(Object.fromEntries(levels)).toEqual({ a: 'error', b: 'error', c: 'error', d: 'off' });
  });
  it('-W downgrades an error to a warning but never below', () => {
    const { levels } = resolveLevels(infos(cs), { toggles: [{ flag: 'W', name: 'a' }] });
    expect(levels.get('a')).toBe('warning');
  });
  it('no-<name> disables the check and everything depending on it', () => {
    const { levels } = resolveLevels(infos(cs), { toggles: [{ flag: 'W', name: 'no-a' }] });
    expect(Object.fromEntries(levels)).toEqual({ a: 'off', b: 'off', c: 'off', d: 'off' });
    const e = resolveLevels(infos(cs), { toggles: [{ flag: 'E', name: 'no-b' }] });
    expect(Object.fromEntries(e.levels)).toEqual({ a: 'error', b: 'off', c: 'off', d: 'off' });
  });
  it('toggles apply in order, after the config levels', () => {
    const r = resolveLevels(infos(cs), { config: { d: 'warning', a: 'off' }, toggles: [{ flag: 'W', name: 'no-d' }, { flag: 'E', name: 'd' }] });
    expect(r.levels.get('d')).toBe('error');
    expect(r.levels.get('a')).toBe('off');
  });
  it('unknown names are returned as given', () => {
    const r = resolveLevels(infos(cs), { toggles: [{ flag: 'W', name: 'zzz' }, { flag: 'E', name: 'no-yyy' }], config: { xxx: 'warning' } });
    expect(r.unknown).toEqual(['xxx', 'zzz', 'no-yyy']);
  });
});

describe('runChecks', () => {
  it('runs prerequisites first and skips dependents of a failed one', () => {
    const log: string[] = [];
    const cs = toy(log, new Set(['a']));
    const { levels } = resolveLevels(infos(cs));
    const r = runChecks(cs, 'config', null, levels);
    expect(log).toEqual(['a']);
    expect(Object.fromEntries(r.status)).toEqual({ a: 'failed', b: 'skipped', c: 'skipped' });
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.check])).toEqual([['IOT5800', 'error', 'a']]);
  });
  it('a disabled prerequisite still runs silently to gate its dependents', () => {
    const log: string[] = [];
    const cs = toy(log, new Set(['a']));
    const levels = new Map(Object.entries({ a: 'off', b: 'warning', c: 'off', d: 'off' } as const));
    const r = runChecks(cs, 'config', null, levels);
    expect(log).toEqual(['a']);
    expect(r.diagnostics).toEqual([]);
    expect(r.status.get('b')).toBe('skipped');
  });
  it('off checks nobody needs do not run', () => {
    const log: string[] = [];
    const cs = toy(log, new Set());
    runChecks(cs, 'config', null, resolveLevels(infos(cs)).levels);
    expect(log).toEqual(['a', 'b', 'c']);
  });
  it('an exception inside a check becomes an IOT5999 diagnostic', () => {
    const cs = toy([], new Set());
    cs[3]!.level = 'warning';
    cs[3]!.run = () => {
      throw new Error('boom');
    };
    const r = runChecks(cs, 'config', null, resolveLevels(infos(cs)).levels, { loc: { file: 'x.bin' } });
    expect(r.diagnostics.map((d) => [d.code, d.check, d.loc?.file])).toEqual([['IOT5999', 'd', 'x.bin']]);
    expect(r.diagnostics[0]!.message).toMatch(/boom/);
  });
});

describe('the registry', () => {
  const all = allChecks();
  it('names are unique kebab-case, codes unique IOT5xxx and registered', () => {
    const names = all.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    const codes = all.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    const registered = new Set(allCodes().map((c) => c.code));
    for (const c of codes) expect(registered.has(c)).toBe(true);
  });
  it('prerequisites exist, have the same target and come earlier in run order', () => {
    for (const [i, c] of all.entries())
      for (const p of c.prereqs) {
        const j = all.findIndex((x) => x.name === p);
        expect(j, `${c.name} -> ${p}`).toBeGreaterThanOrEqual(0);
        expect(all[j]!.target).toBe(c.target);
        expect(j).toBeLessThan(i);
      }
  });
  it('every check explains its rule and cites a source', () => {
    for (const c of all) {
      expect(c.title.length, c.name).toBeGreaterThan(10);
      expect(c.explain.length, c.name).toBeGreaterThan(80);
      expect(c.source.length, c.name).toBeGreaterThan(10);
    }
  });
  it('every check has a firing and a silent test case', () => {
    const covered = new Set([...CONFIG_CASES, ...IORT_CASES, ...DT_CASES].map((c) => c.check));
    expect(all.map((c) => c.name).filter((n) => !covered.has(n))).toEqual([]);
    for (const c of [...CONFIG_CASES, ...IORT_CASES, ...DT_CASES]) expect(all.find((x) => x.name === c.check)?.code).toBe(c.code);
  });
});

describe('interval helpers', () => {
  const iv = (lo: number, end: number) => ({ lo: BigInt(lo), end: BigInt(end), item: `${lo}` });
  it('sweepOverlaps reports each overlapping interval once, against the widest earlier one', () => {
    const pairs: string[] = [];
    sweepOverlaps([iv(0, 10), iv(20, 30), iv(5, 6), iv(8, 25), iv(40, 41), iv(3, 3)], (a, b) => pairs.push(`${a.item}>${b.item}`));
    expect(pairs).toEqual(['0>5', '0>8', '8>20']);
  });
  it('union, gaps and covered', () => {
    const u = union([iv(5, 10), iv(0, 3), iv(3, 4), iv(9, 12)]);
    expect(u.map((x) => [Number(x.lo), Number(x.end)])).toEqual([
      [0, 4],
      [5, 12],
    ]);
    expect(gaps(u, 0n, 20n).map((x) => [Number(x.lo), Number(x.end)])).toEqual([
      [4, 5],
      [12, 20],
    ]);
    expect(covered(u, 5n, 12n)).toBe(true);
    expect(covered(u, 3n, 5n)).toBe(false);
    expect(covered(u, 0n, 0n)).toBe(true);
  });
});
