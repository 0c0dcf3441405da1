/**
 * The lowered IR: the single typed model every back end, check and the verifier read.
 *
 * Contract (shared by all modules, change with care):
 * - Every reference is resolved: ids are strings that exist in the matching list.
 * - Every default is applied and every profile allocation is done (bases, IRQs, bus numbers).
 * - Addresses are `bigint`; IDs (RIDs, StreamIDs, DeviceIDs), bus numbers, GSIVs are `number`.
 * - Lists are in declaration order unless stated; `ridMap` is sorted by `base`.
 * - `span` points at the declaration in the source file (DSL or YAML) for diagnostics;
 *   IR built by hand in tests may omit it.
 * - The IR is plain data (no classes, no functions) so that it can be deep-compared and
 *   serialised (`iotopo ir` prints it with bigints as "0x..." strings).
 */
import type { Span } from '../diag/span';

export type Profile = 'qemu-virt' | 'custom';
export type Stage = 's1' | 's2' | 'nested';

export interface IrIortOptions {
  /** Table revision: 3 (E.b), 5 (E.d) or 6 (E.e). Never 1, 2 or 4. */
  revision: 3 | 5 | 6;
  /** True when the source named the revision (an RMR with an explicit revision < 5 is an error). */
  revisionExplicit: boolean;
  oemId: string; // exactly 6 chars, space padded
  oemTableId: string; // exactly 8 chars, space padded
  oemRevision: number;
  creatorId: string; // exactly 4 chars
  creatorRevision: number;
}

export interface IrGic {
  version: 3;
  distBase: bigint;
  distSize: bigint;
  redistBase: bigint;
  redistSize: bigint;
  /** Number of SPIs the distributor implements (INTIDs 32 .. 32+spiCount-1). */
  spiCount: number;
  /** Extended SPI range implemented (INTIDs 4096..5119) */
  espi: boolean;
}

export interface IrIts {
  id: string;
  base: bigint;
  /** 128 KiB on GICv3 */
  size: bigint;
  /** GIC ITS translation ID from the MADT; the IORT ITS group identifier. */
  translationId: number;
  span?: Span;
}

/** Wired interrupts as GSIVs (GIC INTIDs: SPI n = GSIV n+32). 0 = not wired. */
export interface IrSmmuIrqs {
  kind: 'wired' | 'combined' | 'msi';
  event: number;
  pri: number;
  gerror: number;
  sync: number;
  /** For kind 'msi': the ITS that receives the SMMU's own MSIs and the DeviceID it uses. */
  msiIts?: string;
  msiDeviceId?: number;
}

export interface IrSmmu {
  id: string;
  base: bigint;
  /** Always 128 KiB (two 64 KiB pages) for SMMUv3. */
  size: bigint;
  irqs: IrSmmuIrqs;
  stage: Stage;
  /** Host SMMU that backs a nested vSMMU (free-form stable name), or null. */
  host: string | null;
  coherent: boolean;
  ats: boolean;
  /** HTTU override: 0 none, 1 access flag, 2 access + dirty */
  httu: 0 | 1 | 2;
  /** NUMA node / ACPI proximity domain, or null when not given. */
  numa: number | null;
  /**
   * StreamID -> ITS DeviceID ranges (the SMMUv3 node's ID mappings). Computed by lowering:
   * one entry per contiguous StreamID range that this SMMU receives.
   */
  msiMap: IrIdRange[];
  span?: Span;
}

/** A contiguous identity-or-offset range: input [base, base+count) -> output [outBase, ...). */
export interface IrIdRange {
  base: number;
  count: number;
  outBase: number;
  /** ITS id for SMMU->ITS ranges */
  its: string;
}

export type HostBridgeKind = 'rc' | 'pxb';

/** A PCIe host bridge: a root complex (pcie.N) or a pxb-pcie expander bridge's root bus. */
export interface IrHostBridge {
  id: string;
  kind: HostBridgeKind;
  segment: number;
  /** First and last bus number this bridge owns (inclusive). */
  busStart: number;
  busEnd: number;
  /** SMMU id this bridge's RIDs go through, or null when it bypasses the IOMMU. */
  iommu: string | null;
  /** ITS id that receives this bridge's MSIs, or null (no MSI controller). */
  msiParent: string | null;
  ats: boolean;
  /** Memory address size limit in bits (IORT RC node). */
  memLimit: number;
  numa: number | null;
  /** pxb only: the parent bus id (a root complex), slot/function on it. */
  parent: string | null;
  devfn: number | null;
  /** Hotplug slots (root ports) reserved beyond the declared ones; counts in busEnd. */
  hotplug: number;
  /** rc only: ECAM window for the whole segment (bus 0 of the window = bus 0). */
  ecamBase: bigint | null;
  span?: Span;
}

