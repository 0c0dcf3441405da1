/**
 * Hand-built IrMachine objects for the IORT back end's tests, written from the QEMU 10.0 command
 * lines in /work/shared/reference/qemu-10.0/*\/cmdline.txt (bus ranges as the guest firmware
 * programs them: a root port on a root bus adds one bus) plus custom topologies that exercise
 * what QEMU cannot express (several ITSes and segments, MSI-signalled SMMUs, RMRs, NUMA, HTTU).
 */
import type {
  IrHostBridge,
  IrIts,
  IrMachine,
  IrRidRange,
  IrRmr,
  IrSegment,
  IrSmmu,
  IrSmmuIrqs,
  RidTarget,
} from '../../src/ir/types';
import { SHARED } from '../helpers/shared';

export const REF_DIR = `${SHARED}/reference/qemu-10.0`;

const gic: IrMachine['gic'] = {
  version: 3,
  distBase: 0x08000000n,
  distSize: 0x10000n,
  redistBase: 0x080a0000n,
  redistSize: 0xf60000n,
  spiCount: 256,
  espi: false,
};

export const qemuIts = (): IrIts => ({ id: 'its', base: 0x08080000n, size: 0x20000n, translationId: 0 });

export function smmu(id: string, base: bigint, irqs: Partial<IrSmmuIrqs> & { kind?: IrSmmuIrqs['kind'] }, extra: Partial<IrSmmu> = {}): IrSmmu {
  return {
    id,
    base,
    size: 0x20000n,
    irqs: { kind: 'wired', event: 0, pri: 0, gerror: 0, sync: 0, ...irqs },
    stage: 's1',
    host: null,
    coherent: true,
    ats: false,
    httu: 0,
    numa: null,
    msiMap: [],
    ...extra,
  };
}

/** QEMU legacy SMMU: 0x09050000, SPI 74 -> GSIV 106..109 (event, pri, sync, gerror). */
export const qemuSmmu = (extra: Partial<IrSmmu> = {}): IrSmmu =>
  smmu('smmu', 0x09050000n, { event: 106, pri: 107, sync: 108, gerror: 109 }, { msiMap: [{ base: 0, count: 0x10000, outBase: 0, its: 'its' }], ...extra });

export function bridge(id: string, kind: IrHostBridge['kind'], busStart: number, busEnd: number, iommu: string | null, extra: Partial<IrHostBridge> = {}): IrHostBridge {
  return {
    id,
    kind,
    segment: 0,
    busStart,
    busEnd,
    iommu,
    msiParent: 'its',
    ats: false,
    memLimit: 64,
    numa: null,
    parent: kind === 'pxb' ? 'pcie.0' : null,
    devfn: null,
    hotplug: 0,
    ecamBase: kind === 'rc' ? 0x4010000000n : null,
    ...extra,
  };
}

/**
 * The ridMap a lowering pass produces: each bridge's bus range goes to its SMMU (identity
 * StreamIDs) or, when it bypasses, to its MSI parent; RIDs no bridge owns are explicit gaps.
 */
export function ridMapOf(bridges: IrHostBridge[], segment: number, gapTarget: RidTarget = { kind: 'none' }): IrSegment {
  const owned = bridges
    .filter((b) => b.segment === segment)
    .map((b): IrRidRange => {
      const base = b.busStart << 8;
      const count = (b.busEnd - b.busStart + 1) << 8;
      const target: RidTarget = b.iommu
        ? { kind: 'smmu', smmu: b.iommu, streamBase: base }
        : b.msiParent
          ? { kind: 'its', its: b.msiParent, deviceBase: base }
          : { kind: 'none' };
      return { base, count, target, owner: b.id };
    })
    .sort((a, b) => a.base - b.base);
  const ridMap: IrRidRange[] = [];
  let next = 0;
  for (const r of owned) {
    if (next < r.base) ridMap.push({ base: next, count: r.base - next, target: gapTarget, owner: null });
    ridMap.push(r);
    next = r.base + r.count;
  }
  if (next < 0x10000) ridMap.push({ base: next, count: 0x10000 - next, target: gapTarget, owner: null });
  return { segment, ridMap };
}

