/**
 * Interval helpers shared by the checks. Everything is sort + one sweep (O(n log n)); no check
 * compares ranges pairwise. Intervals are half-open [lo, end) in bigint so that addresses,
 * IDs and bus numbers share one implementation.
 */

export interface Iv<T> {
  lo: bigint;
  end: bigint;
  item: T;
}

const byLo = <T>(a: Iv<T> & { i: number }, b: Iv<T> & { i: number }) =>
  a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : a.i - b.i;

/**
 * Calls `onOverlap(earlier, later)` for each interval that starts before the furthest end seen
 * so far; `earlier` is the interval holding that furthest end. Every overlapping interval is
 * therefore reported once, against the party it collides with first. Empty intervals are
 * ignored (their own checks report them). Ties keep input order, so output is deterministic.
 */
export function sweepOverlaps<T>(ivs: readonly Iv<T>[], onOverlap: (earlier: Iv<T>, later: Iv<T>) => void): void {
  const sorted = ivs
    .map((v, i) => ({ ...v, i }))
    .filter((v) => v.end > v.lo)
    .sort(byLo);
  let cur: (typeof sorted)[number] | undefined;
  for (const v of sorted) {
    if (cur && v.lo < cur.end) onOverlap(cur, v);
    if (!cur || v.end > cur.end) cur = v;
  }
}

/** Union of the intervals, sorted, merged (touching intervals are merged too). */
export function union(ivs: readonly { lo: bigint; end: bigint }[]): { lo: bigint; end: bigint }[] {
  const s = ivs.filter((v) => v.end > v.lo).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: { lo: bigint; end: bigint }[] = [];
  for (const v of s) {
    const last = out[out.length - 1];
    if (last && v.lo <= last.end) {
      if (v.end > last.end) last.end = v.end;
    } else out.push({ lo: v.lo, end: v.end });
  }
  return out;
}

/** Parts of [lo, end) that no interval covers. */
export function gaps(ivs: readonly { lo: bigint; end: bigint }[], lo: bigint, end: bigint): { lo: bigint; end: bigint }[] {
  const out: { lo: bigint; end: bigint }[] = [];
  let at = lo;
  for (const v of union(ivs)) {
    if (v.end <= at) continue;
    if (v.lo >= end) break;
    if (v.lo > at) out.push({ lo: at, end: v.lo < end ? v.lo : end });
    if (v.end > at) at = v.end;
    if (at >= end) break;
  }
  if (at < end) out.push({ lo: at, end });
  return out;
}

/** Sorted union of the intervals with [lo, end). */
export function intersect(ivs: readonly { lo: bigint; end: bigint }[], lo: bigint, end: bigint): { lo: bigint; end: bigint }[] {
  const out: { lo: bigint; end: bigint }[] = [];
  for (const v of union(ivs)) {
    const a = v.lo > lo ? v.lo : lo;
    const b = v.end < end ? v.end : end;
    if (b > a) out.push({ lo: a, end: b });
  }
  return out;
}

/** True when [lo, end) lies entirely inside the union of `ivs` (already merged by union()). */
export function covered(merged: readonly { lo: bigint; end: bigint }[], lo: bigint, end: bigint): boolean {
  if (end <= lo) return true;
  // Binary search the merged list for the interval that could contain lo.
  let a = 0;
  let b = merged.length - 1;
  while (a <= b) {
    const m = (a + b) >> 1;
    const v = merged[m]!;
    if (v.end <= lo) a = m + 1;
    else if (v.lo > lo) b = m - 1;
    else return end <= v.end;
  }
  return false;
}

export const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** "0x100..0x1ff" for a half-open [lo, end). */
export const rangeText = (lo: number | bigint, end: number | bigint): string =>
  `${hex(lo)}..${hex(BigInt(end) - 1n)}`;
