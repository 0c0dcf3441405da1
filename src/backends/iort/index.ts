/**
 * Public API of the IORT back end.
 *   encodeIort(ir)            IrMachine -> { bytes, table (intended model), diagnostics }
 *   decodeIort(bytes, file)   bytes -> { value: IortTable | null, diagnostics }
 *   dumpIort(table, file?)    iasl-like text dump
 *   layoutIort / emitIort     the encoder's two phases (model, then bytes)
 * The model (model.ts) is plain data shared with the lint and the verifier
 * (src/verify/iort-map.ts interprets it with Linux semantics).
 */
export { encodeIort, type IortEncodeResult } from './encode';
export { layoutIort, nodeRevisions, SUPPORTED_REVISIONS } from './layout';
export { emitIort, checksumOf } from './emit';
export { decodeIort } from './decode';
export { dumpIort } from './dump';
export { runIortDecode } from './cli';
export { IortCodes } from './codes';
export * from './model';
