/**
 * IORT table interpreter with Linux semantics (drivers/acpi/arm64/iort.c): what a kernel
 * would conclude for a PCI requester ID, computed from a decoded IortTable.
 *
 * - The start node is the first RC node whose PCI segment matches (iort_match_node_callback:
 *   segment numbers map one-to-one to root complexes, so a duplicate RC is never reached).
 * - iort_node_map_id: at each node, if its type is wanted, stop; otherwise scan the ID array in
 *   order, skipping the SMMUv3/PMCG "DeviceID mapping index" (iort_get_id_mapping_index);
 *   iort_id_map: the Single flag applies only to NC/RC/IWB (elsewhere FW_BUG + skip); the range
 *   test is inclusive (input_base <= id <= input_base + id_count); a match on the LAST ID of a
 *   range returns -EAGAIN, is remembered, and a later range that STARTS at that ID wins with
 *   FW_BUG "conflicting mapping" + "applying workaround."; other later matches are FW_BUG and
 *   ignored. Then repeat at the output node.
 * - An IOMMU lookup wants SMMUv1/2 or SMMUv3 nodes; an MSI lookup wants ITS groups (so it walks
 *   RC -> SMMU -> ITS and yields the ITS DeviceID).
 * - A failed walk leaves the ID unchanged and finds no node (Linux: the device gets no IOMMU, or
 *   no MSI domain). Linux has no loop bound; we stop after MAX_DEPTH hops and say so.
 */
import {
  type IortIdMapping,
  type IortNode,
  type IortRmrNode,
  type IortRootComplexNode,
  type IortTable,
  NodeType,
  nodeLabel,
  smmuV3DeviceIdIndex,
} from '../backends/iort/model';
import { noRoute, type RidResolution, type TraceStep } from './types';

export const MAX_DEPTH = 32;

export type LookupKind = 'iommu' | 'msi';

const WANTED: Record<LookupKind, readonly number[]> = {
  iommu: [NodeType.SmmuV1V2, NodeType.SmmuV3],
  msi: [NodeType.ItsGroup],
};

/** Types whose ID mappings may carry the Single flag (iort_id_map). */
const SINGLE_OK: readonly number[] = [NodeType.NamedComponent, NodeType.RootComplex, NodeType.Iwb];

export interface MapWalk {
  /** Index of the node of the wanted type that the walk reached, or null. */
  node: number | null;
  /** Output ID (the input ID when the walk failed, as Linux does). */
  id: number;
  /** True when no mapping of the start node matched. */
  failedAtStart: boolean;
  trace: TraceStep[];
  fwBugs: string[];
}

const hex = (n: number) => '0x' + n.toString(16);
const at = (n: number) => hex(n);

type IdMapResult = { rc: 'ok'; out: number } | { rc: 'again'; out: number } | { rc: 'nomatch' };

/** iort_id_map() for one entry; `checkOverlap` = an earlier entry returned -EAGAIN. */
function idMap(m: IortIdMapping, nodeType: number, idIn: number, checkOverlap: boolean, fwBugs: string[], trace: TraceStep[]): IdMapResult {
  if (m.single) {
    if (SINGLE_OK.includes(nodeType)) return { rc: 'ok', out: m.outputBase };
    fwBugs.push(`[map ${at(m.offset)}] SINGLE MAPPING flag not allowed for node type ${nodeType}, skipping ID map`);
    trace.push({ where: at(m.offset), what: `map #${m.index}: Single flag on a node of type ${nodeType}; Linux skips it (FW_BUG)` });
    return { rc: 'nomatch' };
  }
  if (idIn < m.inputBase || idIn > m.inputBase + m.idCount) return { rc: 'nomatch' };
  if (checkOverlap) {
    fwBugs.push(`[map ${at(m.offset)}] conflicting mapping for input ID ${hex(idIn)}`);
    if (idIn !== m.inputBase) {
      trace.push({ where: at(m.offset), what: `map #${m.index} also contains ${hex(idIn)}; ignored (FW_BUG conflicting mapping)` });
      return { rc: 'nomatch' };
    }
    fwBugs.push('applying workaround.');
    trace.push({ where: at(m.offset), what: `map #${m.index} starts at ${hex(idIn)}: it supersedes the range that ended there (FW_BUG, workaround)` });
  }
  const out = (m.outputBase + (idIn - m.inputBase)) >>> 0;
  if (m.idCount > 0 && idIn === m.inputBase + m.idCount) return { rc: 'again', out };
  return { rc: 'ok', out };
}

/** iort_get_id_mapping_index(): the entry skipped during translation, or null. */
function specialIndex(n: IortNode, fwBugs: string[]): number | null {
  if (n.kind === 'smmu-v3') {
    const r = smmuV3DeviceIdIndex(n);
    if (r.overflow) fwBugs.push(`[node ${at(n.offset)} type ${n.type}] ID mapping index overflows valid mappings`);
    return r.index;
  }
  if (n.kind === 'pmcg') return n.overflowGsiv || n.mappingCount === 0 ? null : 0;
  return null;
}

