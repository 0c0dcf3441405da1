/**
 * SMMUv3 event records (Arm IHI 0070 §7.3): the in-memory 32-byte little-endian layout and a
 * decoded form. Every fault the interpreter reports is an SmmuEvent, whether or not it is
 * written to the event queue (record suppression, queue disabled or full).
 */
import { CLASS_NAMES, EVT, type EventClass, eventName } from './regs';

const TWO32 = 4294967296;

export interface SmmuEvent {
  code: number;
  name: string;
  sid: number;
  /**
   * SSV. C_BAD_SUBSTREAMID has no SSV bit (its SubstreamID is always valid: true here);
   * F_STREAM_DISABLED carries no SubstreamID (false, ssid 0).
   */
  ssv: boolean;
  ssid: number;
  /** Read (true) or write; post-override privileged / instruction attributes. InD is false for writes. */
  rnw: boolean;
  pnu: boolean;
  ind: boolean;
  /** Fault at stage 2 (S2 = 1). */
  s2: boolean;
  /** CLASS: CD fetch, stage-1 table fetch, or the input address; null for configuration events. */
  cls: EventClass | null;
  /** The 64-bit address the device presented, top byte included (0n where the record has none). */
  inputAddr: bigint;
  /** IPA field (stage-2 translation-class faults), else null. */
  ipa: number | null;
  /** FetchAddr field (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT), else null. */
  fetchAddr: number | null;
  /** F_PERMISSION with CLASS = TT: the table access that faulted was a read. */
  ttRnW: boolean | null;
  /** Diagnostic only (not in the record): translation level where the walk stopped. */
  level: number | null;
  /** Diagnostic only: why (e.g. "STE.S2TG reserved", "descriptor invalid at level 2"). */
  detail: string;
}

/** Event numbers whose record carries the transaction attributes, InputAddr and CLASS/S2. */
function hasTxnFields(code: number): boolean {
  return code === EVT.F_WALK_EABT || (code >= EVT.F_TRANSLATION && code <= EVT.F_PERMISSION);
}
function hasFetchAddr(code: number): boolean {
  return code === EVT.F_STE_FETCH || code === EVT.F_CD_FETCH || code === EVT.F_WALK_EABT;
}

export function makeEvent(code: number, init: Partial<Omit<SmmuEvent, 'code' | 'name'>>): SmmuEvent {
  return {
    code,
    name: eventName(code),
    sid: init.sid ?? 0,
    ssv: init.ssv ?? false,
    ssid: init.ssid ?? 0,
    rnw: init.rnw ?? false,
    pnu: init.pnu ?? false,
    ind: init.ind ?? false,
    s2: init.s2 ?? false,
    cls: init.cls ?? null,
    inputAddr: init.inputAddr ?? 0n,
    ipa: init.ipa ?? null,
    fetchAddr: init.fetchAddr ?? null,
    ttRnW: init.ttRnW ?? null,
    level: init.level ?? null,
    detail: init.detail ?? '',
  };
}

/** The record as eight little-endian u32 words (dw0.lo, dw0.hi, ..., dw3.hi). */
export function encodeEventWords(e: SmmuEvent, out = new Uint32Array(8)): Uint32Array {
  out.fill(0);
  const code = e.code & 0xff;
  let w0 = code;
  if (code === EVT.C_BAD_SUBSTREAMID) {
    w0 |= (e.ssid & 0xfffff) << 12;
  } else if (code !== EVT.F_STREAM_DISABLED) {
    if (e.ssv) w0 |= (1 << 11) | ((e.ssid & 0xfffff) << 12);
  }
  out[0] = w0 >>> 0;
  out[1] = e.sid >>> 0;
  if (hasTxnFields(code)) {
    let w3 = 0;
    if (e.pnu) w3 |= 1 << 1;
    if (e.ind && e.rnw) w3 |= 1 << 2;
    if (e.rnw) w3 |= 1 << 3;
    if (e.s2) w3 |= 1 << 7;
    const cls = e.cls === null ? 0 : CLASS_NAMES.indexOf(e.cls);
    w3 |= (cls & 3) << 8;
    if (code === EVT.F_PERMISSION && e.cls === 'TT' && e.ttRnW) w3 |= 1 << 12;
    out[3] = w3 >>> 0;
    const ia = BigInt.asUintN(64, e.inputAddr);
    out[4] = Number(ia & 0xffffffffn);
    out[5] = Number(ia >> 32n);
  }
  if (hasFetchAddr(code) && e.fetchAddr !== null) {
    const a = e.fetchAddr;
    out[6] = ((a % TWO32) & ~7) >>> 0;
    out[7] = Math.floor(a / TWO32) & 0xffffff;
  } else if (code >= EVT.F_TRANSLATION && code <= EVT.F_PERMISSION && e.s2 && e.ipa !== null) {
    const a = e.ipa;
    out[6] = ((a % TWO32) & ~0xfff) >>> 0;
    out[7] = Math.floor(a / TWO32) & 0xffffff;
  }
  return out;
}

