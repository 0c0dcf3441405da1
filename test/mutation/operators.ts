/**
 * Mutation operators on emitted IORT and DTB bytes. Each operator lists every site where its
 * change is semantic: it alters what Linux concludes for at least one RID the machine can emit
 * (judged from the config alone, never from the prover), so a surviving mutant is a hole in
 * the proof, not an equivalent mutant. Sites where the change would be invisible (a StreamID no
 * RID reaches, a boundary Linux's off-by-one workaround absorbs) are skipped.
 */
import { getProp, type FdtNode, deleteProp, phandleOf, propCells } from '../../src/backends/fdt/model';
import type { IortIdMapping, IortNode, IortTable } from '../../src/backends/iort/model';
import { ID_MAPPING_SINGLE, SMMUV3_FLAG_DEVICEID_VALID } from '../../src/backends/iort/model';
import { byCompat, bridges, cells, editDtb, MAP, nodeAt, patch32, patch64, regBase, setCells, withoutNode } from './edit';
import { deviceIn, reachable, reachableRange, type Subject } from './subjects';

export interface Mutant {
  op: string;
  site: string;
  iort: Uint8Array;
  dtb: Uint8Array;
}

export interface Operator {
  name: string;
  doc: string;
  sites(s: Subject): Mutant[];
}

const hx = (n: number | bigint) => '0x' + n.toString(16);
const RID_LAST = 0xffff;

const kind = (t: IortTable, ref: number): IortNode | undefined => t.nodes.find((n) => n.offset === ref);
const isSmmu = (n: IortNode | undefined): n is Extract<IortNode, { kind: 'smmu-v3' }> => n?.kind === 'smmu-v3';
const rcs = (t: IortTable) => t.nodes.filter((n) => n.kind === 'root-complex');
const smmus = (t: IortTable) => t.nodes.filter((n): n is Extract<IortNode, { kind: 'smmu-v3' }> => n.kind === 'smmu-v3');
const rmrs = (t: IortTable) => t.nodes.filter((n): n is Extract<IortNode, { kind: 'rmr' }> => n.kind === 'rmr');
const its = (t: IortTable) => t.nodes.filter((n): n is Extract<IortNode, { kind: 'its-group' }> => n.kind === 'its-group');

/** Another (non-single) mapping of the node holds input `x`. */
const coveredElsewhere = (n: IortNode, m: IortIdMapping, x: number) =>
  n.mappings.some((o) => o !== m && !o.single && x >= o.inputBase && x <= o.inputBase + o.idCount);

const iortMutant = (s: Subject, op: string, site: string, iort: Uint8Array): Mutant => ({ op, site, iort, dtb: s.dtb });
const dtMutant = (s: Subject, op: string, site: string, dtb: Uint8Array): Mutant => ({ op, site, iort: s.iort, dtb });

/** SMMU base a mapping's output reference names, if it is an SMMUv3. */
const smmuOf = (t: IortTable, m: IortIdMapping): bigint | null => {
  const n = kind(t, m.outputRef);
  return isSmmu(n) ? n.base : null;
};

/** Does mapping `m` of node `n` carry IDs the machine emits? */
function live(s: Subject, n: IortNode, m: IortIdMapping, first = m.inputBase, last = m.inputBase + m.idCount): boolean {
  if (n.kind === 'root-complex') return first <= RID_LAST;
  if (n.kind === 'smmu-v3') return reachableRange(s.ir, n.base, first, last);
  if (n.kind === 'rmr') {
    const b = smmuOf(s.t, m);
    return b !== null && reachableRange(s.ir, b, m.outputBase + (first - m.inputBase), m.outputBase + (last - m.inputBase));
  }
  return false;
}

function mappingSites(t: IortTable, kinds: IortNode['kind'][]): { n: IortNode; m: IortIdMapping }[] {
  return t.nodes.filter((n) => kinds.includes(n.kind)).flatMap((n) => n.mappings.map((m) => ({ n, m })));
}

// ---------------------------------------------------------------- IORT operators

