/**
 * Golden dumps: the text dump (and one JSON model) of every fixture and of representative corpus
 * tables, compared with files under test/golden/iort/. Regenerate on purpose only:
 *   UPDATE_GOLDEN=1 npx vitest run test/iort/golden.test.ts
 * A missing golden file is a failure (never written silently).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import { dumpIort } from '../../src/backends/iort/dump';
import { encodeIort } from '../../src/backends/iort/encode';
import type { IrMachine } from '../../src/ir/types';
import { toJson } from '../../src/util/json';
import { fixtureCustom, fixtureCustomRev3, fixtureQemuNoIts, fixtureQemuRmr, fixtureQemuTwoSmmus, QEMU_FIXTURES, REF_DIR } from './fixtures';
import { SHARED } from '../helpers/shared';

const GOLDEN = new URL('../golden/iort/', import.meta.url).pathname;
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string) {
  const path = GOLDEN + name;
  if (UPDATE) writeFileSync(path, actual);
  expect(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const dumpOf = (bytes: Uint8Array, label: string) => {
  const r = decodeIort(bytes, label);
  return dumpIort(r.value!, label);
};

describe('golden dumps: encoder fixtures', () => {
  const fixtures: Record<string, () => IrMachine> = {
    ...QEMU_FIXTURES,
    qemu_rmr: fixtureQemuRmr,
    qemu_its_off: fixtureQemuNoIts,
    qemu_two_smmus: fixtureQemuTwoSmmus,
    custom_rev3: fixtureCustomRev3,
    custom_rev5: () => fixtureCustom(5),
    custom_rev6: () => fixtureCustom(6),
  };
  for (const [name, make] of Object.entries(fixtures))
    it(name, () => golden(`${name}.dump.txt`, dumpOf(encodeIort(make()).bytes!, `${name}.iort`)));
  it('a_smmuv3 model as JSON', () => golden('a_smmuv3.model.json', toJson(encodeIort(QEMU_FIXTURES.a_smmuv3!()).table)));
});

describe('golden dumps: QEMU references and real firmware', () => {
  const tables: Record<string, string> = {
    'qemu10-a_smmuv3': `${REF_DIR}/a_smmuv3/IORT.dat`,
    'qemu10-b_smmuv3_2pxb': `${REF_DIR}/b_smmuv3_2pxb/IORT.dat`,
    'qemu10-c_smmuv3_2pxb_bypass': `${REF_DIR}/c_smmuv3_2pxb_bypass/IORT.dat`,
    'cix-sky1-radxa-orion-o6': `${SHARED}/corpus/real/iort/cix-sky1-radxa-orion-o6.iort.dat`,
    'ampere-altra-ava': `${SHARED}/corpus/real/iort/ampere-altra-ava.iort.dat`,
    'qcom-sc8180x-microsoft-surface-pro-x': `${SHARED}/corpus/real/iort/qcom-sc8180x-microsoft-surface-pro-x.iort.dat`,
    'solidrun-honeycomb-lx2160a': `${SHARED}/corpus/real/iort/solidrun-honeycomb-lx2160a.iort.dat`,
  };
  for (const [name, path] of Object.entries(tables))
    it(name, () => golden(`${name}.dump.txt`, dumpOf(new Uint8Array(readFileSync(path)), `${name}.dat`)));
});