function machine(name: string, profile: IrMachine['profile'], parts: Partial<IrMachine>): IrMachine {
  const bridges = parts.bridges ?? [];
  const segs = [...new Set(bridges.map((b) => b.segment))].sort((a, b) => a - b);
  return {
    name,
    profile,
    iort:
      profile === 'qemu-virt'
        ? { revision: 3, revisionExplicit: true, oemId: 'BOCHS ', oemTableId: 'BXPC    ', oemRevision: 1, creatorId: 'BXPC', creatorRevision: 1 }
        : { revision: 5, revisionExplicit: false, oemId: 'IOTOPO', oemTableId: 'IOTOPOIO', oemRevision: 1, creatorId: 'IOTP', creatorRevision: 1 },
    gic,
    its: [],
    smmus: [],
    rootPorts: [],
    devices: [],
    rmrs: [],
    segments: segs.length ? segs.map((s) => ridMapOf(bridges, s)) : [ridMapOf([], 0)],
    platform: [],
    pciWindows: [],
    ...parts,
    bridges,
  };
}

/** a_smmuv3: virt,iommu=smmuv3, no devices: pcie.0 owns bus 0 only. */
export function fixtureA(): IrMachine {
  const bridges = [bridge('pcie.0', 'rc', 0, 0, 'smmu')];
  return machine('a_smmuv3', 'qemu-virt', {
    its: [qemuIts()],
    smmus: [qemuSmmu()],
    bridges,
    segments: [ridMapOf(bridges, 0, { kind: 'its', its: 'its', deviceBase: 0 })].map(identityGaps),
  });
}

/** Gaps in qemu-virt go to the ITS identically (QEMU's complement ranges). */
function identityGaps(seg: IrSegment): IrSegment {
  return {
    ...seg,
    ridMap: seg.ridMap.map((r) => (r.owner === null && r.target.kind === 'its' ? { ...r, target: { ...r.target, deviceBase: r.base } } : r)),
  };
}

function pxbBridges(bypass: { pcie0: boolean; pxb2: boolean }): IrHostBridge[] {
  return [
    bridge('pcie.0', 'rc', 0, 1, bypass.pcie0 ? null : 'smmu'),
    bridge('pxb1', 'pxb', 64, 65, 'smmu', { devfn: 0x10 }),
    bridge('pxb2', 'pxb', 128, 129, bypass.pxb2 ? null : 'smmu', { devfn: 0x18 }),
  ];
}

/** b_smmuv3_2pxb: pcie.0 0..1, pxb 64..65, pxb 128..129, all behind the SMMU. */
export function fixtureB(): IrMachine {
  const bridges = pxbBridges({ pcie0: false, pxb2: false });
  return machine('b_smmuv3_2pxb', 'qemu-virt', {
    its: [qemuIts()],
    smmus: [qemuSmmu()],
    bridges,
    segments: [identityGaps(ridMapOf(bridges, 0, { kind: 'its', its: 'its', deviceBase: 0 }))],
  });
}

/** c_smmuv3_2pxb_bypass: as b, pcie.0 and pxb2 bypass the SMMU (their RIDs go to the ITS). */
export function fixtureC(): IrMachine {
  const bridges = pxbBridges({ pcie0: true, pxb2: true });
  return machine('c_smmuv3_2pxb_bypass', 'qemu-virt', {
    its: [qemuIts()],
    smmus: [qemuSmmu()],
    bridges,
    segments: [identityGaps(ridMapOf(bridges, 0, { kind: 'its', its: 'its', deviceBase: 0 }))],
  });
}

export const QEMU_FIXTURES: Record<string, () => IrMachine> = {
  a_smmuv3: fixtureA,
  b_smmuv3_2pxb: fixtureB,
  c_smmuv3_2pxb_bypass: fixtureC,
};

/** QEMU-style with RMR (QEMU master accel=on, table rev 5): RMR after the RC. */
export function fixtureQemuRmr(): IrMachine {
  const m = fixtureB();
  const rmr: IrRmr = {
    id: 'msi-window',
    smmu: 'smmu',
    streams: [{ base: 0x4000, count: 0x200 }],
    ranges: [{ base: 0x8000000n, size: 0x100000n }],
    remappable: false,
    privileged: false,
    attributes: 0,
    devices: [],
  };
  return { ...m, name: 'qemu_rmr', iort: { ...m.iort, revision: 5 }, rmrs: [rmr] };
}

/** QEMU with its=off: no ITS group, SMMU without mappings (ID-array ref 0), RC without ITS gaps. */
export function fixtureQemuNoIts(): IrMachine {
  const bridges = [bridge('pcie.0', 'rc', 0, 0, 'smmu', { msiParent: null })];
  return machine('qemu_its_off', 'qemu-virt', {
    its: [],
    smmus: [qemuSmmu({ msiMap: [] })],
    bridges,
  });
}

