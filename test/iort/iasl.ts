/**
 * The iasl oracle: run `iasl -d` (Debian 20200925) on a table, parse its
 * `[HexOffset DecimalOffset Length] Label : Value` lines, and compare each value with what our
 * decoder's model says lives at that offset. The expected values come from an explicit
 * label -> model-field table below (not from our dump), so the comparison is field by field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IortNode, IortTable } from '../../src/backends/iort/model';
import { runTool } from '../helpers/oracles';

export interface IaslField {
  offset: number;
  length: number;
  label: string;
  raw: string;
}

export interface IaslDump {
  fields: IaslField[];
  unknownNodeTypes: number[];
  text: string;
}

const LINE = /^\[([0-9A-F]+)h ([0-9]+) +([0-9A-F]+h?)\] +(.*?) : (.*)$/;

export function parseIasl(text: string): IaslDump {
  const fields: IaslField[] = [];
  const unknownNodeTypes: number[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trimEnd());
    if (m) {
      const len = m[3]!.endsWith('h') ? parseInt(m[3]!, 16) : parseInt(m[3]!, 10);
      fields.push({ offset: parseInt(m[1]!, 16), length: len, label: m[4]!.trim(), raw: m[5]!.trim() });
      continue;
    }
    const u = /Unknown IORT node type 0x([0-9A-F]+)/i.exec(line);
    if (u) unknownNodeTypes.push(parseInt(u[1]!, 16));
  }
  return { fields, unknownNodeTypes, text };
}

/** Disassembles `bytes` with iasl in a private temp dir. */
export function iaslDisassemble(bytes: Uint8Array): IaslDump {
  const dir = mkdtempSync(join(tmpdir(), 'iotopo-iasl-'));
  try {
    writeFileSync(join(dir, 'iort.dat'), bytes);
    const r = runTool('iasl', ['-d', 'iort.dat'], { cwd: dir });
    if (r.status !== 0) throw new Error(`iasl -d failed (${r.status}): ${r.stdout}${r.stderr}`);
    return parseIasl(readFileSync(join(dir, 'iort.dsl'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiles an iasl data-table source; null when iasl rejects it. */
export function iaslCompile(source: string): Uint8Array | null {
  const dir = mkdtempSync(join(tmpdir(), 'iotopo-iasl-'));
  try {
    writeFileSync(join(dir, 'iort.asl'), source);
    const r = runTool('iasl', ['iort.asl'], { cwd: dir });
    if (r.status !== 0) return null;
    return new Uint8Array(readFileSync(join(dir, 'iort.aml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Val = bigint | string;

/** Values of our model keyed by `${absoluteOffset}|${iasl label}`. */
export function modelFields(t: IortTable): Map<string, Val> {
  const m = new Map<string, Val>();
  const put = (off: number, label: string, v: number | bigint | string | null) => {
    if (v === null) return;
    m.set(`${off}|${label}`, typeof v === 'string' ? v : BigInt(v));
  };
  const h = t.header;
  put(0, 'Signature', h.signature);
  put(4, 'Table Length', h.length);
  put(8, 'Revision', h.revision);
  put(9, 'Checksum', h.checksum);
  put(10, 'Oem ID', h.oemId);
  put(16, 'Oem Table ID', h.oemTableId);
  put(24, 'Oem Revision', h.oemRevision);
  put(28, 'Asl Compiler ID', h.creatorId);
  put(32, 'Asl Compiler Revision', h.creatorRevision);
  put(36, 'Node Count', h.nodeCount);
  put(40, 'Node Offset', h.nodeOffset);
  put(44, 'Reserved', h.reserved);
  for (const n of t.nodes) nodeFields(n, put);
  return m;
}

function nodeFields(n: IortNode, put: (off: number, label: string, v: number | bigint | string | null) => void) {
  const o = n.offset;
  put(o, 'Type', n.type);
  put(o + 1, 'Length', n.length);
  put(o + 3, 'Revision', n.revision);
  put(o + 4, 'Reserved', n.identifier);
  put(o + 4, 'Identifier', n.identifier);
  put(o + 8, 'Mapping Count', n.mappingCount);
  put(o + 12, 'Mapping Offset', n.mappingOffset);
  for (const mp of n.mappings) {
    put(mp.offset, 'Input base', mp.inputBase);
    put(mp.offset + 4, 'ID Count', mp.idCount);
    put(mp.offset + 8, 'Output Base', mp.outputBase);
    put(mp.offset + 12, 'Output Reference', mp.outputRef);
    put(mp.offset + 16, 'Flags (decoded below)', mp.flags);
  }
  const mem = (at: number, a: { cca: number; hints: number; reserved: number; flags: number }) => {
    put(at, 'Cache Coherency', a.cca);
    put(at + 4, 'Hints (decoded below)', a.hints);
    put(at + 5, 'Reserved', a.reserved);
    put(at + 7, 'Memory Flags (decoded below)', a.flags);
  };
  switch (n.kind) {
    case 'its-group':
      put(o + 16, 'ItsCount', n.itsCount);
      n.identifiers.forEach((id, i) => put(o + 20 + 4 * i, 'Identifiers', id));
      break;
    case 'named-component':
      put(o + 16, 'Node Flags', n.nodeFlags);
      mem(o + 20, n.memoryAccess);
      put(o + 28, 'Memory Size Limit', n.memoryAddressLimit);
      put(o + 29, 'Device Name', n.deviceName);
      break;
    case 'root-complex':
      mem(o + 16, n.memoryAccess);
      put(o + 24, 'ATS Attribute', n.atsAttribute);
      put(o + 28, 'PCI Segment Number', n.pciSegment);
      put(o + 32, 'Memory Size Limit', n.memoryAddressLimit);
      // iasl 20200925 shows bytes 33..35 as one 3-byte "Reserved" whatever the revision.
      if (n.pasidCapabilities !== null) put(o + 33, 'Reserved', n.pasidCapabilities | ((n.reserved ?? 0) << 16));
      else put(o + 33, 'Reserved', n.reserved);
      break;
    case 'smmu-v1v2':
      put(o + 16, 'Base Address', n.base);
      put(o + 24, 'Span', n.span);
      put(o + 32, 'Model', n.model);
      put(o + 36, 'Flags (decoded below)', n.smmuFlags);
      put(o + 40, 'Global Interrupt Offset', n.globalIrqOffset);
      put(o + 44, 'Context Interrupt Count', n.contextIrqCount);
      put(o + 48, 'Context Interrupt Offset', n.contextIrqOffset);
      put(o + 52, 'PMU Interrupt Count', n.pmuIrqCount);
      put(o + 56, 'PMU Interrupt Offset', n.pmuIrqOffset);
      if (n.nsgIrpt) {
        put(o + n.globalIrqOffset, 'NSgIrpt', n.nsgIrpt.gsiv);
        put(o + n.globalIrqOffset + 4, 'NSgIrpt Flags (decoded below)', n.nsgIrpt.flags);
      }
      if (n.nsgCfgIrpt) {
        put(o + n.globalIrqOffset + 8, 'NSgCfgIrpt', n.nsgCfgIrpt.gsiv);
        put(o + n.globalIrqOffset + 12, 'NSgCfgIrpt Flags (decoded below)', n.nsgCfgIrpt.flags);
      }
      n.contextIrqs.forEach((g, i) => put(o + n.contextIrqOffset + 8 * i, 'Context Interrupt', (BigInt(g.flags) << 32n) | BigInt(g.gsiv)));
      n.pmuIrqs.forEach((g, i) => put(o + n.pmuIrqOffset + 8 * i, 'PMU Interrupt', (BigInt(g.flags) << 32n) | BigInt(g.gsiv)));
      break;
    case 'smmu-v3':
      put(o + 16, 'Base Address', n.base);
      put(o + 24, 'Flags (decoded below)', n.smmuFlags);
      put(o + 28, 'Reserved', n.reserved);
      put(o + 32, 'VATOS Address', n.vatosAddress);
      put(o + 40, 'Model', n.model);
      put(o + 44, 'Event GSIV', n.eventGsiv);
      put(o + 48, 'PRI GSIV', n.priGsiv);
      put(o + 52, 'GERR GSIV', n.gerrGsiv);
      put(o + 56, 'Sync GSIV', n.syncGsiv);
      put(o + 60, 'Proximity Domain', n.proximityDomain);
      put(o + 64, 'Device ID Mapping Index', n.deviceIdMappingIndex);
      break;
    case 'pmcg':
      put(o + 16, 'Base Address', n.page0Base);
      put(o + 24, 'Overflow Interrupt GSIV', n.overflowGsiv);
      put(o + 28, 'Node Reference', n.nodeReference);
      put(o + 32, 'Page 1 Base Address', n.page1Base);
      break;
    default:
      break;
  }
}

/** Labels iasl prints that carry no single comparable value. */
const NOT_VALUES = new Set(['Memory Properties', 'Padding', 'Optional Padding']);

function parseValue(raw: string): Val {
  if (raw.startsWith('"')) {
    const end = raw.indexOf('"', 1);
    return raw.slice(0, end + 1);
  }
  return BigInt('0x' + raw.split(/\s/)[0]);
}

export interface Comparison {
  compared: number;
  mismatches: string[];
  /** iasl fields that our model has no value for at that offset (must be explained by the caller). */
  unmatched: IaslField[];
}

/**
 * Compares every iasl field with the model. Fixed-field lines that iasl prints inside a node's
 * ID array (it assumes the newest fixed layout) are skipped: our decoder honours the array
 * offset and has no value there by design.
 */
export function compareWithIasl(dump: IaslDump, t: IortTable): Comparison {
  const expected = modelFields(t);
  const arrays: [number, number][] = t.nodes
    .filter((n) => n.mappings.length > 0)
    .map((n) => [n.offset + n.mappingOffset, n.offset + n.mappingOffset + 20 * n.mappings.length]);
  const inArray = (f: IaslField) => arrays.some(([a, b]) => f.offset < b && f.offset + f.length > a);
  const out: Comparison = { compared: 0, mismatches: [], unmatched: [] };
  for (const f of dump.fields) {
    if (NOT_VALUES.has(f.label)) continue;
    const key = `${f.offset}|${f.label}`;
    if (!expected.has(key)) {
      if (!inArray(f)) out.unmatched.push(f);
      continue;
    }
    const want = expected.get(key)!;
    const got = parseValue(f.raw);
    out.compared++;
    if (typeof want === 'string' ? got !== `"${want}"` : got !== want)
      out.mismatches.push(`0x${f.offset.toString(16)} ${f.label}: iasl ${f.raw}, decoder ${typeof want === 'bigint' ? '0x' + want.toString(16) : want}`);
  }
  return out;
}
