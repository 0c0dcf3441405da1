/**
 * IOMMU domains as Linux builds them for a device, on top of the reference encoders and the
 * io-pgtable-style builder (src/verify/smmu/build):
 *
 * - s1: one CD (own ASID) with a 48-bit, 4 KiB-granule stage-1 table (arm_smmu_make_s1_cd +
 *   arm_smmu_make_cdtable_ste);
 * - s2: own VMID and a stage-2 table (arm_smmu_make_s2_domain_ste);
 * - nested (a host-backed vSMMU): the guest's CD and stage-1 tables live in guest memory (IPA)
 *   and the host's stage 2, one per vSMMU, maps guest memory, the ITS frames and the RMR
 *   ranges (arm_smmu_make_nested_domain_ste).
 *
 * Every domain maps the device's test IOVA window to the device's own pages and its RMR ranges
 * identity (IOMMU_RESV_DIRECT: read/write, +PRIV, +MMIO for Device attributes, +CACHE for
 * Normal write-back). Non-nested domains also map the ITS doorbell page at Linux's software MSI
 * IOVA (MSI_IOVA_BASE 0x8000000, iommu_dma_get_msi_page); behind a nested vSMMU the guest can
 * only reach the doorbell through an RMR identity mapping.
 */
import { cd, type Dwords, steNested, steS1, steS2, writeDwords, cmd, type Command } from '../smmu/build/encode';
import { IpaView, type MemView, PageTable, type Prot } from '../smmu/build/pgtable';
import type { PhysMem } from '../smmu/physmem';
import type { Bump, SmmuRig } from './driver';

export const PAGE = 0x1000;
export const DEV_STRIDE = 0x10000;
export const DEV_WINDOW = 0x4000;
export const MSI_IOVA = 0x8000000;
export const MSI_IOVA_SIZE = 0x100000;
/** GICv3 ITS: GITS_TRANSLATER in the second 64 KiB frame. */
export const GITS_TRANSLATER = 0x10040;
export const ITS_FRAME = 0x20000;
const LIMIT48 = 2 ** 48;

export type DomainKind = 's1' | 's2' | 'nested';

export interface IdentityRange {
  base: number;
  size: number;
  priv: boolean;
  mmio: boolean;
  cache: boolean;
}

export interface DomainSpec {
  kind: DomainKind;
  sid: number;
  devPa: number;
  iova: number;
  /** IOMMU_RESV_DIRECT ranges the OS found for this StreamID. */
  rmr: IdentityRange[];
  /** Base of the ITS whose doorbell the OS maps (null: unknown). */
  itsBase: number | null;
}

export interface Domain {
  kind: DomainKind;
  sid: number;
  steAddr: number | null;
  ste: Dwords;
  cdAddr: number | null;
  cd: Dwords | null;
  asid: number;
  vmid: number;
  pt: PageTable;
  host: PageTable | null;
  /** IOVA the device writes its MSIs to, or null when no mapping reaches the doorbell. */
  msiIova: number | null;
  notes: string[];
}

/** Page-aligned union of identity ranges (first range's attributes win on overlap). */
export function unionRanges(rs: readonly IdentityRange[]): IdentityRange[] {
  const al = rs
    .map((r) => {
      const base = Math.floor(r.base / PAGE) * PAGE;
      const end = Math.ceil((r.base + Math.max(r.size, 1)) / PAGE) * PAGE;
      return { ...r, base, size: end - base };
    })
    .filter((r) => r.base + r.size <= LIMIT48)
    .sort((a, b) => a.base - b.base);
  const out: IdentityRange[] = [];
  for (const r of al) {
    const last = out[out.length - 1];
    if (last && r.base <= last.base + last.size) last.size = Math.max(last.size, r.base + r.size - last.base);
    else out.push({ ...r });
  }
  return out;
}

export const covers = (rs: readonly IdentityRange[], a: number, len = 1): boolean => rs.some((r) => a >= r.base && a + len <= r.base + r.size);
const overlaps = (rs: readonly IdentityRange[], a: number, len: number): boolean => rs.some((r) => a < r.base + r.size && r.base < a + len);

const rw: Prot = { read: true, write: true };
const protOf = (r: IdentityRange): Prot => ({ read: true, write: true, priv: r.priv, mmio: r.mmio, cache: r.cache });
const fmt = (stage: 1 | 2) => ({ stage, granule: 4096 as const, ias: 48, oas: 48 });

/** The host side of a nested vSMMU: one stage 2 and one VMID for the whole guest. */
class NestedHost {
  readonly s2: PageTable;
  readonly view: IpaView;
  private ipaNext: number;
  private cdPage = -1;
  private cdUsed = 0;
  constructor(
    readonly mem: PhysMem,
    readonly bump: Bump,
    readonly vmid: number,
    guestIpa: number,
    identity: IdentityRange[],
  ) {
    this.s2 = new PageTable(mem, (n) => bump.alloc(n), fmt(2));
    for (const r of identity) this.s2.map(r.base, r.base, r.size, { ...rw, mmio: r.mmio, cache: r.cache });
    this.view = new IpaView(mem, this.s2);
    this.ipaNext = guestIpa;
  }
  /** Guest memory: fresh IPA pages, each backed by a host page mapped at stage 2. */
  alloc(size: number): number {
    const bytes = Math.ceil(size / PAGE) * PAGE;
    const ipa = Math.ceil(this.ipaNext / bytes) * bytes;
    for (let off = 0; off < bytes; off += PAGE) this.s2.map(ipa + off, this.bump.alloc(PAGE), PAGE, rw);
    this.ipaNext = ipa + bytes;
    return ipa;
  }
  allocCd(): number {
    if (this.cdPage < 0 || this.cdUsed + 64 > PAGE) {
      this.cdPage = this.alloc(PAGE);
      this.cdUsed = 0;
    }
    const a = this.cdPage + this.cdUsed;
    this.cdUsed += 64;
    return a;
  }
}

