/**
 * Mutation testing of the replay proof: every operator is applied to every example where it is
 * semantic, and every mutant must be rejected by proveTables with a counterexample naming a
 * RID. The suite prints the kill rate per operator and overall.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { proveTables } from '../../src/verify/index';
import { type Mutant, OPERATORS } from './operators';
import { exampleNames, loadSubject, type Subject } from './subjects';

/**
 * Sites per (operator, example): the first and the last, to keep the run short.
 * MUTATION_ALL_SITES=1 runs every site (567 mutants at the time of writing, all killed).
 */
const MAX_SITES = process.env.MUTATION_ALL_SITES ? Infinity : 2;
const BDF = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

interface Row {
  op: string;
  example: string;
  site: string;
  killed: boolean;
  why: string;
}

const rows: Row[] = [];
const subjects: Subject[] = exampleNames().map(loadSubject);

function pick(ms: Mutant[]): Mutant[] {
  return ms.length <= MAX_SITES ? ms : [ms[0]!, ms[ms.length - 1]!];
}

describe('unmutated tables', () => {
  for (const s of subjects)
    it(`${s.name} proves clean, every RID of every segment replayed`, () => {
      const r = proveTables({ iort: s.iort, dtb: s.dtb, ir: s.ir });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(r.proven).toBe(true);
      expect(r.summary.ridsReplayed).toBe(0x10000 * s.ir.segments.length);
      expect(r.summary.ridsTotal).toBe(0x10000 * s.ir.segments.length);
    });
});

describe('mutation operators', () => {
  it('has at least 20 distinct operators over IORT and DTB bytes', () => {
    expect(new Set(OPERATORS.map((o) => o.name)).size).toBe(OPERATORS.length);
    expect(OPERATORS.length).toBeGreaterThanOrEqual(20);
    expect(OPERATORS.filter((o) => o.name.startsWith('iort-')).length).toBeGreaterThanOrEqual(10);
    expect(OPERATORS.filter((o) => o.name.startsWith('dt-')).length).toBeGreaterThanOrEqual(8);
  });

  for (const op of OPERATORS) {
    it(`${op.name}: ${op.doc}`, () => {
      let applied = 0;
      for (const s of subjects) {
        for (const m of pick(op.sites(s))) {
          applied++;
          expect(m.iort.length === s.iort.length ? m.iort.some((b, i) => b !== s.iort[i]) || m.dtb !== s.dtb : true).toBe(true);
          const r = proveTables({ iort: m.iort, dtb: m.dtb, ir: s.ir, files: { iort: 'mutant-iort.bin', dtb: 'mutant.dtb' } });
          const named = r.counterexamples.length > 0 && r.counterexamples.every((c) => BDF.test(c.bdf));
          const killed = !r.proven && named;
          rows.push({ op: op.name, example: s.name, site: m.site, killed, why: killed ? `${r.counterexamples[0]!.code} ${r.counterexamples[0]!.bdf}` : r.diagnostics.map((d) => d.code).join(',') || 'proven' });
        }
      }
      expect(applied, `${op.name} applies to no example`).toBeGreaterThan(0);
      const survivors = rows.filter((x) => x.op === op.name && !x.killed);
      expect(survivors, JSON.stringify(survivors, null, 1)).toEqual([]);
    });
  }

  it('kills 100% of applicable mutants', () => {
    const killed = rows.filter((r) => r.killed).length;
    expect(rows.length).toBeGreaterThanOrEqual(OPERATORS.length);
    expect(killed).toBe(rows.length);
  });
});

afterAll(() => {
  const byOp = new Map<string, { n: number; k: number; ex: Set<string> }>();
  for (const r of rows) {
    const e = byOp.get(r.op) ?? { n: 0, k: 0, ex: new Set<string>() };
    e.n++;
    if (r.killed) e.k++;
    e.ex.add(r.example.replace(/\.iotopo$/, ''));
    byOp.set(r.op, e);
  }
  const lines = [...byOp.entries()].map(([op, e]) => `  ${op.padEnd(34)} ${String(e.k).padStart(3)}/${String(e.n).padEnd(3)} ${[...e.ex].join(', ')}`);
  const killed = rows.filter((r) => r.killed).length;
  const rate = rows.length ? ((100 * killed) / rows.length).toFixed(1) : '0';
  console.log(`mutation kill rate: ${killed}/${rows.length} = ${rate}% over ${byOp.size} operators and ${subjects.length} examples\n${lines.join('\n')}`);
  for (const r of rows.filter((x) => !x.killed)) console.log(`  SURVIVED ${r.op} on ${r.example} at ${r.site}: ${r.why}`);
});
