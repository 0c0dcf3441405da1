/**
 * Public API of the verifier: the table interpreters (IORT: Linux iort_node_map_id; DT: Linux
 * of_map_id) and the replay proof of emitted tables.
 *
 *   const report = proveTables({ iort, dtb, ir, files: { iort: 'out/iort.bin', dtb: 'out/machine.dtb' } });
 *   report.proven            // true: every RID of every segment does what both tables (and the config) say
 *   renderProofText(report)  // counterexamples with their table paths, then a one-line summary
 *   report.diagnostics       // IOT6xxx findings (plus decoder diagnostics), for the usual renderers
 */
export { proveTables, type ProveInput } from './replay/prove';
export {
  type Counterexample,
  DEFAULT_MAX_COUNTEREXAMPLES,
  type ProofReport,
  type ProofSummary,
  proofJson,
  renderProofText,
  summaryText,
} from './replay/report';
export { VerifyCodes } from './codes';
export { resolveRid, listRmrs, rmrStreamsBySmmu, mapId, findRootComplex } from './iort-map';
export { DtInterpreter, dtBridges, segmentsFromIr, ofMapId } from './dt-map';
export type { RidResolution, TraceStep } from './types';
