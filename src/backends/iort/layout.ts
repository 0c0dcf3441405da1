/**
 * Encoder phase 1: IrMachine -> IortTable model with every size, offset and reference decided.
 * emit.ts then only writes bytes. See docs/iort-layout.md for the full rules; in short:
 *
 * Node revisions (the ones QEMU, EDK2 and Linux agree on; never table rev 1, 2, 4, never RMR
 * node rev 2):
 *   table rev | ITS group | SMMUv3 | RC (qemu-virt) | RC (custom)       | RMR
 *   3 (E.b)   | 1         | 4      | 3, 36 bytes    | 3, 36 bytes       | error: RMR needs rev >= 5
 *   5 (E.d)   | 1         | 4      | 3, 36 bytes    | 4, 40 bytes (EDK2) | 3
 *   6 (E.e)   | 1         | 5      | 3, 36 bytes    | 4, 40 bytes (EDK2) | 3
 *
 * Order and identifiers:
 * - qemu-virt follows QEMU build_iort() (hw/arm/virt-acpi-build.c) so that the table is byte
 *   identical to QEMU's: ITS groups, SMMUv3 nodes sorted by the base of their first RID range,
 *   one RC node per segment (QEMU only has segment 0), RMR nodes in SMMU order.
 *   RC ID array = every RC->SMMU range (SMMU order, each host bridge's range its own entry), then
 *   when an ITS exists the complement of the SMMU ranges over [0, 0x10000) as identity maps to
 *   the ITS (so bypassed bridges and unowned RIDs merge into maximal runs, exactly like QEMU's
 *   create_rc_its_idmaps). Each SMMU maps 0..0xFFFF identity to the ITS when one exists, else it
 *   has no mappings and an ID-array reference of 0. SMMU flags = COHACC, PXM 0, index 0; RC:
 *   CCA 1, AH 0, MAF 0x03, memory limit 64, ATS iff an SMMU has ATS; the RC ID-array reference is
 *   36 even with no mappings. RMR: flags from the IR, ID mappings (flag Single, QEMU style) first,
 *   descriptors after them.
 * - custom: ITS groups, RC nodes (by segment), SMMUv3 nodes (declaration order), RMR nodes
 *   (declaration order). RC ID arrays come from the segment's ridMap sorted by input base (none
 *   ranges get no entry); SMMU ID arrays from msiMap; all SMMU/RC fields from the IR.
 * - Identifiers are a running counter in emission order (unique, as EDK2 requires from rev 5).
 * - SMMUs whose interrupts are MSIs get one extra Single mapping (last) to their ITS with the
 *   SMMU's own DeviceID; the DeviceID mapping index points at it and, for node rev 5, flag bit 4
 *   is set. Linux's rule for node rev 4 (the index is live unless all four GSIVs are wired)
 *   makes a rev-4 SMMU with a zero GSIV and ordinary mappings unrepresentable: error IOT3007.
 */
import { type Diagnostic, makeDiag, type Result } from '../../diag/diagnostic';
import type { Span } from '../../diag/span';
import type { IrIts, IrMachine, IrRidRange, IrSmmu } from '../../ir/types';
import { IortCodes as C } from './codes';
import {
  ID_MAPPING_SINGLE,
  IORT_HEADER_SIZE,
  IORT_ID_MAPPING_SIZE,
  IORT_RMR_DESCRIPTOR_SIZE,
  type IortIdMapping,
  type IortNode,
  type IortRmrDescriptor,
  type IortTable,
  NodeType,
  RMR_ACCESS_ATTR_SHIFT,
  RMR_FLAG_ACCESS_PRIVILEGED,
  RMR_FLAG_REMAP_PERMITTED,
  SMMUV3_FLAG_COHACC,
  SMMUV3_FLAG_DEVICEID_VALID,
  SMMUV3_FLAG_HTTU_SHIFT,
  SMMUV3_FLAG_PXM_VALID,
  smmuV3DeviceIdIndex,
} from './model';

export const SUPPORTED_REVISIONS = [3, 5, 6] as const;

