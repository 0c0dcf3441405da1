import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import { emitIort } from '../../src/backends/iort/emit';
import type { IortNode, IortTable } from '../../src/backends/iort/model';
import { REF_DIR } from './fixtures';
import { iaslCompile } from './iasl';
import { fixChecksum, nodeOffset, patch, synthTable } from './synth';
import { SHARED } from '../helpers/shared';

const CORPUS = `${SHARED}/corpus/real/iort`;
const ASL = `${SHARED}/corpus/real/iort-asl`;
const read = (p: string) => new Uint8Array(readFileSync(p));
const codes = (r: { diagnostics: { code: string }[] }) => r.diagnostics.map((d) => d.code);
const errors = (r: { diagnostics: { severity: string }[] }) => r.diagnostics.filter((d) => d.severity === 'error');
const mapCount = (t: IortTable) => t.nodes.reduce((a, n) => a + n.mappings.length, 0);
const kinds = (t: IortTable) => t.nodes.reduce<Record<string, number>>((a, n) => ((a[n.kind] = (a[n.kind] ?? 0) + 1), a), {});
function node<K extends IortNode['kind']>(t: IortTable, kind: K, i = 0): Extract<IortNode, { kind: K }> {
  return t.nodes.filter((n) => n.kind === kind)[i] as Extract<IortNode, { kind: K }>;
}

/** Node and mapping counts from the corpus README (computed there by parsing the binaries). */
const CORPUS_FACTS: Record<string, { rev: number; bytes: number; nodes: number; maps: number; kinds: Record<string, number> }> = {
  'ampere-altra-ava': { rev: 0, bytes: 1176, nodes: 18, maps: 18, kinds: { 'its-group': 6, 'root-complex': 6, 'smmu-v3': 6 } },
  'cix-sky1-radxa-orion-o6': {
    rev: 5,
    bytes: 2776,
    nodes: 19,
    maps: 46,
    kinds: { 'its-group': 1, 'smmu-v3': 2, 'root-complex': 1, 'named-component': 14, rmr: 1 },
  },
  'qcom-x1e-lenovo-thinkpad-t14s': {
    rev: 0,
    bytes: 5285,
    nodes: 29,
    maps: 135,
    kinds: { 'smmu-v1v2': 2, 'root-complex': 8, 'named-component': 17, 'smmu-v3': 1, 'its-group': 1 },
  },
  'qcom-x1-asus-zenbook-a14': { rev: 0, bytes: 5366, nodes: 30, maps: 136, kinds: { 'smmu-v1v2': 2, 'root-complex': 8, 'named-component': 18, 'smmu-v3': 1, 'its-group': 1 } },
  'qcom-sc8280xp-lenovo-thinkpad-x13s': {
    rev: 0,
    bytes: 6300,
    nodes: 23,
    maps: 188,
    kinds: { 'smmu-v1v2': 2, 'root-complex': 7, 'named-component': 12, 'smmu-v3': 1, 'its-group': 1 },
  },
  'qcom-x2e-lenovo-yoga-slim-7x-14Q8Y11': {
    rev: 0,
    bytes: 6074,
    nodes: 30,
    maps: 165,
    kinds: { 'smmu-v1v2': 2, 'root-complex': 8, 'named-component': 18, 'smmu-v3': 1, 'its-group': 1 },
  },
  'qcom-sc7180-acer-aspire-1': { rev: 0, bytes: 3616, nodes: 18, maps: 84, kinds: { 'smmu-v1v2': 2, 'named-component': 16 } },
  'qcom-sc8180x-microsoft-surface-pro-x': { rev: 0, bytes: 5788, nodes: 27, maps: 145, kinds: { 'smmu-v1v2': 2, 'root-complex': 1, 'named-component': 24 } },
  'solidrun-honeycomb-lx2160a': {
    rev: 0,
    bytes: 4213,
    nodes: 13,
    maps: 22,
    kinds: { 'its-group': 1, 'smmu-v1v2': 1, 'root-complex': 2, 'named-component': 9 },
  },
};

