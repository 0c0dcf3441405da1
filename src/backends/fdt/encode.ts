/**
 * IR -> device tree. One code path serves both modes: a standalone tree is a merge into a
 * skeleton (root cells, compatible, model, /chosen, /memory), and `--base-dtb` merges into a
 * decoded base blob (e.g. QEMU's dumpdtb). Nodes we own are matched in the base by what they
 * describe (compatible + reg base, ECAM window start), replaced or updated in place, and
 * created otherwise; every other node and property of the base is left as it was. Merging the
 * output again with the same IR gives the same bytes (every lookup finds what the first run
 * created).
 *
 * Policies (documented here because users see their effects):
 * - phandles: the base's are never renumbered. The GIC and ITS nodes of the base are reused
 *   (found by compatible "arm,gic-v3" / "arm,gic-v3-its" and reg base); an SMMU node that
 *   replaces a base node inherits its phandle (so other references in the base stay valid).
 *   New phandles count up from (highest phandle in the base) + 1 in this order: GIC, ITSes (IR
 *   order), SMMUs (IR order), reserved-memory regions (RMR order, then range order), PCI
 *   device nodes (IR device order). Standalone: GIC 1, ITSes 2.., SMMUs next, and so on.
 * - linux,pci-domain: Linux allocates static domains from an IDA and a duplicate fails the
 *   probe, so every host-bridge node gets a distinct one: a root complex its PCI segment
 *   number; pxb-pcie root buses the numbers after the highest one in use (root complexes and
 *   base host bridges we do not replace), in declaration order.
 * - ranges of expander bridges: Linux requests each host bridge's windows from the CPU
 *   address space and refuses overlaps, and refuses a bridge without a non-prefetchable
 *   memory window, so a pxb cannot share its root complex's windows. Each window of a root
 *   complex (I/O, 32-bit, 64-bit memory) is split into 1 + (number of its pxbs) equal parts,
 *   aligned to 1 MiB (memory) or 4 KiB (I/O): the root complex keeps the first, pxbs take the
 *   next ones in declaration order, the last part also takes the remainder. A root complex
 *   without pxbs keeps its windows whole (a base DTB's ranges are then left untouched unless
 *   the IR gives windows).
 * - SMMU interrupts: GIC SPI triplets <0 spi 1> (edge rising; extended SPIs <2 n 1>), names
 *   in the binding's fixed order eventq, gerror, priq, cmdq-sync (accepted by the strict old
 *   schema and by the relaxed one since Linux 6.1); unwired (GSIV 0) lines are left out;
 *   cmdq-sync without priq is left out (the fixed-order list cannot skip priq, and Linux never
 *   requests cmdq-sync). Combined: one line named "combined". MSI: msi-parent = <&its devid>.
 * - iommu-map / msi-map: 4-cell entries (rid-base, phandle, out-base, COUNT; the IORT stores
 *   count - 1) taken from the segment's ridMap clipped to the bridge's bus-range; msi-map of a
 *   range behind an SMMU composes the SMMU's StreamID -> DeviceID map (Linux reads MSI
 *   DeviceIDs from the host bridge directly). No masks.
 * - reserved memory: one node per distinct RMR range, `no-map` for Device-memory attributes
 *   (0..3), `iommu-addresses` = identity <&master pci-address size> for each declared
 *   consumer device; that device gets a node under its host bridge (under its root port
 *   node when it sits behind one, since Linux finds a PCI device's node through its parent
 *   bus's node) with `memory-region`.
 */
import { type Diagnostic, makeDiag, type Result, hasErrors } from '../../diag/diagnostic';
import type { Span } from '../../diag/span';
import type { IrDevice, IrHostBridge, IrMachine, IrPciWindow, IrSmmu } from '../../ir/types';
import { writeDtb } from './blob';
import { FDT_CODES as C } from './codes';
import { decodeDtb } from './decode';
import {
  addChild,
  addressCells,
  cellsToBigint,
  cloneTree,
  deleteProp,
  type FdtNode,
  type FdtProp,
  type FdtTree,
  findByCompatible,
  getProp,
  hostBridges,
  maxPhandle,
  mkNode,
  mkProp,
  mkTree,
  phandleOf,
  propBool,
  propCells,
  propStr,
  propU32,
  propU32Value,
  regOf,
  setProp,
  sizeCells,
  val,
  walk,
} from './model';

export interface BuildOptions {
  /** A DTB to merge into (e.g. QEMU's `dumpdtb`); omitted: a standalone tree. */
  baseDtb?: Uint8Array;
  /** Name of the base file, for diagnostics. */
  baseFile?: string;
}

export const MIB = 1n << 20n;
const PHANDLE_MAX = 0xfffffffe;

const hex = (v: bigint | number) => v.toString(16);

type Where = { span?: Span };
const at = (span?: Span): Where => (span ? { span } : {});