export function encodeEvent(e: SmmuEvent): Uint8Array {
  const w = encodeEventWords(e);
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < 8; i++) dv.setUint32(i * 4, w[i]!, true);
  return b;
}

/** Decodes a 32-byte event record (the diagnostic fields come back empty). */
export function decodeEvent(bytes: Uint8Array): SmmuEvent {
  if (bytes.length < 32) throw new RangeError('an event record is 32 bytes');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 32);
  const w = (i: number): number => dv.getUint32(i * 4, true);
  const code = w(0) & 0xff;
  const e = makeEvent(code, { sid: w(1) });
  if (code === EVT.C_BAD_SUBSTREAMID) {
    e.ssv = true;
    e.ssid = (w(0) >>> 12) & 0xfffff;
  } else if (code !== EVT.F_STREAM_DISABLED) {
    e.ssv = ((w(0) >>> 11) & 1) === 1;
    e.ssid = e.ssv ? (w(0) >>> 12) & 0xfffff : 0;
  }
  if (hasTxnFields(code)) {
    const w3 = w(3);
    e.pnu = ((w3 >>> 1) & 1) === 1;
    e.ind = ((w3 >>> 2) & 1) === 1;
    e.rnw = ((w3 >>> 3) & 1) === 1;
    e.s2 = ((w3 >>> 7) & 1) === 1;
    e.cls = CLASS_NAMES[(w3 >>> 8) & 3] ?? null;
    if (code === EVT.F_PERMISSION && e.cls === 'TT') e.ttRnW = ((w3 >>> 12) & 1) === 1;
    e.inputAddr = (BigInt(w(5)) << 32n) | BigInt(w(4));
  }
  if (hasFetchAddr(code)) {
    e.fetchAddr = (w(7) & 0xffffff) * TWO32 + ((w(6) & ~7) >>> 0);
  } else if (code >= EVT.F_TRANSLATION && code <= EVT.F_PERMISSION && e.s2) {
    e.ipa = (w(7) & 0xffffff) * TWO32 + ((w(6) & ~0xfff) >>> 0);
  }
  return e;
}

/** The fields that the architecture puts in the record; diagnostics excluded. */
export function sameRecord(a: SmmuEvent, b: SmmuEvent): boolean {
  const x = encodeEventWords(a);
  const y = encodeEventWords(b);
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function formatEvent(e: SmmuEvent): string {
  const parts = [`${e.name}`, `sid=0x${e.sid.toString(16)}`];
  if (e.ssv || e.code === EVT.C_BAD_SUBSTREAMID) parts.push(`ssid=0x${e.ssid.toString(16)}`);
  if (hasTxnFields(e.code)) {
    parts.push(`addr=0x${e.inputAddr.toString(16)}`, e.rnw ? 'read' : 'write');
    if (e.pnu) parts.push('priv');
    if (e.ind) parts.push('instr');
    parts.push(`stage=${e.s2 ? 2 : 1}`, `class=${e.cls ?? '-'}`);
  }
  if (e.ipa !== null) parts.push(`ipa=0x${e.ipa.toString(16)}`);
  if (e.fetchAddr !== null) parts.push(`fetch=0x${e.fetchAddr.toString(16)}`);
  if (e.detail) parts.push(`(${e.detail})`);
  return parts.join(' ');
}
