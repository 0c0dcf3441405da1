/**
 * IORT encoder: IrMachine -> bytes in two phases, layout (layout.ts: sizes, offsets, references,
 * all as an IortTable model) then emit (emit.ts: bytes + checksum). The returned `table` is the
 * model the bytes are meant to hold, checksum included, so that tests can compare it with
 * decodeIort(bytes) field by field.
 */
import { type Diagnostic, hasErrors } from '../../diag/diagnostic';
import type { IrMachine } from '../../ir/types';
import { emitIort } from './emit';
import { layoutIort } from './layout';
import type { IortTable } from './model';

export interface IortEncodeResult {
  /** null when an error diagnostic prevents encoding. */
  bytes: Uint8Array | null;
  table: IortTable | null;
  diagnostics: Diagnostic[];
}

export function encodeIort(ir: IrMachine): IortEncodeResult {
  const laid = layoutIort(ir);
  if (!laid.value || hasErrors(laid.diagnostics)) return { bytes: null, table: null, diagnostics: laid.diagnostics };
  const bytes = emitIort(laid.value);
  const table: IortTable = { ...laid.value, header: { ...laid.value.header, checksum: bytes[9]!, checksumValid: true } };
  return { bytes, table, diagnostics: laid.diagnostics };
}

export { layoutIort } from './layout';
export { emitIort } from './emit';
