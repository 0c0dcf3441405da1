/**
 * DT checks for what dtc does not check at all: iommu-map / msi-map (Linux of_map_id()), SMMUv3
 * node binding rules, and phandles in IOMMU/MSI properties. Reference: fdt.md §2.2, §3, §7.
 */
import {
  getProp,
  hostBridges,
  isAvailable,
  isCompatible,
  propCells,
  propStrings,
  propU32Value,
  regOf,
  type FdtNode,
} from '../../backends/fdt/model';
import { check } from '../define';
import { gaps, rangeText, sweepOverlaps, union, covered, type Iv } from '../intervals';
import type { CheckDef } from '../types';
import { hex, mapEntries, mapMask, where, type DtCtx, type MapEntry, type MapName } from './context';

const MAPS: MapName[] = ['iommu-map', 'msi-map'];
const SMMUV3 = 'arm,smmu-v3';

export const dtMapLength = check<DtCtx>({
  name: 'dt-map-length',
  code: 'IOT5200',
  level: 'error',
  target: 'dt',
  title: 'an iommu-map / msi-map is not a whole number of 4-cell entries',
  explain:
    'Linux of_map_id() requires iommu-map and msi-map to be non-empty and a multiple of 4 cells ' +
    '(rid-base, phandle, output-base, length) whatever the target\'s #iommu-cells; otherwise it ' +
    'logs "%pOF: Error: Bad %s length: %d" and fails every lookup on that node. A *-map-mask must ' +
    'be exactly one cell.',
  source: 'Linux drivers/of/base.c of_map_id(); pci-iommu.txt / pci-msi.txt bindings; fdt.md §3.3, §7.2',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.nodes)
      for (const name of MAPS) {
        const p = getProp(n, name);
        if (p && (p.value.length === 0 || p.value.length % 16 !== 0))
          report({ message: `${n.path}: ${name} is ${p.value.length} bytes, not a non-zero multiple of 16 (Linux: "Error: Bad ${name} length: ${p.value.length}")`, loc: where(ctx, n, p) });
        const mk = getProp(n, `${name}-mask`);
        if (mk && mk.value.length !== 4) report({ message: `${n.path}: ${name}-mask is ${mk.value.length} bytes, not one cell`, loc: where(ctx, n, mk) });
      }
  },
});

/** Phandle-bearing properties: for each, how many argument cells follow a phandle. */
function phandleRefs(ctx: DtCtx, n: FdtNode, report: (prop: string, ph: number, i: number) => void): void {
  for (const name of MAPS) {
    const es = mapEntries(n, name);
    for (const e of es ?? []) if (!ctx.phandles.has(e.phandle)) report(name, e.phandle, e.index);
  }
  const lists: [string, string | null, number][] = [
    ['iommus', '#iommu-cells', 1],
    ['msi-parent', '#msi-cells', 0],
    ['memory-region', null, 0],
    ['interrupt-parent', null, 0],
  ];
  for (const [prop, cellsName, dflt] of lists) {
    const cells = propCells(n, prop);
    if (!cells) continue;
    let i = 0;
    let k = 0;
    while (i < cells.length) {
      const ph = cells[i]!;
      const t = ctx.phandles.get(ph);
      if (!t) {
        report(prop, ph, k);
        break; // the argument count of an unknown target is unknown: stop parsing
      }
      const args = cellsName ? (propU32Value(t, cellsName) ?? dflt) : 0;
      i += 1 + args;
      k++;
      if (prop === 'interrupt-parent') break;
    }
  }
}

