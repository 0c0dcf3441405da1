/**
 * Model-based generator of valid topologies. fast-check draws the shape (how many SMMUs,
 * bridges, ports, devices, RMRs and which choices each makes); `buildTopology` then lays it out
 * with the rules lowering and the config checks enforce (disjoint bus ranges per segment, free
 * slots, nested vSMMUs only in front of vfio devices of their own host SMMU, RMR ids through one
 * SMMU, 64 KiB aligned ranges, custom-profile addresses that do not overlap), so that every
 * generated topology must build without an error. A failure to build is a finding: either the
 * compiler rejects a valid machine or this generator's idea of "valid" is wrong, and both need
 * a look. The same model renders to the DSL and to YAML (render.ts) with random spelling.
 */
import fc from 'fast-check';

export type Profile = 'qemu-virt' | 'custom';
export type IommuChoice = { k: 'default' } | { k: 'none' } | { k: 'bypass' } | { k: 'smmu'; id: string };

export interface TSmmu {
  id: string;
  stage?: 's1' | 's2' | 'nested';
  host?: string;
  ats?: boolean;
  coherent?: boolean;
  httu?: 'none' | 'af' | 'af-dirty' | 0 | 1 | 2;
  numa?: number;
  // custom profile
  base?: bigint;
  spi?: number;
  gsivs?: { event: number; pri: number; sync: number; gerror: number };
  msiIts?: string;
  msiDeviceId?: number;
  msi?: string;
}

export interface TBridge {
  id: string;
  kind: 'rc' | 'pxb';
  /** The resolved SMMU (null = bypass); `iommu` is how the source says it. */
  smmu: string | null;
  iommu: IommuChoice;
  parent?: string;
  parentExplicit?: boolean;
  busNr?: number;
  busRange?: [number, number];
  buses?: number;
  addr?: number;
  hotplug?: number;
  numa?: number;
  ats?: boolean;
  memLimit?: number;
  msi?: string;
  // custom RC
  segment?: number;
  ecam?: bigint;
  windows?: { pio?: [bigint, bigint]; mmio32?: [bigint, bigint]; mmio64?: [bigint, bigint] };
  /** Whether a block is written for it (qemu-virt's pcie.0 exists without one). */
  declared: boolean;
}

export interface TPort {
  id: string;
  on: string;
  addr?: number;
  chassis?: number;
  reserve?: number;
}

export interface TDevice {
  id: string;
  kind: 'vfio' | 'emulated';
  on: string;
  addr?: number;
  fn?: number;
  host?: string;
  hostSmmu?: string;
  model?: string;
}

export interface TRmr {
  id: string;
  smmu: string;
  iommuExplicit: boolean;
  ids: string[];
  ranges: [bigint, bigint][];
  remap?: boolean;
  privileged?: boolean;
  attributes?: number | string;
}

export interface Topology {
  name: string;
  profile: Profile;
  profileExplicit: boolean;
  memory?: bigint;
  ram: [bigint, bigint][];
  iort?: { revision?: number; oemId?: string; oemTableId?: string; oemRevision?: number; creatorId?: string; creatorRevision?: number };
  gic?: { dist: bigint; redist: bigint; redistSize: bigint; spis: number };
  its: { id: string; base: bigint; translationId?: number }[];
  smmus: TSmmu[];
  bridges: TBridge[];
  ports: TPort[];
  devices: TDevice[];
  rmrs: TRmr[];
  /** Spelling choices for the renderers (number bases, separators, comments). */
  style: number[];
}

// ----------------------------------------------------------------------------- shape

interface BridgeShape {
  iommuPick: number;
  ports: { reserve: number; chassis: boolean; device: number }[];
  directDevices: number;
  hotplug: number;
  gap: number;
  opts: number;
  addrExplicit: boolean;
}

