/**
 * IR -> DTB: layout rules (dtc-identical bytes), and each policy of src/backends/fdt/encode.ts
 * checked on the built tree.
 */
import { describe, expect, it } from 'vitest';
import { writeDtb, StringTable } from '../../src/backends/fdt/blob';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { toDts } from '../../src/backends/fdt/dts';
import { buildFdt, buildFdtTree, carveWindows, gsivSpec } from '../../src/backends/fdt/encode';
import {
  findNode,
  type FdtNode,
  getProp,
  mkNode,
  mkTree,
  phandleOf,
  propCells,
  propStrings,
  propU32,
  propU32Value,
  propStr,
  walk,
} from '../../src/backends/fdt/model';
import { custom, FIXTURES, qemuA, qemuB, qemuC, smmu } from './fixtures';
import { dtcToDtb } from './util';

const tree = (ir = qemuA()) => {
  const r = buildFdtTree(ir);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.value!;
};
const node = (root: FdtNode, path: string) => {
  const n = findNode(root, path);
  expect(n, path).not.toBeNull();
  return n!;
};

describe('blob layout', () => {
  it('string table shares suffixes like dtc (first match at any offset)', () => {
    const t = new StringTable();
    expect(t.insert('dma-ranges')).toBe(0);
    expect(t.insert('ranges')).toBe(4);
    expect(t.insert('linux,phandle')).toBe(11);
    expect(t.insert('phandle')).toBe(17);
    expect(t.insert('reg')).toBe(25);
    expect(t.insert('ranges')).toBe(4);
    expect(new TextDecoder().decode(t.finish())).toBe('dma-ranges\0linux,phandle\0reg\0');
  });
  it('writes the vm-fdt minimal golden blob', () => {
    const b = writeDtb(mkTree(mkNode('')));
    const hex = Buffer.from(b).toString('hex');
    expect(hex).toBe(
      'd00dfeed00000048000000380000004800000028000000110000001000000000000000000000001000000000000000000000000000000000000000010000000000000002' +
        '00000009',
    );
  });
  it('pads node names and values to 4 bytes with zeros and keeps reservations', () => {
    const t = mkTree(mkNode('', [propStr('model', 'ab')], [mkNode('n@1')]), [{ address: 0x1000n, size: 0x2000n }], 3);
    const b = writeDtb(t);
    const r = decodeDtb(b, 'x').value!;
    expect(r.reserve).toEqual([{ address: 0x1000n, size: 0x2000n }]);
    expect(r.bootCpuidPhys).toBe(3);
    expect(r.header!.offDtStruct).toBe(0x28 + 32);
    expect(r.header!.sizeDtStruct % 4).toBe(0);
    // BEGIN_NODE "" = 8 bytes; FDT_PROP model "ab\0" = 12 + 4 (padded); BEGIN_NODE "n@1" = 8.
    const dv = new DataView(b.buffer);
    const s = r.header!.offDtStruct;
    expect([dv.getUint32(s), dv.getUint32(s + 4), dv.getUint32(s + 8), dv.getUint32(s + 12)]).toEqual([1, 0, 3, 3]);
    expect([...b.subarray(s + 20, s + 24)]).toEqual([0x61, 0x62, 0, 0]);
    expect(dv.getUint32(s + 24)).toBe(1);
  });
  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name}: bytes equal dtc's compilation of our own DTS (layout, strings, order)`, () => {
      const b = buildFdt(make()).value!;
      const dts = toDts(decodeDtb(b, name).value!);
      const d = dtcToDtb(dts);
      expect(d.status).toBe(0);
      expect(Buffer.from(b).equals(Buffer.from(d.dtb))).toBe(true);
    });
    it(`${name}: deterministic`, () => {
      expect(Buffer.from(buildFdt(make()).value!).equals(Buffer.from(buildFdt(make()).value!))).toBe(true);
    });
  }
});

