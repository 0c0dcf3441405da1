/**
 * IOTLB: successful translations tagged by (VMID, ASID) like the architecture (not by
 * StreamID), keyed by the input page at the size the translation covers (the smaller of the
 * stage-1 and stage-2 page/block sizes). Stage-1 and stage-2 permissions are kept apart and
 * re-checked on every hit, so a hit never grants an access that the walk would refuse.
 *
 * Invalidation follows the CMD_TLBI_* scopes (§4.4): in particular TLBI_S2_IPA only removes
 * stage-2-only entries, never combined stage-1+2 entries.
 *
 * Storage is an open-addressing hash table over typed arrays (linear probing, backward-shift
 * deletion): lookups and inserts allocate nothing, and keys stay small integers.
 */
import { INV2, POW2 } from './walk';

/** ASID slot for entries from global (nG = 0) stage-1 leaves. */
export const ASID_GLOBAL = 0x10000;
/** ASID slot for stage-2-only entries (no stage-1 context). */
export const ASID_NONE = 0x10001;
/** VMID slot when the SMMU implements no stage 2 (entries are not VMID-tagged). */
export const VMID_NONE = 0x10000;

export const KIND_S1 = 1;
export const KIND_S2 = 2;
export const KIND_NESTED = 3;

/** A copied-out entry (introspection and tests; the hit path reads the arrays directly). */
export interface TlbEntry {
  /** Input page base in key space (VA[55] ? 2^48 : 0) + VA[47:0], or the IPA. */
  vaBase: number;
  shift: number;
  paBase: number;
  /** IPA of vaBase (stage-1 output), -1 when there is no stage 1. */
  ipaBase: number;
  s1Perm: number;
  s2Perm: number;
  kind: number;
  vmidSlot: number;
  asidSlot: number;
}

const TWO32 = 4294967296;

export class Iotlb {
  readonly slots: number;
  private readonly mask: number;
  private readonly used: Uint8Array;
  private readonly kLo: Int32Array;
  private readonly kHi: Int32Array;
  readonly vmid: Int32Array;
  readonly asid: Int32Array;
  readonly vaBase: Float64Array;
  readonly paBase: Float64Array;
  readonly ipaBase: Float64Array;
  readonly shift: Uint8Array;
  readonly s1Perm: Int8Array;
  readonly s2Perm: Int8Array;
  readonly kind: Uint8Array;
  private readonly shiftCount = new Int32Array(64);
  /** Page sizes present, so a lookup probes only sizes that exist. */
  private shifts: number[] = [];
  size = 0;
  /** Flush-alls because the TLB was full (deterministic replacement policy). */
  overflowFlushes = 0;

