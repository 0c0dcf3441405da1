/**
 * Merge mode against QEMU 10.0's own machine.dtb: our SMMU and PCIe nodes equal QEMU's in every
 * property, except the differences named below, each with the rule that makes it; every other
 * node of the base is left byte for byte as it was; the base's GIC/ITS phandles are reused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { buildFdt } from '../../src/backends/fdt/encode';
import { writeDtb } from '../../src/backends/fdt/blob';
import { type FdtNode, findNode, getProp, mkNode, mkTree, propCells, propStrings, propU32, phandleOf } from '../../src/backends/fdt/model';
import type { IrMachine } from '../../src/ir/types';
import { loadExample, QEMU_EXAMPLE } from './examples';
import { qemuA } from './fixtures';
import { QEMU_CASES, qemuDtb } from './util';

/** Deliberate differences in the SMMU node, and why. */
const SMMU_DIFFS = {
  $nodename: 'arm,smmu-v3.yaml: $nodename must match "^iommu@[0-9a-f]*" (QEMU writes smmuv3@)',
  'interrupt-names':
    'arm,smmu-v3.yaml (pinned copy): interrupt-names items in the fixed order eventq, gerror, priq, cmdq-sync (QEMU writes eventq, priq, cmdq-sync, gerror; only Linux >= 6.1 accepts any order)',
  interrupts: 'follows interrupt-names: the same four (SPI, edge) lines, reordered with their names',
};

/** Deliberate differences in the PCIe host-bridge node, per QEMU case. */
const PCIE_DIFFS: Record<string, Record<string, string>> = {
  a_smmuv3: {
    'bus-range': 'the buses the bridge owns in the IR (QEMU\'s IORT: bus 0 only); QEMU\'s DT claims the whole 256-bus ECAM window',
    reg: 'pci-host-ecam-generic: reg is the ECAM slice of the bridge\'s own bus-range (ecam + busStart MiB, one MiB per bus)',
    'iommu-map': 'entries cover only RIDs inside the bridge\'s bus-range, as the IORT does (RIDs 0x0-0xff -> SMMU)',
    'msi-map': 'entries cover only RIDs inside the bridge\'s bus-range',
  },
  b_smmuv3_2pxb: {
    'bus-range': 'IR bus ownership: pcie.0 owns buses 0-1, the pxbs 64-65 and 128-129',
    reg: 'ECAM slice of the bridge\'s own buses',
    'iommu-map': 'RIDs inside the bus-range only (0x0-0x1ff)',
    'msi-map': 'RIDs inside the bus-range only',
    ranges: 'the windows are shared with the two pxb host bridges (Linux refuses overlapping host-bridge windows)',
  },
  c_smmuv3_2pxb_bypass: {
    'bus-range': 'IR bus ownership',
    reg: 'ECAM slice of the bridge\'s own buses',
    'iommu-map': 'pcie.0 bypasses the SMMU (default-bus-bypass-iommu=on): no iommu-map, as QEMU\'s IORT maps its RIDs straight to the ITS',
    'msi-map': 'RIDs inside the bus-range only',
    ranges: 'the windows are shared with the two pxb host bridges',
  },
};

/** The IR of each QEMU case: the project's example for that command line. */
const IR: Record<string, () => IrMachine> = Object.fromEntries(Object.entries(QEMU_EXAMPLE).map(([c, f]) => [c, () => loadExample(f)]));

function merged(c: string): { base: FdtNode; ours: FdtNode; bytes: Uint8Array; baseBytes: Uint8Array } {
  const baseBytes = new Uint8Array(readFileSync(qemuDtb(c)));
  const r = buildFdt(IR[c]!(), { baseDtb: baseBytes, baseFile: c });
  expect(r.diagnostics).toEqual([]);
  return { base: decodeDtb(baseBytes, c).value!.root, ours: decodeDtb(r.value!, 'ours').value!.root, bytes: r.value!, baseBytes };
}

/** Names of properties whose bytes differ (or exist on one side only). */
function differing(a: FdtNode, b: FdtNode): string[] {
  const names = [...new Set([...a.props.map((p) => p.name), ...b.props.map((p) => p.name)])];
  const out = names.filter((n) => {
    const x = getProp(a, n);
    const y = getProp(b, n);
    return !x || !y || !Buffer.from(x.value).equals(Buffer.from(y.value));
  });
  if (a.unitName.split('@')[0] !== b.unitName.split('@')[0]) out.unshift('$nodename');
  return out.sort();
}

