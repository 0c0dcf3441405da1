/**
 * The model spec: every block kind, its properties, their types, ranges, defaults and docs.
 * Lowering validates both languages against it (src/ir/validate.ts), the YAML JSON Schema is
 * generated from it (src/ir/schema.ts), and grammar/README.md documents it. Keep the three in
 * step by editing only this table.
 */
import type { Profile } from './types';

export type PropType =
  /** Integer. `size` allows a size suffix (64K); `names` are keyword aliases for values. */
  | { t: 'int'; min: bigint; max: bigint; size?: boolean; names?: Record<string, number> }
  | { t: 'bool' }
  | { t: 'string'; maxLen?: number; pattern?: RegExp; patternDoc?: string }
  | { t: 'enum'; values: readonly string[] }
  /** Reference by id to a block of one of `kinds`, or one of the keywords in `keywords`. */
  | { t: 'ref'; kinds: readonly string[]; keywords?: readonly string[] }
  /** Inclusive integer range lo..hi within [min, max]. */
  | { t: 'range'; min: bigint; max: bigint }
  /** Two values: base and size (YAML: {base, size}). */
  | { t: 'memrange' }
  /** One or more of: a bridge or device id, a stream ID, a stream ID range. */
  | { t: 'ids' };

export interface PropSpec {
  name: string;
  type: PropType;
  doc: string;
  /** true = always; a profile = only in that profile. */
  required?: boolean | Profile;
  /** May appear several times (each occurrence adds one value). */
  repeat?: boolean;
  /** Only allowed in these profiles. */
  profiles?: readonly Profile[];
  /** Human-readable default for docs and the schema description. */
  default?: string;
  aliases?: readonly string[];
}

export interface BlockSpec {
  kind: string;
  doc: string;
  id: 'required' | 'optional' | 'none';
  /** Allowed header qualifiers (YAML: the `kind` key); required when set. */
  subkinds?: readonly string[];
  /** At most one block of this kind. */
  singleton?: boolean;
  profiles?: readonly Profile[];
  props: PropSpec[];
}

const U8 = 0xffn;
const U16 = 0xffffn;
const U32 = 0xffff_ffffn;
const U64 = (1n << 64n) - 1n;

const int = (min: bigint, max: bigint, extra: Partial<{ size: boolean; names: Record<string, number> }> = {}): PropType => ({
  t: 'int',
  min,
  max,
  ...extra,
});
const addr = int(0n, U64, { size: true });
const size = int(1n, U64, { size: true });
const bool: PropType = { t: 'bool' };
const smmuRef: PropType = { t: 'ref', kinds: ['smmuv3'], keywords: ['none'] };
const itsRef: PropType = { t: 'ref', kinds: ['its'], keywords: ['none'] };

/** Properties shared by root complexes and expander bridges. */
const bridgeProps: PropSpec[] = [
  {
    name: 'iommu',
    type: smmuRef,
    doc: "SMMU that translates this bridge's DMA, or `none` (bypass).",
    default: 'the only SMMU when the machine has exactly one, else none',
  },
  { name: 'bypass', type: bool, doc: 'Bypass the IOMMU (QEMU bypass_iommu). Same as `iommu none`.', default: 'false' },
  {
    name: 'msi',
    type: itsRef,
    doc: 'ITS that receives MSIs from this bridge, or `none`.',
    default: 'qemu-virt: its0; custom: the only ITS (pxb: its parent’s)',
  },
  { name: 'ats', type: bool, doc: 'Root complex supports ATS (IORT RC ATS attribute).', default: 'false' },
  { name: 'mem_limit', type: int(1n, 64n), doc: 'Memory address size limit in bits (IORT RC node).', default: '64' },
  { name: 'numa', type: int(0n, U32), doc: 'NUMA node / proximity domain.', aliases: ['numa_node'] },
  {
    name: 'hotplug',
    type: int(0n, 255n),
    doc: 'Extra buses reserved for hot-plugged root ports (counted in the bus range).',
    default: '0',
  },
];

