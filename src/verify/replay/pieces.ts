/**
 * Piecewise functions over the 16-bit RID space of a segment. Every table interpreter we run
 * (IORT, DT, the config's intent) is constant in its choices (node, SMMU, ITS) between a few
 * boundaries and moves IDs by a fixed offset (or pins them to one value, for Single mappings),
 * so a whole segment is a short list of pieces and the every-RID proof costs
 * O(pieces), not O(RIDs x mappings).
 *
 * An ID inside a piece is `k * rid + c` with k in {0, 1}. Two such functions that agree at
 * both ends of a piece agree everywhere in it (the difference is constant or moves by one per
 * RID), and when they agree at `lo` only, the first RID where they differ is `lo + 1`.
 */

export const RID_COUNT = 0x10000;
export const RID_MAX = 0xffff;

export interface Affine {
  k: 0 | 1;
  c: number;
}

export const affAt = (a: Affine, rid: number): number => a.k * rid + a.c;
export const constAff = (c: number): Affine => ({ k: 0, c });
/** The ID that equals `value` at `rid` and moves with the RID. */
export const slopeAff = (rid: number, value: number): Affine => ({ k: 1, c: value - rid });
export const sameAff = (a: Affine | null, b: Affine | null): boolean =>
  a === null || b === null ? a === b : a.k === b.k && a.c === b.c;

export interface Piece<T> {
  /** Inclusive bounds. */
  lo: number;
  hi: number;
  v: T;
}

/**
 * Sweeps several piece lists that each cover [lo, hi] contiguously and yields the common
 * refinement: each output piece lies inside exactly one piece of every input.
 */
export function mergePieces<T extends unknown[]>(lists: { [K in keyof T]: Piece<T[K]>[] }, lo = 0, hi = RID_MAX): Piece<T>[] {
  const idx = lists.map(() => 0);
  const out: Piece<T>[] = [];
  let at = lo;
  while (at <= hi) {
    let end = hi;
    const vals: unknown[] = [];
    lists.forEach((l, i) => {
      let j = idx[i]!;
      while (j < l.length && l[j]!.hi < at) j++;
      idx[i] = j;
      const p = l[j];
      if (!p || p.lo > at) throw new Error(`piece list ${i} does not cover 0x${at.toString(16)}`);
      vals.push(p.v);
      if (p.hi < end) end = p.hi;
    });
    out.push({ lo: at, hi: end, v: vals as T });
    at = end + 1;
  }
  return out;
}

/** Joins neighbouring pieces whose values are equal under `same`. */
export function coalesce<T>(ps: Piece<T>[], same: (a: T, b: T) => boolean): Piece<T>[] {
  const out: Piece<T>[] = [];
  for (const p of ps) {
    const last = out[out.length - 1];
    if (last && last.hi + 1 === p.lo && same(last.v, p.v)) last.hi = p.hi;
    else out.push({ ...p });
  }
  return out;
}

/** Splits [lo, hi] at the given cut points (each cut starts a new piece). */
export function splitAt(lo: number, hi: number, cuts: Iterable<number>): [number, number][] {
  const cs = [...new Set([...cuts].filter((c) => c > lo && c <= hi))].sort((a, b) => a - b);
  const out: [number, number][] = [];
  let a = lo;
  for (const c of cs) {
    out.push([a, c - 1]);
    a = c;
  }
  out.push([a, hi]);
  return out;
}

/** "0000:81:00.0" */
export function bdf(segment: number, rid: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(segment, 4)}:${h((rid >> 8) & 0xff, 2)}:${h((rid >> 3) & 0x1f, 2)}.${rid & 7}`;
}

export const hex = (n: number | bigint): string => '0x' + n.toString(16);
