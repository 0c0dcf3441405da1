/**
 * Replays every stored failing case (test/fuzz/regressions/, written by `npm run fuzz`) through
 * its target with today's invariants, including the CLI in process. A fixed bug stays fixed.
 */
import { describe, expect, it } from 'vitest';
import { loadRegressions } from './lib/regressions';
import { checkCase } from './lib/runner';
import { Scratch } from './lib/targets';

const cases = loadRegressions();

describe('fuzz regressions', () => {
  it('the store holds the cases found so far', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const c of cases)
    it(`${c.name} (${c.meta.origin})`, async () => {
      const scratch = new Scratch();
      try {
        const r = await checkCase(c.input, { cli: true, scratch });
        expect(r.problems, `first found as: ${c.meta.problems.join('; ')}`).toEqual([]);
      } finally {
        scratch.dispose();
      }
    });
});
