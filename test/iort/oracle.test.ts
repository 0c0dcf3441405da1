/**
 * iasl (ACPICA 20200925) as an independent oracle: it disassembles our encoder's RMR-free tables
 * and every real-corpus table, and each value it prints must equal our decoder's model value
 * for the field at that offset. (This iasl has no RMR support: it prints the RMR header and
 * "Unknown IORT node type 0x6", then stops; tables with RMRs are compared up to that node.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import { encodeIort } from '../../src/backends/iort/encode';
import type { IrMachine } from '../../src/ir/types';
import { fixtureCustom, fixtureCustomRev3, fixtureQemuNoIts, fixtureQemuNoSmmu, fixtureQemuRmr, fixtureQemuTwoSmmus, QEMU_FIXTURES } from './fixtures';
import { compareWithIasl, iaslCompile, iaslDisassemble } from './iasl';
import { SHARED } from '../helpers/shared';

const CORPUS = `${SHARED}/corpus/real/iort`;

function judge(bytes: Uint8Array, expectRmr: boolean) {
  const t = decodeIort(bytes).value!;
  const dump = iaslDisassemble(bytes);
  const c = compareWithIasl(dump, t);
  expect(c.mismatches).toEqual([]);
  expect(c.unmatched).toEqual([]);
  // iasl walked the same nodes (up to the first node type it does not know)
  const firstRmr = t.nodes.findIndex((n) => n.kind === 'rmr');
  const seen = firstRmr < 0 ? t.nodes : t.nodes.slice(0, firstRmr + 1);
  const typeOffsets = dump.fields.filter((f) => f.label === 'Type').map((f) => f.offset);
  expect(typeOffsets).toEqual(seen.map((n) => n.offset));
  expect(dump.unknownNodeTypes).toEqual(expectRmr ? [6] : []);
  const mappingsSeen = seen.filter((n) => n.kind !== 'rmr').reduce((a, n) => a + n.mappings.length, 0);
  expect(dump.fields.filter((f) => f.label === 'Input base').length).toBe(mappingsSeen);
  return c.compared;
}

describe('iasl -d oracle: encoder output', () => {
  const cases: Record<string, [() => IrMachine, boolean]> = {
    a_smmuv3: [QEMU_FIXTURES.a_smmuv3!, false],
    b_smmuv3_2pxb: [QEMU_FIXTURES.b_smmuv3_2pxb!, false],
    c_smmuv3_2pxb_bypass: [QEMU_FIXTURES.c_smmuv3_2pxb_bypass!, false],
    qemu_its_off: [fixtureQemuNoIts, false],
    qemu_no_smmu: [fixtureQemuNoSmmu, false],
    qemu_two_smmus: [fixtureQemuTwoSmmus, false],
    custom_rev3: [fixtureCustomRev3, false],
    custom_rev5_no_rmr: [() => ({ ...fixtureCustom(5), rmrs: [] }), false],
    custom_rev6_no_rmr: [() => ({ ...fixtureCustom(6), rmrs: [] }), false],
    // with an RMR: everything before it is still checked
    qemu_rmr: [fixtureQemuRmr, true],
    custom_rev6: [() => fixtureCustom(6), true],
  };
  for (const [name, [make, rmr]] of Object.entries(cases)) {
    it(`${name}: every field iasl prints equals the decoded model`, () => {
      const bytes = encodeIort(make()).bytes!;
      expect(judge(bytes, rmr)).toBeGreaterThan(30);
    });
  }
});

describe('iasl -d oracle: real-firmware corpus', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.iort.dat') && !f.includes('CORRUPTED'));
  it('has tables to judge', () => expect(files.length).toBe(9));
  for (const f of files) {
    it(`${f}: every field iasl prints equals the decoded model`, () => {
      const bytes = new Uint8Array(readFileSync(`${CORPUS}/${f}`));
      const hasRmr = decodeIort(bytes).value!.nodes.some((n) => n.kind === 'rmr');
      expect(judge(bytes, hasRmr)).toBeGreaterThan(300);
    });
  }
});

describe('iasl -d oracle: vendor sources compiled by iasl', () => {
  const sources = [
    `${SHARED}/corpus/real/iort-asl/hisilicon-d03-hi1610.Iort.asl`,
    `${SHARED}/corpus/real/iort-asl/hisilicon-d05-hi1616.Iort.asl`,
    `${SHARED}/corpus/real/iort-asl/hisilicon-d06-kunpeng920-hi1620.Iort.asl`,
    `${SHARED}/corpus/real/iort-asl/hisilicon-d06-kunpeng920-hi1620-nosmmu.Iort.asl`,
    `${CORPUS}/arm-morello-fvp.iort.dsl`,
  ];
  for (const src of sources) {
    it(`${src.split('/').pop()}: every field iasl prints equals the decoded model`, () => {
      const aml = iaslCompile(readFileSync(src, 'utf8'));
      expect(aml).not.toBeNull();
      expect(judge(aml!, false)).toBeGreaterThan(50);
    });
  }
});