const ITS_NODE_SIZE = 20; // + 4 per identifier
const SMMUV3_NODE_SIZE = 68;
const RC_NODE_SIZE_REV3 = 36;
const RC_NODE_SIZE_REV4 = 40;
const RMR_NODE_SIZE = 28;
const RID_SPACE = 0x10000;
const MAX_NODE_LENGTH = 0xffff;

/** Node revisions per table revision and profile (see the table above). */
export function nodeRevisions(tableRev: number, profile: IrMachine['profile']) {
  return {
    its: 1,
    smmuV3: tableRev >= 6 ? 5 : 4,
    rc: profile === 'qemu-virt' || tableRev < 5 ? 3 : 4,
    rmr: 3,
  };
}

type TargetKey = `its:${string}` | `smmu:${string}`;

interface MapPlan {
  inputBase: number;
  idCount: number;
  outputBase: number;
  flags: number;
  target: TargetKey;
}

type Plan =
  | { kind: 'its-group'; key: TargetKey; its: IrIts }
  | { kind: 'smmu-v3'; key: TargetKey; smmu: IrSmmu; maps: MapPlan[]; msiIndex: number | null }
  | { kind: 'root-complex'; segment: number; maps: MapPlan[]; ats: boolean; memLimit: number }
  | { kind: 'rmr'; flags: number; maps: MapPlan[]; descriptors: { base: bigint; length: bigint }[] };

class Ctx {
  readonly diags: Diagnostic[] = [];
  /** Where a finding about the whole table or a segment points: the machine block. */
  constructor(readonly fallback?: Span) {}
  err(info: { code: string; severity: 'error' | 'warning' | 'note' }, msg: string, span?: Span, help?: string) {
    const at = span ?? this.fallback;
    this.diags.push(makeDiag(info, msg, at ? { span: at } : {}, help ? { help } : {}));
  }
}

const hex = (n: number) => '0x' + n.toString(16);

function checkRange(ctx: Ctx, what: string, base: number, count: number, outBase: number, span?: Span): boolean {
  const ok =
    Number.isInteger(base) &&
    Number.isInteger(count) &&
    Number.isInteger(outBase) &&
    base >= 0 &&
    outBase >= 0 &&
    count >= 1 &&
    base + count - 1 <= 0xffffffff &&
    outBase + count - 1 <= 0xffffffff;
  if (!ok) ctx.err(C.badRange, `${what}: range base ${hex(base)} count ${count} -> ${hex(outBase)} cannot be encoded (count must be >= 1 and every ID must fit in 32 bits)`, span);
  return ok;
}

/** First RID range (segment, base) an SMMU receives: QEMU sorts its SMMUs by it. */
function smmuSortKey(ir: IrMachine, smmu: IrSmmu): [number, number] {
  let best: [number, number] = [Infinity, Infinity];
  for (const seg of ir.segments)
    for (const r of seg.ridMap)
      if (r.target.kind === 'smmu' && r.target.smmu === smmu.id) {
        const k: [number, number] = [seg.segment, r.base];
        if (k[0] < best[0] || (k[0] === best[0] && k[1] < best[1])) best = k;
      }
  return best;
}

/** Merges consecutive ranges of one bridge with the same target (a front end may split them). */
function mergeOwned(ranges: IrRidRange[]): IrRidRange[] {
  const out: IrRidRange[] = [];
  for (const r of ranges) {
    const prev = out[out.length - 1];
    if (prev && prev.owner !== null && prev.owner === r.owner && prev.base + prev.count === r.base && sameTarget(prev, r)) {
      out[out.length - 1] = { ...prev, count: prev.count + r.count };
    } else out.push(r);
  }
  return out;
}

function sameTarget(a: IrRidRange, b: IrRidRange): boolean {
  const x = a.target;
  const y = b.target;
  if (x.kind === 'smmu' && y.kind === 'smmu') return x.smmu === y.smmu && x.streamBase + a.count === y.streamBase;
  if (x.kind === 'its' && y.kind === 'its') return x.its === y.its && x.deviceBase + a.count === y.deviceBase;
  return x.kind === y.kind;
}