class Ctx {
  readonly diags: Diagnostic[] = [];
  private next: number;
  gicNode!: FdtNode;
  gicPh = 0;
  readonly itsPh = new Map<string, number>();
  readonly itsBase = new Map<string, bigint>();
  readonly smmuPh = new Map<string, number>();
  readonly bridgeNode = new Map<string, FdtNode>();
  constructor(
    readonly ir: IrMachine,
    readonly tree: FdtTree,
  ) {
    this.next = maxPhandle(tree.root) + 1;
  }
  get root(): FdtNode {
    return this.tree.root;
  }
  /** Without a more precise span, a finding points at the machine block (never nowhere). */
  error(info: { code: string; severity: 'error' | 'warning' | 'note' }, msg: string, span?: Span, help?: string): void {
    this.diags.push(makeDiag(info, msg, at(span ?? this.ir.span), help ? { help } : {}));
  }
  alloc(): number {
    if (this.next > PHANDLE_MAX) {
      this.error(C.phandlesExhausted, 'no phandle value left below 0xfffffffe');
      return PHANDLE_MAX;
    }
    return this.next++;
  }
  ensurePhandle(n: FdtNode): number {
    const ph = phandleOf(n);
    if (ph !== null) return ph;
    const v = this.alloc();
    n.props.push(propU32('phandle', v));
    return v;
  }
  /** `reg`-style cells for (address, size) pairs in a parent's #address-cells/#size-cells. */
  regCells(parent: FdtNode, pairs: [bigint, bigint][], span?: Span): number[] {
    const na = addressCells(parent);
    const ns = sizeCells(parent);
    if (!cellCountsOk(na, ns)) {
      this.error(C.addressTooWide, badCellsMessage(parent, na, ns), span);
      return [];
    }
    const out: number[] = [];
    for (const [a, s] of pairs) {
      if (a >= 1n << BigInt(32 * na) || s >= 1n << BigInt(32 * ns)) {
        this.error(C.addressTooWide, `0x${hex(a)} (size 0x${hex(s)}) does not fit ${na} address / ${ns} size cell(s) of ${parent.path}`, span);
      }
      out.push(...val.cellsOf(a, na), ...val.cellsOf(s, ns));
    }
    return out;
  }
}

/**
 * Cell counts a base DTB may give the nodes we add children to. Linux reads 1..4 address cells
 * and at least one size cell (OF_MAX_ADDR_CELLS, OF_CHECK_COUNTS); larger counts from a hostile
 * blob would size our cell arrays (2^32 cells).
 */
const cellCountsOk = (na: number, ns: number) => na >= 1 && na <= 4 && ns >= 1 && ns <= 4;
const badCellsMessage = (parent: FdtNode, na: number, ns: number) =>
  `${parent.path} has #address-cells ${na} and #size-cells ${ns}; a node iotopo adds children to needs 1..4 of each (Linux OF_MAX_ADDR_CELLS)`;

/** First `reg` address of a node (with its parent's cells), or null. */
function regBase(node: FdtNode, parent: FdtNode): bigint | null {
  const r = regOf(node, parent);
  return r && r.length > 0 ? r[0]!.address : null;
}

function parentOf(root: FdtNode, target: FdtNode): FdtNode | null {
  let found: FdtNode | null = null;
  walk(root, (n, p) => {
    if (n === target) found = p;
  });
  return found;
}

/** Nodes with a compatible, each with its parent. */
function byCompatible(root: FdtNode, compatible: string): { node: FdtNode; parent: FdtNode }[] {
  return findByCompatible(root, compatible)
    .map((node) => ({ node, parent: parentOf(root, node) }))
    .filter((x): x is { node: FdtNode; parent: FdtNode } => x.parent !== null);
}

// ---------------------------------------------------------------------------- skeleton

function skeleton(ir: IrMachine): FdtTree {
  const root = mkNode('', [
    propU32('#address-cells', 2),
    propU32('#size-cells', 2),
    propStr('compatible', ir.profile === 'qemu-virt' ? 'linux,dummy-virt' : 'iotopo,machine'),
    propStr('model', ir.name),
  ]);
  addChild(root, mkNode('chosen'));
  for (const r of ir.platform) {
    if (!/^(ram|memory|dram|mem)$/i.test(r.name)) continue;
    addChild(root, mkNode(`memory@${hex(r.base)}`, [propStr('device_type', 'memory'), propU32('reg', ...val.cellsOf(r.base, 2), ...val.cellsOf(r.size, 2))]));
  }
  return mkTree(root);
}

// ---------------------------------------------------------------------------- GIC / ITS