  constructor(readonly capacity: number) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.slots = slots;
    this.mask = slots - 1;
    this.used = new Uint8Array(slots);
    this.kLo = new Int32Array(slots);
    this.kHi = new Int32Array(slots);
    this.vmid = new Int32Array(slots);
    this.asid = new Int32Array(slots);
    this.vaBase = new Float64Array(slots);
    this.paBase = new Float64Array(slots);
    this.ipaBase = new Float64Array(slots);
    this.shift = new Uint8Array(slots);
    this.s1Perm = new Int8Array(slots);
    this.s2Perm = new Int8Array(slots);
    this.kind = new Uint8Array(slots);
  }

  private home(kLo: number, kHi: number, vmid: number, asid: number): number {
    let h = Math.imul(kLo, 0x9e3779b1) ^ Math.imul(kHi, 0x85ebca77) ^ Math.imul(vmid, 0xc2b2ae3d) ^ Math.imul(asid, 0x27d4eb2f);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    return h & this.mask;
  }

  /** Slot of the entry translating `keyVa` for (vmid, asid), or -1. */
  lookup(vmidSlot: number, asidSlot: number, keyVa: number): number {
    const sh = this.shifts;
    const used = this.used;
    const kLoA = this.kLo;
    const kHiA = this.kHi;
    const mask = this.mask;
    for (let i = 0; i < sh.length; i++) {
      const k = sh[i]!;
      const page = Math.floor(keyVa * INV2[k]!);
      const kLo = page | 0;
      const kHi = (Math.floor(page / TWO32) | (k << 24)) | 0;
      let s = this.home(kLo, kHi, vmidSlot, asidSlot);
      while (used[s] === 1) {
        if (kLoA[s] === kLo && kHiA[s] === kHi && this.vmid[s] === vmidSlot && this.asid[s] === asidSlot) return s;
        s = (s + 1) & mask;
      }
    }
    return -1;
  }

  insert(vmidSlot: number, asidSlot: number, vaBase: number, shift: number, paBase: number, ipaBase: number, s1Perm: number, s2Perm: number, kind: number): void {
    if (this.size >= this.capacity) {
      this.clear();
      this.overflowFlushes++;
    }
    const page = Math.floor(vaBase * INV2[shift]!);
    const kLo = page | 0;
    const kHi = (Math.floor(page / TWO32) | (shift << 24)) | 0;
    let s = this.home(kLo, kHi, vmidSlot, asidSlot);
    let fresh = true;
    while (this.used[s] === 1) {
      if (this.kLo[s] === kLo && this.kHi[s] === kHi && this.vmid[s] === vmidSlot && this.asid[s] === asidSlot) {
        fresh = false;
        break;
      }
      s = (s + 1) & this.mask;
    }
    this.used[s] = 1;
    this.kLo[s] = kLo;
    this.kHi[s] = kHi;
    this.vmid[s] = vmidSlot;
    this.asid[s] = asidSlot;
    this.vaBase[s] = vaBase;
    this.paBase[s] = paBase;
    this.ipaBase[s] = ipaBase;
    this.shift[s] = shift;
    this.s1Perm[s] = s1Perm;
    this.s2Perm[s] = s2Perm;
    this.kind[s] = kind;
    if (fresh) {
      this.size++;
      this.shiftCount[shift] = this.shiftCount[shift]! + 1;
      if (this.shiftCount[shift] === 1) this.rebuildShifts();
    }
  }

  private rebuildShifts(): void {
    const out: number[] = [];
    for (let k = 0; k < 64; k++) if (this.shiftCount[k]! > 0) out.push(k);
    this.shifts = out;
  }

  private removeAt(i: number): void {
    const sh = this.shift[i]!;
    this.shiftCount[sh] = this.shiftCount[sh]! - 1;
    if (this.shiftCount[sh] === 0) this.rebuildShifts();
    this.size--;
    // Backward-shift deletion keeps probe chains intact without tombstones.
    const mask = this.mask;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.used[j] === 0) break;
      const h = this.home(this.kLo[j]!, this.kHi[j]!, this.vmid[j]!, this.asid[j]!);
      const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (between) continue;
      this.copySlot(j, hole);
      hole = j;
    }
    this.used[hole] = 0;
  }

  private copySlot(from: number, to: number): void {
    this.used[to] = 1;
    this.kLo[to] = this.kLo[from]!;
    this.kHi[to] = this.kHi[from]!;
    this.vmid[to] = this.vmid[from]!;
    this.asid[to] = this.asid[from]!;
    this.vaBase[to] = this.vaBase[from]!;
    this.paBase[to] = this.paBase[from]!;
    this.ipaBase[to] = this.ipaBase[from]!;
    this.shift[to] = this.shift[from]!;
    this.s1Perm[to] = this.s1Perm[from]!;
    this.s2Perm[to] = this.s2Perm[from]!;
    this.kind[to] = this.kind[from]!;
  }

  /** Removes every entry whose slot satisfies `pred`; returns how many. */
  invalidate(pred: (slot: number) => boolean): number {
    if (this.size === 0) return 0;
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      // Re-test slot i after a removal: backward shift may have moved another entry into it.
      while (this.used[i] === 1 && pred(i)) {
        this.removeAt(i);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    if (this.size === 0) return;
    this.used.fill(0);
    this.shiftCount.fill(0);
    this.shifts = [];
    this.size = 0;
  }

  entry(s: number): TlbEntry {
    return {
      vaBase: this.vaBase[s]!,
      shift: this.shift[s]!,
      paBase: this.paBase[s]!,
      ipaBase: this.ipaBase[s]!,
      s1Perm: this.s1Perm[s]!,
      s2Perm: this.s2Perm[s]!,
      kind: this.kind[s]!,
      vmidSlot: this.vmid[s]!,
      asidSlot: this.asid[s]!,
    };
  }

  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let s = 0; s < this.slots; s++) if (this.used[s] === 1) out.push(this.entry(s));
    return out.sort((a, b) => a.vaBase - b.vaBase || a.vmidSlot - b.vmidSlot || a.asidSlot - b.asidSlot);
  }

  /** True when the entry in `slot` intersects [start, start + span). */
  overlaps(slot: number, start: number, span: number): boolean {
    const b = this.vaBase[slot]!;
    return b < start + span && start < b + POW2[this.shift[slot]!]!;
  }
}