function rcMapsQemu(ctx: Ctx, ir: IrMachine, seg: IrMachine['segments'][number], smmuOrder: IrSmmu[]): MapPlan[] {
  const toSmmu = mergeOwned([...seg.ridMap].sort((a, b) => a.base - b.base)).filter((r) => r.target.kind === 'smmu');
  const maps: MapPlan[] = [];
  for (const s of smmuOrder)
    for (const r of toSmmu) {
      if (r.target.kind !== 'smmu' || r.target.smmu !== s.id) continue;
      if (!checkRange(ctx, `segment ${seg.segment} RIDs`, r.base, r.count, r.target.streamBase)) continue;
      maps.push({ inputBase: r.base, idCount: r.count - 1, outputBase: r.target.streamBase, flags: 0, target: `smmu:${s.id}` });
    }
  const its = ir.its[0];
  if (!its) return maps;
  for (const r of seg.ridMap)
    if (r.target.kind === 'its' && (r.target.deviceBase !== r.base || r.target.its !== its.id))
      ctx.err(C.qemuIgnored, `qemu-virt: RIDs ${hex(r.base)}..${hex(r.base + r.count - 1)} go to ITS '${r.target.its}' at DeviceID ${hex(r.target.deviceBase)}, but QEMU maps every non-SMMU RID identically to its single ITS '${its.id}'`);
  // QEMU's create_rc_its_idmaps: the complement of the SMMU ranges, walked in input order.
  let next = 0;
  for (const r of [...toSmmu].sort((a, b) => a.base - b.base)) {
    if (next < r.base) maps.push({ inputBase: next, idCount: r.base - next - 1, outputBase: next, flags: 0, target: `its:${its.id}` });
    next = Math.max(next, r.base + r.count);
  }
  if (next < RID_SPACE) maps.push({ inputBase: next, idCount: RID_SPACE - next - 1, outputBase: next, flags: 0, target: `its:${its.id}` });
  return maps;
}

function rcMapsCustom(ctx: Ctx, seg: IrMachine['segments'][number]): MapPlan[] {
  const maps: MapPlan[] = [];
  for (const r of [...seg.ridMap].sort((a, b) => a.base - b.base)) {
    const t = r.target;
    if (t.kind === 'none') continue;
    const out = t.kind === 'smmu' ? t.streamBase : t.deviceBase;
    if (!checkRange(ctx, `segment ${seg.segment} RIDs`, r.base, r.count, out)) continue;
    maps.push({ inputBase: r.base, idCount: r.count - 1, outputBase: out, flags: 0, target: t.kind === 'smmu' ? `smmu:${t.smmu}` : `its:${t.its}` });
  }
  return maps;
}

function segmentAttrs(ctx: Ctx, ir: IrMachine, segment: number): { ats: boolean; memLimit: number } {
  if (ir.profile === 'qemu-virt') {
    for (const b of ir.bridges)
      if (b.segment === segment && b.memLimit !== 64)
        ctx.err(C.qemuIgnored, `qemu-virt: host bridge '${b.id}' asks for a ${b.memLimit}-bit memory address limit; QEMU always writes 64`, b.span);
    return { ats: ir.smmus.some((s) => s.ats), memLimit: 64 };
  }
  const bridges = ir.bridges.filter((b) => b.segment === segment);
  const atsAll = bridges.length > 0 && bridges.every((b) => b.ats);
  if (!atsAll && bridges.some((b) => b.ats))
    ctx.err(C.atsMixed, `segment ${segment}: only some host bridges support ATS (${bridges.filter((b) => b.ats).map((b) => b.id).join(', ')}); one RC node describes the whole segment, so ATS is not advertised`, bridges.find((b) => b.ats)?.span);
  const limits = [...new Set(bridges.map((b) => b.memLimit))];
  if (limits.length > 1)
    ctx.err(C.memLimitMixed, `segment ${segment}: host bridges give memory address limits ${limits.join(', ')} bits; the RC node uses ${Math.min(...limits)}`);
  return { ats: atsAll, memLimit: limits.length ? Math.min(...limits) : 64 };
}