const OFFSETS = new WeakMap<IortTable, Map<number, number>>();
/** Node index by table offset, built once per table (the verifier resolves every RID). */
function offsetIndex(t: IortTable): Map<number, number> {
  let m = OFFSETS.get(t);
  if (!m) {
    m = new Map(t.nodes.map((n) => [n.offset, n.index]));
    OFFSETS.set(t, m);
  }
  return m;
}

/** iort_node_map_id() from node `start` for `idIn`. */
export function mapId(t: IortTable, start: number, idIn: number, want: LookupKind): MapWalk {
  const trace: TraceStep[] = [];
  const fwBugs: string[] = [];
  const byOffset = offsetIndex(t);
  const fail = (failedAtStart: boolean): MapWalk => ({ node: null, id: idIn, failedAtStart, trace, fwBugs });
  let cur: number | null = start;
  let id = idIn;
  for (let depth = 0; cur !== null; depth++) {
    const n: IortNode = t.nodes[cur]!;
    const first = depth === 0;
    if (depth > MAX_DEPTH) {
      trace.push({ where: at(n.offset), what: `stopped after ${MAX_DEPTH} hops: the ID mappings loop (Linux would not terminate)` });
      fwBugs.push(`ID mapping loop through ${nodeLabel(n)}`);
      return fail(false);
    }
    if (WANTED[want].includes(n.type)) {
      trace.push({ where: at(n.offset), what: `reached ${nodeLabel(n)} with ID ${hex(id)}` });
      return { node: cur, id, failedAtStart: false, trace, fwBugs };
    }
    if (!n.mappingOffset || !n.mappingCount) {
      trace.push({ where: at(n.offset), what: `${nodeLabel(n)} has no ID mappings: ${want === 'iommu' ? 'no IOMMU' : 'no MSI domain'}` });
      return fail(first);
    }
    const maps = n.mappings;
    if (maps.length === 0) {
      trace.push({ where: at(n.offset + 12), what: `${nodeLabel(n)}: the ID array lies outside the node` });
      return fail(first);
    }
    if (maps[0]!.outputRef === 0) {
      fwBugs.push(`[node ${at(n.offset)} type ${n.type}] ID map has NULL parent reference`);
      trace.push({ where: at(maps[0]!.offset + 12), what: `${nodeLabel(n)}: first ID map has a NULL output reference (FW_BUG)` });
      return fail(first);
    }
    const skip = specialIndex(n, fwBugs);
    let rc: IdMapResult['rc'] | 'none' = 'none';
    let outRef = 0;
    let againMap: IortIdMapping | null = null;
    let chosen: IortIdMapping | null = null;
    const mapIdIn = id;
    let i = 0;
    for (; i < maps.length; i++) {
      if (i === skip) continue;
      const m = maps[i]!;
      const r = idMap(m, n.type, mapIdIn, outRef !== 0, fwBugs, trace);
      rc = r.rc;
      if (r.rc !== 'nomatch') id = r.out;
      if (r.rc === 'ok') {
        chosen = m;
        break;
      }
      if (r.rc === 'again') {
        trace.push({ where: at(m.offset), what: `map #${m.index} ends at ${hex(mapIdIn)}: Linux keeps looking for a range that starts there (-EAGAIN)` });
        outRef = m.outputRef;
        againMap = m;
      }
    }
    if (i === maps.length && !outRef) {
      trace.push({ where: at(n.offset), what: `${nodeLabel(n)}: no ID mapping contains ${hex(mapIdIn)}${skip !== null ? ` (map #${skip} is the DeviceID mapping and is skipped)` : ''}` });
      return fail(first);
    }
    const used = rc === 'ok' ? chosen! : againMap!;
    const nextRef = rc === 'ok' ? used.outputRef : outRef;
    const next = byOffset.get(nextRef);
    trace.push({
      where: at(used.offset),
      what: `${nodeLabel(n)} map #${used.index} ${used.single ? `single -> ${hex(used.outputBase)}` : `[${hex(used.inputBase)}..${hex(used.inputBase + used.idCount)}] -> ${hex(used.outputBase)}`}: ID ${hex(mapIdIn)} -> ${hex(id)}, to node at ${hex(nextRef)}${rc === 'again' ? ' (last ID of the range, no later range starts here)' : ''}`,
    });
    if (next === undefined) {
      trace.push({ where: at(used.offset + 12), what: `output reference ${hex(nextRef)} is not a node: Linux would read garbage there` });
      return fail(false);
    }
    cur = next;
  }
  return fail(false);
}

/** The RC node Linux uses for a PCI segment: the first one in table order. */
export function findRootComplex(t: IortTable, segment: number): IortRootComplexNode | null {
  for (const n of t.nodes) if (n.kind === 'root-complex' && n.pciSegment === segment) return n;
  return null;
}

/** What Linux concludes for (segment, RID): IOMMU + StreamID and ITS + DeviceID. */
export function resolveRid(t: IortTable, segment: number, rid: number): RidResolution {
  const rc = findRootComplex(t, segment);
  if (!rc) return noRoute(segment, rid, { where: '-', what: `no root complex node for PCI segment ${segment}` });
  const iommu = mapId(t, rc.index, rid, 'iommu');
  const msi = mapId(t, rc.index, rid, 'msi');
  const smmuNode = iommu.node === null ? null : t.nodes[iommu.node]!;
  const itsNode = msi.node === null ? null : t.nodes[msi.node]!;
  return {
    segment,
    rid,
    smmu: smmuNode && (smmuNode.kind === 'smmu-v3' || smmuNode.kind === 'smmu-v1v2') ? { base: smmuNode.base } : null,
    streamId: smmuNode ? iommu.id : null,
    its: itsNode && itsNode.kind === 'its-group' && itsNode.identifiers.length ? { translationId: itsNode.identifiers[0]! } : itsNode ? {} : null,
    deviceId: itsNode ? msi.id : null,
    unmapped: iommu.failedAtStart,
    trace: [...iommu.trace.map((s) => ({ ...s, what: `iommu: ${s.what}` })), ...msi.trace.map((s) => ({ ...s, what: `msi: ${s.what}` }))],
    fwBugs: [...new Set([...iommu.fwBugs, ...msi.fwBugs])],
  };
}

export interface RmrStream {
  /** Table offset of the ID mapping. */
  mappingOffset: number;
  /** Linux: output_base .. output_base + id_count, whatever the Single flag says. */
  first: number;
  last: number;
  single: boolean;
  /** Node index of the SMMU the mapping points at, or null (dangling / not an SMMU). */
  smmu: number | null;
  smmuBase: bigint | null;
}

export interface RmrInfo {
  node: number;
  offset: number;
  remapPermitted: boolean;
  accessPrivileged: boolean;
  accessAttributes: number;
  descriptors: { offset: number; base: bigint; length: bigint }[];
  streams: RmrStream[];
  /** Whether Linux uses this node at all, and why not. */
  used: boolean;
  reason: string | null;
}

/** Every RMR node as Linux reads it (iort_node_get_rmr_info / iort_get_rmrs). */
export function listRmrs(t: IortTable): RmrInfo[] {
  const byOffset = offsetIndex(t);
  return t.nodes
    .filter((n): n is IortRmrNode => n.kind === 'rmr')
    .map((n) => {
      let reason: string | null = null;
      if (t.header.revision < 5) reason = `table revision ${t.header.revision} < 5: Linux ignores RMR nodes ("Only supports ARM DEN 0049E.d onwards")`;
      else if (!n.mappingCount || !n.mappingOffset) reason = 'no ID mappings (FW_BUG "Invalid ID mapping, skipping RMR node")';
      else if (!n.descriptorCount || !n.descriptorOffset) reason = 'no memory range descriptors (silently ignored)';
      const streams = n.mappings.map((m): RmrStream => {
        const idx = byOffset.get(m.outputRef);
        const target = idx === undefined ? null : t.nodes[idx]!;
        const isSmmu = target !== null && (target.kind === 'smmu-v3' || target.kind === 'smmu-v1v2');
        return {
          mappingOffset: m.offset,
          first: m.outputBase,
          last: m.outputBase + m.idCount,
          single: m.single,
          smmu: isSmmu ? idx! : null,
          smmuBase: isSmmu ? (target as { base: bigint }).base : null,
        };
      });
      return {
        node: n.index,
        offset: n.offset,
        remapPermitted: n.remapPermitted,
        accessPrivileged: n.accessPrivileged,
        accessAttributes: n.accessAttributes,
        descriptors: n.descriptors.map((d) => ({ offset: d.offset, base: d.base, length: d.length })),
        streams,
        used: reason === null,
        reason,
      };
    });
}

/** StreamID ranges that Linux would install as bypass STEs, per SMMU base (used RMR nodes only). */
export function rmrStreamsBySmmu(t: IortTable): Map<bigint, { first: number; last: number; rmrOffset: number }[]> {
  const out = new Map<bigint, { first: number; last: number; rmrOffset: number }[]>();
  for (const r of listRmrs(t)) {
    if (!r.used) continue;
    for (const s of r.streams) {
      if (s.smmuBase === null) continue;
      const list = out.get(s.smmuBase) ?? [];
      list.push({ first: s.first, last: s.last, rmrOffset: r.offset });
      out.set(s.smmuBase, list);
    }
  }
  return out;
}
