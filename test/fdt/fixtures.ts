/**
 * Hand-built IrMachine values for the DT back-end tests, modelled on the QEMU 10.0 references in
 * /work/shared/reference/qemu-10.0 (a: one SMMUv3 on pcie.0; b: + two pxb-pcie buses; c: as b with
 * pcie.0 and pxb2 bypassing the SMMU). Bus ranges and ridMaps follow QEMU's IORT of each machine
 * (IORT.dsl): e.g. for b the RC maps RIDs 0x0000-0x01ff, 0x4000-0x41ff, 0x8000-0x81ff to the SMMU
 * and the gaps straight to the ITS.
 */
import type {
  IrDevice,
  IrHostBridge,
  IrMachine,
  IrRidRange,
  IrRootPort,
  IrSmmu,
} from '../../src/ir/types';
import { devfnOf, rid } from '../../src/ir/types';

const iort = {
  revision: 5 as const,
  revisionExplicit: false,
  oemId: 'BOCHS ',
  oemTableId: 'BXPC    ',
  oemRevision: 1,
  creatorId: 'BXPC',
  creatorRevision: 1,
};

export function smmu(over: Partial<IrSmmu> & { id: string; base: bigint }): IrSmmu {
  return {
    size: 0x20000n,
    irqs: { kind: 'wired', event: 106, pri: 107, gerror: 109, sync: 108 },
    stage: 's1',
    host: null,
    coherent: true,
    ats: false,
    httu: 0,
    numa: null,
    msiMap: [{ base: 0, count: 0x10000, outBase: 0, its: 'its0' }],
    ...over,
  };
}

export function bridge(over: Partial<IrHostBridge> & { id: string }): IrHostBridge {
  return {
    kind: 'rc',
    segment: 0,
    busStart: 0,
    busEnd: 0,
    iommu: 'smmu0',
    msiParent: 'its0',
    ats: false,
    memLimit: 64,
    numa: null,
    parent: null,
    devfn: null,
    hotplug: 0,
    ecamBase: null,
    ...over,
  };
}

const smmuR = (base: number, count: number, owner: string | null, smmuId = 'smmu0'): IrRidRange => ({
  base,
  count,
  target: { kind: 'smmu', smmu: smmuId, streamBase: base },
  owner,
});
const itsR = (base: number, count: number, owner: string | null): IrRidRange => ({
  base,
  count,
  target: { kind: 'its', its: 'its0', deviceBase: base },
  owner,
});

const QEMU_WINDOWS = (rc: string): IrMachine['pciWindows'] => [
  { bridge: rc, kind: 'io', pciBase: 0n, cpuBase: 0x3eff0000n, size: 0x10000n },
  { bridge: rc, kind: 'mem32', pciBase: 0x10000000n, cpuBase: 0x10000000n, size: 0x2eff0000n },
  { bridge: rc, kind: 'mem64', pciBase: 0x8000000000n, cpuBase: 0x8000000000n, size: 0x8000000000n },
];

function qemuBase(name: string): IrMachine {
  return {
    name,
    profile: 'qemu-virt',
    iort,
    gic: { version: 3, distBase: 0x08000000n, distSize: 0x10000n, redistBase: 0x080a0000n, redistSize: 0xf60000n, spiCount: 256, espi: false },
    its: [{ id: 'its0', base: 0x08080000n, size: 0x20000n, translationId: 0 }],
    smmus: [smmu({ id: 'smmu0', base: 0x09050000n })],
    bridges: [],
    rootPorts: [],
    devices: [],
    rmrs: [],
    segments: [],
    platform: [{ name: 'ram', base: 0x40000000n, size: 0x40000000n, spis: [] }],
    pciWindows: QEMU_WINDOWS('pcie.0'),
  };
}

/** QEMU a_smmuv3: pcie.0 (bus 0) behind the SMMU, everything else straight to the ITS. */
export function qemuA(): IrMachine {
  const m = qemuBase('qemu-a');
  m.bridges = [bridge({ id: 'pcie.0', ecamBase: 0x4010000000n })];
  m.segments = [{ segment: 0, ridMap: [smmuR(0, 0x100, 'pcie.0'), itsR(0x100, 0xff00, null)] }];
  return m;
}

