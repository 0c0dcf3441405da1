/**
 * SMMUv3 architectural constants: register offsets (page 0; page 1 at +0x10000), register
 * fields, command opcodes and event numbers (Arm IHI 0070 §6.3, §4.1, §7.3; Linux
 * arm-smmu-v3.h uses the same values).
 */
export const REG = {
  IDR0: 0x00,
  IDR1: 0x04,
  IDR2: 0x08,
  IDR3: 0x0c,
  IDR4: 0x10,
  IDR5: 0x14,
  IIDR: 0x18,
  AIDR: 0x1c,
  CR0: 0x20,
  CR0ACK: 0x24,
  CR1: 0x28,
  CR2: 0x2c,
  STATUSR: 0x40,
  GBPA: 0x44,
  AGBPA: 0x48,
  IRQ_CTRL: 0x50,
  IRQ_CTRLACK: 0x54,
  GERROR: 0x60,
  GERRORN: 0x64,
  GERROR_IRQ_CFG0: 0x68,
  GERROR_IRQ_CFG1: 0x70,
  GERROR_IRQ_CFG2: 0x74,
  STRTAB_BASE: 0x80,
  STRTAB_BASE_CFG: 0x88,
  CMDQ_BASE: 0x90,
  CMDQ_PROD: 0x98,
  CMDQ_CONS: 0x9c,
  EVENTQ_BASE: 0xa0,
  EVENTQ_PROD: 0xa8,
  EVENTQ_CONS: 0xac,
  EVENTQ_IRQ_CFG0: 0xb0,
  EVENTQ_IRQ_CFG1: 0xb8,
  EVENTQ_IRQ_CFG2: 0xbc,
  PRIQ_BASE: 0xc0,
  PRIQ_PROD: 0xc8,
  PRIQ_CONS: 0xcc,
  PAGE1: 0x10000,
} as const;

export const CR0 = { SMMUEN: 1 << 0, PRIQEN: 1 << 1, EVENTQEN: 1 << 2, CMDQEN: 1 << 3, ATSCHK: 1 << 4 } as const;
export const CR2 = { E2H: 1 << 0, RECINVSID: 1 << 1, PTM: 1 << 2 } as const;
export const GBPA = { ABORT: 1 << 20, UPDATE: 0x80000000 } as const;
export const GERROR = {
  CMDQ_ERR: 1 << 0,
  EVENTQ_ABT_ERR: 1 << 2,
  PRIQ_ABT_ERR: 1 << 3,
  MSI_CMDQ_ABT_ERR: 1 << 4,
  MSI_EVENTQ_ABT_ERR: 1 << 5,
  MSI_PRIQ_ABT_ERR: 1 << 6,
  MSI_GERROR_ABT_ERR: 1 << 7,
  SFM_ERR: 1 << 8,
} as const;

/** CMDQ_CONS.ERR values (bits [30:24]). */
export const CERROR = { NONE: 0, ILL: 1, ABT: 2, ATC_INV_SYNC: 3 } as const;

export const STRTAB_FMT = { LINEAR: 0, TWO_LEVEL: 1 } as const;

export const CMD = {
  PREFETCH_CONFIG: 0x01,
  PREFETCH_ADDR: 0x02,
  CFGI_STE: 0x03,
  CFGI_STE_RANGE: 0x04,
  CFGI_CD: 0x05,
  CFGI_CD_ALL: 0x06,
  TLBI_NH_ALL: 0x10,
  TLBI_NH_ASID: 0x11,
  TLBI_NH_VA: 0x12,
  TLBI_NH_VAA: 0x13,
  TLBI_EL3_ALL: 0x18,
  TLBI_EL3_VA: 0x1a,
  TLBI_EL2_ALL: 0x20,
  TLBI_EL2_ASID: 0x21,
  TLBI_EL2_VA: 0x22,
  TLBI_EL2_VAA: 0x23,
  TLBI_S12_VMALL: 0x28,
  TLBI_S2_IPA: 0x2a,
  TLBI_NSNH_ALL: 0x30,
  ATC_INV: 0x40,
  PRI_RESP: 0x41,
  RESUME: 0x44,
  STALL_TERM: 0x45,
  SYNC: 0x46,
} as const;

/** CMD_SYNC completion signal (dw0 CS[13:12]). */
export const SYNC_CS = { NONE: 0, IRQ: 1, SEV: 2 } as const;

export const EVT = {
  F_UUT: 0x01,
  C_BAD_STREAMID: 0x02,
  F_STE_FETCH: 0x03,
  C_BAD_STE: 0x04,
  F_BAD_ATS_TREQ: 0x05,
  F_STREAM_DISABLED: 0x06,
  F_TRANSL_FORBIDDEN: 0x07,
  C_BAD_SUBSTREAMID: 0x08,
  F_CD_FETCH: 0x09,
  C_BAD_CD: 0x0a,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
  F_TLB_CONFLICT: 0x20,
  F_CFG_CONFLICT: 0x21,
  E_PAGE_REQUEST: 0x24,
  F_VMS_FETCH: 0x25,
} as const;
export type EventName = keyof typeof EVT;

const EVT_NAMES = new Map<number, EventName>(Object.entries(EVT).map(([k, v]) => [v, k as EventName]));
export function eventName(code: number): EventName | `UNKNOWN_0x${string}` {
  return EVT_NAMES.get(code) ?? `UNKNOWN_0x${code.toString(16).padStart(2, '0')}`;
}

/** Event CLASS field: what the faulting access was for (§7.3). */
export const CLASS = { CD: 0, TT: 1, IN: 2 } as const;
export type EventClass = 'CD' | 'TT' | 'IN';
export const CLASS_NAMES: readonly EventClass[] = ['CD', 'TT', 'IN'];

/** IDR5.OAS / CD.IPS / STE.S2PS encodings → bits. */
export const PA_SIZE_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52, 56];
export function paSizeCode(bits: number): number {
  const i = PA_SIZE_BITS.indexOf(bits);
  if (i < 0 || i > 6) throw new RangeError(`unsupported address size ${bits}`);
  return i;
}