/** QEMU without IOMMU: RC maps 0..0xFFFF to the ITS. */
export function fixtureQemuNoSmmu(): IrMachine {
  const bridges = [bridge('pcie.0', 'rc', 0, 3, null)];
  return machine('qemu_no_smmu', 'qemu-virt', {
    its: [qemuIts()],
    bridges,
    segments: [identityGaps(ridMapOf(bridges, 0, { kind: 'its', its: 'its', deviceBase: 0 }))],
  });
}

/** Two SMMUs (QEMU -device arm-smmuv3,primary-bus=...), declared in reverse base order. */
export function fixtureQemuTwoSmmus(): IrMachine {
  const bridges = [bridge('pcie.0', 'rc', 0, 1, 'smmu1'), bridge('pxb1', 'pxb', 0x10, 0x10, 'smmu0'), bridge('pxb2', 'pxb', 0x20, 0x20, null)];
  const s0 = smmu('smmu0', 0x0c020000n, { event: 148, pri: 149, sync: 150, gerror: 151 }, { ats: true });
  const s1 = smmu('smmu1', 0x0c000000n, { event: 144, pri: 145, sync: 146, gerror: 147 });
  return machine('qemu_two_smmus', 'qemu-virt', {
    its: [qemuIts()],
    smmus: [s0, s1],
    bridges,
    segments: [identityGaps(ridMapOf(bridges, 0, { kind: 'its', its: 'its', deviceBase: 0 }))],
  });
}

/**
 * Custom: two segments, two ITSes, an MSI-signalled SMMU with NUMA and HTTU, a wired SMMU with
 * a non-identity StreamID window, a bypassing bridge, and an RMR.
 */
export function fixtureCustom(revision: 5 | 6 = 5): IrMachine {
  const its0: IrIts = { id: 'its0', base: 0x30040000n, size: 0x20000n, translationId: 0 };
  const its1: IrIts = { id: 'its1', base: 0x30060000n, size: 0x20000n, translationId: 7 };
  const smmuA = smmu(
    'smmuA',
    0x2b400000n,
    { kind: 'msi', msiIts: 'its1', msiDeviceId: 0x10000 },
    { numa: 1, httu: 2, ats: true, msiMap: [{ base: 0, count: 0x10000, outBase: 0, its: 'its0' }] },
  );
  const smmuB = smmu(
    'smmuB',
    0x2b600000n,
    { event: 300, pri: 301, sync: 302, gerror: 303 },
    { msiMap: [{ base: 0x40000, count: 0x200, outBase: 0x20000, its: 'its1' }] },
  );
  const bridges = [
    bridge('rc0', 'rc', 0, 0x3f, 'smmuA', { msiParent: 'its0', ats: true }),
    bridge('rc0x', 'pxb', 0x40, 0x41, null, { msiParent: 'its0', parent: 'rc0', ats: true }),
    bridge('rc1', 'rc', 0, 1, 'smmuB', { segment: 1, msiParent: 'its1', memLimit: 48 }),
  ];
  const seg1 = ridMapOf(bridges, 1);
  seg1.ridMap = seg1.ridMap.map((r) => (r.target.kind === 'smmu' ? { ...r, target: { ...r.target, streamBase: 0x40000 + r.base } } : r));
  const rmr: IrRmr = {
    id: 'fb',
    smmu: 'smmuA',
    streams: [
      { base: 0x100, count: 1 },
      { base: 0x200, count: 4 },
    ],
    ranges: [
      { base: 0x80000000n, size: 0x800000n },
      { base: 0x90000000n, size: 0x10000n },
    ],
    remappable: true,
    privileged: false,
    attributes: 5,
    devices: [],
  };
  return machine(`custom_rev${revision}`, 'custom', {
    iort: { revision, revisionExplicit: true, oemId: 'IOTOPO', oemTableId: 'CUSTOM  ', oemRevision: 2, creatorId: 'IOTP', creatorRevision: 0x20260101 },
    its: [its0, its1],
    smmus: [smmuA, smmuB],
    bridges,
    segments: [ridMapOf(bridges, 0), seg1],
    rmrs: [rmr],
  });
}

/** Custom, RMR-free, revision 3: iasl 20200925 can read every node of it. */
export function fixtureCustomRev3(): IrMachine {
  const m = fixtureCustom(5);
  return {
    ...m,
    name: 'custom_rev3',
    iort: { ...m.iort, revision: 3 },
    rmrs: [],
    // Node rev 4 needs all GSIVs wired for ordinary mappings to survive (IOT3007), so wire smmuA.
    smmus: m.smmus.map((s) => (s.id === 'smmuA' ? { ...s, irqs: { kind: 'wired', event: 200, pri: 201, sync: 202, gerror: 203 } } : s)),
  };
}
