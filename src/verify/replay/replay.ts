/**
 * Replay phase: every SMMUv3 of the IORT is brought up as an OS would (the reference driver,
 * src/verify/smmu/build/driver.ts), RMR StreamIDs get bypass STEs, every declared device (or,
 * without a config, one synthetic device at devfn 0 of each bus) gets a domain (domains.ts), and
 * then transactions go through the reference interpreter:
 *
 * - per device: a DMA write and read at its test IOVA must land in its own pages; its DMA at
 *   other devices' IOVAs must not reach their pages; each RMR range it is covered by must be
 *   identity-mapped; an MSI write must reach GITS_TRANSLATER of the ITS the tables name;
 * - per uniform range of RIDs without a device: one transaction per StreamID outcome class
 *   (RMR bypass, abort STE, C_BAD_STREAMID), checked against the event the SMMU records.
 */
import { isAvailable, isCompatible, walk } from '../../backends/fdt/model';
import { formatEvent } from '../smmu/events';
import { PhysMem } from '../smmu/physmem';
import { EVT } from '../smmu/regs';
import type { TranslationResult } from '../smmu/result';
import { ecamSlice } from '../../backends/fdt/encode';
import { VerifyCodes as C } from '../codes';
import type { IntentShape } from './intent';
import { affAt, bdf, hex, type Piece, splitAt } from './pieces';
import { PageAllocator } from '../smmu/build/pgtable';
import { DEV_STRIDE, DEV_WINDOW, type Domain, DomainFactory, type DomainKind, GITS_TRANSLATER, type IdentityRange, ITS_FRAME, MAX_SID_BITS, MSI_IOVA, MSI_IOVA_SIZE, probeSmmu, type ReplaySmmu, unionRanges } from './domains';
import { iortRmrStreams, irRmrStreams, rmrBySmmu, rmrFor, type RmrStreams, dtDeviceNode, dtDirectRegions } from './rmr';
import { itsTidOf, type Merged, pieceAt, type ProofContext, smmuBaseOf } from './context';
import { tracesFor } from './resolve';

const TABLE_SPAN = 2 ** 40;
const MAX_SYNTHETIC_DEVICES = 1024;
const MAX_ISOLATION_PEERS = 8;
const CLASS_IOVA = 0x1000;
const LIMIT48 = 2 ** 48;

export interface ReplayStats {
  ridsReplayed: number;
  devices: number;
  smmus: number;
  dma: number;
  msi: number;
  classes: number;
  faultsAsExpected: number;
  bypassRids: number;
}

interface Dev {
  id: string;
  segment: number;
  rid: number;
  index: number;
  v: Merged;
  rig: ReplaySmmu | null;
  smmuBase: bigint | null;
  sid: number | null;
  kind: DomainKind;
  devPa: number;
  iova: number;
  osRmr: IdentityRange[];
  expectRmr: RmrStreams[];
  /** Doorbell base the OS maps (from the IORT's ITS). */
  osIts: number | null;
  /** Doorbell base the MSIs must reach (config, else DT, else the IORT's ITS). */
  expectIts: number | null;
  domain: Domain | null;
  setupError: string | null;
  /** Made up for a table-only proof (devfn 0 of a bus): no DT node is expected for it. */
  synthetic: boolean;
  /** Shares its StreamID with an earlier device (reported once, not replayed). */
  shared?: boolean;
}

type Busy = [number, number];

function busyRanges(ctx: ProofContext): Busy[] {
  const out: Busy[] = [];
  const add = (base: bigint | number, size: bigint | number) => {
    const b = Number(base);
    out.push([b, b + Math.max(Number(size), 1)]);
  };
  const ir = ctx.ir;
  if (ir) {
    add(ir.gic.distBase, ir.gic.distSize);
    add(ir.gic.redistBase, ir.gic.redistSize);
    for (const i of ir.its) add(i.base, i.size);
    for (const s of ir.smmus) add(s.base, s.size);
    for (const p of ir.platform) add(p.base, p.size);
    for (const w of ir.pciWindows) add(w.cpuBase, w.size);
    for (const b of ir.bridges) {
      const sl = ecamSlice(ir, b);
      if (sl) add(sl.base, sl.size);
    }
    for (const r of ir.rmrs) for (const m of r.ranges) add(m.base, m.size);
  }
  for (const n of ctx.t.nodes) {
    if (n.kind === 'smmu-v3' || n.kind === 'smmu-v1v2') add(n.base, 0x20000);
    if (n.kind === 'rmr') for (const d of n.descriptors) add(d.base, d.length);
  }
  if (ctx.dt) {
    walk(ctx.dt.interp.root, (n) => {
      if (isCompatible(n, 'arm,gic-v3-its') || isCompatible(n, 'arm,smmu-v3')) {
        const b = ctx.dt!.pieces.baseOf(n);
        if (b !== null) add(b, 0x20000);
      }
    });
  }
  return out;
}

