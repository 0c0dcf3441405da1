/**
 * proveTables: the replay proof of a pair of emitted tables. It reads only the bytes (the IORT
 * and, when given, the DTB), lets the table interpreters decide where every RID of every
 * segment goes, compares them with each other and with the config when there is one, and then
 * replays DMA and MSIs through the reference SMMUv3 interpreter set up as an OS would. Pure:
 * no I/O, no globals; the only non-deterministic output is `summary.timeMs`.
 */
import { decodeDtb } from '../../backends/fdt/decode';
import { ecamSlice, MIB } from '../../backends/fdt/encode';
import { isCompatible, walk } from '../../backends/fdt/model';
import { decodeIort } from '../../backends/iort/decode';
import type { IortTable } from '../../backends/iort/model';
import { hasErrors } from '../../diag/diagnostic';
import type { IrMachine } from '../../ir/types';
import { VerifyCodes as C } from '../codes';
import { type DtBridge, DtInterpreter, segmentsFromIr } from '../dt-map';
import { type DtContext, ItsMap, type ProofContext } from './context';
import { DtPieces } from './dt-pieces';
import { hex, RID_COUNT } from './pieces';
import { Replay } from './replay';
import { DEFAULT_MAX_COUNTEREXAMPLES, Findings, finishReport, type ProofReport, type ProofSummary } from './report';
import { resolveSegments } from './resolve';

export interface ProveInput {
  /** The IORT bytes (mandatory: the proof rests on them). */
  iort: Uint8Array;
  /** The DTB bytes, compared RID by RID with the IORT when given. */
  dtb?: Uint8Array | null;
  /** The config the tables were built from; without it the tables are checked for consistency only. */
  ir?: IrMachine | null;
  /** Names for locations in diagnostics. */
  files?: { iort?: string; dtb?: string };
  /** Counterexamples kept (more are counted). Default 10. */
  maxCounterexamples?: number;
  /** DTB size cap for decoding (default: the decoder's untrusted-input limit). */
  maxDtbBytes?: number;
}

function emptySummary(): ProofSummary {
  return {
    segments: [],
    ridsTotal: 0,
    ridsReplayed: 0,
    pieces: 0,
    smmus: 0,
    devices: 0,
    transactions: 0,
    dmaTransactions: 0,
    msiTransactions: 0,
    classTransactions: 0,
    faultsAsExpected: 0,
    bypassRids: 0,
    timeMs: 0,
  };
}

/**
 * Without a config, DT host bridges are grouped into segments by their ECAM window: a bridge
 * whose window starts at `bus 0 base + busStart MiB` shares bus 0's base with the root complex
 * of its segment (pxb-pcie nodes carry their own linux,pci-domain), and the group takes the
 * domain of its member with the lowest bus.
 */
function segmentsFromDt(interp: DtInterpreter): (b: DtBridge) => number | null {
  const root = (b: DtBridge) => (b.ecamBase === null ? null : b.ecamBase - BigInt(b.busStart) * MIB);
  const groups = new Map<bigint, DtBridge[]>();
  for (const b of interp.bridges) {
    const r = root(b);
    if (r === null) continue;
    groups.set(r, [...(groups.get(r) ?? []), b]);
  }
  const seg = new Map<string, number | null>();
  for (const b of interp.bridges) {
    const r = root(b);
    if (r === null) {
      seg.set(b.path, b.domain);
      continue;
    }
    const lead = [...groups.get(r)!].sort((x, y) => x.busStart - y.busStart)[0]!;
    seg.set(b.path, lead.domain);
  }
  return (b) => seg.get(b.path) ?? null;
}

function dtContext(interp: DtInterpreter, ir: IrMachine | null): DtContext {
  const segmentOf = ir ? segmentsFromIr(interp, ir) : segmentsFromDt(interp);
  const byStart = new Map<bigint, string>();
  if (ir) for (const b of ir.bridges) {
    const s = ecamSlice(ir, b);
    if (s) byStart.set(s.base, b.id);
  }
  const irBridge = new Map<string, string | null>();
  for (const b of interp.bridges) irBridge.set(b.path, b.ecamBase !== null ? (byStart.get(b.ecamBase) ?? null) : null);
  return {
    interp,
    pieces: new DtPieces(interp),
    segmentOf,
    irBridgeOf: (p) => irBridge.get(p) ?? null,
    bridgeByPath: new Map(interp.bridges.map((b) => [b.path, b])),
  };
}

/** Bases of the DT's MSI controllers (GICv3 ITS nodes, or any node marked msi-controller). */
function dtItsBases(dt: DtContext): Set<bigint> {
  const out = new Set<bigint>();
  walk(dt.interp.root, (n) => {
    if (!isCompatible(n, 'arm,gic-v3-its') && !n.props.some((p) => p.name === 'msi-controller')) return;
    const b = dt.pieces.baseOf(n);
    if (b !== null) out.add(b);
  });
  return out;
}

const smmuBases = (t: IortTable) => t.nodes.flatMap((n) => (n.kind === 'smmu-v3' || n.kind === 'smmu-v1v2' ? [n.base] : []));