describe('decode: real-firmware corpus', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.iort.dat') && !f.includes('CORRUPTED'));

  it('covers every intact .dat in the corpus', () => {
    expect(files.map((f) => f.replace('.iort.dat', '')).sort()).toEqual(Object.keys(CORPUS_FACTS).sort());
  });

  for (const f of files) {
    const name = f.replace('.iort.dat', '');
    it(`${name}: decodes without errors, counts match the README`, () => {
      const r = decodeIort(read(`${CORPUS}/${f}`), f);
      expect(errors(r)).toEqual([]);
      const t = r.value!;
      const facts = CORPUS_FACTS[name]!;
      expect(t.header.revision).toBe(facts.rev);
      expect(t.header.length).toBe(facts.bytes);
      expect(t.header.checksumValid).toBe(true);
      expect(t.nodes.length).toBe(facts.nodes);
      expect(mapCount(t)).toBe(facts.maps);
      expect(kinds(t)).toEqual(facts.kinds);
      // every mapping of these tables resolves to a node
      for (const n of t.nodes) for (const m of n.mappings) expect(m.target, `${name} map at 0x${m.offset.toString(16)}`).not.toBeNull();
    });
  }

  it('ampere: rev-0 table with rev-2 MSI-only SMMUv3 nodes whose DeviceID index 1 is live', () => {
    const t = decodeIort(read(`${CORPUS}/ampere-altra-ava.iort.dat`)).value!;
    const s = node(t, 'smmu-v3');
    expect(s.revision).toBe(2);
    expect(s.pxmValid).toBe(true);
    expect([s.eventGsiv, s.priGsiv, s.gerrGsiv, s.syncGsiv]).toEqual([0, 0, 0, 0]);
    expect(s.deviceIdMappingIndex).toBe(1);
    expect(s.effectiveDeviceIdIndex).toBe(1);
    expect(s.mappings[1]!.single).toBe(true);
    expect(s.mappings[1]!.idCount).toBe(1);
    expect(t.nodes.filter((n) => n.kind === 'root-complex').map((n) => (n as { pciSegment: number }).pciSegment)).toEqual([12, 13, 0, 2, 4, 5]);
  });

  it('cix: the RMR node (rev 3), its descriptor and 10 single stream-ID mappings', () => {
    const t = decodeIort(read(`${CORPUS}/cix-sky1-radxa-orion-o6.iort.dat`)).value!;
    const r = node(t, 'rmr');
    expect(r.revision).toBe(3);
    expect(r.rmrFlags).toBe(0x11);
    expect(r.remapPermitted).toBe(true);
    expect(r.accessAttributes).toBe(4);
    expect(r.descriptors.map((d) => [d.base, d.length])).toEqual([[0x84800000n, 0x800000n]]);
    expect(r.mappings.map((m) => m.outputBase)).toEqual([0, 1, 6, 7, 12, 13, 18, 19, 24, 25]);
    expect(r.mappings.every((m) => m.single)).toBe(true);
    const smmu2 = t.nodes[r.mappings[0]!.target!]!;
    expect(smmu2.kind === 'smmu-v3' && smmu2.base).toBe(0x0b1b0000n);
    // the second SMMU has no mappings and an ID-array reference of 0
    expect(smmu2.mappingCount).toBe(0);
    expect(smmu2.mappingOffset).toBe(0);
    const nc = node(t, 'named-component');
    expect(nc.deviceName).toBe('\\_SB_.DPU0');
    expect(nc.length).toBe(0xa0);
  });

  it('qcom t14s: unaligned nodes, forward references to the ITS, rev-0 SMMUv3', () => {
    const t = decodeIort(read(`${CORPUS}/qcom-x1e-lenovo-thinkpad-t14s.iort.dat`)).value!;
    expect(t.nodes.filter((n) => n.offset % 4 !== 0).length).toBe(14);
    const s = node(t, 'smmu-v3');
    expect(s.offset).toBe(0x1435);
    expect(s.revision).toBe(0);
    expect(s.effectiveDeviceIdIndex).toBeNull();
    expect([s.eventGsiv, s.priGsiv, s.gerrGsiv, s.syncGsiv]).toEqual([170, 0, 166, 168]);
    expect(t.nodes[s.mappings[0]!.target!]!.kind).toBe('its-group');
    expect(t.nodes.at(-1)!.kind).toBe('its-group');
  });

  it('qcom x2e: extended-SPI GSIVs are kept as-is', () => {
    const s = node(decodeIort(read(`${CORPUS}/qcom-x2e-lenovo-yoga-slim-7x-14Q8Y11.iort.dat`)).value!, 'smmu-v3');
    expect([s.eventGsiv, s.priGsiv, s.gerrGsiv, s.syncGsiv]).toEqual([4100, 0, 4096, 4098]);
  });

  it('surface pro x: a 32-byte rev-0 RC node (ID array at 0x20) with non-RID input IDs', () => {
    const t = decodeIort(read(`${CORPUS}/qcom-sc8180x-microsoft-surface-pro-x.iort.dat`)).value!;
    const rc = node(t, 'root-complex');
    expect(rc.mappingOffset).toBe(0x20);
    expect(rc.memoryAddressLimit).toBeNull();
    expect(rc.atsAttribute).toBe(1);
    expect(rc.mappings.map((m) => m.inputBase)).toEqual([0x87030000, 0x87030080, 0x87030100, 0x87030180]);
    expect(t.nodes[rc.mappings[0]!.target!]!.kind).toBe('smmu-v1v2');
  });

  it('honeycomb: SMMUv2 with 64 context interrupts, RC nodes longer than their mappings', () => {
    const t = decodeIort(read(`${CORPUS}/solidrun-honeycomb-lx2160a.iort.dat`)).value!;
    const s = node(t, 'smmu-v1v2');
    expect(s.base).toBe(0x5000000n);
    expect(s.contextIrqs.length).toBe(64);
    expect(s.smmuFlags & 3).toBe(3);
    expect(s.mappings.length).toBe(7);
    expect(node(t, 'root-complex').length).toBe(0x2a4);
    expect(t.nodes.filter((n) => n.offset % 4 !== 0).length).toBe(6);
  });

  it('x13s: the GPU named component with 66 mappings to both SMMUv2s', () => {
    const t = decodeIort(read(`${CORPUS}/qcom-sc8280xp-lenovo-thinkpad-x13s.iort.dat`)).value!;
    const gpu = t.nodes.find((n) => n.kind === 'named-component' && n.deviceName === '\\_SB.GPU0')!;
    expect(gpu.mappings.length).toBe(66);
    expect(new Set(gpu.mappings.map((m) => m.target)).size).toBe(2);
  });

  it('rejects the UTF-8-mangled Surface Pro 12in table with a clear message', () => {
    const r = decodeIort(read(`${CORPUS}/qcom-x1-microsoft-surface-pro-12in-CORRUPTED.iort.dat`), 'sp12.dat');
    expect(r.value).toBeNull();
    expect(codes(r)).toEqual(['IOT3102']);
    const d = r.diagnostics[0]!;
    expect(d.severity).toBe('error');
    expect(d.loc).toEqual({ file: 'sp12.dat', byteOffset: 4, length: 4 });
    expect(d.message).toMatch(/Length field is 0x14bdbfef .* only 5752 bytes/);
    expect(d.help).toMatch(/193 EF BF BD/);
  });
});