export const dtPhandle = check<DtCtx>({
  name: 'dt-phandle',
  code: 'IOT5201',
  level: 'error',
  target: 'dt',
  title: 'an IOMMU/MSI/reserved-memory phandle points at no node',
  explain:
    'Phandles in iommu-map, msi-map, iommus, msi-parent, memory-region and interrupt-parent must ' +
    'name a node with that phandle. Linux of_map_id() returns -ENODEV for an unknown phandle in a ' +
    'map entry (the device gets no IOMMU / MSI domain), and of_iommu / of_msi ignore the device. ' +
    'dtc resolves &labels in source but cannot check raw numbers in a blob.',
  source: 'Linux of_map_id(), of_iommu_configure(); dtc checks.c phandle_references; fdt.md §2.2, §3.3',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.nodes)
      phandleRefs(ctx, n, (prop, ph, i) =>
        report({ message: `${n.path}: ${prop} entry ${i} references phandle ${hex(ph)}, which no node has`, loc: where(ctx, n, prop) }),
      );
  },
});

export const dtMapMask = check<DtCtx>({
  name: 'dt-map-mask',
  code: 'IOT5202',
  level: 'error',
  target: 'dt',
  title: 'an iommu-map / msi-map entry has rid-base bits outside the map mask',
  explain:
    'of_map_id() masks the RID with *-map-mask and, for every entry it scans, rejects an entry whose ' +
    'rid-base has bits the mask clears: "Invalid %s translation - %s-mask (0x%x) ignores id-base ' +
    '(0x%x)" and -EFAULT. Because the check runs before the range test, one bad entry fails every ' +
    'lookup that reaches it, not only the RIDs it would cover.',
  source: 'Linux of_map_id(); fdt.md §3.3, §7.3',
  prereqs: ['dt-map-length'],
  run(ctx, report) {
    for (const n of ctx.nodes)
      for (const name of MAPS) {
        const es = mapEntries(n, name);
        const mask = mapMask(n, name);
        if (!es || mask === null) continue;
        for (const e of es)
          if ((e.ridBase & ~mask) >>> 0 !== 0)
            report({
              message: `${n.path}: ${name} entry ${e.index} has rid-base ${hex(e.ridBase)} but ${name}-mask is ${hex(mask)} (Linux: "Invalid ${name} translation - ${name}-mask (${hex(mask)}) ignores id-base (${hex(e.ridBase)})")`,
              loc: where(ctx, n, name),
            });
      }
  },
});

export const dtMapOverlap = check<DtCtx>({
  name: 'dt-map-overlap',
  code: 'IOT5203',
  level: 'error',
  target: 'dt',
  title: 'two entries of one iommu-map / msi-map cover the same IDs',
  explain:
    'of_map_id() takes the first entry whose [rid-base, rid-base + length) contains the masked RID ' +
    'and never diagnoses overlaps, so a later overlapping entry is dead for the shared IDs (a ' +
    'second IOMMU for the same RID is never used).',
  source: 'Linux of_map_id() ("First matching entry wins"); fdt.md §3.3, §7.3',
  prereqs: ['dt-map-length'],
  run(ctx, report) {
    for (const n of ctx.nodes)
      for (const name of MAPS) {
        const es = mapEntries(n, name);
        if (!es) continue;
        const ivs: Iv<MapEntry>[] = es.map((e) => ({ lo: BigInt(e.ridBase), end: BigInt(e.ridBase) + BigInt(e.length), item: e }));
        sweepOverlaps(ivs, (a, b) => {
          const first = a.item.index < b.item.index ? a.item : b.item;
          const end = a.end < b.end ? a.end : b.end;
          report({
            message: `${n.path}: ${name} entries ${a.item.index} and ${b.item.index} both cover IDs ${rangeText(b.lo, end)}; Linux uses entry ${first.index}`,
            loc: where(ctx, n, name),
          });
        });
      }
  },
});

export const dtMapRidRange = check<DtCtx>({
  name: 'dt-map-rid-range',
  code: 'IOT5206',
  level: 'warning',
  target: 'dt',
  title: 'a PCI host bridge map entry reaches beyond RID 0xffff',
  explain:
    'On a PCI host bridge the input of iommu-map / msi-map is a 16-bit requester ID; an entry whose ' +
    'rid-base + length exceeds 0x10000 covers IDs no device can produce, which usually means a ' +
    'length written as an end address or a segment offset added on the wrong side.',
  source: 'pci-iommu.yaml (RID = bus << 8 | devfn); fdt.md §7.3',
  prereqs: ['dt-map-length'],
  run(ctx, report) {
    for (const { node: n } of hostBridges(ctx.tree.root))
      for (const name of MAPS)
        for (const e of mapEntries(n, name) ?? [])
          if (e.ridBase + e.length > 0x10000)
            report({ message: `${n.path}: ${name} entry ${e.index} covers ${rangeText(e.ridBase, e.ridBase + e.length)}, beyond RID 0xffff`, loc: where(ctx, n, name) });
  },
});