function smmuPlan(ctx: Ctx, ir: IrMachine, smmu: IrSmmu, tableRev: number): Plan {
  const qemu = ir.profile === 'qemu-virt';
  const maps: MapPlan[] = [];
  if (qemu) {
    const asks = [
      !smmu.coherent ? 'a non-coherent SMMU' : '',
      smmu.httu !== 0 ? `HTTU override ${smmu.httu}` : '',
      smmu.numa !== null ? `proximity domain ${smmu.numa}` : '',
    ].filter(Boolean);
    if (asks.length)
      ctx.err(C.qemuIgnored, `qemu-virt: SMMU '${smmu.id}' asks for ${asks.join(', ')}; QEMU's IORT SMMUv3 node always says COHACC only, no proximity domain`, smmu.span);
    const its = ir.its[0];
    if (its) maps.push({ inputBase: 0, idCount: RID_SPACE - 1, outputBase: 0, flags: 0, target: `its:${its.id}` });
  } else {
    for (const m of smmu.msiMap) {
      if (!ir.its.some((i) => i.id === m.its)) {
        ctx.err(C.danglingIrRef, `SMMU '${smmu.id}' sends StreamIDs to ITS '${m.its}', which does not exist`, smmu.span);
        continue;
      }
      if (!checkRange(ctx, `SMMU '${smmu.id}' StreamIDs`, m.base, m.count, m.outBase, smmu.span)) continue;
      maps.push({ inputBase: m.base, idCount: m.count - 1, outputBase: m.outBase, flags: 0, target: `its:${m.its}` });
    }
  }
  let msiIndex: number | null = null;
  if (smmu.irqs.kind === 'msi') {
    const its = smmu.irqs.msiIts;
    if (its === undefined || smmu.irqs.msiDeviceId === undefined) {
      ctx.err(C.msiNoIts, `SMMU '${smmu.id}' signals its interrupts as MSIs but names no ITS and DeviceID`, smmu.span);
    } else if (!ir.its.some((i) => i.id === its)) {
      ctx.err(C.danglingIrRef, `SMMU '${smmu.id}' sends its own MSIs to ITS '${its}', which does not exist`, smmu.span);
    } else {
      msiIndex = maps.length;
      maps.push({ inputBase: 0, idCount: 0, outputBase: smmu.irqs.msiDeviceId, flags: ID_MAPPING_SINGLE, target: `its:${its}` });
    }
  }
  const rev = nodeRevisions(tableRev, ir.profile).smmuV3;
  const { event, pri, gerror, sync } = smmu.irqs;
  if (rev < 5 && msiIndex === null && maps.length > 0 && !(event && pri && gerror && sync))
    ctx.err(
      C.deviceIdIndexHazard,
      `SMMU '${smmu.id}': with IORT revision ${tableRev} (SMMUv3 node rev ${rev}) and a GSIV of 0, Linux takes the DeviceID mapping index (0) as live and skips ID mapping 0 (${hex(maps[0]!.inputBase)}..${hex(maps[0]!.inputBase + maps[0]!.idCount)}) when translating`,
      smmu.span,
      'wire all four interrupts, or use IORT revision 6 (SMMUv3 node rev 5 has the DeviceID-valid flag)',
    );
  if (rev < 5 && msiIndex !== null && event && pri && gerror && sync)
    ctx.err(
      C.deviceIdIndexHazard,
      `SMMU '${smmu.id}': with all four GSIVs wired, Linux ignores the DeviceID mapping index of a node rev ${rev}, so the SMMU's own MSIs would find no ITS and its Single mapping would be an FW_BUG`,
      smmu.span,
      'set the GSIVs of an MSI-signalled SMMU to 0, or use IORT revision 6',
    );
  return { kind: 'smmu-v3', key: `smmu:${smmu.id}`, smmu, maps, msiIndex };
}

