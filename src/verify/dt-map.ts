/**
 * Device-tree table interpreter: what Linux concludes for one PCI requester ID from a host
 * bridge's `iommu-map` / `msi-map` (Linux drivers/of/base.c of_map_id), as a RidResolution that
 * can be compared RID by RID with the IORT interpreter (src/verify/iort-map.ts).
 *
 * of_map_id, as implemented here:
 * - property absent: no translation. For the IOMMU that means "not behind an IOMMU" (smmu null,
 *   unmapped false); for MSIs the DeviceID is the RID itself and the controller is the bridge's
 *   `msi-parent`, if any.
 * - length 0 or not a multiple of 4 cells: "Bad <map> length", -EINVAL (only 4-cell entries).
 * - mask = `<map>-mask` or 0xffffffff; masked = rid & mask. Entries are scanned in order; an
 *   entry whose rid-base has bits outside the mask fails the lookup (-EFAULT) when reached,
 *   before its range test; the first entry with rid-base <= masked < rid-base + length wins
 *   (u32 arithmetic, as in C); out = masked - rid-base + out-base; an unknown phandle is -ENODEV.
 * - no entry matches: the RID bypasses translation (unmapped true; the device ends up with no
 *   IOMMU, Linux logs "no iommu-map translation for id").
 * - a disabled (`status`) IOMMU node leaves its masters untranslated (of_device_is_available).
 *
 * SMMUs are identified by their `reg` base, ITSes by their `reg` base (ItsRef.base). Where the
 * IORT side would say "RC -> ITS mapping" (bypass, unmapped false) the DT can only leave the RID
 * out of `iommu-map` (unmapped true): compare smmu/streamId/its/deviceId, not `unmapped`, for
 * such RIDs.
 */
import {
  type FdtNode,
  type FdtTree,
  cellsOf,
  getProp,
  hostBridges,
  isAvailable,
  parentMap,
  phandleIndex,
  propU32Value,
  propCells,
  regOf,
} from '../backends/fdt/model';
import type { IrMachine } from '../ir/types';
import { ecamSlice } from '../backends/fdt/encode';
import { noRoute, type RidResolution, type TraceStep } from './types';

export interface DtBridge {
  path: string;
  node: FdtNode;
  parent: FdtNode;
  /** linux,pci-domain, or null. */
  domain: number | null;
  /** bus-range (0..255 when absent, as Linux's of_pci_parse_bus_range default). */
  busStart: number;
  busEnd: number;
  /** First reg address (the ECAM window start), or null. */
  ecamBase: bigint | null;
}

export function dtBridges(root: FdtNode): DtBridge[] {
  return hostBridges(root).map(({ node, parent }) => {
    const br = propCells(node, 'bus-range');
    const reg = regOf(node, parent);
    return {
      path: node.path,
      node,
      parent,
      domain: propU32Value(node, 'linux,pci-domain'),
      busStart: br && br.length === 2 ? br[0]! : 0,
      busEnd: br && br.length === 2 ? br[1]! : 255,
      ecamBase: reg && reg.length ? reg[0]!.address : null,
    };
  });
}

interface MapOutcome {
  /** The property exists. */
  present: boolean;
  /** Matched target node (null: no match or error). */
  target: FdtNode | null;
  out: number;
  /** Linux error text when the lookup fails (-EINVAL, -EFAULT, -ENODEV). */
  error: string | null;
}

/** Linux of_map_id on one node. */
export function ofMapId(
  node: FdtNode,
  id: number,
  mapName: string,
  maskName: string,
  phandles: Map<number, FdtNode>,
  trace: TraceStep[],
): MapOutcome {
  const prop = getProp(node, mapName);
  if (!prop) {
    trace.push({ where: node.path, what: `no ${mapName}: id 0x${id.toString(16)} passes untranslated` });
    return { present: false, target: null, out: id, error: null };
  }
  const cells = prop.value.length % 16 === 0 ? cellsOf(prop.value) : null;
  if (!cells || cells.length === 0) {
    const e = `${node.path}: Error: Bad ${mapName} length: ${prop.value.length}`;
    trace.push({ where: `${node.path}:${mapName}`, what: e });
    return { present: true, target: null, out: id, error: e };
  }
  const mask = (getProp(node, maskName) ? propU32Value(node, maskName) : null) ?? 0xffffffff;
  const masked = (id & mask) >>> 0;
  for (let i = 0; i < cells.length; i += 4) {
    const idBase = cells[i]!;
    const ph = cells[i + 1]!;
    const outBase = cells[i + 2]!;
    const len = cells[i + 3]!;
    const where = `${node.path}:${mapName}[${i / 4}]`;
    if ((idBase & ~mask) >>> 0 !== 0) {
      const e = `${node.path}: Invalid ${mapName} translation - ${mapName}-mask (0x${mask.toString(16)}) ignores id-base (0x${idBase.toString(16)})`;
      trace.push({ where, what: e });
      return { present: true, target: null, out: id, error: e };
    }
    const end = (idBase + len) >>> 0;
    if (masked < idBase || masked >= end) continue;
    const target = phandles.get(ph);
    if (!target) {
      const e = `${where}: phandle 0x${ph.toString(16)} names no node`;
      trace.push({ where, what: e });
      return { present: true, target: null, out: id, error: e };
    }
    const out = (masked - idBase + outBase) >>> 0;
    trace.push({
      where,
      what: `0x${id.toString(16)}${mask !== 0xffffffff ? ` (mask 0x${mask.toString(16)} -> 0x${masked.toString(16)})` : ''} in [0x${idBase.toString(16)}, 0x${end.toString(16)}) -> ${target.path} id 0x${out.toString(16)}`,
    });
    return { present: true, target, out, error: null };
  }
  trace.push({ where: `${node.path}:${mapName}`, what: `no ${mapName} translation for id 0x${id.toString(16)}` });
  return { present: true, target: null, out: id, error: null };
}

