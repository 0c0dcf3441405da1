/**
 * Codes of the named checks (IOT5xxx). One check = one code = one default level, so that a
 * pipeline can grep for a code and a user can toggle the check by its name.
 *
 *   IOT5000       engine (unknown check name in a config's check levels)
 *   IOT5001-5099  config checks on the lowered IR
 *   IOT5100-5199  IORT table checks (binary)
 *   IOT5200-5299  DT checks (binary)
 *   IOT5900-5999  lint driver (decoder failures, unknown inputs)
 */
import { defineCodes } from '../diag/diagnostic';

export const ENGINE_CODES = defineCodes({
  unknownCheck: { code: 'IOT5000', severity: 'error', title: 'unknown check name' },
  lintDecodeFailed: { code: 'IOT5900', severity: 'error', title: 'the table could not be decoded for linting' },
  lintUnknownInput: { code: 'IOT5901', severity: 'error', title: 'input is neither an IORT table, a DTB nor a config' },
});
