/**
 * Shared set-up for the SMMU tests: memory, an SMMU (caches checked against fresh walks by
 * default), an allocator and a driver that has run the Linux enable sequence.
 */
import { expect } from 'vitest';
import {
  cd,
  type CdFields,
  type DriverOptions,
  type Granule,
  IpaView,
  PageAllocator,
  PageTable,
  PhysMem,
  type S2SteFields,
  Smmu,
  SmmuDriver,
  type SmmuEvent,
  type SmmuOptions,
  steNested,
  steS1,
  steS2,
  type TranslationResult,
  writeDwords,
} from '../../../src/verify/smmu';

export interface Rig {
  mem: PhysMem;
  smmu: Smmu;
  alloc: PageAllocator;
  drv: SmmuDriver;
}

/** Data pages live here (never read by the SMMU, so they need no backing). */
export const DATA = 0x40_0000_0000;

export function rig(o: { smmu?: SmmuOptions; driver?: DriverOptions } = {}): Rig {
  const mem = new PhysMem();
  const smmu = new Smmu(mem, { checkCaches: true, ...o.smmu });
  const alloc = new PageAllocator(mem, 0x8000_0000, 0x1_0000_0000);
  const drv = new SmmuDriver(smmu, alloc, { sidBits: 8, streamTable: 'linear', ...o.driver });
  drv.reset();
  return { mem, smmu, alloc, drv };
}

export function s1Table(r: Rig, granule: Granule = 4096, ias = 48): PageTable {
  return new PageTable(r.mem, (sz) => r.alloc.alloc(sz), { stage: 1, granule, ias, oas: r.smmu.features.oas });
}

export function s2Table(r: Rig, granule: Granule = 4096, ias = 40, startLevel?: number): PageTable {
  return new PageTable(r.mem, (sz) => r.alloc.alloc(sz), { stage: 2, granule, ias, oas: r.smmu.features.oas, startLevel });
}

/** Writes a CD and a stage-1-only STE for `sid`; returns the CD address. */
export function attachCd(r: Rig, sid: number, fields: CdFields, ste: Partial<Parameters<typeof steS1>[0]> = {}): number {
  const a = r.alloc.alloc(64);
  writeDwords(r.mem, a, cd(fields));
  r.drv.writeSte(sid, steS1({ cdTable: a, ...ste }));
  return a;
}

export function s2Fields(r: Rig, pt: PageTable, vmid = 1, extra: Partial<S2SteFields> = {}): S2SteFields {
  return { vmid, ...pt.s2, ps: r.smmu.features.oas, ...extra };
}

export function attachS2(r: Rig, sid: number, pt: PageTable, vmid = 1, extra: Partial<S2SteFields> = {}): void {
  r.drv.writeSte(sid, steS2(s2Fields(r, pt, vmid, extra)));
}

export function attachNested(r: Rig, sid: number, cdIpa: number, s2: PageTable, vmid = 1, extra: Partial<S2SteFields> = {}): void {
  r.drv.writeSte(sid, steNested({ cdTable: cdIpa }, s2Fields(r, s2, vmid, extra)));
}

/** The translation's event, asserting it faulted. */
export function ev(res: TranslationResult): SmmuEvent {
  expect(res.outcome, res.toString()).toBe('fault');
  return res.event!;
}

/** Translates and expects success at `pa`. */
export function expectPa(r: Rig, t: Parameters<Smmu['translate']>[0], pa: number): TranslationResult {
  const res = r.smmu.translate(t).clone();
  expect(res.outcome, res.toString()).toBe('translated');
  expect(res.pa.toString(16)).toBe(pa.toString(16));
  return res;
}

export interface Nested {
  r: Rig;
  s2: PageTable;
  s1: PageTable;
  view: IpaView;
  /** Guest RAM: IPA base and PA base (16 MiB; CD in the first 2 MiB, tables after). */
  guestIpa: number;
  guestPa: number;
  cdIpa: number;
  sid: number;
}

export const GUEST_IPA = 0x2000_0000;
export const GUEST_SIZE = 0x100_0000;
export const DATA_IPA = 0x8000_0000;

/**
 * A nested stream: guest stage-1 tables and CD in guest RAM (IPA space), host stage 2 mapping
 * guest RAM page by page. With `scramble`, the stage-2 pages inside every 64 KiB are mapped in
 * reverse order, so a stage-1 table larger than a stage-2 page is not physically contiguous.
 */
export function nestedRig(
  o: { g1?: Granule; g2?: Granule; s2ias?: number; sid?: number; cd?: Partial<CdFields>; scramble?: boolean; s2extra?: Partial<S2SteFields>; smmu?: SmmuOptions } = {},
): Nested {
  const r = rig({ smmu: o.smmu });
  const g1 = o.g1 ?? 4096;
  const g2 = o.g2 ?? 4096;
  const sid = o.sid ?? 1;
  const s2 = s2Table(r, g2, o.s2ias ?? 40);
  const guestPa = r.alloc.alloc(GUEST_SIZE, 0x20_0000);
  for (let off = 0; off < GUEST_SIZE; off += g2) {
    const within = off % 0x10000;
    const pOff = o.scramble && g2 < 0x10000 ? off - within + (0x10000 - g2 - within) : off;
    s2.map(GUEST_IPA + off, guestPa + pOff, g2, { write: true }, { blocks: false });
  }
  const view = new IpaView(r.mem, s2);
  let next = GUEST_IPA + 0x20_0000;
  const gAlloc = (sz: number): number => {
    const a = Math.ceil(next / sz) * sz;
    next = a + sz;
    return a;
  };
  const s1 = new PageTable(view, gAlloc, { stage: 1, granule: g1, ias: 48, oas: r.smmu.features.oas });
  const cdIpa = GUEST_IPA + 0x40;
  writeDwords(view, cdIpa, cd({ asid: 7, ips: 48, tt0: { ttb: s1.root, ias: 48, granule: g1 }, ...o.cd }));
  r.drv.writeSte(sid, steNested({ cdTable: cdIpa }, s2Fields(r, s2, 1, o.s2extra)));
  return { r, s2, s1, view, guestIpa: GUEST_IPA, guestPa, cdIpa, sid };
}