/** bus-range of a host bridge; Linux defaults to 0..255 when absent. Null when malformed. */
function busRange(n: FdtNode): [number, number] | null {
  if (!getProp(n, 'bus-range')) return [0, 255];
  const c = propCells(n, 'bus-range');
  if (!c || c.length !== 2 || c[0]! > c[1]! || c[1]! > 255) return null;
  return [c[0]!, c[1]!];
}

export const dtBusRange = check<DtCtx>({
  name: 'dt-bus-range',
  code: 'IOT5212',
  level: 'warning',
  target: 'dt',
  title: 'a PCI host bridge bus-range is malformed',
  explain:
    'bus-range is two cells, first <= last <= 0xff (dtc pci_bridge check, pci-bus-common.yaml). ' +
    'Linux falls back to buses 0..255 when it cannot parse it, and the ECAM mapping (1 MiB per ' +
    'bus from reg) then no longer matches the window.',
  source: 'dtc checks.c pci_bridge; dt-schema pci-bus-common.yaml; Linux of_pci_parse_bus_range(); fdt.md §2.2, §3.6',
  prereqs: [],
  run(ctx, report) {
    for (const { node: n } of hostBridges(ctx.tree.root))
      if (!busRange(n)) report({ message: `${n.path}: bus-range is not two cells first <= last <= 0xff`, loc: where(ctx, n, 'bus-range') });
  },
});

/**
 * Uncovered IDs of a bus range. With a full 16-bit mask these are RIDs; with a partial mask
 * (e.g. 0x1ff: one slot behind a root port) RIDs fold together, so the result is the set of
 * masked IDs that no entry covers, which is what the user must add entries for.
 */
function uncovered(es: MapEntry[], mask: number, lo: number, end: number): { masked: boolean; runs: { lo: bigint; end: bigint }[] } {
  const merged = union(es.filter((e) => e.length > 0).map((e) => ({ lo: BigInt(e.ridBase), end: BigInt(e.ridBase) + BigInt(e.length) })));
  if ((mask & 0xffff) === 0xffff) return { masked: false, runs: gaps(merged, BigInt(lo), BigInt(end)) };
  const seen = new Set<number>();
  for (let r = lo; r < end; r++) seen.add((r & mask) >>> 0);
  const missing = [...seen].filter((m) => !covered(merged, BigInt(m), BigInt(m) + 1n)).sort((a, b) => a - b);
  const runs: { lo: bigint; end: bigint }[] = [];
  for (const m of missing) {
    const last = runs[runs.length - 1];
    if (last && last.end === BigInt(m)) last.end++;
    else runs.push({ lo: BigInt(m), end: BigInt(m) + 1n });
  }
  return { masked: true, runs };
}

const MAX_RUNS_SHOWN = 4;