function placeGic(ctx: Ctx): void {
  const { ir } = ctx;
  const found = byCompatible(ctx.root, 'arm,gic-v3')[0];
  if (found) {
    ctx.gicNode = found.node;
    ctx.gicPh = ctx.ensurePhandle(found.node);
  } else {
    const g = ir.gic;
    const n = mkNode(`interrupt-controller@${hex(g.distBase)}`, [
      propStr('compatible', 'arm,gic-v3'),
      propU32('#interrupt-cells', 3),
      propBool('interrupt-controller'),
      propU32('#address-cells', 2),
      propU32('#size-cells', 2),
      propBool('ranges'),
    ]);
    n.props.push(mkProp('reg', val.u32(...ctx.regCells(ctx.root, [[g.distBase, g.distSize], [g.redistBase, g.redistSize]]))));
    addChild(ctx.root, n);
    ctx.gicNode = n;
    ctx.gicPh = ctx.alloc();
    n.props.push(propU32('phandle', ctx.gicPh));
  }
  const existing = byCompatible(ctx.root, 'arm,gic-v3-its');
  for (const its of ir.its) {
    ctx.itsBase.set(its.id, its.base);
    const hit = existing.find((e) => regBase(e.node, e.parent) === its.base);
    if (hit) {
      ctx.itsPh.set(its.id, ctx.ensurePhandle(hit.node));
      continue;
    }
    const n = mkNode(`msi-controller@${hex(its.base)}`, [
      propStr('compatible', 'arm,gic-v3-its'),
      propBool('msi-controller'),
      propU32('#msi-cells', 1),
      mkProp('reg', val.u32(...ctx.regCells(ctx.gicNode, [[its.base, its.size]], its.span))),
    ]);
    addChild(ctx.gicNode, n);
    const ph = ctx.alloc();
    n.props.push(propU32('phandle', ph));
    ctx.itsPh.set(its.id, ph);
  }
}

// ---------------------------------------------------------------------------- SMMU

export const SMMU_IRQ_ORDER = ['eventq', 'gerror', 'priq', 'cmdq-sync'] as const;

/** GSIV -> GIC interrupt specifier (type, number, flags = 1 edge rising), or null. */
export function gsivSpec(gsiv: number): [number, number, number] | null {
  if (gsiv >= 32 && gsiv <= 1019) return [0, gsiv - 32, 1];
  if (gsiv >= 4096 && gsiv <= 5119) return [2, gsiv - 4096, 1];
  return null;
}

function smmuIrqProps(ctx: Ctx, s: IrSmmu): FdtProp[] {
  const irqs = s.irqs;
  const lines: { name: string; gsiv: number }[] = [];
  if (irqs.kind === 'msi') {
    const ph = irqs.msiIts ? ctx.itsPh.get(irqs.msiIts) : undefined;
    if (ph === undefined) {
      ctx.error(C.smmuMsi, `SMMU '${s.id}' signals its interrupts by MSI but names no known ITS`, s.span);
      return [];
    }
    return [propU32('msi-parent', ph, irqs.msiDeviceId ?? 0)];
  }
  if (irqs.kind === 'combined') {
    const g = [irqs.event, irqs.gerror, irqs.pri, irqs.sync].find((x) => x !== 0);
    if (g !== undefined) lines.push({ name: 'combined', gsiv: g });
  } else {
    const gsivs: Record<(typeof SMMU_IRQ_ORDER)[number], number> = { eventq: irqs.event, gerror: irqs.gerror, priq: irqs.pri, 'cmdq-sync': irqs.sync };
    for (const name of SMMU_IRQ_ORDER) if (gsivs[name] !== 0) lines.push({ name, gsiv: gsivs[name] });
    if (irqs.sync !== 0 && irqs.pri === 0) {
      lines.splice(lines.findIndex((l) => l.name === 'cmdq-sync'), 1);
      ctx.error(
        C.irqNameDropped,
        `SMMU '${s.id}': cmdq-sync interrupt (GSIV ${irqs.sync}) left out of the DT because priq is not wired`,
        s.span,
        'the arm,smmu-v3 binding lists interrupt-names in the fixed order eventq, gerror, priq, cmdq-sync; Linux never requests cmdq-sync',
      );
    }
    if (irqs.event === 0 || irqs.gerror === 0) {
      ctx.error(
        C.irqNamesIncomplete,
        `SMMU '${s.id}' has no ${irqs.event === 0 ? 'eventq' : 'gerror'} interrupt: the fixed-order arm,smmu-v3 binding needs at least eventq and gerror`,
        s.span,
      );
    }
  }
  if (lines.length === 0) return [];
  const cells: number[] = [];
  for (const l of lines) {
    const spec = gsivSpec(l.gsiv);
    if (!spec) {
      ctx.error(C.irqNotSpi, `SMMU '${s.id}' ${l.name} interrupt GSIV ${l.gsiv} is not an SPI (32..1019) or extended SPI (4096..5119)`, s.span);
      return [];
    }
    cells.push(...spec);
  }
  return [propU32('interrupts', ...cells), propStr('interrupt-names', ...lines.map((l) => l.name))];
}

