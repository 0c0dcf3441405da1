/**
 * What a translation produced. The SMMU fills one reusable instance per call (no allocation
 * on the IOTLB-hit path): copy it with clone() when it must outlive the next call.
 */
import { formatEvent, type SmmuEvent } from './events';

const TWO32 = 4294967296;

/**
 * translated: PA through at least one stage; bypass: PA = input (SMMU disabled, STE bypass,
 * or stage 1 bypassed by S1DSS with no stage 2); abort: terminated without an event
 * (GBPA.ABORT, STE.Config abort, address above OAS while disabled); fault: terminated with
 * `event` (which may or may not have been written to the event queue).
 */
export type Outcome = 'translated' | 'bypass' | 'abort' | 'fault';

export interface Transaction {
  sid: number;
  /** A SubstreamID (PASID) accompanies the transaction. */
  ssv?: boolean;
  ssid?: number;
  /** 64-bit input address; a number must be an integer below 2^53. */
  iova: bigint | number;
  write?: boolean;
  priv?: boolean;
  instr?: boolean;
}

export class TranslationResult {
  outcome: Outcome = 'abort';
  /** Output physical address (translated / bypass). */
  pa = 0;
  /** Stage-1 output (or stage-2 input), -1 when there is no intermediate address. */
  ipa = -1;
  /** log2 of the naturally aligned input region this translation covers (0 when none). */
  pageShift = 0;
  /** Stage permissions (walk.ts S1P / S2P bits), -1 when the stage did not translate. */
  s1Perm = -1;
  s2Perm = -1;
  event: SmmuEvent | null = null;
  /** The event was written to the event queue. */
  recorded = false;
  /** The translation came from the IOTLB. */
  fromTlb = false;
  /** Some cached state (configuration or TLB) was used. */
  usedCache = false;
  /** Why an abort or bypass happened, e.g. "STE.Config = abort", "SMMU disabled (GBPA)". */
  reason = '';

  get ok(): boolean {
    return this.outcome === 'translated' || this.outcome === 'bypass';
  }

  paBig(): bigint {
    return (BigInt(Math.floor(this.pa / TWO32)) << 32n) | BigInt(this.pa % TWO32);
  }

  reset(): void {
    this.outcome = 'abort';
    this.pa = 0;
    this.ipa = -1;
    this.pageShift = 0;
    this.s1Perm = -1;
    this.s2Perm = -1;
    this.event = null;
    this.recorded = false;
    this.fromTlb = false;
    this.usedCache = false;
    this.reason = '';
  }

  copyFrom(o: TranslationResult): this {
    this.outcome = o.outcome;
    this.pa = o.pa;
    this.ipa = o.ipa;
    this.pageShift = o.pageShift;
    this.s1Perm = o.s1Perm;
    this.s2Perm = o.s2Perm;
    this.event = o.event;
    this.recorded = o.recorded;
    this.fromTlb = o.fromTlb;
    this.usedCache = o.usedCache;
    this.reason = o.reason;
    return this;
  }

  clone(): TranslationResult {
    return new TranslationResult().copyFrom(this);
  }

  toString(): string {
    switch (this.outcome) {
      case 'translated':
        return `translated pa=0x${this.pa.toString(16)}${this.ipa >= 0 ? ` ipa=0x${this.ipa.toString(16)}` : ''} page=2^${this.pageShift}${this.fromTlb ? ' (tlb)' : ''}`;
      case 'bypass':
        return `bypass pa=0x${this.pa.toString(16)}${this.reason ? ` (${this.reason})` : ''}`;
      case 'abort':
        return `abort (${this.reason})`;
      case 'fault':
        return `fault ${this.event ? formatEvent(this.event) : '?'}${this.recorded ? ' [recorded]' : ''}`;
    }
  }
}
