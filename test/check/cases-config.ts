/**
 * One firing and one silent input per config check. `fire` must produce the check's code at
 * `line`; `silent` must not produce it. Both start from the fixtures in fixtures.ts.
 */
import type { IrMachine } from '../../src/ir/types';
import type { Toggle } from '../../src/check/types';
import { bridge, cleanMachine, device, LINE, nestedMachine, rmr, smmu } from './fixtures';

export interface ConfigCase {
  check: string;
  code: string;
  fire: () => IrMachine;
  line: number;
  silent: () => IrMachine;
  toggles?: Toggle[];
  /** Toggles for the silent input (defaults to `toggles`). */
  silentToggles?: Toggle[];
}

const m = (f: (x: IrMachine) => void, base: () => IrMachine = cleanMachine) => () => {
  const x = base();
  f(x);
  return x;
};
const br = (x: IrMachine, id: string) => x.bridges.find((b) => b.id === id)!;
const dev = (x: IrMachine, id: string) => x.devices.find((d) => d.id === id)!;
const sm = (x: IrMachine, id: string) => x.smmus.find((s) => s.id === id)!;
const ranges = (x: IrMachine) => x.segments[0]!.ridMap;

export const CONFIG_CASES: ConfigCase[] = [
  {
    check: 'rid-overlap',
    code: 'IOT5001',
    fire: m((x) => Object.assign(ranges(x)[1]!, { base: 0xf00, count: 0x1100 })),
    line: LINE.pxb1,
    silent: cleanMachine,
  },
  {
    check: 'rid-coverage',
    code: 'IOT5002',
    fire: m((x) => (ranges(x)[0]!.count = 0x800)),
    line: LINE.pcie0,
    silent: cleanMachine,
  },
  {
    check: 'rid-target',
    code: 'IOT5003',
    fire: m((x) => (ranges(x)[1]!.target = { kind: 'smmu', smmu: 'smmu0', streamBase: 0x1000 })),
    line: LINE.pxb1,
    silent: cleanMachine,
  },
  {
    check: 'rid-outside-bridge',
    code: 'IOT5004',
    fire: m((x) => (ranges(x)[2]!.target = { kind: 'smmu', smmu: 'smmu0', streamBase: 0x2000 })),
    line: LINE.smmu0,
    // QEMU maps the gaps to the ITS: that is fine.
    silent: m((x) => (ranges(x)[2]!.target = { kind: 'its', its: 'its0', deviceBase: 0x2000 })),
  },
  {
    check: 'rid-unmapped',
    code: 'IOT5005',
    fire: m((x) => {
      br(x, 'pxb1').msiParent = null;
      ranges(x)[1]!.target = { kind: 'none' };
    }),
    line: LINE.pxb1,
    toggles: [{ flag: 'W', name: 'rid-unmapped' }],
    // Off by default: the same deliberate bridge is not reported without the toggle.
    silent: m((x) => {
      br(x, 'pxb1').msiParent = null;
      ranges(x)[1]!.target = { kind: 'none' };
    }),
    silentToggles: [],
  },
  {
    check: 'streamid-overlap',
    code: 'IOT5006',
    fire: m((x) => {
      br(x, 'pxb1').iommu = 'smmu0';
      ranges(x)[1]!.target = { kind: 'smmu', smmu: 'smmu0', streamBase: 0 };
    }),
    line: LINE.pxb1,
    silent: m((x) => {
      br(x, 'pxb1').iommu = 'smmu0';
      ranges(x)[1]!.target = { kind: 'smmu', smmu: 'smmu0', streamBase: 0x1000 };
    }),
  },
  {
    check: 'deviceid-overlap',
    code: 'IOT5007',
    fire: m((x) => (ranges(x)[1]!.target = { kind: 'its', its: 'its0', deviceBase: 0x800 })),
    line: LINE.pxb1,
    silent: cleanMachine,
  },
  { check: 'bus-range', code: 'IOT5010', fire: m((x) => (br(x, 'pxb1').busEnd = 256)), line: LINE.pxb1, silent: m((x) => (br(x, 'pxb1').busEnd = 255)) },
  { check: 'bus-overlap', code: 'IOT5011', fire: m((x) => (br(x, 'pxb1').busStart = 0x0f)), line: LINE.pxb1, silent: cleanMachine },
  {
    check: 'bus-exhaustion',
    code: 'IOT5013',
    fire: m((x) => (br(x, 'pxb1').hotplug = 300)),
    line: LINE.pxb1,
    silent: m((x) => (br(x, 'pxb1').hotplug = 200)),
  },
  { check: 'bus-reserve', code: 'IOT5012', fire: m((x) => (br(x, 'pxb1').hotplug = 20)), line: LINE.pxb1, silent: m((x) => (br(x, 'pxb1').hotplug = 15)) },
  {
    check: 'port-bus',
    code: 'IOT5014',
    fire: m((x) => (x.rootPorts[0]!.subordinate = 0x10)),
    line: LINE.rp0,
    silent: m((x) => (x.rootPorts[0]!.subordinate = 0x0f)),
  },
  {
    check: 'device-bus',
    code: 'IOT5015',
    fire: m((x) => Object.assign(dev(x, 'nic0'), { bus: 2, rid: 0x200 })),
    line: LINE.nic0,
    silent: cleanMachine,
  },
  {
    check: 'device-rid-duplicate',
    code: 'IOT5016',
    fire: m((x) => x.devices.push(device('nic1', LINE.extra, { bridge: 'pcie.0', port: 'rp0', bus: 1, devfn: 0 }))),
    line: LINE.extra,
    silent: m((x) => x.devices.push(device('nic1', LINE.extra, { bridge: 'pcie.0', port: 'rp0', bus: 1, devfn: 1 }))),
  },
  { check: 'smmu-mmio-layout', code: 'IOT5020', fire: m((x) => (sm(x, 'smmu0').base = 0x0905_8000n)), line: LINE.smmu0, silent: cleanMachine },
  {
    check: 'mmio-overlap',
    code: 'IOT5021',
    // Into RAM, a fixed region of the machine.
    fire: m((x) => (sm(x, 'smmu0').base = 0x4000_0000n)),
    line: LINE.smmu0,
    // An SMMU the profile places on its platform bus, with SPIs from the bus's pool, is hosted.
    silent: m((x) => {
      x.platform.push({ name: 'platform-bus', base: 0x0c00_0000n, size: 0x200_0000n, spis: Array.from({ length: 64 }, (_, i) => 112 + i) });
      Object.assign(sm(x, 'smmu0'), { base: 0x0c02_0000n, irqs: { kind: 'wired', event: 148, pri: 149, gerror: 151, sync: 150 } });
    }),
  },
  {
    check: 'irq-range',
    code: 'IOT5030',
    // An extended SPI on a GIC without the extended range.
    fire: m((x) => (sm(x, 'smmu0').irqs.event = 4100)),
    line: LINE.smmu0,
    silent: m((x) => {
      sm(x, 'smmu0').irqs.event = 4100;
      x.gic.espi = true;
    }),
  },
  {
    check: 'irq-collision',
    code: 'IOT5031',
    fire: m((x) => x.smmus.push(smmu('smmu1', LINE.extra, { base: 0x0907_0000n }))),
    line: LINE.extra,
    silent: m((x) => x.smmus.push(smmu('smmu1', LINE.extra, { base: 0x0907_0000n, irqs: { kind: 'wired', event: 110, pri: 111, gerror: 113, sync: 112 } }))),
  },
  {
    check: 'rmr-alignment',
    code: 'IOT5040',
    fire: m((x) => (x.rmrs[0]!.ranges[0]!.base = 0x0808_1000n), nestedMachine),
    line: LINE.rmr0,
    silent: nestedMachine,
  },
  {
    check: 'rmr-zero-length',
    code: 'IOT5041',
    fire: m((x) => x.rmrs[0]!.ranges.push({ base: 0x0900_0000n, size: 0n }), nestedMachine),
    line: LINE.rmr0,
    silent: nestedMachine,
  },
  {
    check: 'rmr-overlap',
    code: 'IOT5042',
    fire: m((x) => x.rmrs.push(rmr('msi2', LINE.extra + 1, { smmu: 'vsmmu1', streams: [{ base: 0x1008, count: 1 }], devices: [] })), nestedMachine),
    line: LINE.extra + 1,
    // The same doorbell reserved once per SMMU is the normal multi-vSMMU layout.
    silent: m((x) => x.rmrs.push(rmr('msi0', LINE.extra + 1, { smmu: 'smmu0', streams: [{ base: 0x100, count: 1 }], devices: ['nic0'] })), nestedMachine),
  },
  {
    check: 'rmr-streams',
    code: 'IOT5043',
    fire: m((x) => (x.rmrs[0]!.streams = [{ base: 0x5000, count: 1 }]), nestedMachine),
    line: LINE.rmr0,
    silent: nestedMachine,
  },
  {
    check: 'rmr-devices',
    code: 'IOT5044',
    fire: m((x) => (x.rmrs[0]!.devices = ['nic0']), nestedMachine),
    line: LINE.rmr0,
    silent: nestedMachine,
  },
  {
    check: 'rmr-revision',
    code: 'IOT5045',
    fire: m((x) => Object.assign(x.iort, { revision: 3, revisionExplicit: true }), nestedMachine),
    line: LINE.rmr0,
    silent: nestedMachine,
  },
  {
    check: 'nested-emulated-device',
    code: 'IOT5050',
    fire: m((x) => Object.assign(dev(x, 'nvme0'), { kind: 'emulated', hostBdf: null, hostSmmu: null }), nestedMachine),
    line: LINE.nvme0,
    // QEMU's emulated SMMU with both stages (stage nested, no host) is not a vSMMU.
    silent: m((x) => (sm(x, 'smmu0').stage = 'nested')),
  },
  {
    check: 'nested-host-shared',
    code: 'IOT5051',
    fire: m((x) => x.smmus.push(smmu('vsmmu2', LINE.extra + 1, { base: 0x0c02_0000n, irqs: { kind: 'wired', event: 148, pri: 149, gerror: 151, sync: 150 }, stage: 'nested', host: 'hs1' })), nestedMachine),
    line: LINE.extra + 1,
    silent: nestedMachine,
  },
  {
    check: 'nested-host-mismatch',
    code: 'IOT5052',
    fire: m((x) => (dev(x, 'nvme0').hostSmmu = 'hs9'), nestedMachine),
    line: LINE.nvme0,
    silent: nestedMachine,
  },
  {
    check: 'nested-no-device',
    code: 'IOT5053',
    fire: m((x) => x.smmus.push(smmu('vsmmu2', LINE.extra + 1, { base: 0x0c02_0000n, irqs: { kind: 'wired', event: 148, pri: 149, gerror: 151, sync: 150 }, stage: 'nested', host: 'hs2' })), nestedMachine),
    line: LINE.extra + 1,
    silent: nestedMachine,
  },
  {
    check: 'nested-msi-doorbell',
    code: 'IOT5054',
    fire: m((x) => (x.rmrs = []), nestedMachine),
    line: LINE.extra,
    silent: nestedMachine,
  },
  {
    check: 'nested-numa',
    code: 'IOT5055',
    fire: m((x) => {
      br(x, 'pxb1').numa = 1;
      sm(x, 'vsmmu1').numa = 0;
    }, nestedMachine),
    line: LINE.pxb1,
    silent: m((x) => {
      br(x, 'pxb1').numa = 0;
      sm(x, 'vsmmu1').numa = 0;
    }, nestedMachine),
  },
];

export { bridge };