export class DomainFactory {
  private nextAsid = 1;
  private nextVmid = 1;
  private readonly hosts = new Map<SmmuRig, NestedHost>();
  private guestRamNext: number;

  constructor(
    readonly mem: PhysMem,
    readonly bump: Bump,
    readonly guestTabIpa: number,
    readonly guestRamIpa: number,
    /** ITS frames every nested host maps identity (the MSI doorbells). */
    readonly itsFrames: readonly IdentityRange[],
  ) {
    this.guestRamNext = guestRamIpa;
  }

  private host(rig: SmmuRig, rmr: readonly IdentityRange[]): NestedHost {
    let h = this.hosts.get(rig);
    if (!h) {
      const identity = unionRanges([...this.itsFrames, ...rmr]);
      h = new NestedHost(this.mem, this.bump, this.nextVmid++, this.guestTabIpa + this.hosts.size * 2 ** 36, identity);
      this.hosts.set(rig, h);
    }
    return h;
  }

  /**
   * Builds the domain and writes its STE. `rigRmr` are all RMR ranges of the SMMU (a nested
   * host maps them for the whole guest).
   */
  attach(rig: SmmuRig, spec: DomainSpec, rigRmr: readonly IdentityRange[]): Domain {
    const notes: string[] = [];
    const rmr = unionRanges(spec.rmr);
    const mapRmr = (pt: PageTable) => {
      for (const r of rmr) {
        if (overlaps([{ base: spec.iova, size: DEV_WINDOW, priv: false, mmio: false, cache: true }], r.base, r.size)) {
          notes.push(`RMR range 0x${r.base.toString(16)}+0x${r.size.toString(16)} overlaps the test window; not mapped`);
          continue;
        }
        pt.map(r.base, r.base, r.size, protOf(r));
      }
    };
    const doorbell = spec.itsBase === null ? null : spec.itsBase + GITS_TRANSLATER;
    let msiIova: number | null = null;
    const mapMsi = (pt: PageTable) => {
      if (doorbell === null) return;
      if (overlaps(rmr, MSI_IOVA, PAGE)) {
        msiIova = covers(rmr, doorbell, 4) ? doorbell : null;
        return;
      }
      const page = Math.floor(doorbell / PAGE) * PAGE;
      pt.map(MSI_IOVA, page, PAGE, { read: false, write: true, exec: false, mmio: true });
      msiIova = MSI_IOVA + (doorbell - page);
    };

    if (spec.kind === 'nested') {
      const h = this.host(rig, rigRmr);
      const ipa = this.guestRamNext;
      this.guestRamNext += DEV_STRIDE;
      h.s2.map(ipa, spec.devPa, DEV_WINDOW, rw);
      const view: MemView = h.view;
      const pt = new PageTable(view, (n) => h.alloc(n), fmt(1));
      pt.map(spec.iova, ipa, DEV_WINDOW, rw);
      mapRmr(pt);
      if (doorbell !== null && covers(rmr, doorbell, 4)) msiIova = doorbell;
      const asid = this.nextAsid++;
      const cdWords = cd({ asid, tt0: { ttb: pt.root, ias: 48, granule: 4096 }, ips: 48 });
      const cdIpa = h.allocCd();
      cdWords.forEach((v, i) => h.view.writeU64(cdIpa + i * 8, v));
      const hs = h.s2.s2;
      const ste = steNested({ cdTable: cdIpa, s1CdMax: 0, s1Dss: 0 }, { vmid: h.vmid, ttb: hs.ttb, t0sz: hs.t0sz, sl0: hs.sl0, granule: hs.granule, ps: 48 });
      const steAddr = rig.writeSte(spec.sid, ste, [cmd.cfgiCdAll(spec.sid)]);
      return { kind: 'nested', sid: spec.sid, steAddr, ste, cdAddr: cdIpa, cd: cdWords, asid, vmid: h.vmid, pt, host: h.s2, msiIova, notes };
    }

    if (spec.kind === 's2') {
      const pt = new PageTable(this.mem, (n) => this.bump.alloc(n), fmt(2));
      pt.map(spec.iova, spec.devPa, DEV_WINDOW, rw);
      mapRmr(pt);
      mapMsi(pt);
      const vmid = this.nextVmid++;
      const s = pt.s2;
      const ste = steS2({ vmid, ttb: s.ttb, t0sz: s.t0sz, sl0: s.sl0, granule: s.granule, ps: 48 });
      const steAddr = rig.writeSte(spec.sid, ste);
      return { kind: 's2', sid: spec.sid, steAddr, ste, cdAddr: null, cd: null, asid: 0, vmid, pt, host: null, msiIova, notes };
    }

    const pt = new PageTable(this.mem, (n) => this.bump.alloc(n), fmt(1));
    pt.map(spec.iova, spec.devPa, DEV_WINDOW, rw);
    mapRmr(pt);
    mapMsi(pt);
    const asid = this.nextAsid++;
    const cdWords = cd({ asid, tt0: { ttb: pt.root, ias: 48, granule: 4096 }, ips: 48 });
    const cdAddr = this.bump.alloc(64, 64);
    writeDwords(this.mem, cdAddr, cdWords);
    const ste = steS1({ cdTable: cdAddr, s1CdMax: 0, s1Dss: 0, vmid: 0 });
    const extra: Command[] = [cmd.cfgiCdAll(spec.sid)];
    const steAddr = rig.writeSte(spec.sid, ste, extra);
    return { kind: 's1', sid: spec.sid, steAddr, ste, cdAddr, cd: cdWords, asid, vmid: 0, pt, host: null, msiIova, notes };
  }
}