const countUp: Operator = {
  name: 'iort-id-count-up',
  doc: 'an ID mapping\'s Number of IDs one too high (the range swallows the next ID)',
  sites: (s) =>
    mappingSites(s.t, ['root-complex', 'smmu-v3', 'rmr'])
      .filter(({ n, m }) => {
        if (m.single && n.kind !== 'rmr') return false;
        const x = m.inputBase + m.idCount + 1;
        if (n.kind === 'root-complex') return x <= RID_LAST && !coveredElsewhere(n, m, x);
        if (n.kind === 'smmu-v3') return reachable(s.ir, n.base, x) && !coveredElsewhere(n, m, x);
        const b = smmuOf(s.t, m);
        const sid = m.outputBase + m.idCount + 1;
        return b !== null && reachable(s.ir, b, sid) && !rmrs(s.t).some((r) => r.mappings.some((o) => o !== m && smmuOf(s.t, o) === b && sid >= o.outputBase && sid <= o.outputBase + o.idCount));
      })
      .map(({ m }) => iortMutant(s, 'iort-id-count-up', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.idCount, m.idCount + 1]]))),
};

const countDown: Operator = {
  name: 'iort-id-count-down',
  doc: 'an ID mapping\'s Number of IDs one too low (the last ID of the range is lost)',
  sites: (s) =>
    mappingSites(s.t, ['root-complex', 'smmu-v3', 'rmr'])
      .filter(({ n, m }) => m.idCount >= 1 && (!m.single || n.kind === 'rmr') && live(s, n, m, m.inputBase + m.idCount, m.inputBase + m.idCount) && !coveredElsewhere(n, m, m.inputBase + m.idCount))
      .map(({ m }) => iortMutant(s, 'iort-id-count-down', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.idCount, m.idCount - 1]]))),
};

const outputRefOther: Operator = {
  name: 'iort-output-ref-other',
  doc: 'a root complex mapping points at another node (another SMMU, or the ITS instead of an SMMU)',
  sites: (s) =>
    mappingSites(s.t, ['root-complex']).flatMap(({ m }) => {
      const cur = kind(s.t, m.outputRef);
      const other = isSmmu(cur) ? (smmus(s.t).find((x) => x.base !== cur.base) ?? its(s.t)[0]) : smmus(s.t)[0];
      if (!other) return [];
      return [iortMutant(s, 'iort-output-ref-other', `map ${hx(m.offset)} -> ${hx(other.offset)}`, patch32(s.iort, [[m.offset + MAP.outputRef, other.offset]]))];
    }),
};

const swapSmmuBases: Operator = {
  name: 'iort-swap-smmu-bases',
  doc: 'two SMMUv3 nodes with their base addresses swapped',
  sites: (s) => {
    const live2 = smmus(s.t).filter((n) => reachableRange(s.ir, n.base, 0, 0xffffffff));
    const out: Mutant[] = [];
    for (let i = 0; i + 1 < live2.length; i++) {
      const a = live2[i]!;
      const b = live2[i + 1]!;
      if (a.base === b.base) continue;
      out.push(iortMutant(s, 'iort-swap-smmu-bases', `${hx(a.offset)} <-> ${hx(b.offset)}`, patch64(s.iort, [[a.offset + 16, b.base], [b.offset + 16, a.base]])));
    }
    return out;
  },
};

const smmuBaseChange: Operator = {
  name: 'iort-smmu-base-changed',
  doc: 'an SMMUv3 node\'s base address moved by 1 MiB',
  sites: (s) =>
    smmus(s.t)
      .filter((n) => reachableRange(s.ir, n.base, 0, 0xffffffff))
      .map((n) => iortMutant(s, 'iort-smmu-base-changed', hx(n.offset), patch64(s.iort, [[n.offset + 16, n.base + 0x100000n]]))),
};

const dropRmr: Operator = {
  name: 'iort-drop-rmr',
  doc: 'an RMR node left out of the table',
  sites: (s) =>
    rmrs(s.t)
      .filter((n) => n.mappings.some((m) => live(s, n, m)))
      .map((n) => iortMutant(s, 'iort-drop-rmr', hx(n.offset), withoutNode(s.t, n.index))),
};

const rmrShift64k: Operator = {
  name: 'iort-rmr-range-shift-64k',
  doc: 'an RMR memory range moved up by 64 KiB',
  sites: (s) =>
    rmrs(s.t)
      .filter((n) => n.mappings.some((m) => {
        const b = smmuOf(s.t, m);
        return b !== null && deviceIn(s.ir, b, m.outputBase, m.outputBase + m.idCount);
      }))
      .flatMap((n) => n.descriptors.map((d) => iortMutant(s, 'iort-rmr-range-shift-64k', `descriptor ${hx(d.offset)}`, patch64(s.iort, [[d.offset, d.base + 0x10000n]])))),
};

