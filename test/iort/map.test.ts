import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import type { IortTable } from '../../src/backends/iort/model';
import { findRootComplex, listRmrs, mapId, MAX_DEPTH, resolveRid, rmrStreamsBySmmu } from '../../src/verify/iort-map';
import { REF_DIR } from './fixtures';
import { iaslCompile } from './iasl';
import { type MapSpec, type NodeSpec, synthTable } from './synth';
import { SHARED } from '../helpers/shared';

const table = (nodes: NodeSpec[], revision = 5): IortTable => {
  const r = decodeIort(synthTable(nodes, { revision }));
  return r.value!;
};
const X = 0x1000000n;
const Y = 0x2000000n;
/** its0 (ID 0), its1 (ID 1), SMMU X -> its0 identity, SMMU Y -> its1 identity, then an RC. */
const world = (rcMaps: MapSpec[], extra: NodeSpec[] = []): IortTable =>
  table([
    { kind: 'its', ids: [0] },
    { kind: 'its', ids: [1] },
    { kind: 'smmuv3', base: X, rev: 4, maps: [{ input: 0, idCount: 0xffffff, output: 0, to: 0 }] },
    { kind: 'smmuv3', base: Y, rev: 4, maps: [{ input: 0, idCount: 0xffffff, output: 0, to: 1 }] },
    { kind: 'rc', segment: 0, maps: rcMaps },
    ...extra,
  ]);

