/** Bus-number checks: ranges, overlaps, reservations for root ports and hotplug, exhaustion. */
import type { IrHostBridge, IrRootPort } from '../../ir/types';
import { rid } from '../../ir/types';
import { check } from '../define';
import { hex, sweepOverlaps, type Iv } from '../intervals';
import type { ConfigCtx } from './context';
import { rel } from './context';
import { pushTo } from '../util';

const BUSES_PER_SEGMENT = 256;
const busText = (a: number, b: number) => (a === b ? `bus ${hex(a)}` : `buses ${hex(a)}..${hex(b)}`);

/** Bus numbers a bridge needs: its root bus plus one secondary bus per root port and hotplug slot. */
function busesNeeded(b: IrHostBridge, ports: IrRootPort[]): number {
  return 1 + ports.length + Math.max(0, b.hotplug);
}

function portsByBridge(ctx: ConfigCtx): Map<string, IrRootPort[]> {
  const m = new Map<string, IrRootPort[]>();
  for (const p of ctx.ir.rootPorts) pushTo(m, p.bridge, p);
  return m;
}

export const busRange = check<ConfigCtx>({
  name: 'bus-range',
  code: 'IOT5010',
  level: 'error',
  target: 'config',
  title: 'a host bridge bus range is empty or runs past bus 255',
  explain:
    'A PCI segment has 256 bus numbers (0..255); a host bridge owns busStart..busEnd with ' +
    'busStart <= busEnd <= 255. dtc\'s pci_bridge check and the pci-bus-common schema reject a ' +
    'bus-range beyond 0xff, and QEMU cannot number a bus past 255 either (pxb-pcie bus_nr is a u8).',
  source: 'PCI Express base spec (8-bit bus number); dtc checks.c pci_bridge; dt-schema pci-bus-common.yaml; fdt.md §2.2, §3.6',
  prereqs: [],
  run(ctx, report) {
    for (const b of ctx.ir.bridges) {
      const ok = Number.isInteger(b.busStart) && Number.isInteger(b.busEnd) && b.busStart >= 0 && b.busStart <= b.busEnd && b.busEnd < BUSES_PER_SEGMENT;
      if (!ok)
        report({
          message: `bridge '${b.id}' has bus range ${b.busStart}..${b.busEnd}${b.busEnd >= BUSES_PER_SEGMENT ? ', which runs past bus 255' : ', which is empty or invalid'}`,
          span: b.span,
        });
    }
  },
});

export const busOverlap = check<ConfigCtx>({
  name: 'bus-overlap',
  code: 'IOT5011',
  level: 'error',
  target: 'config',
  title: 'two host bridges of one segment share bus numbers',
  explain:
    'pxb-pcie expander bridges take their bus numbers from the same segment as the root complex ' +
    'they hang off, so the root complex\'s bus range and every pxb\'s range must be disjoint. An ' +
    'overlap makes two bridges claim the same RIDs: config cycles go to one of them and the IORT ' +
    'or iommu-map sends the RIDs to one target only.',
  source: 'QEMU pxb-pcie bus_nr and pci_bus_range(); iort.md §2.2; seed thread (one pxb per vSMMU from the top of the bus space)',
  prereqs: ['bus-range'],
  run(ctx, report) {
    const bySeg = new Map<number, Iv<IrHostBridge>[]>();
    for (const b of ctx.ir.bridges) {
      const l = bySeg.get(b.segment) ?? [];
      l.push({ lo: BigInt(b.busStart), end: BigInt(b.busEnd) + 1n, item: b });
      bySeg.set(b.segment, l);
    }
    for (const [seg, ivs] of bySeg)
      sweepOverlaps(ivs, (a, b) => {
        const hi = Math.min(a.item.busEnd, b.item.busEnd);
        report({
          message: `segment ${seg}: bridge '${b.item.id}' (${busText(b.item.busStart, b.item.busEnd)}) overlaps bridge '${a.item.id}' (${busText(a.item.busStart, a.item.busEnd)}) on ${busText(b.item.busStart, hi)}`,
          span: b.item.span,
          related: [rel(`bridge '${a.item.id}' is declared here`, a.item)],
        });
      });
  },
});