/** The interrupt parent a node at `parent` inherits (walking up to the root). */
function inheritedIrqParent(root: FdtNode, parent: FdtNode): number | null {
  let p: FdtNode | null = parent;
  while (p) {
    const v = propU32Value(p, 'interrupt-parent');
    if (v !== null) return v;
    p = p === root ? null : parentOf(root, p);
  }
  return null;
}

function placeSmmus(ctx: Ctx): void {
  const existing = byCompatible(ctx.root, 'arm,smmu-v3');
  for (const s of ctx.ir.smmus) {
    const hit = existing.find((e) => regBase(e.node, e.parent) === s.base);
    const parent = hit ? hit.parent : ctx.root;
    const ph = hit ? (phandleOf(hit.node) ?? ctx.alloc()) : ctx.alloc();
    ctx.smmuPh.set(s.id, ph);
    const props: FdtProp[] = [propStr('compatible', 'arm,smmu-v3'), mkProp('reg', val.u32(...ctx.regCells(parent, [[s.base, s.size]], s.span)))];
    const irq = smmuIrqProps(ctx, s);
    if (irq.some((p) => p.name === 'interrupts') && inheritedIrqParent(ctx.root, parent) !== ctx.gicPh) {
      props.push(propU32('interrupt-parent', ctx.gicPh));
    }
    props.push(...irq);
    if (s.coherent) props.push(propBool('dma-coherent'));
    props.push(propU32('#iommu-cells', 1), propU32('phandle', ph));
    const node = mkNode(`iommu@${hex(s.base)}`, props);
    if (hit) {
      const i = parent.children.indexOf(hit.node);
      parent.children.splice(i, 1);
      addChild(parent, node, i);
    } else addChild(ctx.root, node);
  }
}

// ---------------------------------------------------------------------------- PCIe

interface Win {
  hi: number;
  pci: bigint;
  cpu: bigint;
  size: bigint;
}

const SPACE_HI: Record<IrPciWindow['kind'], number> = { io: 0x01000000, mem32: 0x02000000, mem64: 0x03000000 };
const KIND_ORDER: Record<IrPciWindow['kind'], number> = { io: 0, mem32: 1, mem64: 2 };

function windowsFromIr(ir: IrMachine, rcId: string): Win[] {
  return ir.pciWindows
    .map((w, i) => ({ w, i }))
    .filter((x) => x.w.bridge === rcId)
    .sort((a, b) => KIND_ORDER[a.w.kind] - KIND_ORDER[b.w.kind] || a.i - b.i)
    .map(({ w }) => ({ hi: SPACE_HI[w.kind], pci: w.pciBase, cpu: w.cpuBase, size: w.size }));
}

function windowsFromRanges(node: FdtNode, parent: FdtNode): Win[] {
  const cells = propCells(node, 'ranges');
  if (!cells || cells.length === 0) return [];
  const pna = addressCells(parent);
  const step = 3 + pna + 2;
  if (cells.length % step !== 0) return [];
  const out: Win[] = [];
  for (let i = 0; i < cells.length; i += step) {
    out.push({ hi: cells[i]!, pci: cellsToBigint(cells, i + 1, 2), cpu: cellsToBigint(cells, i + 3, pna), size: cellsToBigint(cells, i + 3 + pna, 2) });
  }
  return out;
}

/** Splits each window into n aligned parts (part 0 for the root complex). */
export function carveWindows(wins: Win[], n: number): { parts: Win[][]; tooSmall: Win[] } {
  const parts: Win[][] = Array.from({ length: n }, () => []);
  const tooSmall: Win[] = [];
  for (const w of wins) {
    if (n === 1) {
      parts[0]!.push(w);
      continue;
    }
    const align = (w.hi & 0x03000000) === 0x01000000 ? 0x1000n : MIB;
    const share = (w.size / BigInt(n) / align) * align;
    if (share === 0n) {
      parts[0]!.push(w);
      tooSmall.push(w);
      continue;
    }
    for (let i = 0; i < n; i++) {
      const off = share * BigInt(i);
      const size = i === n - 1 ? w.size - off : share;
      parts[i]!.push({ hi: w.hi, pci: w.pci + off, cpu: w.cpu + off, size });
    }
  }
  return { parts, tooSmall };
}

function rangesValue(ctx: Ctx, parent: FdtNode, wins: Win[]): Uint8Array {
  const pna = addressCells(parent);
  if (!cellCountsOk(pna, 1)) {
    ctx.error(C.addressTooWide, badCellsMessage(parent, pna, sizeCells(parent)));
    return val.empty();
  }
  const cells: number[] = [];
  for (const w of wins) {
    if (w.cpu >= 1n << BigInt(32 * pna)) ctx.error(C.addressTooWide, `PCI window CPU address 0x${hex(w.cpu)} does not fit ${pna} cell(s) of ${parent.path}`);
    cells.push(w.hi, ...val.cellsOf(w.pci, 2), ...val.cellsOf(w.cpu, pna), ...val.cellsOf(w.size, 2));
  }
  return val.u32(...cells);
}