function coverageCheck(name: MapName, code: string, consequence: string) {
  return check<DtCtx>({
    name: name === 'iommu-map' ? 'dt-iommu-map-coverage' : 'dt-msi-map-coverage',
    code,
    level: 'warning',
    target: 'dt',
    title: `RIDs in a host bridge's bus-range match no ${name} entry`,
    explain:
      `For an enabled PCI host bridge with an ${name}, every RID of its bus-range (after ` +
      `${name}-mask) should match an entry. of_map_id() logs "no ${name} translation for id ` +
      `0x%x" and returns the RID untranslated: ${consequence}. One finding per bridge lists the ` +
      `uncovered RIDs (or masked IDs when a mask folds RIDs together). Disabled bridges are not ` +
      `checked.`,
    source: 'Linux of_map_id() no-match path, of_iommu.c; Xen keeps -EFAULT there; fdt.md §3.3, §7.3',
    prereqs: ['dt-map-length', 'dt-map-mask', 'dt-bus-range'],
    run(ctx, report) {
      for (const { node: n } of hostBridges(ctx.tree.root)) {
        if (!isAvailable(n)) continue;
        const es = mapEntries(n, name);
        const mask = mapMask(n, name);
        const br = busRange(n);
        if (!es || mask === null || !br) continue;
        const u = uncovered(es, mask, br[0] << 8, (br[1] + 1) << 8);
        if (u.runs.length === 0) continue;
        const total = u.runs.reduce((s, r) => s + Number(r.end - r.lo), 0);
        const shown = u.runs.slice(0, MAX_RUNS_SHOWN).map((r) => rangeText(r.lo, r.end)).join(', ');
        const more = u.runs.length > MAX_RUNS_SHOWN ? ` and ${u.runs.length - MAX_RUNS_SHOWN} more range(s)` : '';
        const what = u.masked ? `${total} masked ID(s) (RID & ${hex(mask)}): ${shown}${more}` : `${total} RID(s): ${shown}${more}`;
        report({
          message: `${n.path}: ${what} of bus-range ${hex(br[0])}..${hex(br[1])} match no ${name} entry: ${consequence}`,
          loc: where(ctx, n, name),
        });
      }
    },
  });
}

export const dtIommuMapCoverage = coverageCheck('iommu-map', 'IOT5204', 'Linux leaves these devices untranslated (not behind any IOMMU)');
export const dtMsiMapCoverage = coverageCheck('msi-map', 'IOT5205', 'their MSIs use the RID itself as DeviceID');

const smmus = (ctx: DtCtx) => ctx.nodes.filter((n) => isCompatible(n, SMMUV3));

export const dtIommuCells = check<DtCtx>({
  name: 'dt-iommu-cells',
  code: 'IOT5207',
  level: 'error',
  target: 'dt',
  title: '#iommu-cells of an SMMUv3 or iommu-map target is missing or not 1',
  explain:
    'The arm,smmu-v3 binding requires #iommu-cells = <1> (the StreamID); the driver refuses the ' +
    'node with "missing #iommu-cells property" / "invalid #iommu-cells value (%d)". iommu-map ' +
    'entries are 4 cells, i.e. a 1-cell specifier, so every iommu-map target must also have ' +
    '#iommu-cells = <1> until multi-cell map specifiers are merged.',
  source: 'Documentation/devicetree/bindings/iommu/arm,smmu-v3.yaml; Linux arm_smmu_device_dt_probe(), of_map_id(); fdt.md §3.1, §3.3',
  prereqs: ['dt-map-length'],
  run(ctx, report) {
    const seen = new Set<FdtNode>();
    const test = (t: FdtNode, why: string, locNode: FdtNode, prop?: string) => {
      if (seen.has(t)) return;
      seen.add(t);
      const v = getProp(t, '#iommu-cells') ? propU32Value(t, '#iommu-cells') : undefined;
      if (v === 1) return;
      report({
        message: `${t.path}: ${v === undefined ? 'no #iommu-cells' : `#iommu-cells is ${v ?? 'malformed'}`} (${why} needs <1>)`,
        loc: prop ? where(ctx, locNode, prop) : where(ctx, t, '#iommu-cells'),
      });
    };
    for (const n of smmus(ctx)) test(n, 'an arm,smmu-v3 node', n);
    for (const n of ctx.nodes)
      for (const e of mapEntries(n, 'iommu-map') ?? []) {
        const t = ctx.phandles.get(e.phandle);
        if (t) test(t, `the iommu-map target of ${n.path}`, t);
      }
  },
});

