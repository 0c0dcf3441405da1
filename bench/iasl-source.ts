/**
 * Decoded IORT (src/backends/iort/model.ts) -> iasl data-table source (`Field : value` lines),
 * so that iasl can compile the same table we encode and the benchmarks can time both on the
 * same work. Targets iasl 20200925 (Debian), whose IORT compiler knows node types 0..5 with
 * the field lists of its `iasl -T IORT` template: the lines below follow that template's
 * order exactly, flag sub-fields included (iasl consumes one line per field of its table
 * description, so a missing line shifts every field after it).
 *
 * iasl computes some fields itself: the table length and checksum, every node's length, mapping
 * count and (except for named components) mapping offset, and the ITS count. The source still
 * carries our values for them so that it reads like a disassembly; the compiled bytes equal
 * ours only when our layout is the one iasl derives (fixed fields, then the ID array), which is
 * what our encoder writes for table revision 3.
 */
import type { IortGsiv, IortIdMapping, IortMemoryAccess, IortNode, IortTable } from '../src/backends/iort/model';

export class IaslUnsupported extends Error {}

const h = (v: number | bigint, bytes: number) => v.toString(16).toUpperCase().padStart(bytes * 2, '0');
const line = (label: string, value: string) => `${label.padStart(36)} : ${value}`;
const num = (label: string, v: number | bigint, bytes: number) => line(label, h(v, bytes));
const bit = (v: number, b: number) => String((v >> b) & 1);
const str = (label: string, s: string) => line(label, `"${s}"`);

function memoryAccess(m: IortMemoryAccess): string[] {
  return [
    line('Memory Properties', '[IORT Memory Access Properties]'),
    num('Cache Coherency', m.cca, 4),
    num('Hints (decoded below)', m.hints, 1),
    line('Transient', bit(m.hints, 0)),
    line('Write Allocate', bit(m.hints, 1)),
    line('Read Allocate', bit(m.hints, 2)),
    line('Override', bit(m.hints, 3)),
    num('Reserved', m.reserved, 2),
    num('Memory Flags (decoded below)', m.flags, 1),
    line('Coherency', bit(m.flags, 0)),
    line('Device Attribute', bit(m.flags, 1)),
  ];
}

function mapping(m: IortIdMapping): string[] {
  return [
    num('Input base', m.inputBase, 4),
    num('ID Count', m.idCount, 4),
    num('Output Base', m.outputBase, 4),
    num('Output Reference', m.outputRef, 4),
    num('Flags (decoded below)', m.flags, 4),
    line('Single Mapping', bit(m.flags, 0)),
  ];
}

function gsiv(label: string, g: IortGsiv): string[] {
  return [num(label, g.gsiv, 4), num(`${label} Flags (decoded below)`, g.flags, 4), line('Edge Triggered', bit(g.flags, 0))];
}