/** ECAM slice of a bridge: [ecamBase + busStart MiB, (busEnd - busStart + 1) MiB). */
export function ecamSlice(ir: IrMachine, b: IrHostBridge): { base: bigint; size: bigint } | null {
  let ecam = b.ecamBase;
  if (b.kind === 'pxb' || ecam === null) {
    const rc =
      ir.bridges.find((x) => x.id === b.parent && x.kind === 'rc' && x.ecamBase !== null) ??
      ir.bridges.find((x) => x.kind === 'rc' && x.segment === b.segment && x.ecamBase !== null);
    ecam = b.kind === 'pxb' ? (rc?.ecamBase ?? null) : ecam;
  }
  if (ecam === null) return null;
  return { base: ecam + BigInt(b.busStart) * MIB, size: BigInt(b.busEnd - b.busStart + 1) * MIB };
}

export interface MapEntry {
  ridBase: number;
  phandle: number;
  outBase: number;
  count: number;
}

/** iommu-map and msi-map entries of one bridge (see the policy at the top). */
export function bridgeMaps(ctx: { ir: IrMachine; smmuPh: Map<string, number>; itsPh: Map<string, number> }, b: IrHostBridge): { iommu: MapEntry[]; msi: MapEntry[] } {
  const iommu: MapEntry[] = [];
  const msi: MapEntry[] = [];
  const seg = ctx.ir.segments.find((s) => s.segment === b.segment);
  if (!seg) return { iommu, msi };
  const lo = b.busStart << 8;
  const hi = (b.busEnd + 1) << 8;
  for (const r of seg.ridMap) {
    const s = Math.max(r.base, lo);
    const e = Math.min(r.base + r.count, hi);
    if (s >= e) continue;
    const off = s - r.base;
    const t = r.target;
    if (t.kind === 'smmu') {
      const ph = ctx.smmuPh.get(t.smmu);
      if (ph === undefined) continue;
      iommu.push({ ridBase: s, phandle: ph, outBase: t.streamBase + off, count: e - s });
      if (b.msiParent === null) continue;
      const smmu = ctx.ir.smmus.find((x) => x.id === t.smmu);
      const sLo = t.streamBase + off;
      const sHi = sLo + (e - s);
      for (const m of [...(smmu?.msiMap ?? [])].sort((a, c) => a.base - c.base)) {
        const ms = Math.max(m.base, sLo);
        const me = Math.min(m.base + m.count, sHi);
        const itsPh = ctx.itsPh.get(m.its);
        if (ms >= me || itsPh === undefined) continue;
        msi.push({ ridBase: s + (ms - sLo), phandle: itsPh, outBase: m.outBase + (ms - m.base), count: me - ms });
      }
    } else if (t.kind === 'its') {
      const ph = ctx.itsPh.get(t.its);
      if (ph === undefined || b.msiParent === null) continue;
      msi.push({ ridBase: s, phandle: ph, outBase: t.deviceBase + off, count: e - s });
    }
  }
  msi.sort((a, c) => a.ridBase - c.ridBase);
  return { iommu, msi };
}

const mapValue = (es: MapEntry[]) => val.u32(...es.flatMap((e) => [e.ridBase, e.phandle, e.outBase, e.count]));