describe('SMMU nodes', () => {
  it('qemu a: iommu@9050000 with SPI triplets in the binding order', () => {
    const n = node(tree().root, '/iommu@9050000');
    expect(propStrings(n, 'compatible')).toEqual(['arm,smmu-v3']);
    expect(propCells(n, 'reg')).toEqual([0, 0x09050000, 0, 0x20000]);
    expect(propStrings(n, 'interrupt-names')).toEqual(['eventq', 'gerror', 'priq', 'cmdq-sync']);
    // GSIVs event 106, gerror 109, pri 107, sync 108 -> SPIs 74, 77, 75, 76
    expect(propCells(n, 'interrupts')).toEqual([0, 74, 1, 0, 77, 1, 0, 75, 1, 0, 76, 1]);
    expect(getProp(n, 'dma-coherent')).toBeDefined();
    expect(propU32Value(n, '#iommu-cells')).toBe(1);
    expect(n.props.map((p) => p.name)).toEqual(['compatible', 'reg', 'interrupts', 'interrupt-names', 'dma-coherent', '#iommu-cells', 'phandle']);
  });
  it('leaves unwired lines out, and cmdq-sync out when priq is unwired (with a note)', () => {
    const ir = qemuA();
    ir.smmus[0]!.irqs = { kind: 'wired', event: 100, pri: 0, gerror: 101, sync: 102 };
    const r = buildFdtTree(ir);
    const n = node(r.value!.root, '/iommu@9050000');
    expect(propStrings(n, 'interrupt-names')).toEqual(['eventq', 'gerror']);
    expect(propCells(n, 'interrupts')).toEqual([0, 68, 1, 0, 69, 1]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IOT4102']);
  });
  it('warns when eventq or gerror is missing', () => {
    const ir = qemuA();
    ir.smmus[0]!.irqs = { kind: 'wired', event: 0, pri: 0, gerror: 101, sync: 0 };
    const r = buildFdtTree(ir);
    expect(r.diagnostics.map((d) => `${d.code}:${d.severity}`)).toEqual(['IOT4103:warning']);
    expect(propStrings(node(r.value!.root, '/iommu@9050000'), 'interrupt-names')).toEqual(['gerror']);
  });
  it('combined: one extended-SPI line; msi: msi-parent with the DeviceID, no interrupts', () => {
    const root = tree(custom()).root;
    const b = node(root, '/iommu@2b600000');
    expect(propStrings(b, 'interrupt-names')).toEqual(['combined']);
    expect(propCells(b, 'interrupts')).toEqual([2, 4, 1]);
    expect(getProp(b, 'dma-coherent')).toBeUndefined();
    const a = node(root, '/iommu@2b400000');
    expect(getProp(a, 'interrupts')).toBeUndefined();
    const its0 = node(root, '/interrupt-controller@30000000/msi-controller@30040000');
    expect(propCells(a, 'msi-parent')).toEqual([phandleOf(its0), 0x20000]);
  });
  it('GSIV encoding', () => {
    expect(gsivSpec(32)).toEqual([0, 0, 1]);
    expect(gsivSpec(1019)).toEqual([0, 987, 1]);
    expect(gsivSpec(4096)).toEqual([2, 0, 1]);
    expect(gsivSpec(31)).toBeNull();
    expect(gsivSpec(1020)).toBeNull();
    expect(gsivSpec(5120)).toBeNull();
  });
  it('an interrupt that is not an SPI is an error', () => {
    const ir = qemuA();
    ir.smmus[0]!.irqs.event = 27;
    const r = buildFdt(ir);
    expect(r.value).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toContain('IOT4101');
  });
  it('an MSI SMMU without an ITS is an error', () => {
    const ir = qemuA();
    ir.smmus[0]!.irqs = { kind: 'msi', event: 0, pri: 0, gerror: 0, sync: 0 };
    expect(buildFdt(ir).diagnostics.map((d) => d.code)).toContain('IOT4112');
  });
});

describe('phandle policy', () => {
  it('standalone: GIC 1, ITSes 2.., SMMUs, regions, devices in IR order', () => {
    const root = tree(custom()).root;
    const ph = (p: string) => phandleOf(node(root, p));
    expect(ph('/interrupt-controller@30000000')).toBe(1);
    expect(ph('/interrupt-controller@30000000/msi-controller@30040000')).toBe(2);
    expect(ph('/interrupt-controller@30000000/msi-controller@30060000')).toBe(3);
    expect(ph('/iommu@2b400000')).toBe(4);
    expect(ph('/iommu@2b600000')).toBe(5);
    expect(ph('/reserved-memory/rmr@80000000')).toBe(6);
    expect(ph('/reserved-memory/rmr@30050000')).toBe(7);
    expect(ph('/pcie@4000000000/pcie@1/device@0')).toBe(8);
    expect(ph('/pcie@4004000000/device@4')).toBe(9);
    expect(propU32Value(root, 'interrupt-parent')).toBe(1);
  });
  it('phandles are unique', () => {
    for (const make of Object.values(FIXTURES)) {
      const seen = new Set<number>();
      walk(tree(make()).root, (n) => {
        const p = phandleOf(n);
        if (p === null) return;
        expect(seen.has(p)).toBe(false);
        seen.add(p);
      });
    }
  });
});

describe('PCIe host bridges', () => {
  it('qemu a: one node with its own ECAM slice, bus-range, domain, windows and maps', () => {
    const root = tree().root;
    const n = node(root, '/pcie@4010000000');
    const smmuPh = phandleOf(node(root, '/iommu@9050000'))!;
    const itsPh = phandleOf(node(root, '/interrupt-controller@8000000/msi-controller@8080000'))!;
    expect(propStrings(n, 'compatible')).toEqual(['pci-host-ecam-generic']);
    expect(propStrings(n, 'device_type')).toEqual(['pci']);
    expect(propCells(n, 'reg')).toEqual([0x40, 0x10000000, 0, 0x100000]);
    expect(propCells(n, 'bus-range')).toEqual([0, 0]);
    expect(propU32Value(n, 'linux,pci-domain')).toBe(0);
    expect(propCells(n, 'iommu-map')).toEqual([0, smmuPh, 0, 0x100]);
    expect(propCells(n, 'msi-map')).toEqual([0, itsPh, 0, 0x100]);
    expect(getProp(n, 'iommu-map-mask')).toBeUndefined();
    expect(getProp(n, 'msi-map-mask')).toBeUndefined();
    expect(propCells(n, 'ranges')).toEqual([
      0x1000000, 0, 0, 0, 0x3eff0000, 0, 0x10000,
      0x2000000, 0, 0x10000000, 0, 0x10000000, 0, 0x2eff0000,
      0x3000000, 0x80, 0, 0x80, 0, 0x80, 0,
    ]);
  });
  it('qemu b: one node per root bus, pxbs on their parent ECAM window, domains after the segments', () => {
    const root = tree(qemuB()).root;
    const names = root.children.map((c) => c.unitName).filter((n) => n.startsWith('pcie'));
    expect(names).toEqual(['pcie@4010000000', 'pcie@4014000000', 'pcie@4018000000']);
    const doms = names.map((n) => propU32Value(node(root, '/' + n), 'linux,pci-domain'));
    expect(doms).toEqual([0, 1, 2]);
    const pxb1 = node(root, '/pcie@4014000000');
    expect(propCells(pxb1, 'reg')).toEqual([0x40, 0x14000000, 0, 0x200000]);
    expect(propCells(pxb1, 'bus-range')).toEqual([64, 65]);
    expect(propCells(pxb1, 'iommu-map')!.filter((_, i) => i % 4 !== 1)).toEqual([0x4000, 0x4000, 0x200]);
  });
  it('qemu c: bypassing bridges get no iommu-map, but keep their msi-map', () => {
    const root = tree(qemuC()).root;
    expect(getProp(node(root, '/pcie@4010000000'), 'iommu-map')).toBeUndefined();
    expect(getProp(node(root, '/pcie@4018000000'), 'iommu-map')).toBeUndefined();
    expect(getProp(node(root, '/pcie@4014000000'), 'iommu-map')).toBeDefined();
    expect(propCells(node(root, '/pcie@4018000000'), 'msi-map')!.filter((_, i) => i % 4 !== 1)).toEqual([0x8000, 0x8000, 0x200]);
  });
  it('windows of a root complex are split among its pxbs without overlap, aligned', () => {
    const wins = [
      { hi: 0x01000000, pci: 0n, cpu: 0x3eff0000n, size: 0x10000n },
      { hi: 0x02000000, pci: 0x10000000n, cpu: 0x10000000n, size: 0x2eff0000n },
    ];
    const { parts, tooSmall } = carveWindows(wins, 3);
    expect(tooSmall).toEqual([]);
    for (let k = 0; k < 2; k++) {
      const ps = parts.map((p) => p[k]!);
      expect(ps.reduce((s, p) => s + p.size, 0n)).toBe(wins[k]!.size);
      for (let i = 1; i < ps.length; i++) expect(ps[i]!.cpu).toBe(ps[i - 1]!.cpu + ps[i - 1]!.size);
      const align = k === 0 ? 0x1000n : 0x100000n;
      for (const p of ps) expect((p.cpu - wins[k]!.cpu) % align).toBe(0n);
    }
    expect(carveWindows([{ hi: 0x01000000, pci: 0n, cpu: 0n, size: 0x1000n }], 2).tooSmall.length).toBe(1);
  });
  it('custom: msi-map composes the SMMU StreamID -> DeviceID map; no msi-map without an MSI parent', () => {
    const root = tree(custom()).root;
    const its1 = phandleOf(node(root, '/interrupt-controller@30000000/msi-controller@30060000'));
    const seg1 = node(root, '/pcie@5000000000');
    expect(propCells(seg1, 'iommu-map')).toEqual([0, phandleOf(node(root, '/iommu@2b600000')), 0x40000, 0x10000]);
    expect(propCells(seg1, 'msi-map')).toEqual([0, its1, 0, 0x10000]);
    const seg2 = node(root, '/pcie@6000000000');
    expect(getProp(seg2, 'msi-map')).toBeUndefined();
    expect(getProp(seg2, 'iommu-map')).toBeUndefined();
    const seg0 = node(root, '/pcie@4000000000');
    expect(getProp(seg0, 'ats-supported')).toBeDefined();
    expect(propU32Value(seg0, 'numa-node-id')).toBe(0);
    expect(propCells(seg0, 'msi-map')!.filter((_, i) => i % 4 !== 1)).toEqual([0, 0x10000, 0x4000]);
  });
  it('a root complex without ECAM is an error; one without windows a warning', () => {
    const ir = qemuA();
    ir.bridges[0]!.ecamBase = null;
    expect(buildFdt(ir).diagnostics.map((d) => d.code)).toContain('IOT4105');
    const ir2 = qemuA();
    ir2.pciWindows = [];
    const r = buildFdtTree(ir2);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IOT4104']);
    expect(getProp(node(r.value!.root, '/pcie@4010000000'), 'ranges')).toBeUndefined();
  });
});

describe('reserved memory (RMR)', () => {
  it('one region per range, identity iommu-addresses for each consumer, memory-region back', () => {
    const root = tree(custom()).root;
    const rm = node(root, '/reserved-memory');
    expect(propCells(rm, '#address-cells')).toEqual([2]);
    expect(getProp(rm, 'ranges')!.value.length).toBe(0);
    const fb = node(root, '/reserved-memory/rmr@80000000');
    const db = node(root, '/reserved-memory/rmr@30050000');
    expect(getProp(fb, 'no-map')).toBeUndefined(); // Normal memory
    expect(getProp(db, 'no-map')).toBeDefined(); // Device memory
    const gpu = node(root, '/pcie@4000000000/pcie@1/device@0');
    const nvme = node(root, '/pcie@4004000000/device@4');
    expect(propCells(gpu, 'reg')).toEqual([0x10000, 0, 0, 0, 0]);
    expect(propCells(nvme, 'reg')).toEqual([0x402000, 0, 0, 0, 0]);
    expect(propCells(fb, 'iommu-addresses')).toEqual([phandleOf(gpu), 0x02000000, 0, 0x80000000, 0, 0x800000]);
    expect(propCells(db, 'iommu-addresses')).toEqual([
      phandleOf(nvme), 0x02000000, 0, 0x30050000, 0, 0x10000,
      phandleOf(gpu), 0x02000000, 0, 0x30050000, 0, 0x10000,
    ]);
    expect(propCells(gpu, 'memory-region')).toEqual([phandleOf(fb), phandleOf(db)]);
    expect(propCells(nvme, 'memory-region')).toEqual([phandleOf(db)]);
    const port = node(root, '/pcie@4000000000/pcie@1');
    expect(propCells(port, 'reg')).toEqual([0x800, 0, 0, 0, 0]);
    expect(propCells(port, 'bus-range')).toEqual([1, 1]);
  });
  it('an RMR consumer that is not a device is an error', () => {
    const ir = custom();
    ir.rmrs[0]!.devices = ['nope'];
    expect(buildFdt(ir).diagnostics.map((d) => d.code)).toContain('IOT4108');
  });
});

describe('misc', () => {
  it('root: cells, compatible per profile, model', () => {
    const a = tree().root;
    expect(propStrings(a, 'compatible')).toEqual(['linux,dummy-virt']);
    expect(propStrings(a, 'model')).toEqual(['qemu-a']);
    expect(propStrings(tree(custom()).root, 'compatible')).toEqual(['iotopo,machine']);
    expect(node(a, '/memory@40000000')).toBeDefined();
    expect(node(a, '/chosen')).toBeDefined();
  });
  it('GIC and ITS nodes', () => {
    const g = node(tree().root, '/interrupt-controller@8000000');
    expect(propCells(g, 'reg')).toEqual([0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0xf60000]);
    expect(propU32Value(g, '#interrupt-cells')).toBe(3);
    const its = node(g, 'msi-controller@8080000');
    expect(propStrings(its, 'compatible')).toEqual(['arm,gic-v3-its']);
    expect(propU32Value(its, '#msi-cells')).toBe(1);
    expect(getProp(its, 'msi-controller')).toBeDefined();
  });
  it('a second SMMU in IR order gets the next phandle and its own node', () => {
    const ir = qemuA();
    ir.smmus.push(smmu({ id: 'smmu1', base: 0x09070000n }));
    const root = tree(ir).root;
    expect(phandleOf(node(root, '/iommu@9070000'))).toBe(phandleOf(node(root, '/iommu@9050000'))! + 1);
  });
  it('addresses too wide for the parent cells are reported', () => {
    const base = writeDtb(mkTree(mkNode('', [propU32('#address-cells', 1), propU32('#size-cells', 1)])));
    const r = buildFdt(qemuA(), { baseDtb: base });
    expect(r.diagnostics.map((d) => d.code)).toContain('IOT4113');
  });
});
