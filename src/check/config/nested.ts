/**
 * Nested (vSMMU) checks. A nested vSMMU is a guest-visible SMMU whose stage 2 is a host SMMU;
 * it only works for vfio devices physically behind that host SMMU (seed 000, 001).
 */
import type { IrDevice, IrSmmu } from '../../ir/types';
import { check } from '../define';
import { covered, hex, rangeText, union } from '../intervals';
import type { ConfigCtx } from './context';
import { rel } from './context';

/**
 * Host-backed vSMMUs. `stage nested` alone is QEMU's emulated SMMU that offers both stages
 * (iommu=smmuv3 defaults to it); only an SMMU with a host SMMU hands stage 1 to hardware.
 */
const nested = (ctx: ConfigCtx) => ctx.ir.smmus.filter((s) => s.host !== null);

export const nestedEmulatedDevice = check<ConfigCtx>({
  name: 'nested-emulated-device',
  code: 'IOT5050',
  level: 'error',
  target: 'config',
  title: 'an emulated device sits behind a nested vSMMU',
  explain:
    'A nested vSMMU hands its stage-1 tables to a host SMMU, which can only walk them for a ' +
    'physical device behind it. An emulated device (virtio, e1000, NVMe emulated by QEMU) has no ' +
    'host StreamID, so its DMA cannot be translated by the nested vSMMU. Put emulated devices on ' +
    'a bridge that bypasses the IOMMU or behind an emulated SMMU. The nested checks concern ' +
    'SMMUs declared with a host SMMU; `stage nested` alone is QEMU\'s emulated SMMU offering both ' +
    'stages (iommu=smmuv3), which translates emulated devices itself.',
  source: 'seed 000 ("an emulated device should not be associated to a nested SMMU"); seed 001 pros (e)',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const s of nested(ctx))
      for (const d of ctx.devicesBehind(s.id))
        if (d.kind === 'emulated')
          report({
            message: `emulated device '${d.id}'${d.model ? ` (${d.model})` : ''} is behind nested vSMMU '${s.id}'`,
            span: d.span,
            related: [rel(`vSMMU '${s.id}' is declared here`, s)],
          });
  },
});

export const nestedHostShared = check<ConfigCtx>({
  name: 'nested-host-shared',
  code: 'IOT5051',
  level: 'error',
  target: 'config',
  title: 'two nested vSMMUs are backed by the same host SMMU',
  explain:
    'Each nested vSMMU is bound 1:1 to a host SMMU: the kernel creates the vIOMMU object in IOMMUFD ' +
    'from a vfio device and links it to that device\'s physical SMMU, and features such as direct ' +
    'invalidation queues (Grace CMDQV) need a perfect pSMMU/vSMMU match. Two vSMMUs on one host SMMU ' +
    'split its devices between guest SMMUs that the host cannot tell apart.',
  source: 'seed 000 (Jason Gunthorpe: "capabilities that require perfect 1:1 pIOMMU to vIOMMU matching"); seed 001 (one vSMMU per pSMMU)',
  prereqs: [],
  run(ctx, report) {
    const first = new Map<string, IrSmmu>();
    for (const s of nested(ctx)) {
      if (s.host === null) continue;
      const f = first.get(s.host);
      if (!f) first.set(s.host, s);
      else
        report({
          message: `nested vSMMUs '${s.id}' and '${f.id}' are both backed by host SMMU '${s.host}'`,
          span: s.span,
          related: [rel(`vSMMU '${f.id}' is declared here`, f)],
        });
    }
  },
});

export const nestedHostMismatch = check<ConfigCtx>({
  name: 'nested-host-mismatch',
  code: 'IOT5052',
  level: 'error',
  target: 'config',
  title: 'a vfio device is attached to a vSMMU whose host SMMU is not the device\'s',
  explain:
    'A passthrough device can only be translated by the nested vSMMU that corresponds to the ' +
    'host-level SMMU it physically sits behind ("HW SMMU0 <-> vSMMU0 ... PCI dev0 & PCI dev1"). If the ' +
    'device\'s host SMMU differs from the vSMMU\'s host, the host cannot install the guest\'s stage-1 ' +
    'for it and attaching the device fails (or, worse, uses another SMMU\'s tables).',
  source: 'seed 000 (VIRT_NESTED_SMMU commit message diagram, Nicolin Chen); seed 001 (vfio devices assigned to the matching smmu_bridge)',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const s of nested(ctx)) {
      if (s.host === null) continue;
      for (const d of ctx.devicesBehind(s.id)) {
        if (d.kind !== 'vfio') continue;
        if (d.hostSmmu === null)
          report({
            message: `vfio device '${d.id}'${d.hostBdf ? ` (host ${d.hostBdf})` : ''} is behind nested vSMMU '${s.id}' (host SMMU '${s.host}') but its own host SMMU is not known`,
            span: d.span,
            related: [rel(`vSMMU '${s.id}' is declared here`, s)],
          });
        else if (d.hostSmmu !== s.host)
          report({
            message: `vfio device '${d.id}'${d.hostBdf ? ` (host ${d.hostBdf})` : ''} sits behind host SMMU '${d.hostSmmu}' but is attached to nested vSMMU '${s.id}', backed by host SMMU '${s.host}'`,
            span: d.span,
            related: [rel(`vSMMU '${s.id}' is declared here`, s)],
          });
      }
    }
  },
});