describe('QEMU parity (merge mode)', () => {
  for (const c of QEMU_CASES) {
    describe(c, () => {
      it('SMMU node: equal to QEMU\'s except the named binding-driven differences', () => {
        const { base, ours } = merged(c);
        const q = findNode(base, '/smmuv3@9050000')!;
        const o = findNode(ours, '/iommu@9050000')!;
        expect(findNode(ours, '/smmuv3@9050000')).toBeNull();
        expect(differing(q, o)).toEqual(Object.keys(SMMU_DIFFS).sort());
        // Same lines, paired with the same names, only in another order.
        const pairs = (n: FdtNode) => {
          const names = propStrings(n, 'interrupt-names')!;
          const cells = propCells(n, 'interrupts')!;
          return names.map((nm, i) => `${nm}=${cells.slice(i * 3, i * 3 + 3).join(',')}`).sort();
        };
        expect(pairs(o)).toEqual(pairs(q));
        expect(propStrings(o, 'interrupt-names')).toEqual(['eventq', 'gerror', 'priq', 'cmdq-sync']);
        // The replacement keeps QEMU's phandle and position among the root's children.
        expect(phandleOf(o)).toBe(phandleOf(q));
        expect(ours.children.indexOf(o)).toBe(base.children.indexOf(q));
      });

      it('PCIe node: updated in place, equal to QEMU\'s except the named differences', () => {
        const { base, ours } = merged(c);
        const q = findNode(base, '/pcie@10000000')!;
        const o = findNode(ours, '/pcie@10000000')!;
        expect(differing(q, o)).toEqual(Object.keys(PCIE_DIFFS[c]!).sort());
        // Property order of QEMU's node is kept (updates are in place).
        expect(o.props.map((p) => p.name).filter((n) => getProp(q, n))).toEqual(q.props.map((p) => p.name).filter((n) => getProp(o, n)));
      });

      it('every other base node is left byte for byte; GIC and ITS phandles are reused', () => {
        const { base, ours } = merged(c);
        const mine = new Set(['smmuv3@9050000', 'iommu@9050000', 'pcie@10000000']);
        const baseOthers = base.children.filter((n) => !mine.has(n.unitName));
        const ourOthers = ours.children.filter((n) => !mine.has(n.unitName) && !/^pcie@40/.test(n.unitName));
        const dump = (n: FdtNode): unknown => ({ u: n.unitName, p: n.props.map((p) => [p.name, Buffer.from(p.value).toString('hex')]), c: n.children.map(dump) });
        expect(ourOthers.map(dump)).toEqual(baseOthers.map(dump));
        expect(base.props.map((p) => p.name)).toEqual(ours.props.map((p) => p.name));
        const o = findNode(ours, '/pcie@10000000')!;
        expect(propCells(o, 'msi-map')![1]).toBe(0x8003); // QEMU's ITS phandle
        if (c !== 'c_smmuv3_2pxb_bypass') expect(propCells(o, 'iommu-map')![1]).toBe(0x8004); // the inherited SMMU phandle
      });

      it('merging the output again gives the same bytes', () => {
        const { bytes } = merged(c);
        const again = buildFdt(IR[c]!(), { baseDtb: bytes });
        expect(Buffer.from(again.value!).equals(Buffer.from(bytes))).toBe(true);
      });
    });
  }

  it('pxb host bridges (absent from QEMU\'s DT) are inserted right after pcie@10000000', () => {
    const { ours } = merged('b_smmuv3_2pxb');
    const names = ours.children.map((n) => n.unitName);
    const i = names.indexOf('pcie@10000000');
    expect(names.slice(i, i + 3)).toEqual(['pcie@10000000', 'pcie@4014000000', 'pcie@4018000000']);
    // New phandles would count from QEMU's highest (0x8005) + 1; none are needed here.
    expect(Math.max(...ours.children.map((n) => phandleOf(n) ?? 0))).toBe(0x8005);
  });

  it('our own standalone output as a base: everything is found again, nothing added', () => {
    const r = buildFdt(qemuA(), { baseDtb: buildFdt(qemuA()).value! });
    expect(r.diagnostics).toEqual([]);
    expect(Buffer.from(r.value!).equals(Buffer.from(buildFdt(qemuA()).value!))).toBe(true);
  });

  it('a base without a GIC gets ours, with phandles above the base\'s highest', () => {
    const base = writeDtb(
      mkTree(mkNode('', [propU32('#address-cells', 2), propU32('#size-cells', 2)], [mkNode('clk', [propU32('phandle', 0x20)])])),
    );
    const r = buildFdt(qemuA(), { baseDtb: base });
    expect(r.diagnostics).toEqual([]);
    const root = decodeDtb(r.value!, 'x').value!.root;
    expect(phandleOf(findNode(root, '/interrupt-controller@8000000')!)).toBe(0x21);
    expect(phandleOf(findNode(root, '/interrupt-controller@8000000/msi-controller@8080000')!)).toBe(0x22);
    expect(phandleOf(findNode(root, '/iommu@9050000')!)).toBe(0x23);
    // The SMMU's interrupts need the GIC, which this base's root does not name as parent.
    expect(propCells(findNode(root, '/iommu@9050000')!, 'interrupt-parent')).toEqual([0x21]);
    expect(phandleOf(findNode(root, '/clk')!)).toBe(0x20);
  });

  it('a base that cannot be read is reported with the reader\'s diagnostics', () => {
    const r = buildFdt(qemuA(), { baseDtb: new Uint8Array([1, 2, 3, 4]), baseFile: 'bad.dtb' });
    expect(r.value).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['IOT4106', 'IOT4001']);
  });
});