interface Shape {
  profile: Profile;
  profileExplicit: boolean;
  nameParts: string[];
  memPick: number;
  smmus: { stage: number; hostBacked: boolean; opts: number; irq: number }[];
  rcCount: number;
  rootBridge: BridgeShape;
  extraRcs: BridgeShape[];
  pxbs: (BridgeShape & { rc: number })[];
  deviceKinds: number[];
  rmrs: { smmu: number; picks: number[]; ranges: number; flags: number; attr: number; explicit: boolean }[];
  iort: { present: boolean; rev: number; strings: string[]; nums: number[] };
  itsCount: number;
  style: number[];
}

const bridgeShape: fc.Arbitrary<BridgeShape> = fc.record({
  iommuPick: fc.nat(20),
  ports: fc.array(fc.record({ reserve: fc.nat(2), chassis: fc.boolean(), device: fc.nat(3) }), { maxLength: 3 }),
  directDevices: fc.nat(2),
  hotplug: fc.nat(3),
  gap: fc.nat(8),
  opts: fc.nat(0xffff),
  addrExplicit: fc.boolean(),
});

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
// OEM fields: printable ASCII, including the quote and backslash that need escaping.
const oemText = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  profile: fc.constantFrom<Profile>('qemu-virt', 'custom'),
  profileExplicit: fc.boolean(),
  nameParts: fc.array(word, { minLength: 1, maxLength: 3 }),
  memPick: fc.nat(7),
  smmus: fc.array(fc.record({ stage: fc.nat(3), hostBacked: fc.boolean(), opts: fc.nat(0xffff), irq: fc.nat(2) }), { maxLength: 4 }),
  rcCount: fc.integer({ min: 1, max: 3 }),
  rootBridge: bridgeShape,
  extraRcs: fc.array(bridgeShape, { maxLength: 2 }),
  pxbs: fc.array(fc.record({ ...{ rc: fc.nat(2) } }).chain((x) => bridgeShape.map((b) => ({ ...b, ...x }))), { maxLength: 5 }),
  deviceKinds: fc.array(fc.nat(7), { minLength: 32, maxLength: 32 }),
  rmrs: fc.array(
    fc.record({
      smmu: fc.nat(3),
      picks: fc.array(fc.nat(63), { minLength: 1, maxLength: 3 }),
      ranges: fc.nat(2),
      flags: fc.nat(3),
      attr: fc.nat(13),
      explicit: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
  iort: fc.record({
    present: fc.boolean(),
    rev: fc.nat(3),
    strings: fc.tuple(oemText(6), oemText(8), oemText(4)).map((t) => [...t]),
    nums: fc.array(fc.nat(0xffffffff), { minLength: 3, maxLength: 3 }),
  }),
  itsCount: fc.integer({ min: 1, max: 2 }),
  style: fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }),
});

export const topologyArb: fc.Arbitrary<Topology> = shapeArb.map(buildTopology);

// ----------------------------------------------------------------------------- layout

const KIB = 1n << 10n;
const MIB = 1n << 20n;
const GIB = 1n << 30n;
const MEMORY = [256n * MIB, 512n * MIB, GIB, 2n * GIB, 4n * GIB, 16n * GIB, 64n * GIB, 255n * GIB];
const MODELS = ['virtio-net-pci', 'e1000e', 'nvme', 'virtio-blk-pci', 'igb'];

function bit(x: number, i: number): boolean {
  return ((x >> i) & 1) === 1;
}

