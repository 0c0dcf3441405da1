/**
 * Text dump of a decoded IORT in the iasl style `[OFFh DEC LEN] Field : value`, with a comment
 * line per node and every ID mapping's output reference resolved to its target node. Built
 * from the model only, so what it shows is what the decoder understood.
 */
import {
  type IortGsiv,
  type IortIdMapping,
  type IortMemoryAccess,
  type IortNode,
  type IortTable,
  KIND_TITLE,
  nodeLabel,
} from './model';

interface Line {
  offset: number;
  length: number;
  label: string;
  value: string;
  note?: string;
}

const LABEL_WIDTH = 30;

const hexw = (v: number | bigint, bytes: number) => v.toString(16).toUpperCase().padStart(bytes * 2, '0');

function fmt(l: Line): string {
  const head = `[${l.offset.toString(16).toUpperCase().padStart(3, '0')}h ${String(l.offset).padStart(4, '0')} ${String(l.length).padStart(3, ' ')}]`;
  const note = l.note ? `  ; ${l.note}` : '';
  return `${head} ${l.label.padStart(LABEL_WIDTH)} : ${l.value}${note}`;
}

function num(offset: number, length: number, label: string, v: number | bigint, note?: string): Line {
  return note === undefined ? { offset, length, label, value: hexw(v, length) } : { offset, length, label, value: hexw(v, length), note };
}

const str = (offset: number, length: number, label: string, s: string): Line => ({ offset, length, label, value: JSON.stringify(s) });

function bits(v: number, names: [number, string][]): string {
  const on = names.filter(([b]) => v & (1 << b)).map(([, n]) => n);
  return on.length ? on.join(', ') : 'none';
}

function targetText(t: IortTable, i: number | null): string {
  if (i === null) return 'no node starts there';
  const n = t.nodes[i]!;
  const extra = n.kind === 'smmu-v3' || n.kind === 'smmu-v1v2' ? ` base 0x${n.base.toString(16)}` : n.kind === 'its-group' ? ` ITS ID ${n.identifiers.join(',')}` : n.kind === 'named-component' ? ` ${n.deviceName}` : n.kind === 'root-complex' ? ` segment ${n.pciSegment}` : '';
  return `-> node #${i} ${nodeLabel(n)}${extra}`;
}

function memAccess(o: number, m: IortMemoryAccess): Line[] {
  return [
    num(o, 4, 'Cache Coherency', m.cca),
    num(o + 4, 1, 'Allocation Hints', m.hints, bits(m.hints, [[0, 'transient'], [1, 'write-allocate'], [2, 'read-allocate'], [3, 'override']])),
    num(o + 5, 2, 'Reserved', m.reserved),
    num(o + 7, 1, 'Memory Access Flags', m.flags, bits(m.flags, [[0, 'CPM'], [1, 'DACS'], [2, 'CANWBS']])),
  ];
}

function mappingLines(t: IortTable, n: IortNode, m: IortIdMapping): Line[] {
  const count = m.idCount + 1;
  const range = (b: number) => `0x${b.toString(16)}..0x${(b + m.idCount).toString(16)}`;
  // Linux reads an RMR mapping's output range as StreamIDs and ignores the Single flag there.
  const what = n.kind === 'rmr' ? `StreamIDs ${range(m.outputBase)}` : m.single ? 'single mapping: input ignored' : `${count} IDs: ${range(m.inputBase)}`;
  return [
    num(m.offset, 4, 'Input Base', m.inputBase),
    num(m.offset + 4, 4, 'Number of IDs', m.idCount, what),
    num(m.offset + 8, 4, 'Output Base', m.outputBase),
    num(m.offset + 12, 4, 'Output Reference', m.outputRef, m.outputRef === 0 ? 'NULL reference' : targetText(t, m.target)),
    num(m.offset + 16, 4, 'Flags', m.flags, m.single ? 'single mapping' : undefined),
  ];
}

function gsivLines(o: number, label: string, g: IortGsiv): Line[] {
  return [num(o, 4, label, g.gsiv), num(o + 4, 4, `${label} Flags`, g.flags, g.flags & 1 ? 'edge' : 'level')];
}