describe('iort-map: Linux iort_node_map_id semantics', () => {
  it('RC -> SMMU -> ITS: StreamID and DeviceID, trace names byte offsets', () => {
    const t = world([{ input: 0x100, idCount: 0xff, output: 0x5100, to: 2 }]);
    const r = resolveRid(t, 0, 0x123);
    expect(r.smmu).toEqual({ base: X });
    expect(r.streamId).toBe(0x5123);
    expect(r.its).toEqual({ translationId: 0 });
    expect(r.deviceId).toBe(0x5123);
    expect(r.unmapped).toBe(false);
    expect(r.fwBugs).toEqual([]);
    const rc = findRootComplex(t, 0)!;
    expect(r.trace[0]!.where).toBe('0x' + (rc.offset + rc.mappingOffset).toString(16));
    expect(r.trace.some((s) => s.what.startsWith('msi: reached ITS group'))).toBe(true);
  });

  it('inclusive range test: input_base + id_count is inside, one past it is not', () => {
    const t = world([{ input: 0x100, idCount: 0xff, output: 0x100, to: 2 }]);
    expect(resolveRid(t, 0, 0x1ff).smmu).toEqual({ base: X });
    const out = resolveRid(t, 0, 0x200);
    expect([out.smmu, out.its, out.unmapped]).toEqual([null, null, true]);
    expect(resolveRid(t, 0, 0xff).unmapped).toBe(true);
  });

  it('boundary workaround: last ID of a range vs a later range that starts there (FW_BUG, later wins)', () => {
    // the off-by-one firmware: Number of IDs written as a count
    const t = world([
      { input: 0x0, idCount: 0x100, output: 0x0, to: 2 },
      { input: 0x100, idCount: 0xff, output: 0x7000, to: 3 },
    ]);
    const r = resolveRid(t, 0, 0x100);
    expect(r.smmu).toEqual({ base: Y });
    expect(r.streamId).toBe(0x7000);
    expect(r.its).toEqual({ translationId: 1 });
    expect(r.fwBugs).toEqual([expect.stringMatching(/^\[map 0x[0-9a-f]+\] conflicting mapping for input ID 0x100$/), 'applying workaround.']);
    expect(resolveRid(t, 0, 0xff).smmu).toEqual({ base: X });
    expect(resolveRid(t, 0, 0xff).fwBugs).toEqual([]);
  });

  it('-EAGAIN with no later range starting there: the first range is used, no FW_BUG', () => {
    const t = world([
      { input: 0x0, idCount: 0x100, output: 0x40, to: 2 },
      { input: 0x101, idCount: 0xff, output: 0x7000, to: 3 },
    ]);
    const r = resolveRid(t, 0, 0x100);
    expect([r.smmu, r.streamId, r.fwBugs]).toEqual([{ base: X }, 0x140, []]);
  });

  it('a later range that contains the boundary ID without starting there: FW_BUG, ignored', () => {
    const t = world([
      { input: 0x0, idCount: 0x100, output: 0x0, to: 2 },
      { input: 0x80, idCount: 0xff, output: 0x7000, to: 3 },
    ]);
    const r = resolveRid(t, 0, 0x100);
    expect(r.smmu).toEqual({ base: X });
    expect(r.fwBugs.length).toBe(1);
    expect(r.fwBugs[0]).toMatch(/conflicting mapping for input ID 0x100/);
  });

  it('overlapping ranges elsewhere: the first in array order wins silently', () => {
    const t = world([
      { input: 0x0, idCount: 0xff, output: 0x0, to: 2 },
      { input: 0x80, idCount: 0xff, output: 0x7000, to: 3 },
    ]);
    const r = resolveRid(t, 0, 0x90);
    expect([r.smmu, r.streamId, r.fwBugs]).toEqual([{ base: X }, 0x90, []]);
  });

  it('Single flag: honoured on RC mappings (input ignored), FW_BUG and skipped on SMMU mappings', () => {
    const t = table([
      { kind: 'its', ids: [0] },
      {
        kind: 'smmuv3',
        base: X,
        rev: 4,
        gsivs: [1, 2, 3, 4],
        maps: [
          { input: 0, idCount: 0, output: 0x999, to: 0, flags: 1 },
          { input: 0, idCount: 0xffff, output: 0x10000, to: 0 },
        ],
      },
      { kind: 'rc', segment: 0, maps: [{ input: 0x4000, idCount: 0, output: 0x42, to: 1, flags: 1 }] },
    ]);
    const r = resolveRid(t, 0, 0x17);
    expect([r.streamId, r.deviceId]).toEqual([0x42, 0x10042]);
    expect(r.fwBugs).toEqual([expect.stringMatching(/SINGLE MAPPING flag not allowed for node type 4, skipping ID map$/)]);
  });

  describe('SMMUv3 DeviceID mapping index (iort_get_id_mapping_index)', () => {
    const smmuWith = (rev: number, flags: number, gsivs: [number, number, number, number], maps: MapSpec[], index = 0) =>
      table([
        { kind: 'its', ids: [0] },
        { kind: 'its', ids: [1] },
        { kind: 'smmuv3', base: X, rev, flags, gsivs, index, maps },
        { kind: 'rc', segment: 0, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 2 }] },
      ]);
    const range: MapSpec = { input: 0, idCount: 0xffff, output: 0x20000, to: 0 };
    const single: MapSpec = { input: 0, idCount: 0, output: 0x55, to: 1, flags: 1 };

    it('rev < 5 with a zero GSIV: the index is live and skipped', () => {
      const r = resolveRid(smmuWith(4, 1, [1, 0, 3, 4], [single, range]), 0, 7);
      expect([r.its, r.deviceId, r.fwBugs]).toEqual([{ translationId: 0 }, 0x20007, []]);
    });

    it('rev < 5 with a zero GSIV and index 0 on a range: that range is skipped (the hazard)', () => {
      const r = resolveRid(smmuWith(4, 1, [1, 0, 3, 4], [range]), 0, 7);
      expect([r.smmu, r.its, r.deviceId]).toEqual([{ base: X }, null, null]);
    });

    it('rev < 5 with all four GSIVs: no index; a Single mapping there is an FW_BUG', () => {
      const r = resolveRid(smmuWith(4, 1, [1, 2, 3, 4], [single, range]), 0, 7);
      expect(r.deviceId).toBe(0x20007);
      expect(r.fwBugs.length).toBe(1);
    });

    it('rev 5: the index is live only with flag bit 4', () => {
      expect(resolveRid(smmuWith(5, 1, [0, 0, 0, 0], [range], 0), 0, 7).deviceId).toBe(0x20007);
      expect(resolveRid(smmuWith(5, 1 | 16, [0, 0, 0, 0], [range], 0), 0, 7).deviceId).toBeNull();
      const r = resolveRid(smmuWith(5, 1 | 16, [0, 0, 0, 0], [range, single], 1), 0, 7);
      expect([r.deviceId, r.fwBugs]).toEqual([0x20007, []]);
    });

    it('rev 0: no index at all', () => {
      const r = resolveRid(smmuWith(0, 1, [0, 0, 0, 0], [range], 0), 0, 7);
      expect(r.deviceId).toBe(0x20007);
    });

    it('an index beyond the mapping count: FW_BUG, nothing skipped', () => {
      const r = resolveRid(smmuWith(5, 1 | 16, [0, 0, 0, 0], [range], 4), 0, 7);
      expect(r.deviceId).toBe(0x20007);
      expect(r.fwBugs).toEqual([expect.stringMatching(/ID mapping index overflows valid mappings$/)]);
    });
  });

  it('PMCG: mapping 0 is the DeviceID mapping when the overflow GSIV is 0', () => {
    const mk = (overflow: number) =>
      table([
        { kind: 'its', ids: [0] },
        { kind: 'smmuv3', base: X, maps: [] },
        { kind: 'pmcg', base: 0x9000n, ref: 1, overflow, rev: 1, maps: [{ input: 0, idCount: 0, output: 0x77, to: 0 }] },
      ]);
    expect(mapId(mk(0), 2, 0, 'msi').node).toBeNull();
    const w = mapId(mk(40), 2, 0, 'msi');
    expect([w.node, w.id]).toEqual([0, 0x77]);
  });

  it('the first RC node of a segment wins; other segments have their own', () => {
    const t = world(
      [{ input: 0, idCount: 0xffff, output: 0, to: 2 }],
      [
        { kind: 'rc', segment: 0, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 3 }] },
        { kind: 'rc', segment: 1, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 3 }] },
      ],
    );
    expect(resolveRid(t, 0, 5).smmu).toEqual({ base: X });
    expect(resolveRid(t, 1, 5).smmu).toEqual({ base: Y });
    const none = resolveRid(t, 2, 5);
    expect([none.unmapped, none.smmu, none.its]).toEqual([true, null, null]);
    expect(none.trace[0]!.what).toMatch(/no root complex node for PCI segment 2/);
  });

  it('bypass: an RC -> ITS mapping gives MSIs but no IOMMU, and is not "unmapped"', () => {
    const t = world([{ input: 0, idCount: 0xffff, output: 0x30000, to: 1 }]);
    const r = resolveRid(t, 0, 0x10);
    expect([r.smmu, r.streamId, r.its, r.deviceId, r.unmapped]).toEqual([null, null, { translationId: 1 }, 0x30010, false]);
  });

  it('NULL parent reference on the first mapping: FW_BUG, walk fails', () => {
    const t = world([{ input: 0, idCount: 0xffff, output: 0, to: { ref: 0 } }]);
    const r = resolveRid(t, 0, 1);
    expect(r.unmapped).toBe(true);
    expect(r.fwBugs).toEqual([expect.stringMatching(/ID map has NULL parent reference$/)]);
  });

  it('mapping loops stop after MAX_DEPTH hops', () => {
    const t = table([
      { kind: 'nc', name: 'A', maps: [{ input: 0, idCount: 0xffff, output: 0, to: 1 }] },
      { kind: 'rc', segment: 0, maps: [{ input: 0, idCount: 0xffff, output: 0, to: 0 }] },
    ]);
    const r = resolveRid(t, 0, 3);
    expect(r.smmu).toBeNull();
    expect(r.trace.filter((s) => s.what.startsWith('iommu:')).length).toBe(MAX_DEPTH + 2);
    expect(r.fwBugs.some((b) => /loop/.test(b))).toBe(true);
  });
});