export const busExhaustion = check<ConfigCtx>({
  name: 'bus-exhaustion',
  code: 'IOT5013',
  level: 'error',
  target: 'config',
  title: 'the bridges of one segment need more than 256 bus numbers',
  explain:
    'Every bridge needs its root bus plus one bus per root port and per reserved hotplug slot. QEMU ' +
    'puts every pxb-pcie in segment 0 (one PCI domain), so with one pxb per vSMMU and a few hotplug ' +
    'ports each the 256 bus numbers run out: this is con (j) of the multi-vSMMU RFC ("Potential of ' +
    'running out of PCI bus number, as QEMU doesn\'t support multiple PCI domains"). Put bridges in ' +
    'other segments or reserve fewer hotplug slots.',
  source: 'seed 001 (RFC multi nested SMMU, cons h-j); seed 000 MAX_DEV_PER_NESTED_SMMU bus reservation',
  prereqs: [],
  run(ctx, report) {
    const ports = portsByBridge(ctx);
    const bySeg = new Map<number, IrHostBridge[]>();
    for (const b of ctx.ir.bridges) pushTo(bySeg, b.segment, b);
    for (const [seg, bs] of bySeg) {
      const need = bs.map((b) => ({ b, n: busesNeeded(b, ports.get(b.id) ?? []) }));
      const total = need.reduce((s, x) => s + x.n, 0);
      if (total <= BUSES_PER_SEGMENT) continue;
      // Locate at the bridge that pushes the running total past 256.
      let run = 0;
      let culprit = need[need.length - 1]!.b;
      for (const x of need) {
        run += x.n;
        if (run > BUSES_PER_SEGMENT) {
          culprit = x.b;
          break;
        }
      }
      report({
        message: `segment ${seg} needs ${total} bus numbers (${need.map((x) => `${x.b.id}: ${x.n}`).join(', ')}) but a PCI segment has ${BUSES_PER_SEGMENT}`,
        span: culprit.span,
        help: 'move some bridges to another PCI segment or reserve fewer hotplug slots',
      });
    }
  },
});

export const busReserve = check<ConfigCtx>({
  name: 'bus-reserve',
  code: 'IOT5012',
  level: 'error',
  target: 'config',
  title: 'a bridge reserves fewer buses than its root ports and hotplug slots need',
  explain:
    'Behind a host bridge, each root port (declared or reserved for hotplug) needs at least one ' +
    'secondary bus, and the bridge\'s root bus is one more: busEnd - busStart + 1 >= 1 + ports + ' +
    'hotplug. With fewer, firmware cannot number the ports\' buses and hot-added devices do not ' +
    'enumerate. QEMU\'s nested-SMMU RFC reserves 1 + 4 x 2 buses per pxb for exactly this reason.',
  source: 'seed 000 (create_pcie_expander_bridge: total_bus_nums = 1 + MAX_DEV_PER_NESTED_SMMU * 2); PCI-to-PCI bridge secondary/subordinate numbering',
  prereqs: ['bus-range', 'bus-exhaustion'],
  run(ctx, report) {
    const ports = portsByBridge(ctx);
    for (const b of ctx.ir.bridges) {
      const ps = ports.get(b.id) ?? [];
      const need = busesNeeded(b, ps);
      const have = b.busEnd - b.busStart + 1;
      if (need > have)
        report({
          message: `bridge '${b.id}' owns ${have} bus number${have === 1 ? '' : 's'} (${busText(b.busStart, b.busEnd)}) but needs ${need}: 1 root bus + ${ps.length} root port${ps.length === 1 ? '' : 's'} + ${b.hotplug} hotplug slot${b.hotplug === 1 ? '' : 's'}`,
          span: b.span,
        });
    }
  },
});

export const portBus = check<ConfigCtx>({
  name: 'port-bus',
  code: 'IOT5014',
  level: 'error',
  target: 'config',
  title: 'a root port\'s buses are outside its bridge or shared with another port',
  explain:
    'A root port sits on its bridge\'s root bus (busStart) and forwards secondary..subordinate, which ' +
    'must lie strictly above the root bus and within the bridge\'s range; two ports of one bridge ' +
    'must not forward the same buses. Otherwise config cycles for a bus reach the wrong port and ' +
    'the RIDs of its devices belong to no or the wrong IOMMU range.',
  source: 'PCI-to-PCI bridge architecture (secondary/subordinate bus number registers); QEMU pci_bus_range()',
  prereqs: ['bus-range'],
  run(ctx, report) {
    const byBridge = new Map<string, Iv<IrRootPort>[]>();
    for (const p of ctx.ir.rootPorts) {
      const b = ctx.bridges.get(p.bridge);
      if (!b) {
        report({ message: `root port '${p.id}' sits on '${p.bridge}', which is not a host bridge`, span: p.span });
        continue;
      }
      if (p.bus !== b.busStart)
        report({ message: `root port '${p.id}' is on bus ${hex(p.bus)} but bridge '${b.id}' has its root bus at ${hex(b.busStart)}`, span: p.span, related: [rel(`bridge '${b.id}'`, b)] });
      if (!(p.secondary > b.busStart && p.secondary <= p.subordinate && p.subordinate <= b.busEnd))
        report({
          message: `root port '${p.id}' forwards ${busText(p.secondary, p.subordinate)}, which is not inside ${busText(b.busStart + 1, b.busEnd)} behind the root bus of bridge '${b.id}'`,
          span: p.span,
          related: [rel(`bridge '${b.id}' owns ${busText(b.busStart, b.busEnd)}`, b)],
        });
      const l = byBridge.get(b.id) ?? [];
      l.push({ lo: BigInt(p.secondary), end: BigInt(p.subordinate) + 1n, item: p });
      byBridge.set(b.id, l);
    }
    for (const [bid, ivs] of byBridge)
      sweepOverlaps(ivs, (a, b) =>
        report({
          message: `root ports '${b.item.id}' and '${a.item.id}' of bridge '${bid}' both forward ${busText(b.item.secondary, Math.min(a.item.subordinate, b.item.subordinate))}`,
          span: b.item.span,
          related: [rel(`root port '${a.item.id}' is declared here`, a.item)],
        }),
      );
  },
});