export function buildTopology(s: Shape): Topology {
  const custom = s.profile === 'custom';
  const t: Topology = {
    name: ['vm', ...s.nameParts].join('-'),
    profile: s.profile,
    profileExplicit: custom || s.profileExplicit,
    ram: [],
    its: [],
    smmus: [],
    bridges: [],
    ports: [],
    devices: [],
    rmrs: [],
    style: s.style,
  };
  if (!custom && s.memPick < MEMORY.length && s.memPick !== 2) t.memory = MEMORY[s.memPick];
  if (custom) {
    t.ram.push([0x8000_0000n, 2n * GIB]);
    if (s.memPick & 1) t.ram.push([0x88_0000_0000n, BigInt(1 + s.memPick) * GIB]);
    t.gic = { dist: 0x3000_0000n, redist: 0x3010_0000n, redistSize: 0x0100_0000n, spis: 480 };
    for (let i = 0; i < s.itsCount; i++)
      t.its.push({ id: `its${i}`, base: 0x3004_0000n + BigInt(i) * 0x2_0000n, ...(bit(s.style[0]!, i) ? { translationId: i } : {}) });
  }
  const itsRef = (i: number) => (custom ? t.its[i % t.its.length]!.id : undefined);

  // SMMUs. qemu-virt: the platform bus has interrupts for 16; we stay far below.
  s.smmus.forEach((sh, i) => {
    const stage = (['s1', 's2', 'nested', undefined] as const)[sh.stage];
    const sm: TSmmu = { id: `smmu${i}` };
    if (stage) sm.stage = stage;
    if (sh.hostBacked && stage === 'nested') sm.host = `smmu3.0x${(0x1600_0000 + i * 0x100_0000).toString(16)}`;
    if (bit(sh.opts, 0)) sm.ats = bit(sh.opts, 1);
    if (bit(sh.opts, 2)) sm.coherent = bit(sh.opts, 3);
    if (bit(sh.opts, 4)) sm.httu = (['none', 'af', 'af-dirty', 0, 1, 2] as const)[(sh.opts >> 5) % 6];
    if (bit(sh.opts, 8)) sm.numa = (sh.opts >> 9) & 3;
    if (custom) {
      sm.base = 0x3200_0000n + BigInt(i) * 0x4_0000n;
      const spi = 100 + 4 * i;
      if (sh.irq === 0) sm.spi = spi;
      else if (sh.irq === 1) sm.gsivs = { event: spi + 32, pri: spi + 33, sync: spi + 34, gerror: spi + 35 };
      else {
        // Its own DeviceID sits above every StreamID -> DeviceID the ITS gets from PCIe.
        sm.msiIts = itsRef(i);
        sm.msiDeviceId = 0x10_0000 + i;
      }
      sm.msi = itsRef(i);
    }
    t.smmus.push(sm);
  });
  const smmuIds = t.smmus.map((x) => x.id);

  const iommuFor = (pick: number): { smmu: string | null; iommu: IommuChoice } => {
    const only = smmuIds.length === 1 ? smmuIds[0]! : null;
    const r = pick % 5;
    if (r === 0 || smmuIds.length === 0) return { smmu: r === 1 ? null : only, iommu: r === 1 ? { k: 'none' } : { k: 'default' } };
    if (r === 1) return { smmu: null, iommu: { k: 'none' } };
    if (r === 2) return { smmu: null, iommu: { k: 'bypass' } };
    const id = smmuIds[pick % smmuIds.length]!;
    return { smmu: id, iommu: { k: 'smmu', id } };
  };

  // Root complexes.
  const rcShapes = custom ? [s.rootBridge, ...s.extraRcs].slice(0, s.rcCount) : [s.rootBridge];
  const rcs: TBridge[] = rcShapes.map((sh, i) => {
    const { smmu, iommu } = iommuFor(sh.iommuPick);
    const b: TBridge = { id: custom ? `pcie${i}` : 'pcie.0', kind: 'rc', smmu, iommu, declared: custom || iommu.k !== 'default' || sh.opts % 3 === 0 };
    if (bit(sh.opts, 3)) b.ats = bit(sh.opts, 4);
    if (bit(sh.opts, 5)) b.memLimit = 32 + ((sh.opts >> 6) % 33);
    if (bit(sh.opts, 12)) b.numa = (sh.opts >> 13) & 1;
    if (custom) {
      b.segment = i;
      b.ecam = 0x40_0000_0000n + BigInt(i) * 0x1000_0000n;
      b.msi = itsRef(i);
      b.windows = {};
      if (!bit(sh.opts, 9)) b.windows.pio = [0x3eff_0000n - BigInt(i) * 0x1_0000n, 64n * KIB];
      if (!bit(sh.opts, 10)) b.windows.mmio32 = [0x4000_0000n + BigInt(i) * 0x1000_0000n, 256n * MIB];
      if (!bit(sh.opts, 11)) b.windows.mmio64 = [BigInt(i + 1) << 40n, 1n << 40n];
    }
    return b;
  });
  t.bridges.push(...rcs);

  const pxbs: { b: TBridge; sh: BridgeShape }[] = [];
  s.pxbs.forEach((sh, i) => {
    const rc = rcs[sh.rc % rcs.length]!;
    const { smmu, iommu } = iommuFor(sh.iommuPick);
    const b: TBridge = { id: `pxb${i}`, kind: 'pxb', smmu, iommu, parent: rc.id, parentExplicit: rcs.length > 1 || bit(sh.opts, 0), declared: true };
    if (bit(sh.opts, 3)) b.ats = bit(sh.opts, 4);
    if (bit(sh.opts, 5)) b.memLimit = 32 + ((sh.opts >> 6) % 33);
    if (bit(sh.opts, 12)) b.numa = (sh.opts >> 13) & 1;
    if (custom && bit(sh.opts, 1)) b.msi = itsRef(sh.opts >> 14);
    pxbs.push({ b, sh });
    t.bridges.push(b);
  });

  // Devices: a host-backed (nested) SMMU takes only vfio devices of its own host SMMU.
  let devN = 0;
  let hostN = 0;
  const addDevice = (on: string, smmu: string | null, extra: Partial<TDevice> = {}) => {
    const k = s.deviceKinds[devN % s.deviceKinds.length]!;
    const sm = smmu ? t.smmus.find((x) => x.id === smmu) : undefined;
    const vfio = sm?.host !== undefined || k % 2 === 1;
    const d: TDevice = { id: `dev${devN++}`, kind: vfio ? 'vfio' : 'emulated', on, ...extra };
    if (vfio) {
      hostN++;
      d.host = `${(hostN >> 8).toString(16).padStart(4, '0')}:${(hostN & 0xff).toString(16).padStart(2, '0')}:${(k % 32).toString(16).padStart(2, '0')}.${k % 8}`;
      if (sm?.host) d.hostSmmu = sm.host;
      else if (k & 4) d.hostSmmu = `smmu3.host${k}`;
    }
    if (k & 2) d.model = MODELS[k % MODELS.length];
    t.devices.push(d);
    return d;
  };

  // Bus numbers: each segment's bridges get disjoint ranges in declaration order.
  const nextBus = new Map<string, number>();
  let portN = 0;
  let chassisN = 1;
  const populate = (b: TBridge, sh: BridgeShape) => {
    // Slots: explicit addresses come from a pool that the automatic allocation cannot take first.
    let slot = 8;
    const ports: TPort[] = [];
    let need = 0;
    for (const p of sh.ports) {
      const port: TPort = { id: `rp${portN++}`, on: b.id };
      if (p.reserve) port.reserve = p.reserve;
      if (p.chassis) port.chassis = chassisN++;
      if (sh.addrExplicit) port.addr = slot++;
      ports.push(port);
      need += 1 + p.reserve;
    }
    t.ports.push(...ports);
    for (const [i, p] of sh.ports.entries()) if (p.device) addDevice(ports[i]!.id, b.smmu, p.device > 1 ? { addr: 0 } : {});
    for (let i = 0; i < sh.directDevices; i++) {
      const d = addDevice(b.id, b.smmu, sh.addrExplicit ? { addr: slot++ } : {});
      // A device on a pxb gets its own root port (and bus); fn stays 0 there.
      if (b.kind === 'pxb') need += 1;
      else if (bit(sh.opts, 15)) d.fn = 0;
    }
    if (sh.hotplug) b.hotplug = sh.hotplug;
    return need + (sh.hotplug ?? 0);
  };
  for (const [i, rc] of rcs.entries()) {
    const need = populate(rc, rcShapes[i]!);
    let end = need;
    if (custom && bit(rcShapes[i]!.opts, 14)) {
      end = need + (rcShapes[i]!.gap % 4);
      rc.busRange = [0, end];
    }
    nextBus.set(rc.id, end + 1);
  }
  for (const { b, sh } of pxbs) {
    if (sh.addrExplicit) b.addr = 20 + pxbs.findIndex((x) => x.b === b);
    const need = populate(b, sh);
    const start = nextBus.get(b.parent!)! + sh.gap;
    let end = start + need;
    if (bit(sh.opts, 2)) {
      b.buses = need + 1 + (sh.gap % 3);
      end = start + b.buses - 1;
    }
    if (end > 255) {
      // Out of bus numbers: drop this bridge's extras rather than emit an invalid machine.
      b.hotplug = undefined;
      b.buses = undefined;
      t.devices = t.devices.filter((d) => d.on !== b.id && !t.ports.some((p) => p.on === b.id && p.id === d.on));
      t.ports = t.ports.filter((p) => p.on !== b.id);
      end = start;
      if (end > 255) {
        t.bridges = t.bridges.filter((x) => x !== b);
        continue;
      }
    }
    b.busNr = start;
    nextBus.set(b.parent!, end + 1);
  }

  // RMRs: ids all reach one SMMU; ranges 64 KiB aligned.
  s.rmrs.forEach((r, i) => {
    if (smmuIds.length === 0) return;
    const smmu = smmuIds[r.smmu % smmuIds.length]!;
    const candidates = [
      ...t.bridges.filter((b) => b.smmu === smmu).map((b) => b.id),
      ...t.devices.filter((d) => deviceSmmu(t, d) === smmu).map((d) => d.id),
    ];
    if (candidates.length === 0) return;
    const ids = [...new Set(r.picks.map((p) => candidates[p % candidates.length]!))];
    const ranges: [bigint, bigint][] = [];
    for (let k = 0; k < r.ranges + (custom ? 1 : 0); k++) ranges.push([0x0808_0000n + BigInt(k) * 0x2_0000n + BigInt(i) * 0x10_0000n, BigInt(1 + ((r.attr + k) % 4)) * 64n * KIB]);
    const rmr: TRmr = { id: `rmr${i}`, smmu, iommuExplicit: r.explicit, ids, ranges };
    if (bit(r.flags, 0)) rmr.remap = true;
    if (bit(r.flags, 1)) rmr.privileged = bit(r.attr, 0);
    if (r.attr < 6) rmr.attributes = r.attr;
    else if (r.attr < 12) rmr.attributes = ['device-ngnrne', 'device-ngnre', 'device-ngre', 'device-gre', 'normal-nc', 'normal-wb'][r.attr - 6]!;
    t.rmrs.push(rmr);
  });

  if (s.iort.present || (custom && t.rmrs.length > 0 && s.iort.rev === 0)) {
    const revs = t.rmrs.length ? [5, 6, undefined, 5] : [3, 5, 6, undefined];
    t.iort = { revision: revs[s.iort.rev] };
    const [a, b, c] = s.iort.strings as [string, string, string];
    const [x, y, z] = s.iort.nums as [number, number, number];
    if (x & 1) t.iort.oemId = a;
    if (x & 2) t.iort.oemTableId = b;
    if (x & 4) t.iort.creatorId = c;
    if (x & 8) t.iort.oemRevision = y;
    if (x & 16) t.iort.creatorRevision = z;
  }
  return t;
}

/** The SMMU a device's DMA goes through (its bridge's), as lowering decides it. */
export function deviceSmmu(t: Topology, d: TDevice): string | null {
  const port = t.ports.find((p) => p.id === d.on);
  const bridge = t.bridges.find((b) => b.id === (port ? port.on : d.on));
  return bridge?.smmu ?? null;
}