export const dtSmmuNodeName = check<DtCtx>({
  name: 'dt-smmu-node-name',
  code: 'IOT5208',
  level: 'warning',
  target: 'dt',
  title: 'an arm,smmu-v3 node is not named iommu@<address>',
  explain:
    'The arm,smmu-v3 binding requires the node name to match "^iommu@[0-9a-f]*", with the unit ' +
    'address equal to the first reg address in lowercase hex without leading zeros. dt-validate ' +
    'rejects other names; QEMU\'s "smmuv3@..." is the well-known offender.',
  source: 'arm,smmu-v3.yaml $nodename; DT spec 2.2.1 unit address; fdt.md §3.1, §5, §7.4-5',
  prereqs: [],
  run(ctx, report) {
    for (const n of smmus(ctx)) {
      if (n.name !== 'iommu') {
        report({ message: `${n.path}: an arm,smmu-v3 node must be named iommu@<address>, not ${n.unitName}`, loc: where(ctx, n) });
        continue;
      }
      const parent = ctx.parents.get(n);
      const reg = parent ? regOf(n, parent) : null;
      const want = reg && reg[0] ? reg[0].address.toString(16) : null;
      if (n.unitAddress === null || (want !== null && n.unitAddress !== want))
        report({ message: `${n.path}: unit address ${n.unitAddress ?? '(none)'} does not match the reg address ${want ?? '(none)'}`, loc: where(ctx, n) });
    }
  },
});

export const dtSmmuReg = check<DtCtx>({
  name: 'dt-smmu-reg',
  code: 'IOT5209',
  level: 'error',
  target: 'dt',
  title: 'an arm,smmu-v3 node\'s reg is missing or smaller than 128 KiB',
  explain:
    'An SMMUv3 has two 64 KiB register pages; the binding requires one reg entry and the driver ' +
    'maps SZ_128K from it (64 KiB only with cavium,cn9900-broken-page1-regspace). A smaller window ' +
    'makes devm_ioremap_resource fail ("MMIO region too small") and the SMMU does not probe.',
  source: 'arm,smmu-v3.yaml reg; Linux arm_smmu_resource_size(), arm_smmu_device_probe(); fdt.md §3.1, §7.4',
  prereqs: [],
  run(ctx, report) {
    for (const n of smmus(ctx)) {
      const parent = ctx.parents.get(n);
      const reg = parent ? regOf(n, parent) : null;
      const min = getProp(n, 'cavium,cn9900-broken-page1-regspace') ? 0x10000n : 0x20000n;
      if (!reg || reg.length === 0) report({ message: `${n.path}: no usable reg (missing, or not a multiple of the parent's address + size cells)`, loc: where(ctx, n, 'reg') });
      else if (reg[0]!.size < min) report({ message: `${n.path}: reg size ${hex(reg[0]!.size)} is smaller than ${hex(min)}`, loc: where(ctx, n, 'reg') });
      else if (reg.length > 1) report({ message: `${n.path}: reg has ${reg.length} entries; the binding allows one`, loc: where(ctx, n, 'reg') });
    }
  },
});

const IRQ_NAMES = new Set(['eventq', 'gerror', 'priq', 'cmdq-sync']);