export const deviceBus = check<ConfigCtx>({
  name: 'device-bus',
  code: 'IOT5015',
  level: 'error',
  target: 'config',
  title: 'a device\'s bus or RID does not match its bridge and port',
  explain:
    'A device directly on a host bridge is on the bridge\'s root bus; a device behind a root port is ' +
    'on one of the port\'s secondary..subordinate buses. Its RID is (bus << 8) | devfn and its ' +
    'segment is the bridge\'s. A device placed elsewhere gets a RID that the RID map assigns to a ' +
    'different bridge, so its DMA is translated by the wrong SMMU or not at all.',
  source: 'PCIe requester ID = bus:device.function; Linux pci-iommu binding (fdt.md §3.2)',
  prereqs: ['bus-range', 'port-bus'],
  run(ctx, report) {
    for (const d of ctx.ir.devices) {
      const b = ctx.bridges.get(d.bridge);
      if (!b) {
        report({ message: `device '${d.id}' is on '${d.bridge}', which is not a host bridge`, span: d.span });
        continue;
      }
      if (d.segment !== b.segment)
        report({ message: `device '${d.id}' is in segment ${d.segment} but its bridge '${b.id}' is in segment ${b.segment}`, span: d.span, related: [rel(`bridge '${b.id}'`, b)] });
      if (d.rid !== rid(d.bus, d.devfn) || d.devfn < 0 || d.devfn > 0xff)
        report({ message: `device '${d.id}' has RID ${hex(d.rid)}, but bus ${hex(d.bus)} devfn ${hex(d.devfn)} give ${hex(rid(d.bus, d.devfn))}`, span: d.span });
      if (d.port !== null) {
        const p = ctx.ports.get(d.port);
        if (!p) report({ message: `device '${d.id}' sits behind '${d.port}', which is not a root port`, span: d.span });
        else if (p.bridge !== b.id)
          report({ message: `device '${d.id}' is on bridge '${b.id}' but behind root port '${p.id}' of bridge '${p.bridge}'`, span: d.span, related: [rel(`root port '${p.id}'`, p)] });
        else if (d.bus < p.secondary || d.bus > p.subordinate)
          report({
            message: `device '${d.id}' is on bus ${hex(d.bus)}, outside ${busText(p.secondary, p.subordinate)} of root port '${p.id}'`,
            span: d.span,
            related: [rel(`root port '${p.id}' is declared here`, p)],
          });
      } else if (d.bus !== b.busStart)
        report({
          message: `device '${d.id}' is directly on bridge '${b.id}' but on bus ${hex(d.bus)}, not the root bus ${hex(b.busStart)}`,
          span: d.span,
          related: [rel(`bridge '${b.id}' is declared here`, b)],
        });
    }
  },
});

export const deviceRidDuplicate = check<ConfigCtx>({
  name: 'device-rid-duplicate',
  code: 'IOT5016',
  level: 'error',
  target: 'config',
  title: 'two devices have the same segment and RID',
  explain:
    'Two functions cannot have one bus:device.function address: config space decodes to one of ' +
    'them and both would share a StreamID and DeviceID. Libvirt/QEMU reject it at startup.',
  source: 'PCIe requester ID uniqueness; seed 000 (Eric Auger: implicitly created bridges "may collide with elements explicitly created by libvirt at a given pci bdf")',
  prereqs: [],
  run(ctx, report) {
    const sorted = [...ctx.ir.devices].map((d, i) => ({ d, i })).sort((a, b) => a.d.segment - b.d.segment || a.d.rid - b.d.rid || a.i - b.i);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!.d;
      const cur = sorted[k]!.d;
      if (prev.segment === cur.segment && prev.rid === cur.rid) {
        let first = prev;
        for (let j = k - 1; j >= 0 && sorted[j]!.d.segment === cur.segment && sorted[j]!.d.rid === cur.rid; j--) first = sorted[j]!.d;
        report({
          message: `device '${cur.id}' has the same address ${cur.segment.toString(16).padStart(4, '0')}:${(cur.rid >> 8).toString(16).padStart(2, '0')}:${((cur.rid >> 3) & 0x1f).toString(16).padStart(2, '0')}.${cur.rid & 7} as device '${first.id}'`,
          span: cur.span,
          related: [rel(`device '${first.id}' is declared here`, first)],
        });
      }
    }
  },
});

export const busChecks = [busRange, busOverlap, busExhaustion, busReserve, portBus, deviceBus, deviceRidDuplicate];
