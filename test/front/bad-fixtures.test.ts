/**
 * Bad inputs: each file in test/fixtures/bad starts with a header line
 *   // expect: IOT2003 4:12, IOT2011 5:3        (DSL)
 *   # expect: IOT1106 3:5                       (YAML)
 * listing exactly the errors (code and line:col) the front end must report.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/ir/index';
import { BAD, read } from './helpers';

const files = readdirSync(BAD).filter((f) => /\.(iotopo|ya?ml)$/.test(f)).sort();

function expectations(text: string): string[] {
  const m = /^(?:\/\/|#)\s*expect:\s*(.+)$/m.exec(text.split('\n')[0] ?? '');
  if (!m) throw new Error('fixture has no "expect:" header on its first line');
  return m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
}

describe('bad-input fixtures', () => {
  it('there are at least 40, in both languages', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.filter((f) => f.endsWith('.yaml')).length).toBeGreaterThanOrEqual(15);
    expect(files.filter((f) => f.endsWith('.iotopo')).length).toBeGreaterThanOrEqual(25);
  });

  for (const f of files) {
    it(f, () => {
      const text = read(join(BAD, f));
      const want = expectations(text);
      expect(want.length).toBeGreaterThan(0);
      for (const w of want) expect(w).toMatch(/^IOT\d{4} \d+:\d+$/);
      const r = loadConfig(text, f);
      expect(r.value).toBeNull();
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${d.code} ${d.span?.line}:${d.span?.col}`)).toEqual(want);
      for (const d of r.diagnostics) {
        expect(d.code).toMatch(/^IOT\d{4}$/);
        expect(d.span?.file).toBe(f);
        expect(d.message.length).toBeGreaterThan(10);
        for (const rel of d.related ?? []) expect(rel.span?.line ?? 1).toBeGreaterThanOrEqual(1);
      }
    });
  }
});