describe('decode: QEMU 10.0 references', () => {
  for (const name of ['a_smmuv3', 'b_smmuv3_2pxb', 'c_smmuv3_2pxb_bypass']) {
    it(`${name}: no diagnostics, re-emits byte for byte`, () => {
      const bytes = read(`${REF_DIR}/${name}/IORT.dat`);
      const r = decodeIort(bytes);
      expect(r.diagnostics).toEqual([]);
      const t = r.value!;
      expect(t.nodes.map((n) => n.kind)).toEqual(['its-group', 'smmu-v3', 'root-complex']);
      expect(t.nodes.map((n) => n.identifier)).toEqual([0, 1, 2]);
      expect(Buffer.from(emitIort(t))).toEqual(Buffer.from(bytes));
    });
  }
});

describe('decode: vendor iasl sources (compiled with iasl)', () => {
  const expected: Record<string, { nodes: number; maps: number } | null> = {
    'hisilicon-d03-hi1610': { nodes: 12, maps: 11 },
    'hisilicon-d05-hi1616': { nodes: 26, maps: 18 },
    'hisilicon-d05-hi1616-smmu': null, // 2015-era labels: iasl refuses it
    'hisilicon-d06-kunpeng920-hi1620': { nodes: 59, maps: 77 },
    'hisilicon-d06-kunpeng920-hi1620-nosmmu': { nodes: 53, maps: 63 },
  };
  it('covers every .asl in the corpus', () => {
    expect(readdirSync(ASL).map((f) => f.replace('.Iort.asl', '')).sort()).toEqual(Object.keys(expected).sort());
  });
  for (const [name, facts] of Object.entries(expected)) {
    it(`${name}: ${facts ? 'compiles and decodes' : 'does not compile'}`, () => {
      const aml = iaslCompile(readFileSync(`${ASL}/${name}.Iort.asl`, 'utf8'));
      if (!facts) {
        expect(aml).toBeNull();
        return;
      }
      expect(aml).not.toBeNull();
      const r = decodeIort(aml!);
      expect(errors(r)).toEqual([]);
      expect(r.value!.nodes.length).toBe(facts.nodes);
      expect(mapCount(r.value!)).toBe(facts.maps);
    });
  }
  it('d06: SMMUv3 rev 1, MSI-only, DeviceID index live; ID counts written as counts (boundary overlaps)', () => {
    const t = decodeIort(iaslCompile(readFileSync(`${ASL}/hisilicon-d06-kunpeng920-hi1620.Iort.asl`, 'utf8'))!).value!;
    const s = node(t, 'smmu-v3');
    expect(s.revision).toBe(1);
    expect(s.effectiveDeviceIdIndex).not.toBeNull();
    expect(s.mappings[s.effectiveDeviceIdIndex!]!.single).toBe(true);
    const rc = node(t, 'root-complex');
    const ends = new Set(rc.mappings.map((m) => m.inputBase + m.idCount));
    expect(rc.mappings.some((m) => ends.has(m.inputBase))).toBe(true);
  });
  it('morello FVP (.dsl recompiled): two ITS groups, SMMU MSI to a different ITS than its StreamIDs', () => {
    const aml = iaslCompile(readFileSync(`${CORPUS}/arm-morello-fvp.iort.dsl`, 'utf8'));
    expect(aml).not.toBeNull();
    const r = decodeIort(aml!);
    expect(errors(r)).toEqual([]);
    const t = r.value!;
    expect(t.nodes.length).toBe(4);
    expect(mapCount(t)).toBe(3);
    const s = node(t, 'smmu-v3');
    expect(s.effectiveDeviceIdIndex).toBe(1);
    const its = s.mappings.map((m) => m.target);
    expect(new Set(its).size).toBe(2);
  });
});

