/**
 * Golden DTS of every example (standalone, and merged into QEMU's machine.dtb for the QEMU
 * examples) and of the hand-built fixtures. Compared by explicit reads; regenerate on purpose
 * with UPDATE_GOLDEN=1 npx vitest run test/fdt/golden.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { toDts } from '../../src/backends/fdt/dts';
import { buildFdt } from '../../src/backends/fdt/encode';
import { exampleFiles, loadExample, QEMU_EXAMPLE } from './examples';
import { FIXTURES, qemuA, qemuB, qemuC } from './fixtures';
import { qemuDtb } from './util';

const GOLDEN = join(__dirname, '..', 'golden', 'fdt');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, dts: string): void {
  const p = join(GOLDEN, name);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(p, dts);
  }
  expect(existsSync(p), `${p} missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(dts).toBe(readFileSync(p, 'utf8'));
}

const dtsOf = (b: Uint8Array) => toDts(decodeDtb(b, 'x').value!);

describe('golden DTS', () => {
  it('there are examples to cover', () => expect(exampleFiles().length).toBeGreaterThanOrEqual(6));
  for (const f of exampleFiles()) {
    it(`${f}`, () => {
      const r = buildFdt(loadExample(f));
      expect(r.diagnostics.filter((d) => d.severity !== 'note')).toEqual([]);
      golden(`${f.replace(/\.(iotopo|ya?ml)$/, '')}.dts`, dtsOf(r.value!));
    });
  }
  for (const [c, f] of Object.entries(QEMU_EXAMPLE)) {
    it(`${f} merged into QEMU's ${c}/machine.dtb`, () => {
      const r = buildFdt(loadExample(f), { baseDtb: new Uint8Array(readFileSync(qemuDtb(c))) });
      expect(r.diagnostics).toEqual([]);
      golden(`${f.replace(/\.iotopo$/, '')}.merged.dts`, dtsOf(r.value!));
    });
  }
  it('the DSL and YAML forms of each example give the same DTB', () => {
    const stems = [...new Set(exampleFiles().map((f) => f.replace(/\.(iotopo|ya?ml)$/, '')))];
    let pairs = 0;
    for (const s of stems) {
      const forms = exampleFiles().filter((f) => f.startsWith(s + '.'));
      if (forms.length < 2) continue;
      const outs = forms.map((f) => Buffer.from(buildFdt(loadExample(f)).value!));
      for (const o of outs) expect(o.equals(outs[0]!)).toBe(true);
      pairs++;
    }
    expect(pairs).toBeGreaterThanOrEqual(3);
  });
  it('the hand-built QEMU fixtures describe the same machines as the examples', () => {
    const cases: [() => ReturnType<typeof qemuA>, string][] = [
      [qemuA, QEMU_EXAMPLE.a_smmuv3!],
      [qemuB, QEMU_EXAMPLE.b_smmuv3_2pxb!],
      [qemuC, QEMU_EXAMPLE.c_smmuv3_2pxb_bypass!],
    ];
    for (const [make, f] of cases) {
      const ex = loadExample(f);
      const fx = make();
      fx.name = ex.name;
      fx.platform = ex.platform;
      expect(dtsOf(buildFdt(fx).value!)).toBe(dtsOf(buildFdt(ex).value!));
    }
  });
  for (const name of ['custom']) {
    it(`fixture ${name}`, () => golden(`fixture-${name}.dts`, dtsOf(buildFdt(FIXTURES[name]!()).value!)));
  }
});