/** Index of the first element >= v in an ascending array (its length when there is none). */
function firstAtOrAfter(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (xs[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function pick(busy: Busy[], size: number, candidates: number[]): number {
  for (const c of candidates) if (c + size <= LIMIT48 && !busy.some(([a, e]) => c < e && a < c + size)) return c;
  // Every candidate collides: shift past the highest busy range below 2^48.
  const top = Math.max(0, ...busy.map(([, e]) => e).filter((e) => e < LIMIT48 - size));
  return Math.ceil(top / 2 ** 32) * 2 ** 32;
}

export class Replay {
  readonly mem = new PhysMem();
  readonly stats: ReplayStats = { ridsReplayed: 0, devices: 0, smmus: 0, dma: 0, msi: 0, classes: 0, faultsAsExpected: 0, bypassRids: 0 };
  private readonly rigs = new Map<number, ReplaySmmu>();
  private readonly iortRmr: RmrStreams[];
  private readonly irRmr: RmrStreams[] | null;
  // Per-SMMU views of the lists above (same order): every per-device and per-SMMU RMR lookup
  // used to scan all RMRs of the machine, which made the proof quadratic in its size.
  private readonly iortRmrBy: Map<bigint, RmrStreams[]>;
  private readonly irRmrBy: Map<bigint, RmrStreams[]> | null;
  /** The config's SMMU for a base (the first one, as `find` would pick). */
  private readonly irSmmuBy = new Map<bigint, NonNullable<ProofContext['ir']>['smmus'][number]>();
  private devs: Dev[] = [];
  /** Devices that got a domain, in device order (fixed once attachDevices has run). */
  private withDomain: Dev[] = [];
  private segIndex: Map<number, ProofContext['segments'][number]> | null = null;
  private irSmmuById: Map<string, NonNullable<ProofContext['ir']>['smmus'][number]> | null = null;
  /** Per SMMU node / base, what maxSid and reachableSpans need from every segment (built once). */
  private sidIndex: { cfgMax: Map<string, number>; pieceMax: Map<number, number>; sidRanges: Map<bigint, [number, number][]> } | null = null;
  private readonly bySid = new Map<ReplaySmmu, Map<number, Dev>>();
  private alloc!: PageAllocator;
  private domains!: DomainFactory;

  constructor(readonly ctx: ProofContext) {
    this.iortRmr = iortRmrStreams(ctx.t);
    this.irRmr = ctx.ir ? irRmrStreams(ctx.ir) : null;
    this.iortRmrBy = rmrBySmmu(this.iortRmr);
    this.irRmrBy = this.irRmr ? rmrBySmmu(this.irRmr) : null;
    for (const x of ctx.ir?.smmus ?? []) if (!this.irSmmuBy.has(x.base)) this.irSmmuBy.set(x.base, x);
  }

  run(): void {
    const busy = busyRanges(this.ctx);
    this.collectDevices();
    const n = Math.max(1, this.devs.length);
    const tables = pick(busy, TABLE_SPAN, [0xf000_0000_0000, 0xb000_0000_0000, 0x9000_0000_0000]);
    const devBase = pick([...busy, [tables, tables + TABLE_SPAN]], n * DEV_STRIDE, [0xe000_0000_0000, 0xa000_0000_0000, 0x8800_0000_0000]);
    const identity = [...busy, ...this.rmrBusy(), [MSI_IOVA, MSI_IOVA + MSI_IOVA_SIZE] as Busy];
    const iovaBase = pick(identity, n * DEV_STRIDE, [0x1_0000_0000, 0x10_0000_0000, 0x100_0000_0000, 0x1000_0000_0000]);
    const guestTab = pick(identity, 2 ** 44, [0x4000_0000_0000, 0x2000_0000_0000]);
    const guestRam = pick([...identity, [guestTab, guestTab + 2 ** 44]], n * DEV_STRIDE, [0x6000_0000_0000, 0x7000_0000_0000]);
    this.alloc = new PageAllocator(this.mem, tables, tables + TABLE_SPAN);
    this.domains = new DomainFactory(guestTab, guestRam, this.itsFrames());
    this.devs.forEach((d, i) => {
      d.devPa = devBase + i * DEV_STRIDE;
      d.iova = iovaBase + i * DEV_STRIDE;
    });
    this.setupRigs();
    this.attachDevices();
    for (const d of this.devs) this.replayDevice(d);
    this.replayClasses();
    this.compareDtRmr();
    for (const rig of this.rigs.values())
      for (const e of rig.drv.cmdqErrors) this.ctx.f.note(C.internal, `${rig.label}: ${e}`);
  }

  // ---------------------------------------------------------------- setup

  private rmrBusy(): Busy[] {
    return [...this.iortRmr, ...(this.irRmr ?? [])].flatMap((r) => r.ranges.map((m): Busy => [m.base, m.base + m.size]));
  }

  private itsFrames(): IdentityRange[] {
    const bases = new Set<number>();
    for (const i of this.ctx.ir?.its ?? []) bases.add(Number(i.base));
    if (this.ctx.dt) {
      walk(this.ctx.dt.interp.root, (n) => {
        if (!isCompatible(n, 'arm,gic-v3-its')) return;
        const b = this.ctx.dt!.pieces.baseOf(n);
        if (b !== null) bases.add(Number(b));
      });
    }
    return [...bases].sort((a, b) => a - b).map((base) => ({ base, size: ITS_FRAME, priv: false, mmio: true, cache: false }));
  }

  private shapeAt(segment: number, rid: number): Merged | null {
    this.segIndex ??= new Map([...this.ctx.segments].reverse().map((s) => [s.segment, s]));
    const sp = this.segIndex.get(segment);
    return sp ? (pieceAt(sp.pieces, rid)?.v ?? null) : null;
  }

  private collectDevices(): void {
    const { ir } = this.ctx;
    const list: { id: string; segment: number; rid: number; synthetic: boolean }[] = [];
    if (ir) {
      for (const d of ir.devices) list.push({ id: d.id, segment: d.segment, rid: d.rid, synthetic: false });
    } else {
      // segment:rid -> entry, so that DT endpoints find their synthetic twin without a scan.
      const listed = new Map<string, (typeof list)[number]>();
      for (const sp of this.ctx.segments) {
        for (let bus = 0; bus < 256; bus++) {
          const v = pieceAt(sp.pieces, bus << 8)!.v;
          // A synthetic device without an SMMU has nothing to replay beyond its resolution.
          if (v[0].smmuNode === null) continue;
          const e = { id: `bus ${bdf(sp.segment, bus << 8)}`, segment: sp.segment, rid: bus << 8, synthetic: true };
          list.push(e);
          if (!listed.has(`${e.segment}:${e.rid}`)) listed.set(`${e.segment}:${e.rid}`, e);
        }
        // DT endpoint nodes (e.g. RMR consumers) are real functions too.
        if (this.ctx.dt)
          for (const x of this.dtDeviceRids(sp.segment)) {
            const known = listed.get(`${sp.segment}:${x}`);
            if (known) known.synthetic = false;
            else {
              const e = { id: `DT ${bdf(sp.segment, x)}`, segment: sp.segment, rid: x, synthetic: false };
              list.push(e);
              listed.set(`${e.segment}:${e.rid}`, e);
            }
          }
      }
      if (list.length > MAX_SYNTHETIC_DEVICES) {
        this.ctx.f.note(C.limited, `${list.length} synthetic devices; only the first ${MAX_SYNTHETIC_DEVICES} get domains and DMA replays (the other RIDs are still resolved and classed)`);
        list.length = MAX_SYNTHETIC_DEVICES;
      }
    }
    const seen = new Set<string>();
    for (const x of list) {
      const key = `${x.segment}:${x.rid}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const v = this.shapeAt(x.segment, x.rid);
      if (!v) continue;
      this.devs.push({ ...this.makeDev(x.id, x.segment, x.rid, v), synthetic: x.synthetic });
    }
  }

  private dtDeviceRids(segment: number): number[] {
    const dt = this.ctx.dt!;
    const out: number[] = [];
    for (const b of dt.interp.bridges) {
      if (dt.segmentOf(b) !== segment) continue;
      walk(b.node, (n) => {
        if (n === b.node) return;
        const r = n.props.find((p) => p.name === 'reg');
        // Endpoints only: bridge and root-port nodes are containers in our DTs.
        if (!r || r.value.length < 20 || n.props.some((p) => p.name === 'device_type')) return;
        const hi = new DataView(r.value.buffer, r.value.byteOffset).getUint32(0, false);
        out.push((hi >> 8) & 0xffff);
      });
    }
    return out;
  }

  private makeDev(id: string, segment: number, rid: number, v: Merged): Omit<Dev, 'synthetic'> {
    const t = this.ctx.t;
    const [iv, dv, nv] = v;
    const smmuBase = smmuBaseOf(t, iv.smmuNode);
    const sid = iv.sid ? affAt(iv.sid, rid) : null;
    const osItsB = this.ctx.its.baseOf(itsTidOf(t, iv.itsNode));
    let expectIts: bigint | null = null;
    if (nv && this.ctx.ir) expectIts = nv.its ? (this.ctx.ir.its.find((i) => i.id === nv.its)?.base ?? null) : null;
    else if (dv.bridge !== null) expectIts = dv.its !== null && dv.its >= 0n ? dv.its : null;
    else expectIts = osItsB;
    const expectRmr = smmuBase === null || sid === null ? [] : this.expectedRmr(smmuBase, sid, nv);
    return {
      id,
      segment,
      rid,
      index: this.devs.length,
      v,
      rig: null,
      smmuBase,
      sid,
      kind: this.kindFor(smmuBase),
      devPa: 0,
      iova: 0,
      osRmr: smmuBase === null || sid === null ? [] : rmrFor(this.iortRmrBy, smmuBase, sid).flatMap((r) => r.ranges),
      expectRmr,
      osIts: osItsB === null ? null : Number(osItsB),
      expectIts: expectIts === null ? null : Number(expectIts),
      domain: null,
      setupError: null,
    };
  }

  private expectedRmr(smmuBase: bigint, sid: number, nv: IntentShape | null): RmrStreams[] {
    if (this.irRmrBy && nv) {
      const ir = this.ctx.ir!;
      this.irSmmuById ??= new Map([...ir.smmus].reverse().map((x) => [x.id, x]));
      const s = nv.smmu ? this.irSmmuById.get(nv.smmu) : undefined;
      return s ? rmrFor(this.irRmrBy, s.base, sid) : [];
    }
    return rmrFor(this.iortRmrBy, smmuBase, sid);
  }

  private kindFor(base: bigint | null): DomainKind {
    const s = base === null ? undefined : this.irSmmuBy.get(base);
    if (!s) return 's1';
    if (s.stage === 'nested' && s.host !== null) return 'nested';
    return s.stage === 's2' ? 's2' : 's1';
  }

  /** Largest StreamID the machine can emit towards an SMMU: the config's, else the IORT's. */
  private maxSid(nodeIdx: number, base: bigint): number {
    const { ir } = this.ctx;
    const ix = this.sids();
    let max = -1;
    const s = this.irSmmuBy.get(base);
    if (ir && s) {
      max = Math.max(max, ix.cfgMax.get(s.id) ?? -1);
      for (const r of this.irRmrBy?.get(base) ?? []) max = Math.max(max, r.last);
    }
    if (max < 0) max = ix.pieceMax.get(nodeIdx) ?? -1;
    return Math.max(0, Math.min(max, 2 ** MAX_SID_BITS - 1));
  }

  /**
   * One pass over the config's RID maps and the IORT pieces of every segment for all SMMUs:
   * a pass per SMMU made bringing up the SMMUs quadratic (SMMUs x segments).
   */
  private sids(): NonNullable<Replay['sidIndex']> {
    if (this.sidIndex) return this.sidIndex;
    const cfgMax = new Map<string, number>();
    for (const seg of this.ctx.ir?.segments ?? [])
      for (const r of seg.ridMap) if (r.target.kind === 'smmu') cfgMax.set(r.target.smmu, Math.max(cfgMax.get(r.target.smmu) ?? -1, r.target.streamBase + r.count - 1));
    const pieceMax = new Map<number, number>();
    const sidRanges = new Map<bigint, [number, number][]>();
    for (const sp of this.ctx.segments)
      for (const p of sp.iort) {
        const iv = p.v;
        if (!iv.sid) continue;
        const a = affAt(iv.sid, p.lo);
        const b = affAt(iv.sid, p.hi);
        if (iv.smmuNode !== null) pieceMax.set(iv.smmuNode, Math.max(pieceMax.get(iv.smmuNode) ?? -1, a, b));
        const base = smmuBaseOf(this.ctx.t, iv.smmuNode);
        if (base === null) continue;
        let l = sidRanges.get(base);
        if (!l) sidRanges.set(base, (l = []));
        l.push([Math.min(a, b), Math.max(a, b)]);
      }
    return (this.sidIndex = { cfgMax, pieceMax, sidRanges });
  }

  /**
   * Level-2 spans (StreamID >> SPLIT) that some RID reaches through the IORT. RMR bypass STEs
   * elsewhere can never be exercised, and a broken RMR can name 2^32 StreamIDs.
   */
  private reachableSpans(base: bigint, split: number): number[] {
    const out = new Set<number>();
    for (const [a, b] of this.sids().sidRanges.get(base) ?? [])
      for (let x = Math.floor(a / 2 ** split); x <= Math.floor(b / 2 ** split); x++) out.add(x);
    return [...out].sort((x, y) => x - y);
  }

  private setupRigs(): void {
    const t = this.ctx.t;
    const seen = new Set<bigint>();
    for (const n of t.nodes) {
      if (n.kind !== 'smmu-v3' || seen.has(n.base)) continue;
      seen.add(n.base);
      const rig = probeSmmu(this.mem, this.alloc, n.base, `SMMUv3@0x${n.offset.toString(16)} (base ${hex(n.base)})`, this.maxSid(n.index, n.base));
      this.rigs.set(n.index, rig);
      this.bySid.set(rig, new Map());
      // arm_smmu_rmr_install_bypass_ste: before the SMMU is enabled, for every RMR StreamID
      // the table holds (restricted to spans a RID reaches: nothing else is observable).
      const st = rig.drv.strtab;
      const spans = st.twoLevel ? this.reachableSpans(n.base, st.split) : [0];
      const span = 2 ** (st.twoLevel ? st.split : st.log2);
      // Only the spans an RMR overlaps (the others would be empty ranges): spans x RMRs of a
      // large SMMU would be quadratic.
      for (const r of this.iortRmrBy.get(n.base) ?? []) {
        for (let i = firstAtOrAfter(spans, Math.floor(r.first / span)); i < spans.length && spans[i]! * span <= r.last; i++) {
          const x = spans[i]!;
          rig.drv.attachBypassRange(Math.max(r.first, x * span), Math.min(r.last, x * span + span - 1));
        }
      }
      rig.drv.reset();
      if (!rig.drv.enabled) this.ctx.f.note(C.internal, `${rig.label}: SMMUEN did not stick`);
    }
    // Duplicate SMMU bases share the first node's rig.
    for (const n of t.nodes) if (n.kind === 'smmu-v3' && !this.rigs.has(n.index)) this.rigs.set(n.index, [...this.rigs.entries()].find(([i]) => (t.nodes[i] as { base: bigint }).base === n.base)![1]);
    this.stats.smmus = new Set(this.rigs.values()).size;
  }

  private attachDevices(): void {
    const rigRmrs = new Map<bigint, IdentityRange[]>();
    for (const d of this.devs) {
      const node = d.v[0].smmuNode;
      d.rig = node === null ? null : (this.rigs.get(node) ?? null);
      if (!d.rig || d.sid === null) continue;
      const first = this.bySid.get(d.rig)!.get(d.sid);
      if (first) {
        // Linux puts DMA aliases in one IOMMU group with one domain: no isolation between them.
        this.cex(
          C.isolation,
          d,
          `${d.id} (${bdf(d.segment, d.rid)}) and ${first.id} (${bdf(first.segment, first.rid)}) share StreamID ${hex(d.sid)} on ${d.rig.label}: they cannot be isolated`,
          'a StreamID of its own',
          `StreamID ${hex(d.sid)} of ${first.id}`,
          this.evidence(first, d.rig, d.sid, null),
        );
        d.rig = null;
        d.shared = true;
        continue;
      }
      let rigRmr = rigRmrs.get(d.rig.base);
      if (!rigRmr) rigRmrs.set(d.rig.base, (rigRmr = (this.iortRmrBy.get(d.rig.base) ?? []).flatMap((r) => r.ranges)));
      try {
        d.domain = this.domains.attach(d.rig, { kind: d.kind, sid: d.sid, devPa: d.devPa, iova: d.iova, rmr: d.osRmr, itsBase: d.osIts }, rigRmr);
        this.bySid.get(d.rig)!.set(d.sid, d);
        for (const note of d.domain.notes) this.ctx.f.note(C.limited, `${d.id} (${bdf(d.segment, d.rid)}): ${note}`);
      } catch (e) {
        d.setupError = e instanceof Error ? e.message : String(e);
        this.ctx.f.note(C.limited, `${d.id} (${bdf(d.segment, d.rid)}): no domain could be built (${d.setupError}); its DMA is not replayed`);
      }
    }
    this.withDomain = this.devs.filter((d) => d.domain !== null);
    this.stats.devices = this.withDomain.length;
  }

  // ---------------------------------------------------------------- evidence

  private evidence(d: Dev | null, rig: ReplaySmmu, sid: number, res: TranslationResult | null, iova?: number): string[] {
    const out: string[] = [];
    const st = rig.drv.strtab;
    out.push(`${rig.label}: stream table ${hex(st.base)}, ${st.twoLevel ? `2-level, SPLIT ${st.split}` : 'linear'}, ${st.log2}-bit StreamIDs`);
    if (st.twoLevel && rig.drv.holds(sid)) {
      const l1 = st.base + Math.floor(sid / 2 ** st.split) * 8;
      out.push(`L1 descriptor @${hex(l1)} = ${hex(this.mem.read64Big(l1) ?? 0n)}`);
    }
    const ste = rig.drv.steAt(sid);
    if (ste !== null) out.push(`STE[${hex(sid)}] @${hex(ste)} = ${[0, 1, 2, 3].map((i) => hex(this.mem.read64Big(ste + i * 8) ?? 0n)).join(' ')}`);
    else out.push(`STE[${hex(sid)}]: none (beyond the table or no level-2 table)`);
    const dom = d?.domain;
    if (dom?.cd && dom.cdAddr !== null) out.push(`CD @${dom.kind === 'nested' ? 'IPA ' : ''}${hex(dom.cdAddr)} = ${dom.cd.slice(0, 4).map((w) => hex(w)).join(' ')}`);
    if (dom && iova !== undefined) {
      const m = dom.pt.lookup(iova);
      out.push(m ? `stage-${dom.kind === 's2' ? 2 : 1} leaf for ${hex(iova)}: 2^${m.shift} block/page -> ${hex(m.pa)} (descriptor ${hex((BigInt(m.hi) << 32n) | BigInt(m.lo))})` : `stage-${dom.kind === 's2' ? 2 : 1} table maps nothing at ${hex(iova)}`);
    }
    if (res) out.push(`interpreter: ${res.event ? formatEvent(res.event) + (res.recorded ? ' [recorded]' : '') : res.toString()}`);
    return out;
  }

  private cex(code: (typeof C)[keyof typeof C], d: { segment: number; rid: number; v: Merged | null }, message: string, expected: string, actual: string, decidedBy: string[]): void {
    const { path } = this.ctx.f.full ? { path: [] } : tracesFor(this.ctx, d.segment, d.rid, d.v ? d.v[1] : null, this.ctx.dt ? ['iort', 'dt'] : ['iort']);
    this.ctx.f.counterexample(code, {
      segment: d.segment,
      rid: d.rid,
      bdf: bdf(d.segment, d.rid),
      range: { lo: d.rid, hi: d.rid },
      message,
      expected,
      actual,
      path,
      decidedBy,
    });
  }

  private tx(rig: ReplaySmmu, sid: number, iova: number, write: boolean, priv = false): { res: TranslationResult; events: number[] } {
    const res = rig.drv.smmu.translate({ sid, iova, write, priv }).clone();
    const events = rig.drv.readEvents().map((e) => e.code);
    return { res, events };
  }

  private owner(pa: number): Dev | undefined {
    const i = Math.floor((pa - (this.devs[0]?.devPa ?? 0)) / DEV_STRIDE);
    const d = this.devs[i];
    return d && pa >= d.devPa && pa < d.devPa + DEV_WINDOW ? d : undefined;
  }

  // ---------------------------------------------------------------- device replays

  private replayDevice(d: Dev): void {
    const f = this.ctx.f;
    const name = `${d.id} (${bdf(d.segment, d.rid)})`;
    if (d.v[0].smmuNode === null) {
      this.stats.ridsReplayed++;
      // No SMMU: the device's DMA addresses are physical addresses.
      this.mem.write32(d.devPa, 0x5a5a0000 | (d.index & 0xffff));
      if (this.mem.read32(d.devPa) !== (0x5a5a0000 | (d.index & 0xffff)) >>> 0) f.note(C.internal, `${name}: simulated memory lost a write`);
      this.stats.dma += 2;
      this.stats.bypassRids++;
      if (d.expectIts !== null) this.stats.msi++;
      return;
    }
    const rig = d.rig;
    if (d.shared) {
      this.stats.ridsReplayed++;
      return;
    }
    if (!rig) {
      f.note(C.limited, `${name}: its SMMU (${d.smmuBase !== null ? hex(d.smmuBase) : '?'}) is not an SMMUv3; DMA not replayed`);
      return;
    }
    this.stats.ridsReplayed++;
    if (!d.domain || d.sid === null) return;
    const sid = d.sid;
    const tag = (0xd0000000 | d.index) >>> 0;
    const off = 0x40;
    const dmaExpect = `DMA at IOVA ${hex(d.iova + off)} lands at ${hex(d.devPa + off)} (the device's own pages)`;
    // write
    const w = this.tx(rig, sid, d.iova + off, true);
    this.stats.dma++;
    if (!w.res.ok || w.res.pa !== d.devPa + off) {
      const other = w.res.ok ? this.owner(w.res.pa) : undefined;
      const code = other && other !== d ? C.isolation : C.dmaMisrouted;
      const actual = w.res.ok ? `write landed at ${hex(w.res.pa)}${other ? ` (pages of ${other.id})` : ''}` : w.res.toString();
      this.cex(code, d, `${name}: DMA write through ${rig.label} StreamID ${hex(sid)} misses the device's pages`, dmaExpect, actual, this.evidence(d, rig, sid, w.res, d.iova + off));
      return;
    }
    this.mem.write32(w.res.pa, tag);
    // read
    const r = this.tx(rig, sid, d.iova + off, false);
    this.stats.dma++;
    if (!r.res.ok || r.res.pa !== d.devPa + off || this.mem.read32(r.res.pa) !== tag) {
      this.cex(C.dmaMisrouted, d, `${name}: DMA read does not return what the device wrote`, dmaExpect, r.res.toString(), this.evidence(d, rig, sid, r.res, d.iova + off));
      return;
    }
    // isolation
    for (const e of this.peers(d)) {
      const x = this.tx(rig, sid, e.iova + off, true);
      this.stats.dma++;
      if (x.res.ok && x.res.pa >= e.devPa && x.res.pa < e.devPa + DEV_WINDOW) {
        this.cex(C.isolation, d, `${name}: DMA at ${e.id}'s IOVA reaches ${e.id}'s pages`, `no access to ${hex(e.devPa)}..${hex(e.devPa + DEV_WINDOW - 1)}`, x.res.toString(), this.evidence(d, rig, sid, x.res, e.iova + off));
        return;
      }
      if (!x.res.ok) this.stats.faultsAsExpected++;
    }
    // RMR identity
    for (const rr of d.expectRmr) {
      for (const m of rr.ranges) {
        if (m.base + m.size > LIMIT48) continue;
        const x = this.tx(rig, sid, m.base, false, m.priv);
        this.stats.dma++;
        if (!x.res.ok || x.res.pa !== m.base) {
          this.cex(C.rmrIdentity, d, `${name}: ${rr.label} range ${hex(m.base)}+${hex(m.size)} is not identity-mapped for StreamID ${hex(sid)}`, `read at ${hex(m.base)} lands at ${hex(m.base)}`, x.res.toString(), this.evidence(d, rig, sid, x.res, m.base));
          return;
        }
      }
    }
    // MSI
    if (d.expectIts === null) {
      if (d.v[0].itsNode !== null) f.note(C.limited, 'MSIs are not replayed: without a DTB or a config the ITS doorbell addresses are unknown (the IORT names ITSes by translation ID only)');
      return;
    }
    const doorbell = d.expectIts + GITS_TRANSLATER;
    const dom = d.domain;
    const nested = dom.kind === 'nested';
    const msiCode = nested ? C.nestedDoorbell : C.msiMisrouted;
    const devId = d.v[0].dev ? affAt(d.v[0].dev, d.rid) : null;
    if (dom.msiIova === null) {
      this.stats.msi++;
      if (nested) f.note(C.nestedDoorbell, `${name}: behind nested vSMMU ${rig.label}, no RMR keeps the ITS doorbell ${hex(doorbell)} identity-mapped for StreamID ${hex(sid)}: its MSIs would fault`, undefined, 'add an RMR for this SMMU covering the ITS frame for these StreamIDs');
      else this.cex(C.msiMisrouted, d, `${name}: no IOVA of its domain reaches the ITS doorbell`, `MSI to ${hex(doorbell)}`, 'no mapping', this.evidence(d, rig, sid, null));
      return;
    }
    const x = this.tx(rig, sid, dom.msiIova, true);
    this.stats.msi++;
    if (!x.res.ok || x.res.pa !== doorbell) {
      if (nested && !x.res.ok) {
        f.note(msiCode, `${name}: MSI write to ${hex(dom.msiIova)} behind nested vSMMU ${rig.label} faults (${x.res.toString()}); no RMR keeps the doorbell ${hex(doorbell)} mapped`);
        return;
      }
      this.cex(C.msiMisrouted, d, `${name}: MSI write (DeviceID ${devId === null ? '?' : hex(devId)}) does not reach GITS_TRANSLATER of its ITS`, `MSI to ${hex(doorbell)}`, x.res.toString(), this.evidence(d, rig, sid, x.res, dom.msiIova));
    }
  }

  private peers(d: Dev): Dev[] {
    // withDomain and d.index (its place in devs) spare a scan of every device per device.
    const count = this.withDomain.length - (d.domain !== null ? 1 : 0);
    if (count <= MAX_ISOLATION_PEERS) return this.withDomain.filter((e) => e !== d);
    const i = d.index;
    const out: Dev[] = [];
    for (let k = 1; out.length < MAX_ISOLATION_PEERS && k < this.devs.length; k++) {
      const e = this.devs[(i + k) % this.devs.length]!;
      if (e !== d && e.domain !== null) out.push(e);
    }
    return out;
  }

  // ---------------------------------------------------------------- RIDs without a device

  private rmrExpected(rig: ReplaySmmu, sid: number): RmrStreams | undefined {
    return ((this.irRmrBy ?? this.iortRmrBy).get(rig.base) ?? []).find((r) => sid >= r.first && sid <= r.last);
  }

  private sidCuts(rig: ReplaySmmu): number[] {
    const st = rig.drv.strtab;
    const cuts = [2 ** st.log2];
    for (const s of this.bySid.get(rig)!.keys()) cuts.push(s, s + 1);
    for (const r of [...(this.iortRmrBy.get(rig.base) ?? []), ...(this.irRmrBy?.get(rig.base) ?? [])]) cuts.push(r.first, r.last + 1);
    for (const i of rig.drv.l2Tables()) cuts.push(i * 2 ** st.split, (i + 1) * 2 ** st.split);
    return cuts;
  }

  private replayClasses(): void {
    // Cuts and device RIDs sorted once, so each piece takes only those inside it (splitAt
    // ignores the others): scanning them all per piece was quadratic in devices.
    const cutCache = new Map<ReplaySmmu, number[]>();
    const ridsBySeg = new Map<number, Set<number>>();
    for (const d of this.devs) {
      let r = ridsBySeg.get(d.segment);
      if (!r) ridsBySeg.set(d.segment, (r = new Set()));
      r.add(d.rid);
    }
    for (const sp of this.ctx.segments) {
      const devRids = ridsBySeg.get(sp.segment) ?? new Set<number>();
      const sortedRids = [...devRids].sort((a, b) => a - b);
      const ridsIn = (lo: number, hi: number) => sortedRids.slice(firstAtOrAfter(sortedRids, lo), firstAtOrAfter(sortedRids, hi + 1));
      for (const p of sp.iort) {
        const iv = p.v;
        const count = p.hi - p.lo + 1;
        if (iv.smmuNode === null) {
          const skip = ridsIn(p.lo, p.hi).length;
          this.stats.ridsReplayed += count - skip;
          this.stats.bypassRids += count - skip;
          continue;
        }
        const rig = this.rigs.get(iv.smmuNode);
        if (!rig || !iv.sid) {
          this.ctx.f.note(C.limited, `RIDs ${bdf(sp.segment, p.lo)}..${bdf(sp.segment, p.hi).slice(5)} go to an SMMU that is not an SMMUv3; resolved but not replayed`);
          continue;
        }
        let cuts = cutCache.get(rig);
        if (!cuts) cutCache.set(rig, (cuts = [...new Set(this.sidCuts(rig))].sort((a, b) => a - b)));
        const sid = iv.sid;
        const ridCuts = ridsIn(p.lo, p.hi).flatMap((r) => [r, r + 1]);
        if (sid.k === 1) for (let i = firstAtOrAfter(cuts, p.lo + sid.c); i < cuts.length && cuts[i]! <= p.hi + sid.c; i++) ridCuts.push(cuts[i]! - sid.c);
        for (const [a, b] of splitAt(p.lo, p.hi, ridCuts)) {
          if (a === b && devRids.has(a)) continue;
          this.stats.ridsReplayed += b - a + 1;
          this.classTx(rig, sp.segment, a, b, affAt(sid, a), pieceAt(sp.pieces, a)!);
        }
      }
    }
  }

  private classTx(rig: ReplaySmmu, segment: number, lo: number, hi: number, sid: number, p: Piece<Merged>): void {
    const dev = this.bySid.get(rig)!.get(sid);
    const where = { segment, rid: lo, v: p.v };
    this.stats.classes++;
    if (dev && dev.domain) {
      // Another RID sharing a device's StreamID gets that device's domain.
      const x = this.tx(rig, sid, dev.iova + 0x40, false);
      if (!x.res.ok || x.res.pa !== dev.devPa + 0x40) this.cex(C.unexpectedOutcome, where, `RIDs sharing StreamID ${hex(sid)} of ${dev.id} do not get its domain`, `translated like ${dev.id}`, x.res.toString(), this.evidence(dev, rig, sid, x.res, dev.iova + 0x40));
      return;
    }
    const rmr = this.rmrExpected(rig, sid);
    const cls = !rig.drv.holds(sid) ? 'beyond' : rig.drv.steAt(sid) === null ? 'no-l2' : 'ste';
    const x = this.tx(rig, sid, CLASS_IOVA, false);
    const range = lo === hi ? '' : ` (RIDs up to ${bdf(segment, hi).slice(5)})`;
    const label = `StreamID ${hex(sid)} on ${rig.label}${range}`;
    if (rmr) {
      if (x.res.outcome === 'bypass' && x.res.pa === CLASS_IOVA) return;
      this.cex(C.unexpectedOutcome, where, `${label} is in ${rmr.label} but is not bypassed`, `bypass STE (RMR), DMA at ${hex(CLASS_IOVA)} untranslated`, x.res.toString(), this.evidence(null, rig, sid, x.res));
      return;
    }
    if (cls === 'ste') {
      if (x.res.outcome === 'abort' && x.events.length === 0) {
        this.stats.faultsAsExpected++;
        return;
      }
      this.cex(C.unexpectedOutcome, where, `${label} has no device and should be blocked by an abort STE`, 'abort, no event', `${x.res.toString()}${x.events.length ? `, events ${x.events.map((c) => hex(c)).join(',')}` : ''}`, this.evidence(null, rig, sid, x.res));
      return;
    }
    const recorded = x.events.includes(EVT.C_BAD_STREAMID);
    if (x.res.outcome === 'fault' && x.res.event?.code === EVT.C_BAD_STREAMID && x.res.recorded && recorded) {
      this.stats.faultsAsExpected++;
      return;
    }
    this.cex(C.unexpectedOutcome, where, `${label} ${cls === 'beyond' ? 'is beyond the stream table' : 'has no level-2 stream table'}`, 'C_BAD_STREAMID event recorded', `${x.res.toString()}${recorded ? '' : ' (no C_BAD_STREAMID record in the event queue)'}`, this.evidence(null, rig, sid, x.res));
  }

  // ---------------------------------------------------------------- DT reserved memory

  private compareDtRmr(): void {
    const dt = this.ctx.dt;
    if (!dt) return;
    for (const d of this.devs) {
      if (d.synthetic || d.smmuBase === null || d.sid === null || d.v[1].bridge === null) continue;
      const bridge = dt.bridgeByPath.get(d.v[1].bridge);
      if (!bridge) continue;
      const node = dtDeviceNode(bridge, (d.rid >> 8) & 0xff, d.rid & 0xff);
      const dtRanges = node && isAvailable(node) ? dtDirectRegions(dt.pieces, node) : [];
      const a = unionRanges(d.osRmr);
      const b = unionRanges(dtRanges.map((r) => ({ base: Number(r.base), size: Number(r.size), priv: false, mmio: false, cache: false })));
      const txt = (rs: IdentityRange[]) => (rs.length ? rs.map((r) => `${hex(r.base)}+${hex(r.size)}`).join(', ') : 'none');
      const same = a.length === b.length && a.every((r, i) => r.base === b[i]!.base && r.size === b[i]!.size);
      if (same) continue;
      this.cex(
        C.rmrDtMismatch,
        d,
        `${d.id} (${bdf(d.segment, d.rid)}): the IORT RMRs of StreamID ${hex(d.sid)} and the DT reserved-memory regions of ${node ? node.path : 'the device (no DT node)'} differ`,
        `DT identity regions: ${txt(b)}`,
        `IORT RMR ranges: ${txt(a)}`,
        dtRanges.map((r) => `${r.path}: iommu-addresses identity ${hex(r.base)}+${hex(r.size)}`),
      );
    }
  }
}