function placeBridges(ctx: Ctx, baseBridgePaths: Set<string>): void {
  const { ir } = ctx;
  const slices = new Map<string, { base: bigint; size: bigint }>();
  for (const b of ir.bridges) {
    const sl = ecamSlice(ir, b);
    if (!sl) {
      ctx.error(C.badBridge, `host bridge '${b.id}' has no ECAM window (${b.kind === 'pxb' ? 'its parent root complex has none' : 'ecamBase is not set'})`, b.span);
      continue;
    }
    slices.set(b.id, sl);
  }
  // Match base host bridges by ECAM window start.
  const bases = hostBridges(ctx.root).map((h) => ({ ...h, start: regBase(h.node, h.parent) }));
  const matched = new Map<string, { node: FdtNode; parent: FdtNode }>();
  for (const b of ir.bridges) {
    const sl = slices.get(b.id);
    const hit = sl ? bases.find((h) => h.start === sl.base) : undefined;
    if (hit) matched.set(b.id, hit);
  }
  const matchedNodes = new Set([...matched.values()].map((m) => m.node));

  // linux,pci-domain
  const used = new Set<number>(ir.bridges.filter((b) => b.kind === 'rc').map((b) => b.segment));
  for (const h of bases) {
    if (matchedNodes.has(h.node) || !baseBridgePaths.has(h.node.path)) continue;
    const d = propU32Value(h.node, 'linux,pci-domain');
    if (d !== null) used.add(d);
  }
  const domain = new Map<string, number>();
  // Running maximum: Math.max(...used) per pxb is quadratic at thousands of expanders.
  let maxUsed = used.size ? Math.max(...used) : -1;
  for (const b of ir.bridges) {
    if (b.kind === 'rc') domain.set(b.id, b.segment);
    else {
      const d = maxUsed + 1;
      maxUsed = d;
      used.add(d);
      domain.set(b.id, d);
    }
  }

  // Windows: IR windows of each root complex, or the base node's ranges.
  const winParts = new Map<string, Win[] | null>();
  for (const rc of ir.bridges.filter((b) => b.kind === 'rc')) {
    const pxbs = ir.bridges.filter((b) => b.kind === 'pxb' && b.parent === rc.id);
    let wins = windowsFromIr(ir, rc.id);
    const fromIr = wins.length > 0;
    const m = matched.get(rc.id);
    if (!fromIr && m) wins = windowsFromRanges(m.node, m.parent);
    if (wins.length === 0) {
      winParts.set(rc.id, null);
      for (const p of pxbs) winParts.set(p.id, null);
      continue;
    }
    const { parts, tooSmall } = carveWindows(wins, 1 + pxbs.length);
    for (const w of tooSmall) {
      ctx.error(C.windowTooSmall, `PCI window 0x${hex(w.cpu)}+0x${hex(w.size)} of '${rc.id}' is too small to share with its ${pxbs.length} expander bridge(s); the root complex keeps it`, rc.span);
    }
    // A root complex without pxbs and without IR windows keeps the base ranges as they are.
    winParts.set(rc.id, pxbs.length === 0 && !fromIr ? null : parts[0]!);
    pxbs.forEach((p, i) => winParts.set(p.id, parts[i + 1]!));
  }

  const bridgeById = new Map(ir.bridges.map((b) => [b.id, b] as const));
  /** Reverse of ctx.bridgeNode (node -> bridge ids), for the insertion scan below. */
  const idsOfNode = new Map<FdtNode, string[]>();
  for (const b of ir.bridges) {
    const sl = slices.get(b.id);
    if (!sl) continue;
    const m = matched.get(b.id);
    const parent = m ? m.parent : ctx.root;
    const node = m ? m.node : mkNode(`pcie@${hex(sl.base)}`, [propStr('compatible', 'pci-host-ecam-generic'), propStr('device_type', 'pci'), propU32('#address-cells', 3), propU32('#size-cells', 2)]);
    setProp(node, mkProp('reg', val.u32(...ctx.regCells(parent, [[sl.base, sl.size]], b.span))));
    setProp(node, propU32('bus-range', b.busStart, b.busEnd));
    setProp(node, propU32('linux,pci-domain', domain.get(b.id)!));
    const wins = winParts.get(b.id);
    if (wins) setProp(node, mkProp('ranges', rangesValue(ctx, parent, wins)));
    else if (!getProp(node, 'ranges')) {
      ctx.error(C.noPciWindows, `host bridge '${b.id}' has no PCI address windows: its node gets no ranges (Linux will not probe it)`, b.span, 'declare the PCI MMIO windows of the root complex');
    }
    setProp(node, propBool('dma-coherent'));
    if (b.ats) setProp(node, propBool('ats-supported'));
    else deleteProp(node, 'ats-supported');
    if (b.numa !== null) setProp(node, propU32('numa-node-id', b.numa));
    const { iommu, msi } = bridgeMaps(ctx, b);
    // Our maps are unmasked: a mask left over from the base would change their meaning.
    deleteProp(node, 'iommu-map-mask');
    deleteProp(node, 'msi-map-mask');
    if (iommu.length) setProp(node, mkProp('iommu-map', mapValue(iommu)));
    else deleteProp(node, 'iommu-map');
    if (msi.length) setProp(node, mkProp('msi-map', mapValue(msi)));
    else deleteProp(node, 'msi-map');
    if (!m) {
      // pxb nodes go right after their root complex's node (and earlier pxbs).
      const anchorId = b.kind === 'pxb' ? b.parent : null;
      const anchor = anchorId ? ctx.bridgeNode.get(anchorId) : undefined;
      let idx = ctx.root.children.length;
      const at = anchor ? ctx.root.children.indexOf(anchor) : -1;
      if (at >= 0) {
        idx = at + 1;
        const isSibling = (n: FdtNode | undefined) => !!n && (idsOfNode.get(n) ?? []).some((id) => bridgeById.get(id)?.parent === anchorId);
        while (idx < ctx.root.children.length && isSibling(ctx.root.children[idx])) idx++;
      }
      addChild(ctx.root, node, idx);
    }
    const prevNode = ctx.bridgeNode.get(b.id);
    if (prevNode) idsOfNode.set(prevNode, (idsOfNode.get(prevNode) ?? []).filter((id) => id !== b.id));
    ctx.bridgeNode.set(b.id, node);
    idsOfNode.set(node, [...(idsOfNode.get(node) ?? []), b.id]);
  }
}