export const BLOCKS: BlockSpec[] = [
  {
    kind: 'machine',
    doc: 'The machine: the only top-level block. Its id is the machine name.',
    id: 'required',
    props: [
      { name: 'profile', type: { t: 'enum', values: ['qemu-virt', 'custom'] }, doc: 'Allocation rules.', default: 'qemu-virt' },
      {
        name: 'memory',
        type: int(1n << 20n, 255n << 30n, { size: true }),
        doc: 'RAM size at 0x40000000 (qemu-virt).',
        default: '1G',
        profiles: ['qemu-virt'],
      },
      {
        name: 'ram',
        type: { t: 'memrange' },
        doc: 'A RAM region BASE SIZE (custom; repeatable).',
        repeat: true,
        profiles: ['custom'],
      },
      {
        name: 'its',
        type: { t: 'enum', values: ['off', 'none'] },
        doc: '`its off`: the machine has no ITS (qemu-virt its=off). No RC->ITS ranges, empty SMMU msiMap.',
      },
    ],
  },
  {
    kind: 'iort',
    doc: 'IORT table header options.',
    id: 'none',
    singleton: true,
    props: [
      {
        name: 'revision',
        type: int(3n, 6n),
        doc: 'IORT table revision: 3 (E.b), 5 (E.d) or 6 (E.e).',
        default: 'qemu-virt: 3, or 5 with an RMR; custom: 5',
      },
      { name: 'oem_id', type: { t: 'string', maxLen: 6, pattern: /^[\x20-\x7e]*$/, patternDoc: 'printable ASCII' }, doc: 'OEM ID (space padded to 6).', default: 'qemu-virt "BOCHS "; custom "IOTOPO"' },
      { name: 'oem_table_id', type: { t: 'string', maxLen: 8, pattern: /^[\x20-\x7e]*$/, patternDoc: 'printable ASCII' }, doc: 'OEM table ID (space padded to 8).', default: 'qemu-virt "BXPC    "; custom "IOTOPO  "' },
      { name: 'oem_revision', type: int(0n, U32), doc: 'OEM revision.', default: '1' },
      { name: 'creator_id', type: { t: 'string', maxLen: 4, pattern: /^[\x20-\x7e]*$/, patternDoc: 'printable ASCII' }, doc: 'Creator ID (space padded to 4).', default: 'qemu-virt "BXPC"; custom "IOTO"' },
      { name: 'creator_revision', type: int(0n, U32), doc: 'Creator revision.', default: '1' },
    ],
  },
  {
    kind: 'gic',
    doc: 'GICv3 distributor and redistributors.',
    id: 'none',
    singleton: true,
    props: [
      { name: 'dist', type: addr, doc: 'Distributor base.', required: 'custom', default: 'qemu-virt 0x08000000' },
      { name: 'dist_size', type: size, doc: 'Distributor size.', default: '0x10000' },
      { name: 'redist', type: addr, doc: 'Redistributor region base.', required: 'custom', default: 'qemu-virt 0x080A0000' },
      { name: 'redist_size', type: size, doc: 'Redistributor region size.', required: 'custom', default: 'qemu-virt 0xF60000' },
      { name: 'spis', type: int(32n, 988n), doc: 'Number of SPIs (INTIDs 32..32+spis-1).', default: '256' },
      { name: 'espi', type: bool, doc: 'Extended SPI range implemented.', default: 'false' },
    ],
  },
  {
    kind: 'its',
    doc: 'A GICv3 ITS (MSI controller).',
    id: 'required',
    props: [
      { name: 'base', type: addr, doc: 'ITS base address.', required: 'custom', default: 'qemu-virt 0x08080000' },
      { name: 'size', type: size, doc: 'ITS frame size.', default: '0x20000' },
      { name: 'translation_id', type: int(0n, U32), doc: 'MADT translation ID / IORT ITS identifier.', default: 'index in declaration order' },
    ],
  },
  {
    kind: 'smmuv3',
    doc: 'An SMMUv3 (physical, or a vSMMU backed by a host SMMU).',
    id: 'required',
    props: [
      { name: 'base', type: addr, doc: 'Register base (128 KiB).', required: 'custom', default: 'qemu-virt: 0x09050000 (one SMMU) or 0x0c000000 + i*0x20000' },
      { name: 'spi', type: int(0n, 987n), doc: 'First of four consecutive SPIs: eventq, priq, cmdq-sync, gerror (QEMU wiring).', default: 'qemu-virt: 74 (one SMMU) or 112 + 4i' },
      { name: 'event_gsiv', type: int(0n, U32), doc: 'Event queue GSIV (instead of spi).' },
      { name: 'pri_gsiv', type: int(0n, U32), doc: 'PRI queue GSIV (instead of spi).' },
      { name: 'sync_gsiv', type: int(0n, U32), doc: 'CMD_SYNC GSIV (instead of spi).' },
      { name: 'gerror_gsiv', type: int(0n, U32), doc: 'Global error GSIV (instead of spi).' },
      { name: 'combined_gsiv', type: int(0n, U32), doc: 'One combined interrupt for all four sources.' },
      { name: 'msi_its', type: { t: 'ref', kinds: ['its'] }, doc: "ITS that receives the SMMU's own MSIs (interrupts by MSI, no wires)." },
      { name: 'msi_device_id', type: int(0n, U32), doc: 'DeviceID the SMMU uses for its own MSIs (with msi_its).', default: '0' },
      { name: 'msi', type: itsRef, doc: 'ITS that receives MSIs translated by this SMMU (its StreamID->DeviceID map), or none.', default: 'qemu-virt its0; custom the only ITS' },
      { name: 'stage', type: { t: 'enum', values: ['s1', 's2', 'nested'] }, doc: 'Translation stages.', default: 's1' },
      { name: 'host', type: { t: 'string', maxLen: 64 }, doc: 'Host SMMU backing this vSMMU (stable free-form name).' },
      { name: 'coherent', type: bool, doc: 'Coherent table walks (IORT COHACC override).', default: 'true' },
      { name: 'ats', type: bool, doc: 'ATS supported.', default: 'false' },
      { name: 'httu', type: int(0n, 2n, { names: { none: 0, af: 1, 'af-dirty': 2 } }), doc: 'HTTU override: 0 none, 1 access flag, 2 access+dirty.', default: '0' },
      { name: 'numa', type: int(0n, U32), doc: 'NUMA node / proximity domain.', aliases: ['numa_node'] },
    ],
  },
  {
    kind: 'pcie',
    doc: 'A PCIe root complex. qemu-virt has exactly one, pcie.0, which a `pcie pcie.0 { }` block may configure.',
    id: 'required',
    props: [
      { name: 'segment', type: int(0n, U16), doc: 'PCI segment (domain).', required: 'custom', profiles: ['custom'] },
      { name: 'ecam', type: addr, doc: 'ECAM base (bus 0 of the window).', required: 'custom', profiles: ['custom'] },
      { name: 'bus_range', type: { t: 'range', min: 0n, max: U8 }, doc: 'Buses owned (lo..hi).', default: 'lo 0, hi computed from root ports', profiles: ['custom'] },
      { name: 'pio', type: { t: 'memrange' }, doc: 'I/O window CPU base and size (PCI address 0).', profiles: ['custom'] },
      { name: 'mmio32', type: { t: 'memrange' }, doc: '32-bit memory window (1:1).', profiles: ['custom'] },
      { name: 'mmio64', type: { t: 'memrange' }, doc: '64-bit memory window (1:1).', profiles: ['custom'] },
      ...bridgeProps,
    ],
  },
  {
    kind: 'pxb-pcie',
    doc: 'A pxb-pcie expander bridge: a new root bus on a root complex, in the same segment.',
    id: 'required',
    props: [
      { name: 'bus', type: { t: 'ref', kinds: ['pcie'] }, doc: 'Parent root complex.', default: 'the only root complex (pcie.0)' },
      { name: 'bus_nr', type: int(1n, U8), doc: 'Root bus number of the expander.', required: true },
      { name: 'addr', type: int(0n, 31n), doc: 'Slot on the parent bus.', default: 'first free slot' },
      { name: 'buses', type: int(1n, 256n), doc: 'Number of buses reserved (overrides ports + hotplug).' },
      ...bridgeProps,
    ],
  },
  {
    kind: 'root-port',
    doc: 'A PCIe root port on a root complex or expander root bus.',
    id: 'required',
    props: [
      { name: 'on', type: { t: 'ref', kinds: ['pcie', 'pxb-pcie'] }, doc: 'Bridge whose root bus the port sits on.', required: true },
      { name: 'addr', type: int(0n, 31n), doc: 'Slot on that bus.', default: 'first free slot' },
      { name: 'fn', type: int(0n, 7n), doc: 'Function number.', default: '0' },
      { name: 'chassis', type: int(0n, U8), doc: 'Chassis number (QEMU pcie-root-port chassis).' },
      { name: 'reserve', type: int(0n, 254n), doc: 'Extra buses reserved behind the port.', default: '0' },
    ],
  },
  {
    kind: 'device',
    doc: 'A PCIe endpoint: `vfio` (assigned host device) or `emulated`.',
    id: 'required',
    subkinds: ['vfio', 'emulated'],
    props: [
      { name: 'on', type: { t: 'ref', kinds: ['pcie', 'pxb-pcie', 'root-port'] }, doc: 'Where the device sits. On a pxb-pcie it gets its own root port `<id>.port`.', required: true },
      { name: 'addr', type: int(0n, 31n), doc: 'Slot (on a pxb-pcie: the slot of its implicit root port).', default: 'first free slot; 0 behind a port' },
      { name: 'fn', type: int(0n, 7n), doc: 'Function number.', default: '0' },
      { name: 'host', type: { t: 'string', pattern: /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$/, patternDoc: 'SSSS:BB:DD.F' }, doc: 'vfio: host PCI address SSSS:BB:DD.F.' },
      { name: 'host_smmu', type: { t: 'string', maxLen: 64 }, doc: 'vfio: host SMMU the device sits behind.' },
      { name: 'model', type: { t: 'string', maxLen: 64 }, doc: 'Device model, e.g. virtio-net-pci (documentation).' },
    ],
  },
  {
    kind: 'rmr',
    doc: 'An IORT reserved memory range (RMR): memory the listed stream IDs must keep mapped.',
    id: 'required',
    props: [
      { name: 'iommu', type: { t: 'ref', kinds: ['smmuv3'] }, doc: 'SMMU whose stream IDs are listed.', default: 'the SMMU the ids go through' },
      { name: 'ids', type: { t: 'ids' }, doc: 'Bridge ids, device ids, stream IDs or stream ID ranges lo..hi.', required: true, repeat: true },
      { name: 'range', type: { t: 'memrange' }, doc: 'Reserved range BASE SIZE (64 KiB aligned; repeatable).', repeat: true, default: 'qemu-virt: 0x08000000 0x100000' },
      { name: 'remap', type: bool, doc: 'Remapping permitted.', default: 'false' },
      { name: 'privileged', type: bool, doc: 'Access privileged.', default: 'false' },
      {
        name: 'attributes',
        type: int(0n, 5n, {
          names: { 'device-ngnrne': 0, 'device-ngnre': 1, 'device-ngre': 2, 'device-gre': 3, 'normal-nc': 4, 'normal-wb': 5 },
        }),
        doc: 'Access attributes 0..5 (device-ngnrne, device-ngnre, device-ngre, device-gre, normal-nc, normal-wb).',
        default: '0',
      },
    ],
  },
];

export const BLOCK_BY_KIND = new Map(BLOCKS.map((b) => [b.kind, b]));
/** Block kinds that may appear inside `machine`. */
export const CHILD_KINDS = BLOCKS.filter((b) => b.kind !== 'machine').map((b) => b.kind);

export function propSpec(block: BlockSpec, name: string): PropSpec | undefined {
  return block.props.find((p) => p.name === name || p.aliases?.includes(name));
}