const rmrStreamShift: Operator = {
  name: 'iort-rmr-streams-shifted',
  doc: 'an RMR\'s StreamID range moved up by its own length',
  sites: (s) =>
    rmrs(s.t)
      .flatMap((n) => n.mappings.map((m) => ({ n, m })))
      .filter(({ n, m }) => live(s, n, m))
      .map(({ m }) => iortMutant(s, 'iort-rmr-streams-shifted', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.outputBase, m.outputBase + m.idCount + 1], [m.offset + MAP.inputBase, m.inputBase + m.idCount + 1]]))),
};

const rmrSmmuRef: Operator = {
  name: 'iort-rmr-other-smmu',
  doc: 'an RMR mapping points at another SMMU',
  sites: (s) =>
    rmrs(s.t)
      .flatMap((n) => n.mappings.map((m) => ({ n, m })))
      .filter(({ n, m }) => live(s, n, m))
      .flatMap(({ m }) => {
        const b = smmuOf(s.t, m);
        const other = smmus(s.t).find((x) => x.base !== b);
        return other ? [iortMutant(s, 'iort-rmr-other-smmu', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.outputRef, other.offset]]))] : [];
      }),
};

const overlap: Operator = {
  name: 'iort-overlapping-ranges',
  doc: 'a root complex range extended 16 IDs into the next range (first match wins in Linux)',
  sites: (s) =>
    rcs(s.t).flatMap((n) =>
      n.mappings.flatMap((a, i) =>
        n.mappings.flatMap((b, j) => {
          if (j <= i || a.single || b.single || a.inputBase + a.idCount + 1 !== b.inputBase) return [];
          const differs = a.outputRef !== b.outputRef || a.outputBase - a.inputBase !== b.outputBase - b.inputBase;
          if (!differs) return [];
          return [iortMutant(s, 'iort-overlapping-ranges', `map ${hx(a.offset)} into ${hx(b.offset)}`, patch32(s.iort, [[a.offset + MAP.idCount, a.idCount + 16]]))];
        }),
      ),
    ),
};

const inputShift: Operator = {
  name: 'iort-input-base-shifted',
  doc: 'a root complex mapping\'s input base moved up by one bus',
  sites: (s) =>
    mappingSites(s.t, ['root-complex'])
      .filter(({ m }) => !m.single && m.inputBase + 0x100 <= RID_LAST)
      .map(({ m }) => iortMutant(s, 'iort-input-base-shifted', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.inputBase, m.inputBase + 0x100]]))),
};

const outputShift: Operator = {
  name: 'iort-output-base-shifted',
  doc: 'a root complex mapping\'s output base (StreamID or DeviceID) off by one',
  sites: (s) => mappingSites(s.t, ['root-complex']).map(({ m }) => iortMutant(s, 'iort-output-base-shifted', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.outputBase, m.outputBase + 1]]))),
};

const singleFlag: Operator = {
  name: 'iort-single-flag-set',
  doc: 'the Single mapping flag set on a root complex range',
  sites: (s) =>
    mappingSites(s.t, ['root-complex'])
      .filter(({ m }) => !m.single && m.idCount >= 1)
      .map(({ m }) => iortMutant(s, 'iort-single-flag-set', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.flags, m.flags | ID_MAPPING_SINGLE]]))),
};

const deviceIdIndex: Operator = {
  name: 'iort-deviceid-index-changed',
  doc: 'an SMMUv3 node\'s DeviceID mapping index (made valid) pointing at a translation range, which Linux then skips',
  sites: (s) =>
    smmus(s.t)
      .filter((n) => n.revision >= 5 && n.length >= 68)
      .flatMap((n) =>
        n.mappings
          .filter((m) => n.effectiveDeviceIdIndex !== m.index && live(s, n, m))
          .map((m) =>
            iortMutant(s, 'iort-deviceid-index-changed', `${hx(n.offset)} index ${m.index}`, patch32(s.iort, [[n.offset + 24, n.smmuFlags | SMMUV3_FLAG_DEVICEID_VALID], [n.offset + 64, m.index]])),
          ),
      ),
};

const itsOutputShift: Operator = {
  name: 'iort-smmu-its-output-shifted',
  doc: 'an SMMU -> ITS mapping\'s output base (DeviceID) off by one',
  sites: (s) =>
    mappingSites(s.t, ['smmu-v3'])
      .filter(({ n, m }) => !m.single && live(s, n, m))
      .map(({ m }) => iortMutant(s, 'iort-smmu-its-output-shifted', `map ${hx(m.offset)}`, patch32(s.iort, [[m.offset + MAP.outputBase, m.outputBase + 1]]))),
};