function nodeLines(t: IortTable, n: IortNode): Line[] {
  const o = n.offset;
  const out: Line[] = [
    num(o, 1, 'Type', n.type, KIND_TITLE[n.kind]),
    num(o + 1, 2, 'Length', n.length),
    num(o + 3, 1, 'Revision', n.revision),
    num(o + 4, 4, 'Identifier', n.identifier),
    num(o + 8, 4, 'Mapping Count', n.mappingCount),
    num(o + 12, 4, 'Mapping Offset', n.mappingOffset),
  ];
  switch (n.kind) {
    case 'its-group':
      out.push(num(o + 16, 4, 'ITS Count', n.itsCount));
      n.identifiers.forEach((id, i) => out.push(num(o + 20 + 4 * i, 4, 'GIC ITS Identifier', id)));
      break;
    case 'named-component':
      out.push(num(o + 16, 4, 'Node Flags', n.nodeFlags, `stall ${n.nodeFlags & 1}, PASID bits ${(n.nodeFlags >> 1) & 0x1f}`));
      out.push(...memAccess(o + 20, n.memoryAccess));
      out.push(num(o + 28, 1, 'Memory Size Limit', n.memoryAddressLimit, `${n.memoryAddressLimit} bits`));
      out.push(str(o + 29, n.deviceName.length + 1, 'Device Name', n.deviceName));
      break;
    case 'root-complex':
      out.push(...memAccess(o + 16, n.memoryAccess));
      out.push(num(o + 24, 4, 'ATS Attribute', n.atsAttribute, bits(n.atsAttribute, [[0, 'ATS'], [1, 'PRI'], [2, 'PASID forwarding']])));
      out.push(num(o + 28, 4, 'PCI Segment Number', n.pciSegment));
      if (n.memoryAddressLimit !== null) out.push(num(o + 32, 1, 'Memory Size Limit', n.memoryAddressLimit, `${n.memoryAddressLimit} bits`));
      if (n.pasidCapabilities !== null) {
        out.push(num(o + 33, 2, 'PASID Capabilities', n.pasidCapabilities));
        if (n.reserved !== null) out.push(num(o + 35, 1, 'Reserved', n.reserved));
      } else if (n.reserved !== null) out.push(num(o + 33, 3, 'Reserved', n.reserved));
      if (n.rcFlags !== null) out.push(num(o + 36, 4, 'Flags', n.rcFlags, bits(n.rcFlags, [[0, 'PASID supported']])));
      break;
    case 'smmu-v1v2':
      out.push(
        num(o + 16, 8, 'Base Address', n.base),
        num(o + 24, 8, 'Span', n.span),
        num(o + 32, 4, 'Model', n.model),
        num(o + 36, 4, 'Flags', n.smmuFlags, bits(n.smmuFlags, [[0, 'DVM'], [1, 'coherent walk']])),
        num(o + 40, 4, 'Global Interrupt Offset', n.globalIrqOffset),
        num(o + 44, 4, 'Context Interrupt Count', n.contextIrqCount),
        num(o + 48, 4, 'Context Interrupt Offset', n.contextIrqOffset),
        num(o + 52, 4, 'PMU Interrupt Count', n.pmuIrqCount),
        num(o + 56, 4, 'PMU Interrupt Offset', n.pmuIrqOffset),
      );
      if (n.nsgIrpt) out.push(...gsivLines(o + n.globalIrqOffset, 'NSgIrpt', n.nsgIrpt));
      if (n.nsgCfgIrpt) out.push(...gsivLines(o + n.globalIrqOffset + 8, 'NSgCfgIrpt', n.nsgCfgIrpt));
      n.contextIrqs.forEach((g, i) => out.push(...gsivLines(o + n.contextIrqOffset + 8 * i, 'Context Interrupt', g)));
      n.pmuIrqs.forEach((g, i) => out.push(...gsivLines(o + n.pmuIrqOffset + 8 * i, 'PMU Interrupt', g)));
      break;
    case 'smmu-v3':
      out.push(
        num(o + 16, 8, 'Base Address', n.base),
        num(o + 24, 4, 'Flags', n.smmuFlags, `COHACC ${+n.cohacc}, HTTU ${n.httu}, PXM valid ${+n.pxmValid}, DeviceID valid ${+n.deviceIdValid}`),
        num(o + 28, 4, 'Reserved', n.reserved),
        num(o + 32, 8, 'VATOS Address', n.vatosAddress),
        num(o + 40, 4, 'Model', n.model),
        num(o + 44, 4, 'Event GSIV', n.eventGsiv),
        num(o + 48, 4, 'PRI GSIV', n.priGsiv),
        num(o + 52, 4, 'GERR GSIV', n.gerrGsiv),
        num(o + 56, 4, 'Sync GSIV', n.syncGsiv),
      );
      if (n.proximityDomain !== null) out.push(num(o + 60, 4, 'Proximity Domain', n.proximityDomain));
      if (n.deviceIdMappingIndex !== null)
        out.push(
          num(o + 64, 4, 'DeviceID Mapping Index', n.deviceIdMappingIndex, n.effectiveDeviceIdIndex === null ? 'not used by Linux' : `mapping #${n.effectiveDeviceIdIndex} is the SMMU's own MSI DeviceID`),
        );
      break;
    case 'pmcg':
      out.push(
        num(o + 16, 8, 'Page 0 Base Address', n.page0Base),
        num(o + 24, 4, 'Overflow GSIV', n.overflowGsiv),
        num(o + 28, 4, 'Node Reference', n.nodeReference, targetText(t, n.nodeReferenceTarget)),
      );
      if (n.page1Base !== null) out.push(num(o + 32, 8, 'Page 1 Base Address', n.page1Base));
      break;
    case 'rmr':
      out.push(
        num(o + 16, 4, 'Flags', n.rmrFlags, `remap permitted ${+n.remapPermitted}, privileged ${+n.accessPrivileged}, access attributes ${n.accessAttributes}`),
        num(o + 20, 4, 'Memory Range Count', n.descriptorCount),
        num(o + 24, 4, 'Memory Range Offset', n.descriptorOffset),
      );
      break;
    case 'iwb':
      out.push(num(o + 16, 8, 'Config Frame Base', n.configBase), num(o + 24, 2, 'IWB Index', n.iwbIndex), str(o + 26, n.deviceName.length + 1, 'Device Name', n.deviceName));
      break;
    case 'unknown':
      break;
  }
  return out;
}