function rmrPlans(ctx: Ctx, ir: IrMachine, smmuOrder: IrSmmu[]): Plan[] {
  const qemu = ir.profile === 'qemu-virt';
  const rank = new Map(smmuOrder.map((s, i) => [s.id, i]));
  const rmrs = qemu ? [...ir.rmrs].sort((a, b) => (rank.get(a.smmu) ?? Infinity) - (rank.get(b.smmu) ?? Infinity)) : ir.rmrs;
  const out: Plan[] = [];
  for (const rmr of rmrs) {
    if (!rank.has(rmr.smmu)) {
      ctx.err(C.danglingIrRef, `RMR '${rmr.id}' names SMMU '${rmr.smmu}', which does not exist`, rmr.span);
      continue;
    }
    if (rmr.streams.length === 0) ctx.err(C.rmrNoStreams, `RMR '${rmr.id}' covers no StreamIDs (Linux skips an RMR node without ID mappings)`, rmr.span);
    if (rmr.ranges.length === 0) ctx.err(C.rmrNoDescriptor, `RMR '${rmr.id}' has no memory range`, rmr.span);
    const maps: MapPlan[] = [];
    for (const s of rmr.streams) {
      if (!checkRange(ctx, `RMR '${rmr.id}' StreamIDs`, s.base, s.count, s.base, rmr.span)) continue;
      // Linux reads output_base..output_base+id_count whatever the flag; QEMU sets Single with a range.
      const flags = qemu || s.count === 1 ? ID_MAPPING_SINGLE : 0;
      maps.push({ inputBase: s.base, idCount: s.count - 1, outputBase: s.base, flags, target: `smmu:${rmr.smmu}` });
    }
    const flags =
      (rmr.remappable ? RMR_FLAG_REMAP_PERMITTED : 0) | (rmr.privileged ? RMR_FLAG_ACCESS_PRIVILEGED : 0) | ((rmr.attributes & 0xff) << RMR_ACCESS_ATTR_SHIFT);
    out.push({ kind: 'rmr', flags, maps, descriptors: rmr.ranges.map((r) => ({ base: r.base, length: r.size })) });
  }
  return out;
}

function checkOem(ctx: Ctx, ir: IrMachine) {
  const o = ir.iort;
  const fields: [string, string, number][] = [
    ['OEM ID', o.oemId, 6],
    ['OEM table ID', o.oemTableId, 8],
    ['creator ID', o.creatorId, 4],
  ];
  for (const [name, v, n] of fields)
    if (v.length !== n || !/^[\x20-\x7e]*$/.test(v))
      ctx.err(C.badOemField, `${name} ${JSON.stringify(v)} must be exactly ${n} printable ASCII characters`, ir.span);
  for (const [name, v] of [
    ['OEM revision', o.oemRevision],
    ['creator revision', o.creatorRevision],
  ] as const)
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) ctx.err(C.badOemField, `${name} ${v} does not fit in 32 bits`, ir.span);
}

function plans(ctx: Ctx, ir: IrMachine): Plan[] {
  const tableRev = ir.iort.revision;
  const qemu = ir.profile === 'qemu-virt';
  const keyed = (s: IrSmmu, i: number) => ({ s, i, k: smmuSortKey(ir, s) });
  const smmuOrder = qemu
    ? ir.smmus
        .map(keyed)
        .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
        .map((x) => x.s)
    : ir.smmus;
  for (const seg of ir.segments)
    for (const r of seg.ridMap) {
      const t = r.target;
      if (t.kind === 'smmu' && !ir.smmus.some((s) => s.id === t.smmu))
        ctx.err(C.danglingIrRef, `segment ${seg.segment}: RIDs ${hex(r.base)}.. go to SMMU '${t.smmu}', which does not exist`);
      if (t.kind === 'its' && !ir.its.some((s) => s.id === t.its))
        ctx.err(C.danglingIrRef, `segment ${seg.segment}: RIDs ${hex(r.base)}.. go to ITS '${t.its}', which does not exist`);
    }
  const itsPlans: Plan[] = ir.its.map((its) => ({ kind: 'its-group', key: `its:${its.id}`, its }));
  const smmuPlans = smmuOrder.map((s) => smmuPlan(ctx, ir, s, tableRev));
  const segments = [...ir.segments].sort((a, b) => a.segment - b.segment);
  const rcPlans: Plan[] = segments.map((seg) => ({
    kind: 'root-complex',
    segment: seg.segment,
    maps: qemu ? rcMapsQemu(ctx, ir, seg, smmuOrder) : rcMapsCustom(ctx, seg),
    ...segmentAttrs(ctx, ir, seg.segment),
  }));
  const rmr = rmrPlans(ctx, ir, smmuOrder);
  return qemu ? [...itsPlans, ...smmuPlans, ...rcPlans, ...rmr] : [...itsPlans, ...rcPlans, ...smmuPlans, ...rmr];
}

