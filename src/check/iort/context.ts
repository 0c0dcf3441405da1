/** What the IORT checks see: the decoded table (src/backends/iort/model.ts) and where it came from. */
import type { Diagnostic } from '../../diag/diagnostic';
import type { BinLocation } from '../../diag/span';
import type { IortIdMapping, IortNode, IortTable } from '../../backends/iort/model';
import { nodeLabel } from '../../backends/iort/model';

export interface IortCtx {
  table: IortTable;
  file: string;
  /** Structural decoder findings (overruns, bad lengths) that iort-structure reports by name. */
  structural: Diagnostic[];
}

export const at = (ctx: IortCtx, byteOffset: number, length?: number): BinLocation =>
  length === undefined ? { file: ctx.file, byteOffset } : { file: ctx.file, byteOffset, length };

export const nodeAt = (ctx: IortCtx, n: IortNode): BinLocation => at(ctx, n.offset, n.length);
export const mapAt = (ctx: IortCtx, m: IortIdMapping, field = 0, len = 20): BinLocation => at(ctx, m.offset + field, len);

export const label = nodeLabel;
export const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** Inclusive last input ID of a mapping (IORT "Number of IDs" is count - 1). */
export const lastInput = (m: IortIdMapping): number => m.inputBase + m.idCount;

/** "#2 (input 0x7a00..0x7b00 -> 0x...)" */
export const mapText = (m: IortIdMapping): string =>
  m.single
    ? `mapping #${m.index} (single -> ${hex(m.outputBase)})`
    : `mapping #${m.index} (input ${hex(m.inputBase)}..${hex(lastInput(m))} -> ${hex(m.outputBase)})`;

/**
 * The index of the mapping Linux treats as a node's own MSI DeviceID mapping and skips during
 * ID translation (iort_get_id_mapping_index): SMMUv3 by node revision and GSIVs/flag (the
 * decoder computes it), PMCG mapping 0 when the overflow interrupt is not wired.
 */
export function deviceIdIndex(n: IortNode): number | null {
  if (n.kind === 'smmu-v3') return n.effectiveDeviceIdIndex;
  if (n.kind === 'pmcg') return n.overflowGsiv === 0 && n.mappingCount > 0 ? 0 : null;
  return null;
}

/** Nodes whose mappings Linux matches by input ID (NC mappings are taken by index instead). */
export const MATCHED_BY_INPUT = new Set<IortNode['kind']>(['root-complex', 'smmu-v1v2', 'smmu-v3', 'pmcg', 'iwb']);

/** Mappings of a node that Linux matches by input ID: not single, not the DeviceID mapping. */
export function rangeMappings(n: IortNode): IortIdMapping[] {
  if (!MATCHED_BY_INPUT.has(n.kind)) return [];
  const skip = deviceIdIndex(n);
  return n.mappings.filter((m) => !m.single && m.index !== skip);
}