/** Segments, SMMUs and ITSes that one side has and the other lacks. */
function structure(ctx: ProofContext): void {
  const { t, ir, f } = ctx;
  const rcSegs = new Set(t.nodes.flatMap((n) => (n.kind === 'root-complex' ? [n.pciSegment] : [])));
  const iortSmmus = new Set(smmuBases(t));
  const dtSmmus = new Set<bigint>();
  const dtIts = new Set<bigint>();
  if (ctx.dt) {
    walk(ctx.dt.interp.root, (n) => {
      const b = isCompatible(n, 'arm,smmu-v3') || isCompatible(n, 'arm,gic-v3-its') ? ctx.dt!.pieces.baseOf(n) : null;
      if (b === null) return;
      if (isCompatible(n, 'arm,smmu-v3')) dtSmmus.add(b);
      else dtIts.add(b);
    });
  }
  const err = (msg: string) => f.note(C.structure, msg);
  if (ir) {
    for (const s of ir.segments) if (!rcSegs.has(s.segment)) err(`the IORT has no root complex node for PCI segment ${s.segment}`);
    for (const s of rcSegs) if (!ir.segments.some((x) => x.segment === s)) err(`the IORT has a root complex node for PCI segment ${s}, which the config does not have`);
    for (const s of ir.smmus) {
      if (!iortSmmus.has(s.base)) err(`SMMU '${s.id}' (${hex(s.base)}) has no IORT node`);
      if (ctx.dt && !dtSmmus.has(s.base)) err(`SMMU '${s.id}' (${hex(s.base)}) has no DT node`);
    }
    for (const b of iortSmmus) if (!ir.smmus.some((s) => s.base === b)) err(`the IORT has an SMMU node at ${hex(b)}, which is no SMMU of the config`);
    for (const b of dtSmmus) if (!ir.smmus.some((s) => s.base === b)) err(`the DT has an SMMU node at ${hex(b)}, which is no SMMU of the config`);
    const tids = new Set(t.nodes.flatMap((n) => (n.kind === 'its-group' ? n.identifiers : [])));
    for (const i of ir.its) {
      if (!tids.has(i.translationId)) err(`ITS '${i.id}' (translation ID ${i.translationId}) is in no IORT ITS group`);
      if (ctx.dt && !dtIts.has(i.base)) err(`ITS '${i.id}' (${hex(i.base)}) has no DT node`);
    }
  } else if (ctx.dt) {
    for (const b of iortSmmus) if (!dtSmmus.has(b)) err(`the IORT has an SMMU at ${hex(b)} that the DT does not describe`);
    for (const b of dtSmmus) if (!iortSmmus.has(b)) err(`the DT has an SMMU at ${hex(b)} that the IORT does not describe`);
    for (const b of ctx.dt.interp.bridges) {
      const seg = ctx.dt.segmentOf(b);
      if (seg !== null && !rcSegs.has(seg)) err(`DT host bridge ${b.path} is in PCI segment ${seg}, for which the IORT has no root complex node`);
    }
  }
}

export function proveTables(input: ProveInput): ProofReport {
  const start = performance.now();
  const files = { iort: input.files?.iort ?? '<iort>', dtb: input.files?.dtb ?? '<dtb>' };
  const f = new Findings(input.maxCounterexamples ?? DEFAULT_MAX_COUNTEREXAMPLES, files.iort, files.dtb);
  const summary = emptySummary();
  const done = () => {
    summary.timeMs = performance.now() - start;
    return finishReport(f, summary);
  };
  const ir = input.ir ?? null;
  try {
    const di = decodeIort(input.iort, files.iort);
    f.pass(di.diagnostics);
    if (!di.value || hasErrors(di.diagnostics)) {
      f.note(C.iortUnreadable, `${files.iort}: the IORT cannot be decoded; nothing can be proven`);
      return done();
    }
    const t = di.value;
    let dt: DtContext | null = null;
    if (input.dtb) {
      const dd = decodeDtb(input.dtb, files.dtb, { maxBytes: input.maxDtbBytes });
      f.pass(dd.diagnostics);
      if (!dd.value || hasErrors(dd.diagnostics)) {
        f.note(C.dtbUnreadable, `${files.dtb}: the DTB cannot be decoded; nothing can be proven`);
        return done();
      }
      dt = dtContext(new DtInterpreter(dd.value.root), ir);
    }
    const ctx: ProofContext = { t, ir, dt, f, its: new ItsMap(ir, dt ? dtItsBases(dt) : null), segments: [] };
    structure(ctx);
    const rcSegs = t.nodes.flatMap((n) => (n.kind === 'root-complex' ? [n.pciSegment] : []));
    // Without a config, the DT's segments count too: an RC node with a wrong segment must not
    // hide the DT's bridges from the comparison.
    const dtSegs = dt ? dt.interp.bridges.flatMap((b) => dt!.segmentOf(b) ?? []) : [];
    const segs = ir ? ir.segments.map((s) => s.segment) : [...rcSegs, ...dtSegs];
    const segments = [...new Set(segs)].sort((a, b) => a - b);
    if (segments.length === 0) f.note(C.limited, 'no PCI segment to prove: the IORT has no root complex node (and there is no config or DT bridge naming one)');
    resolveSegments(ctx, segments);
    const replay = new Replay(ctx);
    replay.run();
    const s = replay.stats;
    summary.segments = segments;
    summary.ridsTotal = segments.length * RID_COUNT;
    summary.ridsReplayed = s.ridsReplayed;
    summary.pieces = ctx.segments.reduce((n, x) => n + x.pieces.length, 0);
    summary.smmus = s.smmus;
    summary.devices = s.devices;
    summary.dmaTransactions = s.dma;
    summary.msiTransactions = s.msi;
    summary.classTransactions = s.classes;
    summary.transactions = s.dma + s.msi + s.classes;
    summary.faultsAsExpected = s.faultsAsExpected;
    summary.bypassRids = s.bypassRids;
  } catch (e) {
    f.note(C.internal, `the verifier failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return done();
}