function planSize(p: Plan, rcSize: number): number {
  switch (p.kind) {
    case 'its-group':
      return ITS_NODE_SIZE + 4;
    case 'smmu-v3':
      return SMMUV3_NODE_SIZE + IORT_ID_MAPPING_SIZE * p.maps.length;
    case 'root-complex':
      return rcSize + IORT_ID_MAPPING_SIZE * p.maps.length;
    case 'rmr':
      return RMR_NODE_SIZE + IORT_ID_MAPPING_SIZE * p.maps.length + IORT_RMR_DESCRIPTOR_SIZE * p.descriptors.length;
  }
}

/** Decides the whole table. The header checksum is left 0 (emit computes it). */
export function layoutIort(ir: IrMachine): Result<IortTable> {
  const ctx = new Ctx(ir.span);
  const tableRev = ir.iort.revision as number;
  if (!(SUPPORTED_REVISIONS as readonly number[]).includes(tableRev)) {
    ctx.err(C.badRevision, `IORT revision ${tableRev} is not supported: use 3 (E.b), 5 (E.d) or 6 (E.e); 1, 2 and 4 are refused by ACPICA and EDK2`, ir.span);
    return { value: null, diagnostics: ctx.diags };
  }
  if (tableRev < 5)
    for (const rmr of ir.rmrs)
      ctx.err(
        C.rmrNeedsRev5,
        `RMR '${rmr.id}' needs IORT revision 5 or later, but the table is revision ${tableRev}${ir.iort.revisionExplicit ? ' (set explicitly)' : ''}; Linux ignores every RMR node below revision 5`,
        rmr.span,
        'use revision 5 or 6',
      );
  checkOem(ctx, ir);
  const revs = nodeRevisions(tableRev, ir.profile);
  const rcSize = revs.rc >= 4 ? RC_NODE_SIZE_REV4 : RC_NODE_SIZE_REV3;
  const ps = plans(ctx, ir);

  // Phase 1: offsets.
  const offsets: number[] = [];
  const keyOffset = new Map<TargetKey, { offset: number; index: number }>();
  let at = IORT_HEADER_SIZE;
  ps.forEach((p, i) => {
    offsets.push(at);
    if (p.kind === 'its-group' || p.kind === 'smmu-v3') keyOffset.set(p.key, { offset: at, index: i });
    const size = planSize(p, rcSize);
    if (size > MAX_NODE_LENGTH) ctx.err(C.nodeTooLarge, `${p.kind} node #${i} would be ${size} bytes; a node length is 16 bits (at most ${MAX_NODE_LENGTH})`);
    at += size;
  });
  if (ctx.diags.some((d) => d.severity === 'error')) return { value: null, diagnostics: ctx.diags };

  // Phase 2: nodes with resolved references.
  const mapsOf = (p: { maps: MapPlan[] }, nodeOffset: number, rel: number): IortIdMapping[] =>
    p.maps.map((m, i) => {
      const t = keyOffset.get(m.target)!;
      return {
        offset: nodeOffset + rel + i * IORT_ID_MAPPING_SIZE,
        index: i,
        inputBase: m.inputBase,
        idCount: m.idCount,
        outputBase: m.outputBase,
        outputRef: t.offset,
        flags: m.flags,
        single: (m.flags & ID_MAPPING_SINGLE) !== 0,
        target: t.index,
      };
    });
  const nodes: IortNode[] = ps.map((p, index): IortNode => {
    const offset = offsets[index]!;
    const length = planSize(p, rcSize);
    const base = { index, offset, length, identifier: index };
    switch (p.kind) {
      case 'its-group':
        return {
          ...base,
          kind: 'its-group',
          type: NodeType.ItsGroup,
          revision: revs.its,
          mappingCount: 0,
          mappingOffset: 0,
          mappings: [],
          itsCount: 1,
          identifiers: [p.its.translationId],
        };
      case 'smmu-v3': {
        const s = p.smmu;
        const qemu = ir.profile === 'qemu-virt';
        const deviceIdValid = revs.smmuV3 >= 5 && p.msiIndex !== null ? SMMUV3_FLAG_DEVICEID_VALID : 0;
        const smmuFlags = qemu
          ? SMMUV3_FLAG_COHACC | deviceIdValid
          : (s.coherent ? SMMUV3_FLAG_COHACC : 0) |
            ((s.httu & 3) << SMMUV3_FLAG_HTTU_SHIFT) |
            (s.numa !== null ? SMMUV3_FLAG_PXM_VALID : 0) |
            deviceIdValid;
        const fields = {
          smmuFlags,
          eventGsiv: s.irqs.event,
          priGsiv: s.irqs.pri,
          gerrGsiv: s.irqs.gerror,
          syncGsiv: s.irqs.sync,
          deviceIdMappingIndex: p.msiIndex ?? 0,
        };
        const mappingCount = p.maps.length;
        return {
          ...base,
          kind: 'smmu-v3',
          type: NodeType.SmmuV3,
          revision: revs.smmuV3,
          mappingCount,
          mappingOffset: mappingCount ? SMMUV3_NODE_SIZE : 0,
          mappings: mapsOf(p, offset, SMMUV3_NODE_SIZE),
          base: s.base,
          ...fields,
          cohacc: (smmuFlags & SMMUV3_FLAG_COHACC) !== 0,
          httu: (smmuFlags >> SMMUV3_FLAG_HTTU_SHIFT) & 3,
          pxmValid: (smmuFlags & SMMUV3_FLAG_PXM_VALID) !== 0,
          deviceIdValid: (smmuFlags & SMMUV3_FLAG_DEVICEID_VALID) !== 0,
          reserved: 0,
          vatosAddress: 0n,
          model: 0,
          proximityDomain: !qemu && s.numa !== null ? s.numa : 0,
          effectiveDeviceIdIndex: smmuV3DeviceIdIndex({ ...fields, revision: revs.smmuV3, mappingCount }).index,
        };
      }
      case 'root-complex':
        return {
          ...base,
          kind: 'root-complex',
          type: NodeType.RootComplex,
          revision: revs.rc,
          mappingCount: p.maps.length,
          mappingOffset: rcSize,
          mappings: mapsOf(p, offset, rcSize),
          memoryAccess: { cca: 1, hints: 0, reserved: 0, flags: 0x03 },
          atsAttribute: p.ats ? 1 : 0,
          pciSegment: p.segment,
          memoryAddressLimit: p.memLimit,
          pasidCapabilities: revs.rc >= 4 ? 0 : null,
          reserved: 0,
          rcFlags: revs.rc >= 4 ? 0 : null,
        };
      case 'rmr': {
        const descriptorOffset = RMR_NODE_SIZE + IORT_ID_MAPPING_SIZE * p.maps.length;
        const descriptors: IortRmrDescriptor[] = p.descriptors.map((d, i) => ({
          offset: offset + descriptorOffset + i * IORT_RMR_DESCRIPTOR_SIZE,
          base: d.base,
          length: d.length,
          reserved: 0,
        }));
        return {
          ...base,
          kind: 'rmr',
          type: NodeType.Rmr,
          revision: revs.rmr,
          mappingCount: p.maps.length,
          mappingOffset: p.maps.length ? RMR_NODE_SIZE : 0,
          mappings: mapsOf(p, offset, RMR_NODE_SIZE),
          rmrFlags: p.flags,
          remapPermitted: (p.flags & RMR_FLAG_REMAP_PERMITTED) !== 0,
          accessPrivileged: (p.flags & RMR_FLAG_ACCESS_PRIVILEGED) !== 0,
          accessAttributes: (p.flags >>> RMR_ACCESS_ATTR_SHIFT) & 0xff,
          descriptorCount: descriptors.length,
          descriptorOffset,
          descriptors,
        };
      }
    }
  });
  const o = ir.iort;
  const table: IortTable = {
    header: {
      signature: 'IORT',
      length: at,
      revision: tableRev,
      checksum: 0,
      checksumValid: false,
      oemId: o.oemId,
      oemTableId: o.oemTableId,
      oemRevision: o.oemRevision,
      creatorId: o.creatorId,
      creatorRevision: o.creatorRevision,
      nodeCount: nodes.length,
      nodeOffset: IORT_HEADER_SIZE,
      reserved: 0,
    },
    nodes,
  };
  return { value: table, diagnostics: ctx.diags };
}