function port(id: string, bridgeId: string, bus: number, slot: number, secondary: number, chassis: number): IrRootPort {
  return { id, bridge: bridgeId, devfn: devfnOf(slot, 0), bus, secondary, subordinate: secondary, chassis };
}
function dev(id: string, bridgeId: string, portId: string | null, bus: number, slot: number, model: string): IrDevice {
  const devfn = devfnOf(slot, 0);
  return { id, kind: 'emulated', bridge: bridgeId, port: portId, segment: 0, bus, devfn, rid: rid(bus, devfn), hostBdf: null, hostSmmu: null, model };
}

/** QEMU b_smmuv3_2pxb: pcie.0 buses 0-1, pxb1 buses 64-65, pxb2 buses 128-129, all behind the SMMU. */
export function qemuB(): IrMachine {
  const m = qemuBase('qemu-b');
  m.bridges = [
    bridge({ id: 'pcie.0', busEnd: 1, ecamBase: 0x4010000000n }),
    bridge({ id: 'pxb1', kind: 'pxb', busStart: 64, busEnd: 65, parent: 'pcie.0', devfn: devfnOf(2, 0) }),
    bridge({ id: 'pxb2', kind: 'pxb', busStart: 128, busEnd: 129, parent: 'pcie.0', devfn: devfnOf(3, 0) }),
  ];
  m.rootPorts = [port('rp0', 'pcie.0', 0, 1, 1, 1), port('rp1', 'pxb1', 64, 0, 65, 2), port('rp2', 'pxb2', 128, 0, 129, 3)];
  m.devices = [dev('nic0', 'pcie.0', 'rp0', 1, 0, 'virtio-net-pci'), dev('nic1', 'pxb1', 'rp1', 65, 0, 'e1000e'), dev('nic2', 'pxb2', 'rp2', 129, 0, 'virtio-net-pci')];
  m.segments = [
    {
      segment: 0,
      ridMap: [
        smmuR(0, 0x200, 'pcie.0'),
        itsR(0x200, 0x3e00, null),
        smmuR(0x4000, 0x200, 'pxb1'),
        itsR(0x4200, 0x3e00, null),
        smmuR(0x8000, 0x200, 'pxb2'),
        itsR(0x8200, 0x7e00, null),
      ],
    },
  ];
  return m;
}

/** QEMU c_smmuv3_2pxb_bypass: as b, with pcie.0 and pxb2 bypassing the SMMU. */
export function qemuC(): IrMachine {
  const m = qemuB();
  m.name = 'qemu-c';
  m.bridges = m.bridges.map((b) => (b.id === 'pxb1' ? b : { ...b, iommu: null }));
  m.segments = [
    {
      segment: 0,
      ridMap: [
        itsR(0, 0x200, 'pcie.0'),
        itsR(0x200, 0x3e00, null),
        smmuR(0x4000, 0x200, 'pxb1'),
        itsR(0x4200, 0x3e00, null),
        itsR(0x8000, 0x200, 'pxb2'),
        itsR(0x8200, 0x7e00, null),
      ],
    },
  ];
  return m;
}

/**
 * A custom machine exercising what QEMU cannot: two segments, two SMMUs (one MSI-signalled,
 * one with a combined line), non-identity StreamID / DeviceID bases, an RMR with a PCI
 * consumer behind a root port, ATS and NUMA on a bridge, a bridge without MSI.
 */
