/**
 * IOTLB: successful translations tagged by (VMID, ASID) like the architecture (not by
 * StreamID), keyed by the input page at the size the translation covers (the smaller of the
 * stage-1 and stage-2 page/block sizes). Stage-1 and stage-2 permissions are kept apart and
 * re-checked on every hit, so a hit never grants an access that the walk would have refused.
 *
 * Invalidation follows the CMD_TLBI_* scopes (§4.4): in particular TLBI_S2_IPA only removes
 * stage-2-only entries, never combined stage-1+2 entries (software must use TLBI_NH_* or
 * TLBI_S12_VMALL for those).
 */
import { INV2, POW2 } from './walk';

/** ASID slot for entries from global (nG = 0) stage-1 leaves. */
export const ASID_GLOBAL = 0x10000;
/** ASID slot for stage-2-only entries (no stage-1 context). */
export const ASID_NONE = 0x10001;
/** VMID slot when the SMMU implements no stage 2 (entries are not VMID-tagged). */
export const VMID_NONE = 0x10000;

export function tlbTag(vmidSlot: number, asidSlot: number): number {
  return vmidSlot * 0x20000 + asidSlot;
}

export const KIND_S1 = 1;
export const KIND_S2 = 2;
export const KIND_NESTED = 3;

export class TlbEntry {
  constructor(
    /** Input page base in key space (see Smmu: VA[55] ? 2^48 : 0 + VA[47:0], or the IPA). */
    readonly vaBase: number,
    readonly shift: number,
    readonly paBase: number,
    /** IPA of vaBase (stage-1 output), -1 when there is no stage 1. */
    readonly ipaBase: number,
    /** -1 when the stage is absent. */
    readonly s1Perm: number,
    readonly s2Perm: number,
    readonly kind: number,
    readonly vmidSlot: number,
    readonly asidSlot: number,
    /** The ASID of the context that inserted a global entry (for diagnostics). */
    readonly asid: number,
  ) {}
}

class TagSet {
  readonly map = new Map<number, TlbEntry>();
  /** Page shifts present in this set, so lookups only probe sizes that exist. */
  shifts: number[] = [];
  readonly counts = new Map<number, number>();
}

export class Iotlb {
  private readonly sets = new Map<number, TagSet>();
  size = 0;
  hits = 0;
  misses = 0;
  /** Entries dropped because the TLB was full (flush-all policy, deterministic). */
  overflowFlushes = 0;

  constructor(readonly capacity: number) {}

  lookup(tag: number, keyVa: number): TlbEntry | undefined {
    const s = this.sets.get(tag);
    if (s === undefined) return undefined;
    const sh = s.shifts;
    for (let i = 0; i < sh.length; i++) {
      const k = sh[i]!;
      const e = s.map.get(Math.floor(keyVa * INV2[k]!) * 64 + k);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  insert(tag: number, e: TlbEntry): void {
    if (this.size >= this.capacity) {
      this.clear();
      this.overflowFlushes++;
    }
    let s = this.sets.get(tag);
    if (s === undefined) {
      s = new TagSet();
      this.sets.set(tag, s);
    }
    const key = Math.floor(e.vaBase * INV2[e.shift]!) * 64 + e.shift;
    const old = s.map.get(key);
    if (old === undefined) {
      this.size++;
      const c = s.counts.get(e.shift) ?? 0;
      s.counts.set(e.shift, c + 1);
      if (c === 0) s.shifts = [...s.counts.keys()].sort((a, b) => a - b);
    }
    s.map.set(key, e);
  }

  /** Removes every entry for which `pred` holds; returns how many. */
  invalidate(pred: (e: TlbEntry) => boolean): number {
    let n = 0;
    for (const [tag, s] of this.sets) {
      for (const [key, e] of s.map) {
        if (!pred(e)) continue;
        s.map.delete(key);
        const c = s.counts.get(e.shift)! - 1;
        if (c === 0) {
          s.counts.delete(e.shift);
          s.shifts = [...s.counts.keys()].sort((a, b) => a - b);
        } else s.counts.set(e.shift, c);
        n++;
      }
      if (s.map.size === 0) this.sets.delete(tag);
    }
    this.size -= n;
    return n;
  }

  clear(): void {
    this.sets.clear();
    this.size = 0;
  }

  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (const s of this.sets.values()) for (const e of s.map.values()) out.push(e);
    return out;
  }
}

/** True when [vaBase, vaBase + 2^shift) intersects [start, start + span). */
export function overlaps(e: TlbEntry, start: number, span: number): boolean {
  return e.vaBase < start + span && start < e.vaBase + POW2[e.shift]!;
}
