/**
 * The machine's SMMUv3s as the replay brings them up, and IOMMU domains as Linux builds them for
 * a device, on top of the reference driver (src/verify/smmu/build/driver.ts):
 *
 * Every SMMU implements just enough StreamID bits for the largest StreamID the machine can
 * emit, so the driver picks a linear table up to 256 STEs and a 2-level one beyond, and a
 * StreamID past the table raises C_BAD_STREAMID (recorded: the driver sets CR2.RECINVSID).
 * Domains:
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
import { SmmuDriver, type S2Domain } from '../smmu/build/driver';
import { cd, type Dwords, writeDwords } from '../smmu/build/encode';
import { IpaView, type PageAllocator, PageTable, type Prot } from '../smmu/build/pgtable';
import type { PhysMem } from '../smmu/physmem';
import { Smmu } from '../smmu/smmu';

export const PAGE = 0x1000;
export const DEV_STRIDE = 0x10000;
export const DEV_WINDOW = 0x4000;
export const MSI_IOVA = 0x8000000;
export const MSI_IOVA_SIZE = 0x100000;
/** GICv3 ITS: GITS_TRANSLATER in the second 64 KiB frame. */
export const GITS_TRANSLATER = 0x10040;
export const ITS_FRAME = 0x20000;
const LIMIT48 = 2 ** 48;
export const MAX_SID_BITS = 24;

/** One SMMUv3 of the machine (duplicate IORT nodes of one base share it). */
export interface ReplaySmmu {
  readonly drv: SmmuDriver;
  readonly base: bigint;
  readonly label: string;
}

/** An SMMU and its driver, not yet enabled: RMR bypass STEs go in before reset(). */
export function probeSmmu(mem: PhysMem, alloc: PageAllocator, base: bigint, label: string, maxSid: number): ReplaySmmu {
  // Real SMMUs implement at most 32 SID bits; beyond 24 a stream table would not fit the
  // simulated memory, and such StreamIDs only come from broken tables (C_BAD_STREAMID).
  const sidBits = Math.min(MAX_SID_BITS, Math.max(1, Math.ceil(Math.log2(maxSid + 1))));
  // A small IOTLB: a proof sends a few transactions per StreamID, and 32 SMMUs with the
  // default 64K-entry IOTLB would spend most of the proof allocating it.
  const smmu = new Smmu(mem, { sidBits, oas: 48, iotlbCapacity: 512 });
  return { drv: new SmmuDriver(smmu, alloc, { eventqLog2: 8 }), base, label };
}

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
  /** CD table address (an IPA when nested) and its CD. */
  cdAddr: number | null;
  cd: Dwords | null;
  /** The table the device's IOVAs go through first. */
  pt: PageTable;
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
/** The guest's stage 1 of a nested domain, in IPA space (the host's tables are the driver's). */
const GUEST_S1 = { stage: 1, granule: 4096, ias: 48, oas: 48 } as const;

/** The host side of a nested vSMMU: one stage 2 and one VMID for the whole guest. */
class NestedHost {
  readonly view: IpaView;
  private ipaNext: number;
  private cdPage = -1;
  private cdUsed = 0;
  constructor(
    readonly s2: S2Domain,
    private readonly hostPages: PageAllocator,
    guestIpa: number,
    identity: IdentityRange[],
  ) {
    for (const r of identity) s2.pt.map(r.base, r.base, r.size, { ...rw, mmio: r.mmio, cache: r.cache });
    this.view = new IpaView(hostPages.mem, s2.pt);
    this.ipaNext = guestIpa;
  }
  /** Guest memory: fresh IPA pages, each backed by a host page mapped at stage 2. */
  alloc(size: number): number {
    const bytes = Math.ceil(size / PAGE) * PAGE;
    const ipa = Math.ceil(this.ipaNext / bytes) * bytes;
    for (let off = 0; off < bytes; off += PAGE) this.s2.pt.map(ipa + off, this.hostPages.alloc(PAGE), PAGE, rw);
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
  // ASIDs and VMIDs are unique across the machine's SMMUs, and a domain takes its ID only once
  // its mappings are built, so that a device whose domain fails does not renumber the ones after.
  private nextAsid = 1;
  private nextVmid = 1;
  private readonly hosts = new Map<ReplaySmmu, NestedHost>();
  private guestRamNext: number;

  constructor(
    readonly guestTabIpa: number,
    readonly guestRamIpa: number,
    /** ITS frames every nested host maps identity (the MSI doorbells). */
    readonly itsFrames: readonly IdentityRange[],
  ) {
    this.guestRamNext = guestRamIpa;
  }

  private host(u: ReplaySmmu, rmr: readonly IdentityRange[]): NestedHost {
    let h = this.hosts.get(u);
    if (!h) {
      const identity = unionRanges([...this.itsFrames, ...rmr]);
      h = new NestedHost(u.drv.newS2Domain({ vmid: this.nextVmid++ }), u.drv.alloc, this.guestTabIpa + this.hosts.size * 2 ** 36, identity);
      this.hosts.set(u, h);
    }
    return h;
  }

  /**
   * Builds the domain and, when the stream table holds the StreamID, attaches it. `smmuRmr` are
   * all RMR ranges of the SMMU (a nested host maps them for the whole guest). A StreamID beyond
   * the table keeps its domain for the evidence, while its DMA meets C_BAD_STREAMID.
   */
  attach(u: ReplaySmmu, spec: DomainSpec, smmuRmr: readonly IdentityRange[]): Domain {
    const drv = u.drv;
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
    const attachable = drv.holds(spec.sid);

    if (spec.kind === 'nested') {
      const h = this.host(u, smmuRmr);
      const ipa = this.guestRamNext;
      this.guestRamNext += DEV_STRIDE;
      h.s2.pt.map(ipa, spec.devPa, DEV_WINDOW, rw);
      const pt = new PageTable(h.view, (n) => h.alloc(n), GUEST_S1);
      pt.map(spec.iova, ipa, DEV_WINDOW, rw);
      mapRmr(pt);
      if (doorbell !== null && covers(rmr, doorbell, 4)) msiIova = doorbell;
      const cdWords = cd({ asid: this.nextAsid++, tt0: { ttb: pt.root, ias: 48, granule: 4096 }, ips: 48 });
      const cdIpa = h.allocCd();
      writeDwords(h.view, cdIpa, cdWords);
      if (attachable) drv.attachNested(spec.sid, h.s2, { cdTable: cdIpa });
      return { kind: 'nested', cdAddr: cdIpa, cd: cdWords, pt, msiIova, notes };
    }

    if (spec.kind === 's2') {
      const d = drv.newS2Domain({ vmid: this.nextVmid });
      d.pt.map(spec.iova, spec.devPa, DEV_WINDOW, rw);
      mapRmr(d.pt);
      mapMsi(d.pt);
      this.nextVmid++;
      if (attachable) drv.attachS2(spec.sid, d);
      return { kind: 's2', cdAddr: null, cd: null, pt: d.pt, msiIova, notes };
    }

    const d = drv.newS1Domain({ asid: this.nextAsid });
    d.pt.map(spec.iova, spec.devPa, DEV_WINDOW, rw);
    mapRmr(d.pt);
    mapMsi(d.pt);
    this.nextAsid++;
    const cdAddr = attachable ? drv.attachS1(spec.sid, d) : drv.writeCdTable(d);
    return { kind: 's1', cdAddr, cd: d.cd, pt: d.pt, msiIova, notes };
  }
}