describe('decode: real-firmware oddities (synthetic)', () => {
  it('revision-0 table with newer node layouts (SMMUv3 rev 4, RC rev 4 of 40 bytes)', () => {
    const b = synthTable(
      [
        { kind: 'its', ids: [3] },
        { kind: 'smmuv3', base: 0x1000n, rev: 4, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 0 }] },
        { kind: 'rc', segment: 0, rev: 4, fixed: 40, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 1 }] },
      ],
      { revision: 0 },
    );
    const r = decodeIort(b);
    expect(r.diagnostics).toEqual([]);
    const rc = node(r.value!, 'root-complex');
    expect(rc.mappingOffset).toBe(40);
    expect(rc.rcFlags).toBe(0);
    expect(rc.pasidCapabilities).toBe(0);
    expect(rc.mappings[0]!.target).toBe(1);
    expect(Buffer.from(emitIort(r.value!))).toEqual(Buffer.from(b));
  });

  it('RC rev 4 of 36 bytes (ACPICA layout): ID array at 36, no Flags field', () => {
    const t = decodeIort(synthTable([{ kind: 'its', ids: [0] }, { kind: 'rc', segment: 2, rev: 4, fixed: 36, maps: [{ input: 0, idCount: 0xff, output: 0, to: 0 }] }])).value!;
    const rc = node(t, 'root-complex');
    expect(rc.rcFlags).toBeNull();
    expect(rc.pasidCapabilities).toBe(0);
    expect(rc.mappings.length).toBe(1);
    expect(rc.pciSegment).toBe(2);
  });

  it('SMMUv3 of the 60-byte issue-A layout: no proximity domain or DeviceID index', () => {
    const t = decodeIort(
      synthTable([{ kind: 'its', ids: [0] }, { kind: 'smmuv3', base: 0x2000n, fixed: 60, rev: 0, maps: [{ input: 0, idCount: 0xff, output: 0, to: 0 }] }], { revision: 0 }),
    ).value!;
    const s = node(t, 'smmu-v3');
    expect(s.proximityDomain).toBeNull();
    expect(s.deviceIdMappingIndex).toBeNull();
    expect(s.mappings.length).toBe(1);
  });

  it('unaligned nodes and padding after names and mapping arrays', () => {
    const b = synthTable(
      [
        { kind: 'its', ids: [0] },
        { kind: 'nc', name: '\\_SB.DEV0', maps: [{ input: 0, idCount: 0, output: 5, to: 2, flags: 1 }] },
        { kind: 'smmuv3', base: 0x3000n, maps: [] },
      ],
      { tail: { 1: 3 } },
    );
    const r = decodeIort(b);
    expect(r.diagnostics).toEqual([]);
    const t = r.value!;
    expect(t.nodes[2]!.offset % 4).toBe(3);
    const nc = node(t, 'named-component');
    expect(nc.deviceName).toBe('\\_SB.DEV0');
    expect(nc.mappings[0]!.single).toBe(true);
    expect(nc.mappings[0]!.target).toBe(2);
  });

  it('RMR node rev 1 (E.b) and rev 3 (E.d), descriptors before or after the mappings', () => {
    const b = synthTable([
      { kind: 'smmuv3', base: 0x4000n, maps: [] },
      { kind: 'rmr', rev: 1, flags: 1, descriptors: [[0x80000000n, 0x10000n]], maps: [{ input: 0, idCount: 0, output: 7, to: 0, flags: 1 }], descFirst: true },
      {
        kind: 'rmr',
        rev: 3,
        flags: 1 | 2 | (5 << 2),
        descriptors: [
          [0x90000000n, 0x20000n],
          [0x90100000n, 0x10000n],
        ],
        maps: [{ input: 0x10, idCount: 3, output: 0x10, to: 0 }],
      },
    ]);
    const r = decodeIort(b);
    expect(r.diagnostics).toEqual([]);
    const [r1, r3] = r.value!.nodes.filter((n) => n.kind === 'rmr') as Extract<IortNode, { kind: 'rmr' }>[];
    expect(r1!.revision).toBe(1);
    expect(r1!.descriptorOffset).toBe(28);
    expect(r1!.mappingOffset).toBe(48);
    expect(r1!.descriptors[0]!.base).toBe(0x80000000n);
    expect(r1!.mappings[0]!.outputBase).toBe(7);
    expect(r3!.accessPrivileged).toBe(true);
    expect(r3!.accessAttributes).toBe(5);
    expect(r3!.descriptors.map((d) => d.length)).toEqual([0x20000n, 0x10000n]);
  });

  it('PMCG, IWB and SMMUv2 nodes, plus an unknown type kept raw', () => {
    const b = synthTable([
      { kind: 'smmuv3', base: 0x5000n, maps: [] },
      { kind: 'pmcg', base: 0x6000n, ref: 0, rev: 1, maps: [] },
      { kind: 'iwb', base: 0x7000n, index: 3, name: '\\_SB.IWB0', maps: [] },
      { kind: 'smmuv2', base: 0x8000n, contextIrqs: [40, 41], pmuIrqs: [50], maps: [] },
      { kind: 'raw', type: 9, body: [1, 2, 3, 4] },
    ]);
    const r = decodeIort(b);
    expect(codes(r)).toEqual(['IOT3115']);
    const t = r.value!;
    const p = node(t, 'pmcg');
    expect(p.nodeReferenceTarget).toBe(0);
    expect(p.page1Base).toBe(0x16000n);
    const w = node(t, 'iwb');
    expect([w.configBase, w.iwbIndex, w.deviceName]).toEqual([0x7000n, 3, '\\_SB.IWB0']);
    const s2 = node(t, 'smmu-v1v2');
    expect(s2.contextIrqs.map((g) => g.gsiv)).toEqual([40, 41]);
    expect(s2.pmuIrqs.map((g) => g.gsiv)).toEqual([50]);
    expect(s2.nsgIrpt).toEqual({ gsiv: 40, flags: 1 });
    const u = node(t, 'unknown');
    expect([...u.raw.subarray(16)]).toEqual([1, 2, 3, 4]);
    expect(Buffer.from(emitIort(t))).toEqual(Buffer.from(b));
  });
});