export const dtSmmuInterruptNames = check<DtCtx>({
  name: 'dt-smmu-interrupt-names',
  code: 'IOT5210',
  level: 'warning',
  target: 'dt',
  title: 'an arm,smmu-v3 node\'s interrupt-names are missing or not from the binding\'s set',
  explain:
    'With wired interrupts, interrupt-names must be exactly "combined", or names from {eventq, ' +
    'gerror, priq, cmdq-sync} in any order without duplicates (since Linux v6.1). The driver looks ' +
    'interrupts up by name (combined, else eventq, priq, gerror), so a missing or misspelt name ' +
    'leaves that queue without an interrupt. An SMMU without wired interrupts (MSI-only) needs no ' +
    'names.',
  source: 'arm,smmu-v3.yaml interrupt-names (J-P Brucker 2022 "Relax order of interrupt names"); Linux arm_smmu_device_probe(); fdt.md §3.1, §7.4',
  prereqs: [],
  run(ctx, report) {
    for (const n of smmus(ctx)) {
      const hasIrq = getProp(n, 'interrupts') || getProp(n, 'interrupts-extended');
      const names = propStrings(n, 'interrupt-names');
      if (!getProp(n, 'interrupt-names')) {
        if (hasIrq) report({ message: `${n.path}: has interrupts but no interrupt-names`, loc: where(ctx, n, 'interrupts') });
        continue;
      }
      if (!names) {
        report({ message: `${n.path}: interrupt-names is not a string list`, loc: where(ctx, n, 'interrupt-names') });
        continue;
      }
      if (names.includes('combined')) {
        if (names.length !== 1) report({ message: `${n.path}: "combined" must be the only interrupt name, found ${names.join(', ')}`, loc: where(ctx, n, 'interrupt-names') });
        continue;
      }
      const bad = names.filter((x) => !IRQ_NAMES.has(x));
      const dup = names.filter((x, i) => names.indexOf(x) !== i);
      if (bad.length || dup.length)
        report({
          message: `${n.path}: interrupt-names ${bad.length ? `has unknown name(s) ${bad.map((x) => JSON.stringify(x)).join(', ')}` : ''}${bad.length && dup.length ? ' and ' : ''}${dup.length ? `repeats ${dup.map((x) => JSON.stringify(x)).join(', ')}` : ''}; allowed: eventq, gerror, priq, cmdq-sync or combined`,
          loc: where(ctx, n, 'interrupt-names'),
        });
    }
  },
});

export const dtIommuDisabled = check<DtCtx>({
  name: 'dt-iommu-disabled',
  code: 'IOT5211',
  level: 'warning',
  target: 'dt',
  title: 'an enabled device or host bridge points at a disabled IOMMU',
  explain:
    'of_iommu treats an IOMMU whose status is not "okay" as absent: a host bridge whose iommu-map ' +
    'targets it, or a device whose iommus names it, runs untranslated although the tree says ' +
    'otherwise (Qualcomm boards mark the PCIe SMMUv3 "reserved" because the hypervisor owns it; ' +
    'SoC .dtsi files often leave the SMMU disabled for boards to enable). Either enable the IOMMU ' +
    'or drop the reference. One finding per referencing node and IOMMU.',
  source: 'Linux of_iommu_xlate() / of_device_is_available(); fdt.md §3.3',
  prereqs: ['dt-map-length'],
  run(ctx, report) {
    for (const n of ctx.nodes) {
      if (!isAvailable(n)) continue;
      const reported = new Set<FdtNode>();
      const flag = (t: FdtNode | undefined, prop: string, what: string) => {
        if (!t || isAvailable(t) || reported.has(t)) return;
        reported.add(t);
        report({
          message: `${n.path}: ${what} ${t.path}, whose status is "${propStrings(t, 'status')?.[0] ?? '?'}": ${prop === 'iommu-map' ? 'these RIDs get' : 'the device gets'} no IOMMU`,
          loc: where(ctx, n, prop),
          related: [{ message: `${t.path}`, loc: where(ctx, t, 'status') }],
        });
      };
      for (const e of mapEntries(n, 'iommu-map') ?? []) flag(ctx.phandles.get(e.phandle), 'iommu-map', `iommu-map entry ${e.index} targets`);
      const cells = propCells(n, 'iommus');
      for (let i = 0; cells && i < cells.length; ) {
        const t = ctx.phandles.get(cells[i]!);
        if (!t) break;
        flag(t, 'iommus', 'iommus names');
        i += 1 + (propU32Value(t, '#iommu-cells') ?? 1);
      }
    }
  },
});

export const dtChecks: CheckDef<DtCtx>[] = [
  dtMapLength,
  dtPhandle,
  dtMapMask,
  dtMapOverlap,
  dtMapRidRange,
  dtBusRange,
  dtIommuMapCoverage,
  dtMsiMapCoverage,
  dtIommuCells,
  dtSmmuNodeName,
  dtSmmuReg,
  dtSmmuInterruptNames,
  dtIommuDisabled,
];
