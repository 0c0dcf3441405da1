/**
 * Through the front end: every examples/*.iotopo|yaml goes loadConfig -> encodeIort. The QEMU
 * examples must reproduce QEMU 10.0's IORT.dat byte for byte; every example round-trips, the
 * Linux interpreter follows its ridMap, and its dump matches test/golden/iort/examples/.
 * Regenerate goldens on purpose only: UPDATE_GOLDEN=1 npx vitest run test/iort/examples.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import { dumpIort } from '../../src/backends/iort/dump';
import { encodeIort } from '../../src/backends/iort/encode';
import { loadConfig } from '../../src/ir/index';
import type { IrMachine } from '../../src/ir/types';
import { resolveRid } from '../../src/verify/iort-map';
import { REF_DIR } from './fixtures';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;
const GOLDEN = new URL('../golden/iort/examples/', import.meta.url).pathname;
const QEMU_REF: Record<string, string> = {
  'qemu-a-smmuv3': 'a_smmuv3',
  'qemu-b-smmuv3-2pxb': 'b_smmuv3_2pxb',
  'qemu-c-smmuv3-2pxb-bypass': 'c_smmuv3_2pxb_bypass',
};

function load(file: string): IrMachine {
  const r = loadConfig(readFileSync(EXAMPLES + file, 'utf8'), `examples/${file}`);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.value!;
}

const files = readdirSync(EXAMPLES).filter((f) => /\.(iotopo|ya?ml)$/.test(f)).sort();

describe('examples through the front end', () => {
  it('the QEMU examples exist in both languages', () => {
    for (const base of Object.keys(QEMU_REF)) {
      expect(files).toContain(`${base}.iotopo`);
      expect(files).toContain(`${base}.yaml`);
    }
  });

  for (const f of files.filter((x) => QEMU_REF[x.replace(/\.(iotopo|ya?ml)$/, '')])) {
    const ref = QEMU_REF[f.replace(/\.(iotopo|ya?ml)$/, '')]!;
    it(`${f}: byte-identical to QEMU 10.0 ${ref}/IORT.dat`, () => {
      const r = encodeIort(load(f));
      expect(r.diagnostics).toEqual([]);
      expect(Buffer.from(r.bytes!).toString('hex')).toBe(readFileSync(`${REF_DIR}/${ref}/IORT.dat`).toString('hex'));
    });
  }

  for (const f of files) {
    it(`${f}: encodes, round-trips, the interpreter follows the ridMap, golden dump`, () => {
      const ir = load(f);
      const r = encodeIort(ir);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const d = decodeIort(r.bytes!, f);
      expect(d.diagnostics).toEqual([]);
      expect(d.value).toEqual(r.table);
      for (const seg of ir.segments)
        for (const range of seg.ridMap) {
          if (range.owner === null) continue;
          for (const rid of [range.base, range.base + range.count - 1]) {
            const res = resolveRid(r.table!, seg.segment, rid);
            expect(res.fwBugs).toEqual([]);
            const t = range.target;
            if (t.kind === 'smmu') {
              expect(res.smmu).toEqual({ base: ir.smmus.find((s) => s.id === t.smmu)!.base });
              expect(res.streamId).toBe(t.streamBase + (rid - range.base));
            } else {
              expect(res.smmu).toBeNull();
              if (t.kind === 'its') expect(res.deviceId).toBe(t.deviceBase + (rid - range.base));
            }
          }
        }
      const name = f.replace(/\.(iotopo|ya?ml)$/, '');
      const text = dumpIort(r.table!, `${name}.iort`);
      const path = `${GOLDEN}${name}.dump.txt`;
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(path, text);
      }
      expect(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1`).toBe(true);
      // both languages of one example must give the same table
      expect(text).toBe(readFileSync(path, 'utf8'));
    });
  }
});