describe('iort-map: on real and reference tables', () => {
  it('QEMU c (bypass): all 65536 RIDs resolve as QEMU intends', () => {
    const t = decodeIort(new Uint8Array(readFileSync(`${REF_DIR}/c_smmuv3_2pxb_bypass/IORT.dat`))).value!;
    let viaSmmu = 0;
    for (let rid = 0; rid < 0x10000; rid++) {
      const r = resolveRid(t, 0, rid);
      const behind = rid >= 0x4000 && rid < 0x4200;
      expect(r.smmu === null).toBe(!behind);
      expect(r.deviceId).toBe(rid);
      expect(r.fwBugs.length).toBe(0);
      if (behind) viaSmmu++;
    }
    expect(viaSmmu).toBe(0x200);
  });

  it('HiSilicon D06 (ID counts written as counts): the boundary workaround fires', () => {
    const aml = iaslCompile(readFileSync(`${SHARED}/corpus/real/iort-asl/hisilicon-d06-kunpeng920-hi1620.Iort.asl`, 'utf8'))!;
    const t = decodeIort(aml).value!;
    const rc = findRootComplex(t, 0)!;
    const starts = new Set(rc.mappings.map((m) => m.inputBase));
    const boundary = rc.mappings.map((m) => m.inputBase + m.idCount).find((e) => starts.has(e) && rc.mappings.findIndex((m) => m.inputBase + m.idCount === e) < rc.mappings.findIndex((m) => m.inputBase === e))!;
    expect(boundary).toBeDefined();
    const r = resolveRid(t, 0, boundary);
    expect(r.fwBugs).toContain('applying workaround.');
    const winner = rc.mappings.find((m) => m.inputBase === boundary)!;
    expect(r.trace[1]!.what).toContain(`map #${winner.index}`);
  });

  it('Ampere Altra: MSI-only SMMUv3 (index 1 skipped); DeviceIDs in the ITS window of the segment', () => {
    const t = decodeIort(new Uint8Array(readFileSync(`${SHARED}/corpus/real/iort/ampere-altra-ava.iort.dat`))).value!;
    const r = resolveRid(t, 0, 0x100);
    expect(r.its).toEqual({ translationId: 3 });
    expect(r.deviceId).toBe(0x30100);
    expect(r.fwBugs).toEqual([]);
  });

  it('Morello FVP: StreamIDs go to ITS group 2 while the SMMU own MSI goes to group 1', () => {
    const t = decodeIort(iaslCompile(readFileSync(`${SHARED}/corpus/real/iort/arm-morello-fvp.iort.dsl`, 'utf8'))!).value!;
    const r = resolveRid(t, 0, 0x8);
    expect(r.smmu).toEqual({ base: 0x4f400000n });
    expect(r.its).not.toBeNull();
    expect(r.fwBugs).toEqual([]);
  });
});