const segmentChange: Operator = {
  name: 'iort-rc-segment-changed',
  doc: 'a root complex node names another PCI segment',
  sites: (s) => rcs(s.t).map((n) => iortMutant(s, 'iort-rc-segment-changed', hx(n.offset), patch32(s.iort, [[n.offset + 28, (n as { pciSegment: number }).pciSegment + 0x100]]))),
};

const itsIdChange: Operator = {
  name: 'iort-its-id-changed',
  doc: 'an ITS group names another GIC ITS translation ID',
  sites: (s) =>
    its(s.t)
      .filter((n) => n.identifiers.length > 0 && s.ir.its.some((i) => i.translationId === n.identifiers[0]))
      .map((n) => iortMutant(s, 'iort-its-id-changed', hx(n.offset), patch32(s.iort, [[n.offset + 20, n.identifiers[0]! + 0x10]]))),
};

const dropLastMap: Operator = {
  name: 'iort-rc-mapping-dropped',
  doc: 'a root complex node\'s mapping count one short (its last range is lost)',
  sites: (s) => rcs(s.t).filter((n) => n.mappingCount >= 2).map((n) => iortMutant(s, 'iort-rc-mapping-dropped', hx(n.offset), patch32(s.iort, [[n.offset + 8, n.mappingCount - 1]]))),
};

// ---------------------------------------------------------------- DT operators

interface MapEntry {
  bridge: FdtNode;
  prop: 'iommu-map' | 'msi-map';
  i: number;
  cs: number[];
}

function mapEntries(root: FdtNode, prop: MapEntry['prop']): MapEntry[] {
  return bridges(root).flatMap((b) => {
    const cs = cells(b, prop);
    const out: MapEntry[] = [];
    for (let i = 0; i + 4 <= cs.length; i += 4) out.push({ bridge: b, prop, i: i / 4, cs });
    return out;
  });
}

function dtEntryOp(name: string, doc: string, prop: MapEntry['prop'], change: (e: MapEntry, root: FdtNode) => number[] | null, keep: (e: MapEntry) => boolean = () => true): Operator {
  return {
    name,
    doc,
    sites: (s) =>
      mapEntries(s.tree.root, prop)
        .filter(keep)
        .flatMap((e) => {
          const next = change(e, s.tree.root);
          if (!next) return [];
          const dtb = editDtb(s.dtb, (root) => {
            const b = nodeAt(root, e.bridge.path);
            if (next.length) setCells(b, prop, next);
            else deleteProp(b, prop);
          });
          return [dtMutant(s, name, `${e.bridge.path}:${prop}[${e.i}]`, dtb)];
        }),
  };
}

const withCell = (e: MapEntry, k: number, v: number) => e.cs.map((c, j) => (j === e.i * 4 + k ? v >>> 0 : c));

const dtCountMinus1 = dtEntryOp('dt-iommu-map-length-count-1', 'an iommu-map length written as count - 1 (the IORT convention)', 'iommu-map', (e) => withCell(e, 3, e.cs[e.i * 4 + 3]! - 1), (e) => e.cs[e.i * 4 + 3]! >= 1);

const dtWrongPhandle = dtEntryOp('dt-iommu-map-wrong-phandle', 'an iommu-map entry names another node (another SMMU, or the ITS)', 'iommu-map', (e, root) => {
  const cur = e.cs[e.i * 4 + 1]!;
  const other = [...byCompat(root, 'arm,smmu-v3'), ...byCompat(root, 'arm,gic-v3-its')].map((n) => phandleOf(n)).find((p) => p !== null && p !== cur);
  return other === undefined || other === null ? null : withCell(e, 1, other);
});

const dtMsiPhandle = dtEntryOp('dt-msi-map-wrong-phandle', 'an msi-map entry names an SMMU instead of the ITS', 'msi-map', (e, root) => {
  const smmu = byCompat(root, 'arm,smmu-v3').map((n) => phandleOf(n)).find((p) => p !== null);
  return smmu === undefined || smmu === null ? null : withCell(e, 1, smmu);
});

const dtDropMsiEntry = dtEntryOp('dt-msi-map-entry-missing', 'one msi-map entry left out', 'msi-map', (e) => {
  if (getProp(e.bridge, 'msi-parent')) return null;
  return e.cs.filter((_, j) => Math.floor(j / 4) !== e.i);
});

const dtMsiOutShift = dtEntryOp('dt-msi-map-out-base-shifted', 'an msi-map entry\'s msi-base off by one', 'msi-map', (e) => withCell(e, 2, e.cs[e.i * 4 + 2]! + 1));

