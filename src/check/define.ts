/**
 * `check()` declares one named check and registers its code with the shared diagnostic code
 * registry, so that code uniqueness is enforced at load time like every other module's codes.
 */
import { defineCodes } from '../diag/diagnostic';
import type { CheckDef } from './types';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const CODE = /^IOT5\d{3}$/;

export function check<Ctx>(def: CheckDef<Ctx>): CheckDef<Ctx> {
  if (!NAME.test(def.name) || def.name.startsWith('no-')) throw new Error(`bad check name '${def.name}'`);
  if (!CODE.test(def.code)) throw new Error(`bad check code '${def.code}' for ${def.name}`);
  defineCodes({
    [def.name]: { code: def.code, severity: def.level === 'error' ? 'error' : 'warning', title: def.title },
  });
  return def;
}