export interface IrRootPort {
  id: string;
  /** host bridge id (rc or pxb) whose root bus the port sits on */
  bridge: string;
  devfn: number;
  /** bus number of the port's own function (the bridge's root bus) */
  bus: number;
  /** secondary..subordinate bus range behind the port */
  secondary: number;
  subordinate: number;
  chassis: number | null;
  span?: Span;
}

export type DeviceKind = 'vfio' | 'emulated';

export interface IrDevice {
  id: string;
  kind: DeviceKind;
  /** host bridge id that the device's RID belongs to */
  bridge: string;
  /** root port id the device sits behind, or null when directly on the root bus */
  port: string | null;
  segment: number;
  bus: number;
  devfn: number;
  /** (bus << 8) | devfn */
  rid: number;
  /** vfio only: host PCI address "SSSS:BB:DD.F" and the host SMMU it sits behind */
  hostBdf: string | null;
  hostSmmu: string | null;
  /** Free-form model, e.g. "virtio-net-pci" (documentation only). */
  model: string | null;
  span?: Span;
}

export interface IrMemRange {
  base: bigint;
  size: bigint;
}

export interface IrRmr {
  id: string;
  smmu: string;
  /** StreamID ranges (inputs of the RMR node's ID mappings; output = StreamID too). */
  streams: { base: number; count: number }[];
  ranges: IrMemRange[];
  remappable: boolean;
  privileged: boolean;
  /** IORT RMR access attributes 0..5 (0 Device-nGnRnE ... 5 Normal WB inner shareable) */
  attributes: number;
  /** Device ids whose RIDs the RMR covers (for the DT reserved-memory description). */
  devices: string[];
  span?: Span;
}

/** Where the RIDs of one range go. */
export type RidTarget =
  | { kind: 'smmu'; smmu: string; streamBase: number }
  | { kind: 'its'; its: string; deviceBase: number }
  | { kind: 'none' };

export interface IrRidRange {
  /** First RID of the range in this segment (16 bits). */
  base: number;
  count: number;
  target: RidTarget;
  /** Bridge that owns these RIDs, or null for RIDs that belong to no bridge (gaps). */
  owner: string | null;
}

export interface IrSegment {
  segment: number;
  /** Covers [0, 0x10000) completely, sorted by base, non-overlapping; gaps are explicit. */
  ridMap: IrRidRange[];
}

/** Platform regions the profile knows (for MMIO / IRQ checks and the DT). */
export interface IrPlatformRegion {
  name: string;
  base: bigint;
  size: bigint;
  /** SPIs (INTID - 32) used by this region, if any */
  spis: number[];
}

export interface IrMachine {
  name: string;
  profile: Profile;
  iort: IrIortOptions;
  gic: IrGic;
  its: IrIts[];
  smmus: IrSmmu[];
  bridges: IrHostBridge[];
  rootPorts: IrRootPort[];
  devices: IrDevice[];
  rmrs: IrRmr[];
  segments: IrSegment[];
  /** RAM and other fixed regions of the profile (empty for custom unless declared). */
  platform: IrPlatformRegion[];
  /** PCI MMIO windows per root complex, for the DT `ranges` (may be empty for custom). */
  pciWindows: IrPciWindow[];
  span?: Span;
}

export interface IrPciWindow {
  /** root complex id */
  bridge: string;
  kind: 'io' | 'mem32' | 'mem64';
  pciBase: bigint;
  cpuBase: bigint;
  size: bigint;
}

/** RID helpers shared by everyone. */
export const rid = (bus: number, devfn: number): number => ((bus & 0xff) << 8) | (devfn & 0xff);
export const devfnOf = (slot: number, fn: number): number => ((slot & 0x1f) << 3) | (fn & 0x7);