function nodeSource(n: IortNode): string[] {
  const out = [
    num('Type', n.type, 1),
    num('Length', n.length, 2),
    num('Revision', n.revision, 1),
    // iasl 20200925 calls the node identifier (table revision >= 3) "Reserved".
    num('Reserved', n.identifier, 4),
    num('Mapping Count', n.mappingCount, 4),
    num('Mapping Offset', n.mappingOffset, 4),
    '',
  ];
  const fixedEnd = (len: number) => {
    // iasl places the ID array right after the fixed fields it knows.
    if (n.mappings.length > 0 && n.mappingOffset !== len)
      throw new IaslUnsupported(`node at 0x${n.offset.toString(16)}: ID array at +${n.mappingOffset}, iasl 20200925 puts it at +${len}`);
  };
  switch (n.kind) {
    case 'its-group':
      out.push(num('ItsCount', n.itsCount, 4));
      for (const id of n.identifiers) out.push(num('Identifiers', id, 4));
      break;
    case 'named-component': {
      out.push(num('Node Flags', n.nodeFlags, 4), ...memoryAccess(n.memoryAccess), num('Memory Size Limit', n.memoryAddressLimit, 1), str('Device Name', n.deviceName));
      // Padding up to the ID array (iasl honours the stored mapping offset for this node type).
      const end = 16 + 13 + n.deviceName.length + 1;
      const pad = (n.mappings.length ? n.mappingOffset : n.length) - end;
      if (pad < 0) throw new IaslUnsupported(`named component at 0x${n.offset.toString(16)}: name overruns the ID array`);
      if (pad > 0) out.push(line('Padding', Array.from({ length: pad }, () => '00').join(' ')));
      break;
    }
    case 'root-complex':
      if (n.pasidCapabilities !== null || n.rcFlags !== null)
        throw new IaslUnsupported(`root complex at 0x${n.offset.toString(16)}: node revision ${n.revision} (PASID/flags fields) is newer than iasl 20200925`);
      fixedEnd(36);
      out.push(
        ...memoryAccess(n.memoryAccess),
        num('ATS Attribute', n.atsAttribute, 4),
        num('PCI Segment Number', n.pciSegment, 4),
        num('Memory Size Limit', n.memoryAddressLimit ?? 0, 1),
        num('Reserved', n.reserved ?? 0, 3),
      );
      break;
    case 'smmu-v1v2':
      if (!n.nsgIrpt || !n.nsgCfgIrpt) throw new IaslUnsupported(`SMMUv1/v2 at 0x${n.offset.toString(16)}: no global interrupt array`);
      out.push(
        num('Base Address', n.base, 8),
        num('Span', n.span, 8),
        num('Model', n.model, 4),
        num('Flags (decoded below)', n.smmuFlags, 4),
        line('DVM Supported', bit(n.smmuFlags, 0)),
        line('Coherent Walk', bit(n.smmuFlags, 1)),
        num('Global Interrupt Offset', n.globalIrqOffset, 4),
        num('Context Interrupt Count', n.contextIrqCount, 4),
        num('Context Interrupt Offset', n.contextIrqOffset, 4),
        num('PMU Interrupt Count', n.pmuIrqCount, 4),
        num('PMU Interrupt Offset', n.pmuIrqOffset, 4),
        '',
        ...gsiv('NSgIrpt', n.nsgIrpt),
        ...gsiv('NSgCfgIrpt', n.nsgCfgIrpt),
      );
      for (const g of n.contextIrqs) out.push(num('Context Interrupt', (BigInt(g.flags) << 32n) | BigInt(g.gsiv), 8));
      for (const g of n.pmuIrqs) out.push(num('PMU Interrupt', (BigInt(g.flags) << 32n) | BigInt(g.gsiv), 8));
      break;
    case 'smmu-v3':
      if (n.proximityDomain === null || n.deviceIdMappingIndex === null)
        throw new IaslUnsupported(`SMMUv3 at 0x${n.offset.toString(16)}: short (60-byte) node layout`);
      fixedEnd(68);
      out.push(
        num('Base Address', n.base, 8),
        num('Flags (decoded below)', n.smmuFlags, 4),
        line('COHACC Override', bit(n.smmuFlags, 0)),
        line('HTTU Override', String((n.smmuFlags >> 1) & 3)),
        line('Proximity Domain Valid', bit(n.smmuFlags, 3)),
        num('Reserved', n.reserved, 4),
        num('VATOS Address', n.vatosAddress, 8),
        num('Model', n.model, 4),
        num('Event GSIV', n.eventGsiv, 4),
        num('PRI GSIV', n.priGsiv, 4),
        num('GERR GSIV', n.gerrGsiv, 4),
        num('Sync GSIV', n.syncGsiv, 4),
        num('Proximity Domain', n.proximityDomain, 4),
        num('Device ID Mapping Index', n.deviceIdMappingIndex, 4),
      );
      break;
    case 'pmcg':
      if (n.page1Base === null) throw new IaslUnsupported(`PMCG at 0x${n.offset.toString(16)}: revision-0 layout`);
      fixedEnd(40);
      out.push(
        num('Page 0 Base Address', n.page0Base, 8),
        num('Overflow Interrupt GSIV', n.overflowGsiv, 4),
        num('Node Reference', n.nodeReference, 4),
        num('Page 1 Base Address', n.page1Base, 8),
      );
      break;
    default:
      throw new IaslUnsupported(`node type ${n.type} (${n.kind}) at 0x${n.offset.toString(16)}: iasl 20200925 compiles node types 0..5 only`);
  }
  for (const m of n.mappings) out.push('', ...mapping(m));
  return out;
}

/** iasl data-table source for `t`; throws IaslUnsupported for what iasl 20200925 cannot express. */
export function toIaslSource(t: IortTable): string {
  const hd = t.header;
  if (hd.nodeOffset !== 48) throw new IaslUnsupported(`node offset ${hd.nodeOffset}: only 48 (no header padding) is supported`);
  const out: string[] = [
    '/* iasl data-table source generated by bench/iasl-source.ts from a decoded IORT */',
    str('Signature', hd.signature),
    num('Table Length', hd.length, 4),
    num('Revision', hd.revision, 1),
    num('Checksum', hd.checksum, 1),
    str('Oem ID', hd.oemId),
    str('Oem Table ID', hd.oemTableId),
    num('Oem Revision', hd.oemRevision, 4),
    str('Asl Compiler ID', hd.creatorId),
    num('Asl Compiler Revision', hd.creatorRevision, 4),
    '',
    num('Node Count', hd.nodeCount, 4),
    num('Node Offset', hd.nodeOffset, 4),
    num('Reserved', hd.reserved, 4),
  ];
  for (const n of t.nodes) out.push('', ...nodeSource(n));
  return out.join('\n') + '\n';
}

/**
 * Fields iasl 20200925 writes itself whatever the source says: the creator ID and revision of
 * the ACPI header (its own "INTL" and version), every node's identifier (it calls the field
 * "Reserved" and forces reserved fields to zero) and so the checksum. Returns iasl's bytes
 * with those fields taken from `ours` and the checksum recomputed, and the byte offsets that
 * differed before; every other byte must then be equal for the two tables to be the same.
 */
export function alignIaslOutput(iasl: Uint8Array, ours: IortTable): { bytes: Uint8Array; patched: number[] } {
  const out = new Uint8Array(iasl);
  const patched: number[] = [];
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const put32 = (off: number, v: number) => {
    if (off + 4 > out.length) return;
    for (let i = 0; i < 4; i++) if (out[off + i] !== ((v >>> (8 * i)) & 0xff)) patched.push(off + i);
    dv.setUint32(off, v >>> 0, true);
  };
  const id = ours.header.creatorId.padEnd(4, ' ');
  put32(28, id.charCodeAt(0) | (id.charCodeAt(1) << 8) | (id.charCodeAt(2) << 16) | (id.charCodeAt(3) << 24));
  put32(32, ours.header.creatorRevision);
  for (const n of ours.nodes) put32(n.offset + 4, n.identifier);
  const before = out[9];
  out[9] = 0;
  let sum = 0;
  for (const b of out) sum = (sum + b) & 0xff;
  out[9] = (256 - sum) & 0xff;
  if (out[9] !== before) patched.push(9);
  return { bytes: out, patched: patched.sort((a, b) => a - b) };
}
