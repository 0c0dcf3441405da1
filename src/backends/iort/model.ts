/**
 * The decoded IORT model: plain data that the decoder produces, the encoder's layout phase
 * produces (so that a round trip can be deep-compared), and the dump, the lint and the
 * table interpreter (src/verify/iort-map.ts) read.
 *
 * Conventions:
 * - Every `offset` is a byte offset from the start of the table; `mappingOffset`,
 *   `descriptorOffset` and SMMUv1/2 IRQ array refs are offsets from the start of the node,
 *   exactly as stored (the spec's own convention).
 * - Numbers are raw field values. `idCount` is the stored "Number of IDs", i.e. count - 1.
 * - 64-bit fields (addresses) are `bigint`; everything else is `number`.
 * - Fields that a node is too short to hold (older node revisions) are `null`.
 * - A mapping's `target` is the index into `IortTable.nodes` of the node that starts exactly at
 *   `outputRef`, or null when no node starts there (the decoder reports that).
 */

export const IORT_HEADER_SIZE = 48;
export const IORT_NODE_HEADER_SIZE = 16;
export const IORT_ID_MAPPING_SIZE = 20;
export const IORT_RMR_DESCRIPTOR_SIZE = 20;

export const NodeType = {
  ItsGroup: 0,
  NamedComponent: 1,
  RootComplex: 2,
  SmmuV1V2: 3,
  SmmuV3: 4,
  Pmcg: 5,
  Rmr: 6,
  Iwb: 7,
} as const;

export type IortNodeKind =
  | 'its-group'
  | 'named-component'
  | 'root-complex'
  | 'smmu-v1v2'
  | 'smmu-v3'
  | 'pmcg'
  | 'rmr'
  | 'iwb'
  | 'unknown';

export const KIND_BY_TYPE: readonly IortNodeKind[] = [
  'its-group',
  'named-component',
  'root-complex',
  'smmu-v1v2',
  'smmu-v3',
  'pmcg',
  'rmr',
  'iwb',
];

export const kindOfType = (type: number): IortNodeKind => KIND_BY_TYPE[type] ?? 'unknown';

/** Human names used by the dump and by diagnostics. */
export const KIND_TITLE: Record<IortNodeKind, string> = {
  'its-group': 'ITS group',
  'named-component': 'Named component',
  'root-complex': 'Root complex',
  'smmu-v1v2': 'SMMUv1/v2',
  'smmu-v3': 'SMMUv3',
  pmcg: 'PMCG',
  rmr: 'RMR',
  iwb: 'IWB',
  unknown: 'Unknown node',
};

/** ID mapping flag bit 0. */
export const ID_MAPPING_SINGLE = 1;

/** SMMUv3 node flag bits. */
export const SMMUV3_FLAG_COHACC = 1 << 0;
export const SMMUV3_FLAG_HTTU_SHIFT = 1;
export const SMMUV3_FLAG_HTTU_MASK = 0b11 << 1;
export const SMMUV3_FLAG_PXM_VALID = 1 << 3;
export const SMMUV3_FLAG_DEVICEID_VALID = 1 << 4;

/** RMR node flag bits. */
export const RMR_FLAG_REMAP_PERMITTED = 1 << 0;
export const RMR_FLAG_ACCESS_PRIVILEGED = 1 << 1;
export const RMR_ACCESS_ATTR_SHIFT = 2;
export const RMR_ACCESS_ATTR_MASK = 0xff << 2;

export interface IortHeader {
  signature: string;
  /** Length field of the ACPI header (may differ from the byte count of the input). */
  length: number;
  revision: number;
  checksum: number;
  /** Sum of the `length` bytes is 0 mod 256. */
  checksumValid: boolean;
  oemId: string;
  oemTableId: string;
  oemRevision: number;
  creatorId: string;
  creatorRevision: number;
  nodeCount: number;
  /** Offset of the first node (normally 48). */
  nodeOffset: number;
  reserved: number;
}

export interface IortIdMapping {
  /** Table offset of this 20-byte entry. */
  offset: number;
  /** Position in the node's ID array. */
  index: number;
  inputBase: number;
  /** Stored "Number of IDs" (count - 1). */
  idCount: number;
  outputBase: number;
  /** Table offset of the output node (0 = NULL reference). */
  outputRef: number;
  flags: number;
  /** Flag bit 0. */
  single: boolean;
  /** Index in `IortTable.nodes` of the node at `outputRef`, or null. */
  target: number | null;
}

export interface IortMemoryAccess {
  /** Cache coherency attribute (1 = fully coherent). */
  cca: number;
  /** Allocation hints (bit 0 transient, 1 write-allocate, 2 read-allocate, 3 override). */
  hints: number;
  reserved: number;
  /** Memory access flags (bit 0 CPM, bit 1 DACS, bit 2 CANWBS). */
  flags: number;
}

interface NodeCommon {
  /** Position in the node list (table order). */
  index: number;
  /** Table offset of the node header. */
  offset: number;
  type: number;
  length: number;
  revision: number;
  /** Identifier (table rev >= 3) or the reserved field (rev 0), stored as-is. */
  identifier: number;
  mappingCount: number;
  /** From the start of the node. */
  mappingOffset: number;
  /** The entries that lie inside the node (fewer than mappingCount when the node is broken). */
  mappings: IortIdMapping[];
}

export interface IortItsGroupNode extends NodeCommon {
  kind: 'its-group';
  itsCount: number;
  /** GIC ITS identifiers (MADT translation IDs). */
  identifiers: number[];
}