export const nestedNoDevice = check<ConfigCtx>({
  name: 'nested-no-device',
  code: 'IOT5053',
  level: 'warning',
  target: 'config',
  title: 'a nested vSMMU has no device behind it',
  explain:
    'The kernel creates a vIOMMU from a vfio device; a nested vSMMU with no device has no way to ' +
    'reach its host SMMU ("creating a dummy vIOMMU without any devices ... is definitely tricky"). ' +
    'It also spends a pxb and its bus numbers for nothing.',
  source: 'seed 000 (Jason Gunthorpe on dummy vIOMMUs); seed 001 con (i) hotplug',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const s of nested(ctx))
      if (ctx.devicesBehind(s.id).length === 0) report({ message: `nested vSMMU '${s.id}' has no device behind it`, span: s.span });
  },
});

/** The ITS a device's MSIs go to: the SMMU's StreamID -> DeviceID mapping, or its bridge's msi-parent. */
function msiItsOf(ctx: ConfigCtx, d: IrDevice, s: IrSmmu, streamId: number): string | null {
  for (const m of s.msiMap) if (streamId >= m.base && streamId < m.base + m.count) return m.its;
  return ctx.bridges.get(d.bridge)?.msiParent ?? null;
}

/** GICv3 ITS: GITS_TRANSLATER lives in the second 64 KiB frame, the doorbell devices write. */
const DOORBELL_OFFSET = 0x10000n;
const DOORBELL_SIZE = 0x10000n;

export const nestedMsiDoorbell = check<ConfigCtx>({
  name: 'nested-msi-doorbell',
  code: 'IOT5054',
  level: 'warning',
  target: 'config',
  title: 'MSIs of devices behind a nested vSMMU reach an ITS doorbell no RMR covers',
  explain:
    'Behind a nested vSMMU, a device\'s MSI write to the ITS doorbell (GITS_TRANSLATER, in the ITS\'s ' +
    'second 64 KiB frame) is translated by the guest\'s stage 1 and the host\'s stage 2. The host ' +
    'maps its MSI window only for addresses it knows, so the guest must describe the doorbell as an ' +
    'IORT RMR (identity, for the device\'s StreamIDs) — QEMU\'s accel SMMU adds one RMR per vSMMU ' +
    'for the host MSI_IOVA window 0x08000000+1 MiB. Without it, MSIs fault once the guest enables ' +
    'the vSMMU. Devices that bypass the vSMMU are not behind it and need nothing.',
  source: 'seed 001 (patch "Add IORT RMR regions to handle MSI nested binding", Eric Auger); QEMU build_iort RMR (iort.md §2.3)',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const s of nested(ctx)) {
      const rmrs = ctx.ir.rmrs
        .filter((r) => r.smmu === s.id)
        .map((r) => ({
          sids: union(r.streams.map((x) => ({ lo: BigInt(x.base), end: BigInt(x.base) + BigInt(x.count) }))),
          mem: union(r.ranges.map((m) => ({ lo: m.base, end: m.base + m.size }))),
        }));
      const missing: { d: IrDevice; its: string; page: bigint }[] = [];
      for (const d of ctx.devicesBehind(s.id)) {
        const via = ctx.smmuOfDevice(d);
        if (!via) continue;
        const itsId = msiItsOf(ctx, d, s, via.streamId);
        const its = itsId ? ctx.its.get(itsId) : undefined;
        if (!its) continue;
        const page = its.base + DOORBELL_OFFSET;
        const sid = BigInt(via.streamId);
        const ok = rmrs.some((r) => covered(r.sids, sid, sid + 1n) && covered(r.mem, page, page + DOORBELL_SIZE));
        if (!ok) missing.push({ d, its: its.id, page });
      }
      if (missing.length === 0) continue;
      const first = missing[0]!;
      report({
        message: `device${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m.d.id}'`).join(', ')} behind nested vSMMU '${s.id}' send MSIs to ITS '${first.its}', whose doorbell page ${rangeText(first.page, first.page + DOORBELL_SIZE)} is not covered by an RMR of '${s.id}' for ${missing.length > 1 ? 'their' : 'its'} StreamIDs`,
        span: s.span,
        related: missing.map((m) => rel(`device '${m.d.id}' (doorbell ${hex(m.page)} on ITS '${m.its}')`, m.d)),
        help: `add an RMR for SMMU '${s.id}' covering ${hex(first.page)}..${hex(first.page + DOORBELL_SIZE - 1n)} (or the host MSI window) for these StreamIDs`,
      });
    }
  },
});

export const nestedNuma = check<ConfigCtx>({
  name: 'nested-numa',
  code: 'IOT5055',
  level: 'warning',
  target: 'config',
  title: 'a host bridge and its SMMU are on different NUMA nodes',
  explain:
    'The guest places DMA buffers and SMMU queues by proximity domain. A pxb (host bridge) on one ' +
    'NUMA node whose SMMU is declared on another makes every translation table walk and queue access ' +
    'cross nodes; for nested vSMMUs both should follow the host SMMU\'s node (the RFC sets the pxb ' +
    'numa_node from the vSMMU index).',
  source: 'seed 000 (create_pcie_expander_bridge: numa_node = idx); IORT SMMUv3 proximity domain (iort.md §1.10)',
  prereqs: [],
  run(ctx, report) {
    for (const b of ctx.ir.bridges) {
      if (b.numa === null || !b.iommu) continue;
      const s = ctx.smmus.get(b.iommu);
      if (!s || s.numa === null || s.numa === b.numa) continue;
      report({
        message: `bridge '${b.id}' is on NUMA node ${b.numa} but its SMMU '${s.id}' is on node ${s.numa}`,
        span: b.span,
        related: [rel(`SMMU '${s.id}' is declared here`, s)],
      });
    }
  },
});

export const nestedChecks = [nestedEmulatedDevice, nestedHostShared, nestedHostMismatch, nestedNoDevice, nestedMsiDoorbell, nestedNuma];