/** Resolution context for one tree: phandle and parent indexes built once. */
export class DtInterpreter {
  readonly bridges: DtBridge[];
  private readonly phandles: Map<number, FdtNode>;
  private readonly parents: Map<FdtNode, FdtNode | null>;
  constructor(readonly root: FdtNode) {
    this.bridges = dtBridges(root);
    this.phandles = phandleIndex(root);
    this.parents = parentMap(root);
  }
  static of(tree: FdtTree): DtInterpreter {
    return new DtInterpreter(tree.root);
  }
  private baseOf(n: FdtNode): bigint | null {
    const p = this.parents.get(n);
    const r = p ? regOf(n, p) : null;
    return r && r.length ? r[0]!.address : null;
  }

  /** What Linux concludes for `rid` under host bridge `bridge` (reported with `segment`). */
  resolve(bridge: DtBridge, rid: number, segment: number): RidResolution {
    const trace: TraceStep[] = [];
    const fwBugs: string[] = [];
    const res: RidResolution = { segment, rid, smmu: null, streamId: null, its: null, deviceId: null, unmapped: false, trace, fwBugs };
    const bus = (rid >> 8) & 0xff;
    if (bus < bridge.busStart || bus > bridge.busEnd) {
      trace.push({ where: `${bridge.path}:bus-range`, what: `bus ${bus} is outside bus-range ${bridge.busStart}..${bridge.busEnd}` });
    }
    const io = ofMapId(bridge.node, rid, 'iommu-map', 'iommu-map-mask', this.phandles, trace);
    if (io.error) {
      fwBugs.push(io.error);
      res.unmapped = true;
    } else if (io.present && !io.target) {
      res.unmapped = true;
    } else if (io.target) {
      if (!isAvailable(io.target)) {
        trace.push({ where: io.target.path, what: 'IOMMU node is not available (status): the master is left untranslated' });
        res.unmapped = true;
      } else {
        const base = this.baseOf(io.target);
        res.smmu = { base: base ?? 0n };
        res.streamId = io.out;
      }
    }
    const mt: TraceStep[] = [];
    const msi = ofMapId(bridge.node, rid, 'msi-map', 'msi-map-mask', this.phandles, mt);
    trace.push(...mt);
    if (msi.error) fwBugs.push(msi.error);
    if (msi.target) {
      const base = this.baseOf(msi.target);
      res.its = base !== null ? { base } : {};
      res.deviceId = msi.out;
    } else if (!msi.error) {
      // No msi-map match: the bridge's MSI domain (msi-parent) with DeviceID = RID.
      const mp = propCells(bridge.node, 'msi-parent');
      const target = mp && mp.length ? this.phandles.get(mp[0]!) : undefined;
      if (target) {
        const base = this.baseOf(target);
        res.its = base !== null ? { base } : {};
        res.deviceId = rid;
        trace.push({ where: `${bridge.path}:msi-parent`, what: `MSIs to ${target.path} with DeviceID = RID 0x${rid.toString(16)}` });
      }
    }
    return res;
  }

  /** The host bridge that owns `rid` among those of one segment, or null. */
  bridgeFor(rid: number, inSegment: (b: DtBridge) => boolean): DtBridge | null {
    const bus = (rid >> 8) & 0xff;
    return this.bridges.find((b) => inSegment(b) && bus >= b.busStart && bus <= b.busEnd) ?? null;
  }

  /**
   * Resolves a RID of a PCI segment. `segmentOf` maps a host-bridge node to its segment (see
   * `segmentsFromIr`; default: linux,pci-domain, which equals the segment for root complexes).
   * A RID that no bridge owns is reported unmapped with no route.
   */
  resolveSegmentRid(segment: number, rid: number, segmentOf: (b: DtBridge) => number | null = (b) => b.domain): RidResolution {
    const b = this.bridgeFor(rid, (x) => segmentOf(x) === segment);
    if (b) return this.resolve(b, rid, segment);
    return noRoute(segment, rid, { where: '/', what: `no host bridge of segment ${segment} has bus ${(rid >> 8) & 0xff} in its bus-range` });
  }
}

/**
 * Segment of each host-bridge node, from the IR: a node describes IR bridge B when its ECAM
 * window starts where B's slice does (ecamBase + busStart MiB). Unknown nodes map to null.
 */
export function segmentsFromIr(interp: DtInterpreter, ir: IrMachine): (b: DtBridge) => number | null {
  const byStart = new Map<bigint, number>();
  for (const b of ir.bridges) {
    const s = ecamSlice(ir, b);
    if (s) byStart.set(s.base, b.segment);
  }
  const m = new Map<string, number | null>();
  for (const b of interp.bridges) m.set(b.path, b.ecamBase !== null ? (byStart.get(b.ecamBase) ?? null) : null);
  return (b) => m.get(b.path) ?? null;
}