export interface IortNamedComponentNode extends NodeCommon {
  kind: 'named-component';
  /** Bit 0 stall supported; bits [5:1] substream (PASID) width. */
  nodeFlags: number;
  memoryAccess: IortMemoryAccess;
  memoryAddressLimit: number;
  /** The NUL-terminated device object path, without the NUL. */
  deviceName: string;
}

export interface IortRootComplexNode extends NodeCommon {
  kind: 'root-complex';
  memoryAccess: IortMemoryAccess;
  /** Bit 0 ATS, bit 1 PRI, bit 2 PASID forwarding. */
  atsAttribute: number;
  pciSegment: number;
  /** Byte 32: the memory address size limit (reserved in node rev 0). */
  memoryAddressLimit: number | null;
  /** Bytes 33..34: PASID capabilities from node rev 4 (reserved before). */
  pasidCapabilities: number | null;
  /** Byte 35. */
  reserved: number | null;
  /** Bytes 36..39 (EDK2/acpiview node rev 4 "Flags"); null when the ID array starts before 40. */
  rcFlags: number | null;
}

export interface IortGsiv {
  gsiv: number;
  /** Bit 0: edge triggered. */
  flags: number;
}

export interface IortSmmuV1V2Node extends NodeCommon {
  kind: 'smmu-v1v2';
  base: bigint;
  span: bigint;
  model: number;
  /** Bit 0 DVM, bit 1 coherent page-table walk. */
  smmuFlags: number;
  globalIrqOffset: number;
  contextIrqCount: number;
  contextIrqOffset: number;
  pmuIrqCount: number;
  pmuIrqOffset: number;
  /** The global interrupt array (at globalIrqOffset), null when it lies outside the node. */
  nsgIrpt: IortGsiv | null;
  nsgCfgIrpt: IortGsiv | null;
  contextIrqs: IortGsiv[];
  pmuIrqs: IortGsiv[];
}

export interface IortSmmuV3Node extends NodeCommon {
  kind: 'smmu-v3';
  base: bigint;
  smmuFlags: number;
  /** Decoded flag bits. */
  cohacc: boolean;
  httu: number;
  pxmValid: boolean;
  deviceIdValid: boolean;
  reserved: number;
  vatosAddress: bigint;
  model: number;
  eventGsiv: number;
  priGsiv: number;
  gerrGsiv: number;
  syncGsiv: number;
  /** null when the node is too short (old 60-byte layout). */
  proximityDomain: number | null;
  deviceIdMappingIndex: number | null;
  /**
   * The mapping index Linux treats as the SMMU's own MSI DeviceID mapping and skips during ID
   * translation (iort_get_id_mapping_index): node rev >= 1; rev < 5 unless all four GSIVs are
   * non-zero; rev >= 5 only with flag bit 4; null when none (or when it overflows the count).
   */
  effectiveDeviceIdIndex: number | null;
}

export interface IortPmcgNode extends NodeCommon {
  kind: 'pmcg';
  page0Base: bigint;
  overflowGsiv: number;
  /** Table offset of the monitored node. */
  nodeReference: number;
  /** Index of the node at nodeReference, or null. */
  nodeReferenceTarget: number | null;
  /** Page 1 base (node rev >= 1 and room in the node), else null. */
  page1Base: bigint | null;
}

export interface IortRmrDescriptor {
  /** Table offset of the 20-byte descriptor. */
  offset: number;
  base: bigint;
  length: bigint;
  reserved: number;
}

export interface IortRmrNode extends NodeCommon {
  kind: 'rmr';
  rmrFlags: number;
  remapPermitted: boolean;
  accessPrivileged: boolean;
  /** Bits [9:2]. */
  accessAttributes: number;
  descriptorCount: number;
  /** From the start of the node. */
  descriptorOffset: number;
  descriptors: IortRmrDescriptor[];
}

export interface IortIwbNode extends NodeCommon {
  kind: 'iwb';
  configBase: bigint;
  iwbIndex: number;
  deviceName: string;
}

export interface IortUnknownNode extends NodeCommon {
  kind: 'unknown';
  /** The whole node (header included) as stored. */
  raw: Uint8Array;
}

export type IortNode =
  | IortItsGroupNode
  | IortNamedComponentNode
  | IortRootComplexNode
  | IortSmmuV1V2Node
  | IortSmmuV3Node
  | IortPmcgNode
  | IortRmrNode
  | IortIwbNode
  | IortUnknownNode;

export interface IortTable {
  header: IortHeader;
  nodes: IortNode[];
}

/** A short stable label for a node: "SMMUv3@0x48". */
export function nodeLabel(n: Pick<IortNode, 'kind' | 'offset'>): string {
  return `${KIND_TITLE[n.kind]}@0x${n.offset.toString(16)}`;
}

/** Linux's rule for the SMMUv3 DeviceID mapping index (see IortSmmuV3Node.effectiveDeviceIdIndex). */
export function smmuV3DeviceIdIndex(n: {
  revision: number;
  smmuFlags: number;
  eventGsiv: number;
  priGsiv: number;
  gerrGsiv: number;
  syncGsiv: number;
  deviceIdMappingIndex: number | null;
  mappingCount: number;
}): { index: number | null; overflow: boolean } {
  if (n.revision < 1 || n.deviceIdMappingIndex === null) return { index: null, overflow: false };
  if (n.revision < 5) {
    if (n.eventGsiv && n.priGsiv && n.gerrGsiv && n.syncGsiv) return { index: null, overflow: false };
  } else if (!(n.smmuFlags & SMMUV3_FLAG_DEVICEID_VALID)) {
    return { index: null, overflow: false };
  }
  if (n.deviceIdMappingIndex >= n.mappingCount) return { index: null, overflow: true };
  return { index: n.deviceIdMappingIndex, overflow: false };
}
