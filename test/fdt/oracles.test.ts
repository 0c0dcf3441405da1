/**
 * External oracles on every DTB we produce: dtc reads it without a warning, and dt-validate
 * (core schemas + the Linux arm,smmu-v3 binding, /work/shared/schemas) prints nothing, except,
 * in merge mode, the report QEMU's own untouched platform-bus node already draws.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFdt } from '../../src/backends/fdt/encode';
import { exampleFiles, loadExample, QEMU_EXAMPLE } from './examples';
import { FIXTURES } from './fixtures';
import { dtcToDts, dtValidate, QEMU_CASES, qemuDtb } from './util';

const examples: { name: string; dtb: () => Uint8Array; merged: boolean }[] = [
  ...Object.entries(FIXTURES).map(([name, make]) => ({ name: `fixture ${name}`, dtb: () => buildFdt(make()).value!, merged: false })),
  ...exampleFiles().map((f) => ({ name: `example ${f}`, dtb: () => buildFdt(loadExample(f)).value!, merged: false })),
  ...QEMU_CASES.map((c) => ({
    name: `example ${QEMU_EXAMPLE[c]} merged into ${c}/machine.dtb`,
    dtb: () => buildFdt(loadExample(QEMU_EXAMPLE[c]!), { baseDtb: new Uint8Array(readFileSync(qemuDtb(c))) }).value!,
    merged: true,
  })),
];

describe('oracles', () => {
  it('the untouched QEMU tree draws the three reports the schema README names', () => {
    const out = dtValidate(new Uint8Array(readFileSync(qemuDtb('a_smmuv3')))).join('\n');
    expect(out).toMatch(/platform-bus@c000000/);
    expect(out).toMatch(/smmuv3@9050000: \$nodename/);
    expect(out).toMatch(/interrupt-names/);
  });
  for (const ex of examples) {
    it(`${ex.name}: dtc prints no warning`, () => {
      const r = dtcToDts(ex.dtb());
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
    });
    it(`${ex.name}: dt-validate prints nothing${ex.merged ? ' about our nodes' : ''}`, () => {
      const lines = dtValidate(ex.dtb());
      if (!ex.merged) expect(lines).toEqual([]);
      else {
        // Only QEMU's platform-bus report (a base node we leave alone): two lines.
        expect(lines.length).toBe(2);
        expect(lines[0]).toMatch(/: platform-bus@c000000: 'interrupt-parent' does not match/);
        expect(lines[1]).toMatch(/qemu,platform\.yaml/);
      }
    });
  }
});