function rawLines(n: Extract<IortNode, { kind: 'unknown' }>): string[] {
  const out: string[] = [];
  for (let i = 16; i < n.raw.length; i += 16) {
    const chunk = [...n.raw.subarray(i, Math.min(i + 16, n.raw.length))].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    out.push(`    ${(n.offset + i).toString(16).toUpperCase().padStart(4, '0')}: ${chunk}`);
  }
  return out;
}

export function dumpIort(t: IortTable, file?: string): string {
  const h = t.header;
  const out: string[] = [`; IORT${file ? ` ${file}` : ''}: ${h.length} bytes, revision ${h.revision}, ${t.nodes.length} node(s)`, ''];
  const header: Line[] = [
    str(0, 4, 'Signature', h.signature),
    num(4, 4, 'Table Length', h.length),
    num(8, 1, 'Revision', h.revision),
    num(9, 1, 'Checksum', h.checksum, h.checksumValid ? 'valid' : 'INVALID'),
    str(10, 6, 'Oem ID', h.oemId),
    str(16, 8, 'Oem Table ID', h.oemTableId),
    num(24, 4, 'Oem Revision', h.oemRevision),
    str(28, 4, 'Creator ID', h.creatorId),
    num(32, 4, 'Creator Revision', h.creatorRevision),
    num(36, 4, 'Node Count', h.nodeCount),
    num(40, 4, 'Node Offset', h.nodeOffset),
    num(44, 4, 'Reserved', h.reserved),
  ];
  out.push(...header.map(fmt));
  for (const n of t.nodes) {
    out.push('', `; node #${n.index}: ${KIND_TITLE[n.kind]} at 0x${n.offset.toString(16)}, ${n.length} bytes, rev ${n.revision}`);
    out.push(...nodeLines(t, n).map(fmt));
    if (n.kind === 'unknown') out.push(...rawLines(n));
    // Arrays in table order (an RMR may put its descriptors before or after its mappings).
    const arrays: { at: number; title: string; lines: Line[] }[] = n.mappings.map((m) => ({ at: m.offset, title: `ID mapping #${m.index}`, lines: mappingLines(t, n, m) }));
    if (n.kind === 'rmr')
      n.descriptors.forEach((d, i) =>
        arrays.push({
          at: d.offset,
          title: `memory range descriptor #${i}`,
          lines: [num(d.offset, 8, 'Base Address', d.base), num(d.offset + 8, 8, 'Length', d.length), num(d.offset + 16, 4, 'Reserved', d.reserved)],
        }),
      );
    for (const a of arrays.sort((x, y) => x.at - y.at)) out.push('', `; ${a.title}`, ...a.lines.map(fmt));
  }
  return out.join('\n') + '\n';
}