describe('decode: broken tables become located diagnostics', () => {
  const base = () =>
    synthTable([
      { kind: 'its', ids: [0] },
      { kind: 'smmuv3', base: 0x9000n, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 0 }] },
      { kind: 'rc', segment: 0, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 1 }] },
    ]);
  const smmuAt = () => nodeOffset(base(), 1);
  const rcAt = () => nodeOffset(base(), 2);
  const one = (b: Uint8Array, code: string) => {
    const r = decodeIort(b, 't.dat');
    const d = r.diagnostics.find((x) => x.code === code);
    expect(d, `${code} in ${JSON.stringify(r.diagnostics)}`).toBeDefined();
    expect(d!.loc?.file).toBe('t.dat');
    return { r, d: d! };
  };

  it('short input, wrong signature, Length smaller than the header', () => {
    expect(codes(decodeIort(base().subarray(0, 20)))).toEqual(['IOT3100']);
    const sig = base();
    sig[0] = 0x41;
    expect(codes(decodeIort(sig))).toEqual(['IOT3101']);
    expect(codes(decodeIort(patch(base(), [[4, 4, 20]])))).toEqual(['IOT3103']);
  });

  it('trailing bytes after Length: warning, table still decoded', () => {
    const b = new Uint8Array([...base(), 0, 0, 0]);
    const r = decodeIort(b);
    expect(codes(r)).toEqual(['IOT3104']);
    expect(r.value!.nodes.length).toBe(3);
  });

  it('bad checksum: warning with the expected value', () => {
    const b = base();
    b[9] = (b[9]! + 1) & 0xff;
    const { d, r } = one(b, 'IOT3105');
    expect(d.loc?.byteOffset).toBe(9);
    expect(d.message).toContain(`0x${((b[9]! - 1) & 0xff).toString(16)}`);
    expect(r.value!.header.checksumValid).toBe(false);
  });

  it('deprecated revisions 1, 2, 4 and unknown 9 are warnings', () => {
    for (const rev of [1, 2, 4, 9]) expect(codes(decodeIort(patch(base(), [[8, 1, rev]])))).toEqual(['IOT3106']);
    for (const rev of [0, 3, 5, 6, 7]) expect(codes(decodeIort(patch(base(), [[8, 1, rev]])))).toEqual([]);
  });

  it('node array offset overlapping the header or beyond the table', () => {
    expect(one(patch(base(), [[40, 4, 16]]), 'IOT3107').d.loc?.byteOffset).toBe(40);
    one(patch(base(), [[40, 4, 0x10000]]), 'IOT3107');
  });

  it('huge node count: walks only what fits, no allocation by count', () => {
    const { r } = one(patch(base(), [[36, 4, 0xffffffff]]), 'IOT3116');
    expect(r.value!.nodes.length).toBe(3);
  });

  it('node length under 16 or past the table end', () => {
    const { r } = one(patch(base(), [[smmuAt() + 1, 2, 4]]), 'IOT3109');
    expect(r.value!.nodes.length).toBe(1);
    expect(one(patch(base(), [[rcAt() + 1, 2, 0xfff0]]), 'IOT3108').d.loc?.byteOffset).toBe(rcAt() + 1);
  });

  it('node too short for its type: kept raw', () => {
    // an SMMUv3 claiming 40 bytes, followed by garbage that happens to be a valid-looking node
    const b = synthTable([{ kind: 'raw', type: 4, body: new Array(24).fill(0) }]);
    const { r } = one(b, 'IOT3109');
    expect(r.value!.nodes[0]!.kind).toBe('unknown');
  });

  it('mapping count * 20 beyond the node: error, only the entries inside the node are read', () => {
    const { d, r } = one(patch(base(), [[rcAt() + 8, 4, 0x0fffffff]]), 'IOT3110');
    expect(d.loc?.byteOffset).toBe(rcAt() + 8);
    expect(node(r.value!, 'root-complex').mappings.length).toBe(1);
  });

  it('mapping array overlapping the node header or fixed fields, or a count with offset 0', () => {
    one(patch(base(), [[smmuAt() + 12, 4, 8]]), 'IOT3111');
    const { r } = one(patch(base(), [[smmuAt() + 12, 4, 40]]), 'IOT3111');
    expect(node(r.value!, 'smmu-v3').mappings.length).toBe(1);
    one(patch(base(), [[smmuAt() + 12, 4, 0]]), 'IOT3111');
  });

  it('output references: NULL, into the header, past the end, into the middle of a node', () => {
    const mapRef = rcAt() + 36 + 12;
    expect(one(patch(base(), [[mapRef, 4, 0]]), 'IOT3113').d.loc?.byteOffset).toBe(mapRef);
    one(patch(base(), [[mapRef, 4, 8]]), 'IOT3114');
    one(patch(base(), [[mapRef, 4, 0x100000]]), 'IOT3112');
    const { r } = one(patch(base(), [[mapRef, 4, smmuAt() + 4]]), 'IOT3112');
    expect(node(r.value!, 'root-complex').mappings[0]!.target).toBeNull();
  });

  it('a mapping loop is reported once', () => {
    const b = synthTable([
      { kind: 'smmuv3', base: 0xa000n, maps: [{ input: 0, idCount: 0xff, output: 0, to: 1 }] },
      { kind: 'rc', segment: 0, maps: [{ input: 0, idCount: 0xff, output: 0, to: 0 }] },
    ]);
    const r = decodeIort(b);
    expect(codes(r)).toEqual(['IOT3119']);
    expect(r.diagnostics[0]!.message).toContain('SMMUv3@0x30 -> Root complex@0x88 -> SMMUv3@0x30');
  });

  it('ITS identifiers, RMR descriptors and SMMUv2 interrupts that do not fit their node', () => {
    const its = synthTable([{ kind: 'its', ids: [1, 2] }]);
    expect(node(one(patch(its, [[48 + 16, 4, 1000]]), 'IOT3117').r.value!, 'its-group').identifiers).toEqual([1, 2]);
    const rmr = synthTable([{ kind: 'smmuv3', base: 1n, maps: [] }, { kind: 'rmr', descriptors: [[0n, 0x10000n]], maps: [{ input: 0, idCount: 0, output: 0, to: 0, flags: 1 }] }]);
    one(patch(rmr, [[nodeOffset(rmr, 1) + 20, 4, 50]]), 'IOT3117');
    const s2 = synthTable([{ kind: 'smmuv2', base: 1n, contextIrqs: [1], maps: [] }]);
    one(patch(s2, [[48 + 44, 4, 99]]), 'IOT3117');
    one(patch(s2, [[48 + 40, 4, 0x7000]]), 'IOT3117');
  });

  it('unterminated names', () => {
    const b = synthTable([{ kind: 'nc', name: 'ABC', maps: [] }]);
    // fill the name's NUL and padding with letters up to the node end
    const p = b.slice();
    for (let o = 48 + 29; o < p.length; o++) p[o] = 0x41;
    one(fixChecksum(p), 'IOT3118');
  });

  it('SMMUv3 DeviceID index overflowing the mapping count', () => {
    const b = synthTable([
      { kind: 'its', ids: [0] },
      { kind: 'smmuv3', base: 1n, rev: 5, flags: 1 | 16, index: 3, maps: [{ input: 0, idCount: 0, output: 9, to: 0, flags: 1 }] },
    ]);
    const { d, r } = one(b, 'IOT3122');
    expect(d.severity).toBe('warning');
    expect(node(r.value!, 'smmu-v3').effectiveDeviceIdIndex).toBeNull();
  });

  it('ITS group with mappings: warning', () => {
    const b = synthTable([{ kind: 'its', ids: [0] }]);
    one(patch(b, [[48 + 8, 4, 1]]), 'IOT3120');
  });

  it('never throws and keeps every location inside the input (random corruption)', () => {
    const seeds = [base(), read(`${REF_DIR}/b_smmuv3_2pxb/IORT.dat`), read(`${CORPUS}/cix-sky1-radxa-orion-o6.iort.dat`), read(`${CORPUS}/solidrun-honeycomb-lx2160a.iort.dat`)];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (which, flips, truncate) => {
          const src = seeds[which]!;
          let b = src.slice();
          for (const [pos, val] of flips) b[pos % b.length] = val;
          if (truncate) b = b.subarray(0, Math.max(0, b.length - (flips[0]![0] % 64)));
          const r = decodeIort(b);
          for (const d of r.diagnostics) {
            const o = d.loc?.byteOffset ?? 0;
            expect(o).toBeGreaterThanOrEqual(0);
            expect(o).toBeLessThanOrEqual(b.length);
          }
          if (r.value) for (const n of r.value.nodes) expect(n.offset + n.length).toBeLessThanOrEqual(r.value.header.length);
        },
      ),
      { numRuns: 400, seed: 1234 },
    );
  });
});
