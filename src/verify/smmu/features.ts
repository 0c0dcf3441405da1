/**
 * What the modelled SMMU implements. The ID registers are derived from this, and every
 * "ILLEGAL when not implemented" rule of the STE/CD checks reads it.
 */
import { PA_SIZE_BITS, paSizeCode } from './regs';

export interface SmmuFeatureOptions {
  /** Stage 1 / stage 2 implemented (IDR0.S1P / S2P). Default both. */
  s1?: boolean;
  s2?: boolean;
  /** Physical address size in bits (IDR5.OAS): 32, 36, 40, 42, 44, 48 or 52. Default 48. */
  oas?: number;
  /** IDR1.SIDSIZE (default 16) and SSIDSIZE (default 20; 0 = no substreams). */
  sidBits?: number;
  ssidBits?: number;
  /** Supported translation granules (IDR5.GRAN4K/16K/64K). Default all. */
  granules?: readonly (4096 | 16384 | 65536)[];
  /** 2-level stream table (IDR0.ST_LEVEL) and 2-level CD table (IDR0.CD2L). Default true. */
  twoLevelStreamTable?: boolean;
  twoLevelCdTable?: boolean;
  asid16?: boolean;
  vmid16?: boolean;
  /** IDR3.HAD: CD.HAD0/1 honoured. Default true. */
  had?: boolean;
  /** IDR3.RIL: range TLBI. Default true. */
  ril?: boolean;
  /** IDR1.ATTR_PERMS_OVR: STE.PRIVCFG/INSTCFG honoured. Default true. */
  attrPermsOverride?: boolean;
  /** IDR0.MSI: CMD_SYNC may signal completion with an MSI write. Default true. */
  msi?: boolean;
  /** Maximum log2 queue sizes (IDR1.CMDQS / EVENTQS). Default 19. */
  cmdqLog2Max?: number;
  eventqLog2Max?: number;
}

export interface SmmuFeatures {
  readonly s1p: boolean;
  readonly s2p: boolean;
  readonly oasCode: number;
  readonly oas: number;
  /** IAS: the IPA size; equals OAS because VMSAv8-32 LPAE is not implemented (§3.4). */
  readonly ias: number;
  readonly sidBits: number;
  readonly ssidBits: number;
  readonly gran4k: boolean;
  readonly gran16k: boolean;
  readonly gran64k: boolean;
  readonly st2l: boolean;
  readonly cd2l: boolean;
  readonly asid16: boolean;
  readonly vmid16: boolean;
  readonly had: boolean;
  readonly ril: boolean;
  readonly attrPermsOvr: boolean;
  readonly msi: boolean;
  readonly cmdqLog2Max: number;
  readonly eventqLog2Max: number;
}

export function resolveFeatures(o: SmmuFeatureOptions = {}): SmmuFeatures {
  const oas = o.oas ?? 48;
  const oasCode = paSizeCode(oas);
  const g = o.granules ?? [4096, 16384, 65536];
  const sidBits = o.sidBits ?? 16;
  const ssidBits = o.ssidBits ?? 20;
  if (!Number.isInteger(sidBits) || sidBits < 0 || sidBits > 32) throw new RangeError('sidBits must be 0..32');
  if (!Number.isInteger(ssidBits) || ssidBits < 0 || ssidBits > 20) throw new RangeError('ssidBits must be 0..20');
  const s1p = o.s1 ?? true;
  const s2p = o.s2 ?? true;
  if (!s1p && !s2p) throw new RangeError('an SMMU implements at least one stage');
  return {
    s1p,
    s2p,
    oasCode,
    oas: PA_SIZE_BITS[oasCode]!,
    ias: PA_SIZE_BITS[oasCode]!,
    sidBits,
    ssidBits: s1p ? ssidBits : 0,
    gran4k: g.includes(4096),
    gran16k: g.includes(16384),
    gran64k: g.includes(65536),
    st2l: o.twoLevelStreamTable ?? true,
    cd2l: o.twoLevelCdTable ?? true,
    asid16: o.asid16 ?? true,
    vmid16: o.vmid16 ?? true,
    had: o.had ?? true,
    ril: o.ril ?? true,
    attrPermsOvr: o.attrPermsOverride ?? true,
    msi: o.msi ?? true,
    cmdqLog2Max: Math.min(o.cmdqLog2Max ?? 19, 19),
    eventqLog2Max: Math.min(o.eventqLog2Max ?? 19, 19),
  };
}

export function granuleSupported(f: SmmuFeatures, g: number): boolean {
  return g === 12 ? f.gran4k : g === 14 ? f.gran16k : g === 16 ? f.gran64k : false;
}

/** ID register values (§6.3.1-6.3.6) for the feature set. */
export function idRegisters(f: SmmuFeatures): { idr0: number; idr1: number; idr3: number; idr5: number } {
  let idr0 = 0;
  if (f.s2p) idr0 |= 1 << 0;
  if (f.s1p) idr0 |= 1 << 1;
  idr0 |= 2 << 2; // TTF: AArch64 tables only
  idr0 |= 1 << 4; // COHACC
  if (f.asid16) idr0 |= 1 << 12;
  if (f.msi) idr0 |= 1 << 13;
  if (f.vmid16) idr0 |= 1 << 18;
  if (f.cd2l) idr0 |= 1 << 19;
  idr0 |= 2 << 21; // TTENDIAN: little-endian only
  idr0 |= 1 << 24; // STALL_MODEL: stall not supported
  idr0 |= 1 << 26; // TERM_MODEL: terminate with abort only (CD.A must be 1)
  if (f.st2l) idr0 |= 1 << 27;
  let idr1 = (f.sidBits & 0x3f) | ((f.ssidBits & 0x1f) << 6) | ((f.eventqLog2Max & 0x1f) << 16) | ((f.cmdqLog2Max & 0x1f) << 21);
  if (f.attrPermsOvr) idr1 |= 1 << 26;
  let idr3 = 0;
  if (f.had) idr3 |= 1 << 2;
  if (f.ril) idr3 |= 1 << 10;
  let idr5 = f.oasCode;
  if (f.gran4k) idr5 |= 1 << 4;
  if (f.gran16k) idr5 |= 1 << 5;
  if (f.gran64k) idr5 |= 1 << 6;
  return { idr0: idr0 >>> 0, idr1: idr1 >>> 0, idr3: idr3 >>> 0, idr5: idr5 >>> 0 };
}