// ---------------------------------------------------------------------------- RMR

interface Region {
  base: bigint;
  size: bigint;
  noMap: boolean;
  devices: string[];
  span?: Span;
  node?: FdtNode;
  ph?: number;
}

const pciUnit = (devfn: number) => ((devfn & 7) === 0 ? hex(devfn >> 3) : `${hex(devfn >> 3)},${hex(devfn & 7)}`);
const pciHi = (bus: number, devfn: number) => ((bus & 0xff) << 16) | ((devfn & 0xff) << 8);

/** Child of a PCI bus node whose config-space reg names bus/devfn, or null. */
function pciChild(parent: FdtNode, bus: number, devfn: number): FdtNode | null {
  return parent.children.find((c) => {
    const r = propCells(c, 'reg');
    return r !== null && r.length >= 5 && (r[0]! & 0x00ffff00) === pciHi(bus, devfn);
  }) ?? null;
}

function placeRmrs(ctx: Ctx): void {
  const { ir } = ctx;
  if (ir.rmrs.length === 0) return;
  const regions: Region[] = [];
  // Indexes instead of scans: thousands of RMR ranges made the scans quadratic.
  const regionAt = new Map<string, Region>();
  for (const rmr of ir.rmrs) {
    for (const r of rmr.ranges) {
      let reg = regionAt.get(`${r.base}/${r.size}`);
      if (!reg) {
        reg = { base: r.base, size: r.size, noMap: false, devices: [], ...(rmr.span ? { span: rmr.span } : {}) };
        regions.push(reg);
        regionAt.set(`${r.base}/${r.size}`, reg);
      }
      if (rmr.attributes < 4) reg.noMap = true;
      for (const d of rmr.devices) if (!reg.devices.includes(d)) reg.devices.push(d);
    }
  }
  let rm = ctx.root.children.find((c) => c.unitName === 'reserved-memory');
  if (!rm) {
    rm = mkNode('reserved-memory', [propU32('#address-cells', 2), propU32('#size-cells', 2), propBool('ranges')]);
    addChild(ctx.root, rm);
  }
  const usedNames = new Set(rm.children.map((c) => c.unitName));
  /** First `rmr*` child of reserved-memory at each base, in child order (nodes are only appended). */
  const rmrNodeAt = new Map<bigint, FdtNode>();
  const indexRmrNode = (c: FdtNode) => {
    if (!c.name.startsWith('rmr')) return;
    const b = regBase(c, rm!);
    if (b !== null && !rmrNodeAt.has(b)) rmrNodeAt.set(b, c);
  };
  for (const c of rm.children) indexRmrNode(c);
  for (const reg of regions) {
    const existing = rmrNodeAt.get(reg.base);
    let node = existing;
    if (!node) {
      let name = `rmr@${hex(reg.base)}`;
      for (let i = 1; usedNames.has(name); i++) name = `rmr-${i}@${hex(reg.base)}`;
      usedNames.add(name);
      node = mkNode(name);
      addChild(rm, node);
    }
    setProp(node, mkProp('reg', val.u32(...ctx.regCells(rm, [[reg.base, reg.size]], reg.span))));
    if (!existing) indexRmrNode(node);
    if (reg.noMap) setProp(node, propBool('no-map'));
    reg.node = node;
    reg.ph = ctx.ensurePhandle(node);
  }
  // PCI master nodes, in IR device order.
  const consumers = new Set(regions.flatMap((r) => r.devices));
  const needed = ir.devices.filter((d) => consumers.has(d.id));
  const declared = new Set(ir.devices.map((d) => d.id));
  for (const id of consumers) {
    if (!declared.has(id)) ctx.error(C.unknownRef, `RMR consumer '${id}' is not a declared device`);
  }
  const devNode = new Map<string, FdtNode>();
  for (const d of needed) {
    const n = deviceNode(ctx, d);
    if (!n) continue;
    devNode.set(d.id, n);
    ctx.ensurePhandle(n);
  }
  for (const reg of regions) {
    const entries: number[] = [];
    for (const id of reg.devices) {
      const n = devNode.get(id);
      const ph = n ? phandleOf(n) : null;
      if (ph === null) continue;
      // Identity IOVA (IOMMU_RESV_DIRECT in Linux) in the master's PCI address format.
      const hi = reg.base + reg.size > 0x100000000n ? 0x03000000 : 0x02000000;
      entries.push(ph, hi, ...val.cellsOf(reg.base, 2), ...val.cellsOf(reg.size, 2));
    }
    if (entries.length && reg.node) setProp(reg.node, mkProp('iommu-addresses', val.u32(...entries)));
  }
  const phsOf = new Map<string, number[]>();
  for (const r of regions) {
    if (r.ph === undefined) continue;
    for (const id of r.devices) {
      const l = phsOf.get(id);
      if (l) l.push(r.ph);
      else phsOf.set(id, [r.ph]);
    }
  }
  for (const d of needed) {
    const n = devNode.get(d.id);
    if (!n) continue;
    const phs = phsOf.get(d.id) ?? [];
    setProp(n, propU32('memory-region', ...phs));
    phandleLast(n);
  }
  for (const reg of regions) if (reg.node) phandleLast(reg.node);
}

