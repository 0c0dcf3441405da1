/**
 * Reference SMMUv3 interpreter: public surface for the replay proof, tests and benchmarks.
 */
export { PhysMem, CHUNK_SIZE, PA_LIMIT } from './physmem';
export { Smmu, type SmmuOptions, type SmmuStats, type CacheMismatch } from './smmu';
export { TranslationResult, type Transaction, type Outcome } from './result';
export { type SmmuEvent, makeEvent, encodeEvent, encodeEventWords, decodeEvent, sameRecord, formatEvent } from './events';
export { type SmmuFeatureOptions, type SmmuFeatures, resolveFeatures, idRegisters } from './features';
export { REG, CR0, CR2, GBPA, GERROR, CERROR, CMD, EVT, CLASS, type EventName, type EventClass, eventName, PA_SIZE_BITS } from './regs';
export {
  decodeSte,
  decodeCd,
  isIllegal,
  levelShift,
  s1StartLevel,
  s2StartLevel,
  s2GeometryError,
  blockAllowed,
  type SteCfg,
  type CdCfg,
  type S2Cfg,
  type TtCfg,
  type Illegal,
} from './config';
export { s1Permits, s2Permits, S1P, S2P } from './walk';
export {
  cmd,
  steAbort,
  steBypass,
  steS1,
  steS2,
  steNested,
  cd,
  l1std,
  l1cd,
  writeDwords,
  tg0,
  tg1,
  LINUX_MAIR,
  type Command,
  type Dwords,
  type Granule,
  type S1SteFields,
  type S2SteFields,
  type CdFields,
  type TableFields,
  type TlbiRange,
} from './build/encode';
export { PageAllocator, PageTable, IpaView, physView, type MemView, type Prot, type PageTableFormat, type Mapping } from './build/pgtable';
export { SmmuDriver, type DriverOptions, type CmdqOutcome, type S1Domain, type S2Domain } from './build/driver';