describe('iort-map: RMR', () => {
  const nodes = (): NodeSpec[] => [
    { kind: 'smmuv3', base: X, maps: [] },
    { kind: 'smmuv3', base: Y, maps: [] },
    {
      kind: 'rmr',
      rev: 3,
      flags: 1 | (5 << 2),
      descriptors: [[0x80000000n, 0x10000n]],
      maps: [
        { input: 0, idCount: 0, output: 7, to: 0, flags: 1 },
        { input: 0x20, idCount: 3, output: 0x20, to: 1, flags: 1 },
      ],
    },
    { kind: 'rmr', rev: 3, descriptors: [], maps: [{ input: 0, idCount: 0, output: 9, to: 0, flags: 1 }] },
  ];

  it('lists stream IDs (output_base..+id_count whatever the Single flag) and descriptors per node', () => {
    const rm = listRmrs(table(nodes(), 5));
    expect(rm.length).toBe(2);
    expect(rm[0]!.used).toBe(true);
    expect(rm[0]!.remapPermitted).toBe(true);
    expect(rm[0]!.accessAttributes).toBe(5);
    expect(rm[0]!.streams.map((s) => [s.smmuBase, s.first, s.last])).toEqual([
      [X, 7, 7],
      [Y, 0x20, 0x23],
    ]);
    expect(rm[0]!.descriptors.map((d) => [d.base, d.length])).toEqual([[0x80000000n, 0x10000n]]);
    expect([rm[1]!.used, rm[1]!.reason]).toEqual([false, expect.stringMatching(/no memory range descriptors/)]);
    const by = rmrStreamsBySmmu(table(nodes(), 5));
    expect(by.get(X)).toEqual([{ first: 7, last: 7, rmrOffset: rm[0]!.offset }]);
    expect(by.get(Y)).toEqual([{ first: 0x20, last: 0x23, rmrOffset: rm[0]!.offset }]);
  });

  it('table revision < 5: Linux ignores every RMR node', () => {
    const rm = listRmrs(table(nodes(), 3));
    expect(rm.every((r) => !r.used && /revision 3 < 5/.test(r.reason!))).toBe(true);
    expect(rmrStreamsBySmmu(table(nodes(), 3)).size).toBe(0);
  });

  it('the CIX Sky1 RMR: 10 display stream IDs on the second SMMU', () => {
    const t = decodeIort(new Uint8Array(readFileSync(`${SHARED}/corpus/real/iort/cix-sky1-radxa-orion-o6.iort.dat`))).value!;
    const by = rmrStreamsBySmmu(t);
    expect([...by.keys()]).toEqual([0x0b1b0000n]);
    expect(by.get(0x0b1b0000n)!.map((s) => s.first)).toEqual([0, 1, 6, 7, 12, 13, 18, 19, 24, 25]);
  });
});