/** dtc appends `phandle` after a node's other properties; keep that shape for nodes we fill. */
function phandleLast(n: FdtNode): void {
  const ph = getProp(n, 'phandle');
  if (ph && n.props[n.props.length - 1] !== ph) {
    deleteProp(n, 'phandle');
    n.props.push(ph);
  }
}

function deviceNode(ctx: Ctx, d: IrDevice): FdtNode | null {
  const bridge = ctx.bridgeNode.get(d.bridge);
  if (!bridge) {
    ctx.error(C.rmrDevice, `device '${d.id}' sits on host bridge '${d.bridge}', which has no DT node`, d.span);
    return null;
  }
  let parent = bridge;
  if (d.port !== null) {
    const port = ctx.ir.rootPorts.find((p) => p.id === d.port);
    if (!port) {
      ctx.error(C.unknownRef, `device '${d.id}' names an unknown root port '${d.port}'`, d.span);
      return null;
    }
    let pn = pciChild(bridge, port.bus, port.devfn);
    if (!pn) {
      pn = mkNode(`pcie@${pciUnit(port.devfn)}`, [
        propU32('reg', pciHi(port.bus, port.devfn), 0, 0, 0, 0),
        propStr('device_type', 'pci'),
        propU32('#address-cells', 3),
        propU32('#size-cells', 2),
        propBool('ranges'),
        propU32('bus-range', port.secondary, port.subordinate),
      ]);
      addChild(bridge, pn);
    }
    parent = pn;
  }
  let n = pciChild(parent, d.bus, d.devfn);
  if (!n) {
    n = mkNode(`device@${pciUnit(d.devfn)}`, [propU32('reg', pciHi(d.bus, d.devfn), 0, 0, 0, 0)]);
    addChild(parent, n);
  }
  return n;
}

// ---------------------------------------------------------------------------- entry points

export function buildFdtTree(ir: IrMachine, opts: BuildOptions = {}): Result<FdtTree> {
  let tree: FdtTree;
  const baseBridgePaths = new Set<string>();
  const pre: Diagnostic[] = [];
  if (opts.baseDtb) {
    const file = opts.baseFile ?? '<base dtb>';
    const r = decodeDtb(opts.baseDtb, file);
    if (!r.value || hasErrors(r.diagnostics)) {
      return {
        value: null,
        diagnostics: [makeDiag(C.baseDtbInvalid, `base DTB ${file} cannot be read`, { loc: { file, byteOffset: r.diagnostics.find((d) => d.severity === 'error')?.loc?.byteOffset ?? 0 } }), ...r.diagnostics],
      };
    }
    pre.push(...r.diagnostics);
    tree = cloneTree(r.value);
    tree.header = null;
    for (const h of hostBridges(tree.root)) baseBridgePaths.add(h.node.path);
  } else {
    tree = skeleton(ir);
  }
  const ctx = new Ctx(ir, tree);
  ctx.diags.push(...pre);
  for (const s of ir.smmus) {
    if (s.irqs.kind === 'msi' && s.irqs.msiIts && !ir.its.some((i) => i.id === s.irqs.msiIts)) {
      ctx.error(C.unknownRef, `SMMU '${s.id}' names an unknown ITS '${s.irqs.msiIts}'`, s.span);
    }
  }
  placeGic(ctx);
  if (!opts.baseDtb) {
    // The root's interrupt parent is the GIC; dtc places it with the other root properties.
    ctx.root.props.push(propU32('interrupt-parent', ctx.gicPh));
  }
  placeSmmus(ctx);
  placeBridges(ctx, baseBridgePaths);
  placeRmrs(ctx);
  return { value: hasErrors(ctx.diags) ? null : tree, diagnostics: ctx.diags };
}

export function buildFdt(ir: IrMachine, opts: BuildOptions = {}): Result<Uint8Array> {
  const r = buildFdtTree(ir, opts);
  if (!r.value) return { value: null, diagnostics: r.diagnostics };
  return { value: writeDtb(r.value), diagnostics: r.diagnostics };
}

