/** All config checks, in run order (dtc runs its check table in order too). */
import { busChecks } from './bus';
import type { ConfigCtx } from './context';
import { irqChecks } from './irq';
import { mmioChecks } from './mmio';
import { nestedChecks } from './nested';
import { ridChecks } from './rid';
import { rmrChecks } from './rmr';
import type { CheckDef } from '../types';

export const configChecks: CheckDef<ConfigCtx>[] = [
  ...busChecks,
  ...ridChecks,
  ...mmioChecks,
  ...irqChecks,
  ...rmrChecks,
  ...nestedChecks,
];
export { buildConfigCtx, type ConfigCtx } from './context';
