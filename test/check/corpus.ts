/**
 * The real-world corpus (/work/shared/corpus/real): every IORT dump, every DTB, and the vendor
 * IORT .asl sources compiled with iasl into a temp dir (those that compile). Linted with the
 * default levels; summarised per file as codes + counts for the golden comparison.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sniff } from '../../src/cli/commands/decode';
import { lintBytes, resolveCheckLevels } from '../../src/check/index';
import type { Diagnostic } from '../../src/diag/diagnostic';
import { runTool } from '../helpers/oracles';
import { SHARED } from '../helpers/shared';

export const CORPUS = `${SHARED}/corpus/real`;

export interface CorpusEntry {
  /** Path relative to the corpus root ("iort/x.iort.dat", "iort-asl/x.asl"). */
  name: string;
  bytes: Uint8Array | null;
  /** Why there are no bytes (an .asl that iasl cannot compile). */
  note?: string;
}

export function corpusEntries(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const list = (sub: string, ext: string) => readdirSync(join(CORPUS, sub)).filter((f) => f.endsWith(ext)).sort();
  for (const f of list('iort', '.dat')) out.push({ name: `iort/${f}`, bytes: new Uint8Array(readFileSync(join(CORPUS, 'iort', f))) });
  for (const f of list('dts-derived', '.dtb')) out.push({ name: `dts-derived/${f}`, bytes: new Uint8Array(readFileSync(join(CORPUS, 'dts-derived', f))) });
  const tmp = mkdtempSync(join(tmpdir(), 'iotopo-asl-'));
  for (const f of list('iort-asl', '.asl')) {
    copyFileSync(join(CORPUS, 'iort-asl', f), join(tmp, f));
    const r = runTool('iasl', [f], { cwd: tmp });
    const aml = join(tmp, basename(f, '.asl') + '.aml');
    if (r.status === 0 && existsSync(aml)) out.push({ name: `iort-asl/${f}`, bytes: new Uint8Array(readFileSync(aml)) });
    else out.push({ name: `iort-asl/${f}`, bytes: null, note: `iasl cannot compile it (exit ${r.status})` });
  }
  rmSync(tmp, { recursive: true, force: true });
  return out;
}

export interface FileSummary {
  kind: string;
  decoded: boolean;
  /** code -> number of findings, sorted by code. */
  codes: Record<string, number>;
  note?: string;
}

export function lintEntry(e: CorpusEntry): { summary: FileSummary; diagnostics: Diagnostic[] } {
  if (!e.bytes) return { summary: { kind: 'asl', decoded: false, codes: {}, note: e.note }, diagnostics: [] };
  const kind = sniff(e.bytes);
  const r = lintBytes(e.bytes, e.name, kind, resolveCheckLevels().levels);
  const codes: Record<string, number> = {};
  for (const d of [...r.diagnostics].sort((a, b) => a.code.localeCompare(b.code))) codes[d.code] = (codes[d.code] ?? 0) + 1;
  return { summary: { kind: r.kind, decoded: r.decoded, codes }, diagnostics: r.diagnostics };
}

/** The markdown table kept in docs/lint-findings.md between the GENERATED markers. */
export function findingsTable(summaries: Record<string, FileSummary>, names: Map<string, string>): string {
  const rows = ['| file | kind | findings (code x count) |', '| --- | --- | --- |'];
  for (const [file, s] of Object.entries(summaries)) {
    const cells = Object.entries(s.codes).map(([c, n]) => `${c} ${names.get(c) ?? ''} x${n}`.replace('  ', ' '));
    const what = s.note ?? (cells.length ? cells.join('<br>') : 'clean');
    rows.push(`| \`${file}\` | ${s.kind}${s.decoded || s.note ? '' : ' (not decoded)'} | ${what} |`);
  }
  return rows.join('\n');
}