export function custom(): IrMachine {
  const m = qemuBase('custom-two-smmu');
  m.profile = 'custom';
  m.its = [
    { id: 'its0', base: 0x30040000n, size: 0x20000n, translationId: 0 },
    { id: 'its1', base: 0x30060000n, size: 0x20000n, translationId: 1 },
  ];
  m.gic = { version: 3, distBase: 0x30000000n, distSize: 0x10000n, redistBase: 0x30100000n, redistSize: 0x200000n, spiCount: 512, espi: true };
  m.smmus = [
    smmu({
      id: 'smmuA',
      base: 0x2b400000n,
      irqs: { kind: 'msi', event: 0, pri: 0, gerror: 0, sync: 0, msiIts: 'its0', msiDeviceId: 0x20000 },
      msiMap: [{ base: 0, count: 0x10000, outBase: 0x10000, its: 'its0' }],
    }),
    smmu({
      id: 'smmuB',
      base: 0x2b600000n,
      irqs: { kind: 'combined', event: 4100, pri: 4100, gerror: 4100, sync: 4100 },
      coherent: false,
      msiMap: [{ base: 0x40000, count: 0x10000, outBase: 0x0, its: 'its1' }],
    }),
  ];
  m.bridges = [
    bridge({ id: 'pci0', segment: 0, busEnd: 0x3f, iommu: 'smmuA', ecamBase: 0x4000000000n, ats: true, numa: 0 }),
    bridge({ id: 'pci1', segment: 1, busEnd: 0xff, iommu: 'smmuB', msiParent: 'its1', ecamBase: 0x5000000000n }),
    bridge({ id: 'pxbA', kind: 'pxb', segment: 0, busStart: 0x40, busEnd: 0x47, iommu: 'smmuA', parent: 'pci0', devfn: devfnOf(3, 0) }),
    bridge({ id: 'pci2', segment: 2, busEnd: 0x0f, iommu: null, msiParent: null, ecamBase: 0x6000000000n }),
  ];
  m.rootPorts = [port('rpA', 'pci0', 0, 1, 1, 1)];
  m.devices = [dev('gpu', 'pci0', 'rpA', 1, 0, 'vfio-gpu'), dev('nvme', 'pxbA', null, 0x40, 4, 'nvme')];
  m.rmrs = [
    {
      id: 'fb',
      smmu: 'smmuA',
      streams: [{ base: 0x100, count: 1 }],
      ranges: [{ base: 0x80000000n, size: 0x800000n }],
      remappable: false,
      privileged: false,
      attributes: 5,
      devices: ['gpu'],
    },
    {
      id: 'doorbell',
      smmu: 'smmuA',
      streams: [{ base: 0x4020, count: 1 }],
      ranges: [{ base: 0x30050000n, size: 0x10000n }],
      remappable: false,
      privileged: false,
      attributes: 0,
      devices: ['nvme', 'gpu'],
    },
  ];
  m.segments = [
    {
      segment: 0,
      ridMap: [
        smmuR(0, 0x4000, 'pci0', 'smmuA'),
        smmuR(0x4000, 0x800, 'pxbA', 'smmuA'),
        { base: 0x4800, count: 0x10000 - 0x4800, target: { kind: 'none' }, owner: null },
      ],
    },
    {
      segment: 1,
      ridMap: [{ base: 0, count: 0x10000, target: { kind: 'smmu', smmu: 'smmuB', streamBase: 0x40000 }, owner: 'pci1' }],
    },
    {
      segment: 2,
      ridMap: [
        { base: 0, count: 0x1000, target: { kind: 'none' }, owner: 'pci2' },
        { base: 0x1000, count: 0xf000, target: { kind: 'none' }, owner: null },
      ],
    },
  ];
  m.pciWindows = [
    { bridge: 'pci0', kind: 'mem32', pciBase: 0x40000000n, cpuBase: 0x40000000n, size: 0x20000000n },
    { bridge: 'pci0', kind: 'mem64', pciBase: 0x4100000000n, cpuBase: 0x4100000000n, size: 0x100000000n },
    { bridge: 'pci1', kind: 'mem32', pciBase: 0x60000000n, cpuBase: 0x60000000n, size: 0x10000000n },
    { bridge: 'pci2', kind: 'io', pciBase: 0n, cpuBase: 0x70000000n, size: 0x10000n },
    { bridge: 'pci2', kind: 'mem32', pciBase: 0x70100000n, cpuBase: 0x70100000n, size: 0x1000000n },
  ];
  m.platform = [{ name: 'ram', base: 0x80000000n, size: 0x80000000n, spis: [] }];
  return m;
}

export const FIXTURES: Record<string, () => IrMachine> = { qemuA, qemuB, qemuC, custom };