const dtIommuOutShift = dtEntryOp('dt-iommu-map-out-base-shifted', 'an iommu-map entry\'s iommu-base (StreamID) off by one', 'iommu-map', (e) => withCell(e, 2, e.cs[e.i * 4 + 2]! + 1));

const dtDropIommuEntry = dtEntryOp('dt-iommu-map-entry-missing', 'one iommu-map entry left out', 'iommu-map', (e) => e.cs.filter((_, j) => Math.floor(j / 4) !== e.i));

const dtBusRange: Operator = {
  name: 'dt-bus-range-shrunk',
  doc: 'a host bridge\'s bus-range one bus short',
  sites: (s) =>
    bridges(s.tree.root).flatMap((b) => {
      const br = cells(b, 'bus-range');
      if (br.length !== 2) return [];
      const next = br[1]! > br[0]! ? [br[0]!, br[1]! - 1] : [br[0]! + 1, br[1]!];
      return [dtMutant(s, 'dt-bus-range-shrunk', b.path, editDtb(s.dtb, (root) => setCells(nodeAt(root, b.path), 'bus-range', next)))];
    }),
};

const dtMask: Operator = {
  name: 'dt-iommu-map-mask-added',
  doc: 'an iommu-map-mask (0xfff8: function bits dropped) added to a host bridge',
  sites: (s) =>
    bridges(s.tree.root)
      .filter((b) => {
        const cs = cells(b, 'iommu-map');
        for (let i = 0; i + 4 <= cs.length; i += 4) if (cs[i + 3]! >= 2) return true;
        return false;
      })
      .map((b) => dtMutant(s, 'dt-iommu-map-mask-added', b.path, editDtb(s.dtb, (root) => setCells(nodeAt(root, b.path), 'iommu-map-mask', [0xfff8])))),
};

function regShift(name: string, doc: string, compat: string, used: (s: Subject, ph: number) => boolean): Operator {
  return {
    name,
    doc,
    sites: (s) =>
      byCompat(s.tree.root, compat)
        .filter((n) => {
          const ph = phandleOf(n);
          return ph !== null && used(s, ph) && regBase(s.tree.root, n) !== null;
        })
        .map((n) =>
          dtMutant(
            s,
            name,
            n.path,
            editDtb(s.dtb, (root) => {
              const m = nodeAt(root, n.path);
              const r = cells(m, 'reg');
              // Two address cells under the root and the GIC: bump the low cell by 1 MiB.
              r[1] = (r[1]! + 0x100000) >>> 0;
              setCells(m, 'reg', r);
            }),
          ),
        ),
  };
}

const usedBy = (prop: MapEntry['prop']) => (s: Subject, ph: number) => mapEntries(s.tree.root, prop).some((e) => e.cs[e.i * 4 + 1] === ph);
const dtSmmuReg = regShift('dt-smmu-reg-changed', 'an SMMU node\'s reg moved by 1 MiB', 'arm,smmu-v3', usedBy('iommu-map'));
const dtItsReg = regShift('dt-its-reg-changed', 'an ITS node\'s reg moved by 1 MiB', 'arm,gic-v3-its', usedBy('msi-map'));

const dtDropMemoryRegion: Operator = {
  name: 'dt-memory-region-dropped',
  doc: 'a PCI device node loses its memory-region (the DT side of an RMR)',
  sites: (s) => {
    const out: Mutant[] = [];
    for (const b of bridges(s.tree.root)) {
      const rec = (n: FdtNode) => {
        for (const c of n.children) {
          if (getProp(c, 'memory-region') && (propCells(c, 'reg')?.length ?? 0) >= 5)
            out.push(dtMutant(s, 'dt-memory-region-dropped', c.path, editDtb(s.dtb, (root) => void deleteProp(nodeAt(root, c.path), 'memory-region'))));
          rec(c);
        }
      };
      rec(b);
    }
    return out;
  },
};

export const OPERATORS: Operator[] = [
  countUp,
  countDown,
  outputRefOther,
  swapSmmuBases,
  smmuBaseChange,
  dropRmr,
  rmrShift64k,
  rmrStreamShift,
  rmrSmmuRef,
  overlap,
  inputShift,
  outputShift,
  singleFlag,
  deviceIdIndex,
  itsOutputShift,
  segmentChange,
  itsIdChange,
  dropLastMap,
  dtCountMinus1,
  dtWrongPhandle,
  dtMsiPhandle,
  dtDropMsiEntry,
  dtMsiOutShift,
  dtIommuOutShift,
  dtDropIommuEntry,
  dtBusRange,
  dtMask,
  dtSmmuReg,
  dtItsReg,
  dtDropMemoryRegion,
];
