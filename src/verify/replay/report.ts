/**
 * The proof's result: a summary when every RID does what both tables (and the config) say, or
 * counterexamples, each naming a RID, the table entries it went through and what decided.
 */
import { type Diagnostic, makeDiag, type Related, sortDiagnostics } from '../../diag/diagnostic';
import { renderText } from '../../diag/render';
import { toJson } from '../../util/json';
import type { TraceStep } from '../types';
import type { VerifyCode } from '../codes';

export interface ProofSummary {
  /** PCI segments proven (every RID 0x0000..0xffff of each). */
  segments: number[];
  ridsTotal: number;
  /** RIDs whose resolution was compared and whose outcome was replayed or classed. */
  ridsReplayed: number;
  /** Pieces of the common refinement (ranges where every interpreter is uniform). */
  pieces: number;
  smmus: number;
  /** Devices that got a domain and full DMA + MSI replays. */
  devices: number;
  transactions: number;
  dmaTransactions: number;
  msiTransactions: number;
  /** One transaction per (SMMU, StreamID outcome class) for RIDs without a device. */
  classTransactions: number;
  /** Transactions that were meant to be blocked (abort, C_BAD_STREAMID, isolation) and were. */
  faultsAsExpected: number;
  /** RIDs that reach memory without an SMMU (RC -> ITS, or no IOMMU). */
  bypassRids: number;
  timeMs: number;
}

export interface Counterexample {
  code: string;
  title: string;
  segment: number;
  rid: number;
  /** "0000:81:00.0" */
  bdf: string;
  /** RIDs of the same uniform range that fail the same way (inclusive). */
  range: { lo: number; hi: number };
  message: string;
  expected: string;
  actual: string;
  /** Table entries the RID went through: IORT byte offsets ("0xc4") and DT paths. */
  path: TraceStep[];
  /** The STE / CD / descriptor / event that decided the outcome. */
  decidedBy: string[];
}

export interface ProofReport {
  proven: boolean;
  /** Error findings in total (counterexamples beyond the cap are counted, not kept). */
  errors: number;
  summary: ProofSummary;
  counterexamples: Counterexample[];
  /** Counterexamples as diagnostics, plus input errors, warnings and notes. */
  diagnostics: Diagnostic[];
}

export const DEFAULT_MAX_COUNTEREXAMPLES = 10;
const MAX_WARNINGS = 50;

export class Findings {
  readonly cex: Counterexample[] = [];
  readonly diags: Diagnostic[] = [];
  errors = 0;
  private warnings = 0;
  private readonly seen = new Set<string>();
  constructor(
    readonly max: number,
    readonly iortFile: string,
    readonly dtbFile: string,
  ) {}

  get full(): boolean {
    return this.cex.length >= this.max;
  }

  private locOf(step: TraceStep | undefined): { loc: { file: string; byteOffset?: number; path?: string } } | Record<string, never> {
    if (!step) return {};
    if (/^0x[0-9a-f]+$/i.test(step.where)) return { loc: { file: this.iortFile, byteOffset: parseInt(step.where, 16) } };
    if (step.where.startsWith('/')) return { loc: { file: this.dtbFile, path: step.where } };
    return {};
  }

  private related(path: TraceStep[], decidedBy: string[]): Related[] {
    return [
      ...path.map((s): Related => ({ message: s.what, ...this.locOf(s) })),
      ...decidedBy.map((d): Related => ({ message: d })),
    ];
  }

  /** Records a counterexample (error). Returns false once the cap is reached. */
  counterexample(code: VerifyCode, c: Omit<Counterexample, 'code' | 'title'>): boolean {
    this.errors++;
    if (this.full) return false;
    const full: Counterexample = { code: code.code, title: code.title, ...c };
    this.cex.push(full);
    const more = c.range.hi > c.range.lo ? ` (and ${c.range.hi - c.range.lo} more RIDs up to ${c.bdf.slice(0, 5)}${hexBdf(c.range.hi)})` : '';
    const first = c.path.find((s) => this.locOf(s) && Object.keys(this.locOf(s)).length);
    this.diags.push(
      makeDiag(code, `RID ${c.bdf}${more}: ${c.message}: expected ${c.expected}, got ${c.actual}`, this.locOf(first), {
        related: this.related(c.path, c.decidedBy),
      }),
    );
    return true;
  }

