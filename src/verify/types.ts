/**
 * What a table interpreter says about one requester ID. The IORT interpreter (Linux
 * iort_node_map_id semantics) and the DT interpreter (Linux of_map_id semantics) both produce
 * this, so the verifier and the lint can compare them RID by RID.
 *
 * SMMUs are identified by MMIO base in both formats. ITSes are identified by GIC ITS
 * translation ID in the IORT and by the ITS node's base address in the DT; comparisons map one
 * to the other through the config (IrIts) when it is available.
 */
export interface TraceStep {
  /** Byte offset in the IORT ("0xa0") or DT path ("/pcie@10000000:iommu-map[1]"). */
  where: string;
  what: string;
}

export interface SmmuRef {
  base: bigint;
}

export interface ItsRef {
  translationId?: number;
  base?: bigint;
}

export interface RidResolution {
  segment: number;
  rid: number;
  /** null: the RID reaches no IOMMU (bypass via an RC->ITS mapping, or untranslated). */
  smmu: SmmuRef | null;
  streamId: number | null;
  /** null: no MSI route. */
  its: ItsRef | null;
  deviceId: number | null;
  /** True when no mapping matched at the root (Linux leaves the device untranslated). */
  unmapped: boolean;
  trace: TraceStep[];
  /** Firmware bugs Linux would log on this path (FW_BUG texts), e.g. boundary conflicts. */
  fwBugs: string[];
}

/** The resolution of a RID that reaches nothing: no bridge or root complex owns it. */
export function noRoute(segment: number, rid: number, step: TraceStep): RidResolution {
  return { segment, rid, smmu: null, streamId: null, its: null, deviceId: null, unmapped: true, trace: [step], fwBugs: [] };
}
