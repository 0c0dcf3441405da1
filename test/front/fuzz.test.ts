/**
 * Property tests: random and mutated inputs never crash the front end. Every run ends with
 * exit 0/1/2, every diagnostic has a code and a location, and a value comes only without errors.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';
import type { Diagnostic } from '../../src/diag/diagnostic';
import { loadConfig, loadConfigBytes } from '../../src/ir/index';
import { EXAMPLES, read } from './helpers';

const seeds = readdirSync(EXAMPLES)
  .filter((f) => /\.(iotopo|yaml)$/.test(f))
  .sort()
  .map((f) => ({ file: f, text: read(join(EXAMPLES, f)) }));

const pieces = ['{', '}', '[', ']', ';', '\n', ' ', '"', '..', '0x', '_', 'K', ':', '- ', '&a ', '*a', '!!int ', '#', '/*', '*/',
  'machine', 'pcie.0', 'smmu0', 'smmuv3 s { }', 'rmr r { ids 0 }', '\t', '\\', 'é', '\uFEFF', '0', '9', ',', '|', '---\n', '? ', 'bus_nr', 'kind: vfio'];

const mutation = fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })));

function mutate(text: string, muts: [number, number, string][]): string {
  let t = text;
  for (const [pos, del, ins] of muts) {
    const p = pos % (t.length + 1);
    t = t.slice(0, p) + ins + t.slice(p + del);
  }
  return t;
}

function wellFormed(ds: Diagnostic[], file: string): boolean {
  for (const d of ds) {
    if (!/^IOT\d{4}$/.test(d.code)) return false;
    if (!d.span || d.span.file !== file || d.span.line < 1 || d.span.col < 1) return false;
    if (!['error', 'warning', 'note'].includes(d.severity) || d.message === '') return false;
    if (d.code === 'IOT7005') return false; // the catch-all: a reader bug
  }
  return true;
}

describe('fuzz', () => {
  it('mutated examples: no exception, coded located diagnostics, value iff no error', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, muts) => {
        const { file, text } = seeds[i]!;
        const src = mutate(text, muts);
        const r = loadConfig(src, file);
        expect(wellFormed(r.diagnostics, file)).toBe(true);
        expect(r.value !== null).toBe(!r.diagnostics.some((d) => d.severity === 'error'));
      }),
      { numRuns: 200, seed: 20251122 },
    );
  });

  it('random text and bytes in either language', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 80 })), fc.boolean(), (s, yaml) => {
        const file = yaml ? 'r.yaml' : 'r.iotopo';
        const r = loadConfig(s, file);
        expect(wellFormed(r.diagnostics, file)).toBe(true);
      }),
      { numRuns: 60, seed: 7 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, yaml) => {
        const file = yaml ? 'b.yaml' : 'b.iotopo';
        const r = loadConfigBytes(b, file);
        expect(wellFormed(r.diagnostics, file)).toBe(true);
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it('the CLI always exits 0, 1 or 2 and never prints a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iotopo-fuzz-'));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { maxLength: 4 }), fc.constantFrom('check', 'ir'), fc.boolean(), async (i, muts, cmd, json) => {
        const { file, text } = seeds[i]!;
        const p = join(dir, file);
        writeFileSync(p, mutate(text, muts));
        const io = bufferIo();
        const code = await run([cmd, p, ...(json ? ['--format', 'json'] : [])], io);
        expect([0, 1, 2]).toContain(code);
        expect(io.stdout + io.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
        if (json && cmd === 'check') expect(() => JSON.parse(io.stdout)).not.toThrow();
        if (code === 0 && cmd === 'ir') expect(JSON.parse(io.stdout).name).toBeTypeOf('string');
      }),
      { numRuns: 40, seed: 3 },
    );
  });
});
