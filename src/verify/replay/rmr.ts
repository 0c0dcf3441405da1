/**
 * RMR views: what the IORT tells the OS (bypass StreamIDs + IOMMU_RESV_DIRECT ranges, Linux
 * iort_get_rmrs), what the config intends, and what the DT tells a DT-booted OS (the device
 * node's `memory-region` whose `iommu-addresses` name the device with IOVA == reg, Linux
 * of_iommu_get_resv_regions -> IOMMU_RESV_DIRECT).
 */
import type { IortTable } from '../../backends/iort/model';
import { cellsToBigint, type FdtNode, phandleOf, propCells, regOf } from '../../backends/fdt/model';
import type { IrMachine } from '../../ir/types';
import type { DtBridge } from '../dt-map';
import { listRmrs } from '../iort-map';
import type { IdentityRange } from './domains';

export interface RmrStreams {
  smmuBase: bigint;
  first: number;
  last: number;
  ranges: IdentityRange[];
  /** "RMR@0x468" / "rmr 'fb0'" */
  label: string;
}

const big = (n: bigint) => (n > 2n ** 53n ? 2 ** 53 : Number(n));

function range(base: bigint, size: bigint, privileged: boolean, attributes: number): IdentityRange {
  return { base: big(base), size: big(size), priv: privileged, mmio: attributes <= 3, cache: attributes === 5 };
}

/** RMRs Linux uses from the IORT (table revision >= 5, with mappings and descriptors). */
export function iortRmrStreams(t: IortTable): RmrStreams[] {
  const out: RmrStreams[] = [];
  for (const r of listRmrs(t)) {
    if (!r.used) continue;
    const ranges = r.descriptors.map((d) => range(d.base, d.length, r.accessPrivileged, r.accessAttributes));
    for (const s of r.streams) {
      if (s.smmuBase === null) continue;
      out.push({ smmuBase: s.smmuBase, first: s.first, last: s.last, ranges, label: `RMR@0x${r.offset.toString(16)}` });
    }
  }
  return out;
}

export function irRmrStreams(ir: IrMachine): RmrStreams[] {
  const out: RmrStreams[] = [];
  for (const r of ir.rmrs) {
    const s = ir.smmus.find((x) => x.id === r.smmu);
    if (!s) continue;
    const ranges = r.ranges.map((m) => range(m.base, m.size, r.privileged, r.attributes));
    for (const st of r.streams) out.push({ smmuBase: s.base, first: st.base, last: st.base + st.count - 1, ranges, label: `rmr '${r.id}'` });
  }
  return out;
}

/** The list split by SMMU base, each part in list order (see rmrFor). */
export function rmrBySmmu(list: readonly RmrStreams[]): Map<bigint, RmrStreams[]> {
  const out = new Map<bigint, RmrStreams[]>();
  for (const r of list) {
    const l = out.get(r.smmuBase);
    if (l) l.push(r);
    else out.set(r.smmuBase, [r]);
  }
  return out;
}

/**
 * RMRs naming `sid` on the SMMU at `smmuBase`, in list order. Takes the list split by SMMU
 * (rmrBySmmu): every device asks, and a scan of all RMRs per device is quadratic.
 */
export function rmrFor(bySmmu: ReadonlyMap<bigint, readonly RmrStreams[]>, smmuBase: bigint, sid: number): RmrStreams[] {
  return (bySmmu.get(smmuBase) ?? []).filter((r) => sid >= r.first && sid <= r.last);
}

const pciHi = (bus: number, devfn: number) => ((bus & 0xff) << 16) | ((devfn & 0xff) << 8);

/** The DT node of PCI function bus/devfn under a host bridge (or one of its bridges), or null. */
export function dtDeviceNode(bridge: DtBridge, bus: number, devfn: number): FdtNode | null {
  const want = pciHi(bus, devfn);
  const rec = (n: FdtNode): FdtNode | null => {
    for (const c of n.children) {
      const r = propCells(c, 'reg');
      if (r && r.length >= 5 && (r[0]! & 0x00ffff00) === want) return c;
      const deeper = rec(c);
      if (deeper) return deeper;
    }
    return null;
  };
  return rec(bridge.node);
}

export interface DtDirect {
  base: bigint;
  size: bigint;
  path: string;
}

/** Phandle and parent indexes of one device tree (phandleIndex / parentMap of its root). */
export interface DtIndex {
  readonly phandles: ReadonlyMap<number, FdtNode>;
  readonly parents: ReadonlyMap<FdtNode, FdtNode | null>;
}

/**
 * IOMMU_RESV_DIRECT regions a DT-booted Linux gives the device node `dev`. The indexes come
 * from the caller, built once per tree: rebuilding them per device made the proof quadratic
 * (devices x DT nodes).
 */
export function dtDirectRegions(tree: DtIndex, dev: FdtNode): DtDirect[] {
  const phs = propCells(dev, 'memory-region') ?? [];
  const devPh = phandleOf(dev);
  if (!phs.length || devPh === null) return [];
  const index = tree.phandles;
  const parents = tree.parents;
  const devParent = parents.get(dev) ?? null;
  const na = devParent ? (propCells(devParent, '#address-cells')?.[0] ?? 3) : 3;
  const ns = devParent ? (propCells(devParent, '#size-cells')?.[0] ?? 2) : 2;
  const out: DtDirect[] = [];
  for (const ph of phs) {
    const region = index.get(ph);
    const parent = region ? parents.get(region) : null;
    if (!region || !parent) continue;
    const reg = regOf(region, parent);
    const ia = propCells(region, 'iommu-addresses');
    if (!reg || !reg.length || !ia) continue;
    const step = 1 + na + ns;
    for (let i = 0; i + step <= ia.length; i += step) {
      if (ia[i] !== devPh) continue;
      // PCI addresses: phys.hi then a 64-bit address; other buses: plain cells.
      const iova = na === 3 ? cellsToBigint(ia, i + 2, 2) : cellsToBigint(ia, i + 1, na);
      const size = cellsToBigint(ia, i + 1 + na, ns);
      if (iova === reg[0]!.address && size === reg[0]!.size) out.push({ base: iova, size, path: region.path });
    }
  }
  return out;
}