  /** A warning or note about a RID (deduplicated by message). */
  note(code: VerifyCode, message: string, where?: TraceStep, help?: string): void {
    if (this.seen.has(code.code + message)) return;
    this.seen.add(code.code + message);
    if (code.severity === 'error') this.errors++;
    else if (++this.warnings > MAX_WARNINGS) return;
    this.diags.push(makeDiag(code, message, this.locOf(where), help ? { help } : {}));
  }

  /** Diagnostics from the decoders, passed through. */
  pass(ds: Diagnostic[]): void {
    for (const d of ds) {
      if (d.severity === 'error') this.errors++;
      this.diags.push(d);
    }
  }
}

const hexBdf = (rid: number) => `${((rid >> 8) & 0xff).toString(16).padStart(2, '0')}:${((rid >> 3) & 0x1f).toString(16).padStart(2, '0')}.${rid & 7}`;

export function finishReport(f: Findings, summary: ProofSummary): ProofReport {
  return {
    proven: f.errors === 0,
    errors: f.errors,
    summary,
    counterexamples: f.cex,
    diagnostics: sortDiagnostics(f.diags).sort((a, b) => rank(a) - rank(b)),
  };
}

const rank = (d: Diagnostic) => (d.severity === 'error' ? 0 : d.severity === 'warning' ? 1 : 2);

/** One line: "proven: 131072 RIDs in 2 segments, ...". */
export function summaryText(r: ProofReport): string {
  const s = r.summary;
  const segs = s.segments.length;
  const head = r.proven ? 'proven' : 'DISPROVEN';
  return (
    `${head}: ${s.ridsReplayed} of ${s.ridsTotal} RIDs replayed in ${segs} segment${segs === 1 ? '' : 's'} ` +
    `(${s.pieces} uniform ranges), ${s.smmus} SMMU${s.smmus === 1 ? '' : 's'}, ${s.devices} device domain${s.devices === 1 ? '' : 's'}, ` +
    `${s.transactions} transactions (${s.dmaTransactions} DMA, ${s.msiTransactions} MSI, ${s.classTransactions} per StreamID class), ` +
    `${s.faultsAsExpected} faults as expected, ${s.bypassRids} RIDs without SMMU, ${s.timeMs.toFixed(1)} ms`
  );
}

/** Human report: counterexamples first (with their paths), then other findings, then the summary. */
export function renderProofText(r: ProofReport): string {
  const out: string[] = [];
  r.counterexamples.forEach((c, i) => {
    out.push(`counterexample ${i + 1}: ${c.code} ${c.title}`);
    out.push(`  RID ${c.bdf} (segment ${c.segment}, RID 0x${c.rid.toString(16).padStart(4, '0')})${c.range.hi > c.range.lo ? `, same for RIDs 0x${c.range.lo.toString(16)}..0x${c.range.hi.toString(16)}` : ''}`);
    out.push(`  ${c.message}`);
    out.push(`  expected: ${c.expected}`);
    out.push(`  actual:   ${c.actual}`);
    if (c.path.length) {
      out.push('  path:');
      for (const s of c.path) out.push(`    ${s.where.padEnd(8)} ${s.what}`);
    }
    if (c.decidedBy.length) {
      out.push('  decided by:');
      for (const d of c.decidedBy) out.push(`    ${d}`);
    }
    out.push('');
  });
  const others = r.diagnostics.filter((d) => !r.counterexamples.some((c) => d.code === c.code && d.message.startsWith(`RID ${c.bdf}`)));
  if (others.length) out.push(renderText(others).trimEnd());
  const hidden = r.errors - r.diagnostics.filter((d) => d.severity === 'error').length;
  if (hidden > 0) out.push(`(${hidden} more counterexample${hidden === 1 ? '' : 's'} not shown)`);
  out.push(summaryText(r));
  return out.join('\n') + '\n';
}

export function proofJson(r: ProofReport): string {
  return toJson(r);
}

