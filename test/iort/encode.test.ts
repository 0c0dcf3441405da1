import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../src/backends/iort/decode';
import { encodeIort } from '../../src/backends/iort/encode';
import { nodeRevisions } from '../../src/backends/iort/layout';
import type { IortNode, IortTable } from '../../src/backends/iort/model';
import type { IrMachine, IrRidRange } from '../../src/ir/types';
import { resolveRid } from '../../src/verify/iort-map';
import {
  bridge,
  fixtureCustom,
  fixtureCustomRev3,
  fixtureQemuNoIts,
  fixtureQemuNoSmmu,
  fixtureQemuRmr,
  fixtureQemuTwoSmmus,
  QEMU_FIXTURES,
  REF_DIR,
  ridMapOf,
  smmu,
} from './fixtures';

const codes = (ds: { code: string }[]) => ds.map((d) => d.code);
function ok(ir: IrMachine) {
  const r = encodeIort(ir);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { bytes: r.bytes!, table: r.table!, diagnostics: r.diagnostics };
}
const nodesOf = <K extends IortNode['kind']>(t: IortTable, kind: K) => t.nodes.filter((n) => n.kind === kind) as Extract<IortNode, { kind: K }>[];
const maps = (n: IortNode) => n.mappings.map((m) => [m.inputBase, m.idCount, m.outputBase, m.outputRef, m.flags]);

/** What the IR says a RID does, for the owned ranges (the interpreter must agree). */
function expectAgrees(ir: IrMachine, t: IortTable, seg: number, r: IrRidRange, rid: number) {
  const res = resolveRid(t, seg, rid);
  const off = rid - r.base;
  expect(res.fwBugs, `rid 0x${rid.toString(16)}`).toEqual([]);
  if (r.target.kind === 'smmu') {
    const s = ir.smmus.find((x) => x.id === (r.target as { smmu: string }).smmu)!;
    expect(res.smmu).toEqual({ base: s.base });
    const sid = r.target.streamBase + off;
    expect(res.streamId).toBe(sid);
    if (ir.profile === 'custom') {
      const mm = s.msiMap.find((m) => sid >= m.base && sid < m.base + m.count);
      if (mm) {
        expect(res.its).toEqual({ translationId: ir.its.find((i) => i.id === mm.its)!.translationId });
        expect(res.deviceId).toBe(mm.outBase + (sid - mm.base));
      } else expect(res.its).toBeNull();
    }
  } else if (r.target.kind === 'its') {
    expect(res.smmu).toBeNull();
    expect(res.unmapped).toBe(false);
    const its = ir.its.find((i) => i.id === (r.target as { its: string }).its)!;
    expect(res.its).toEqual({ translationId: its.translationId });
    expect(res.deviceId).toBe(r.target.deviceBase + off);
  } else {
    expect(res.smmu).toBeNull();
    expect(res.its).toBeNull();
    expect(res.unmapped).toBe(true);
  }
}

function expectAllAgree(ir: IrMachine, t: IortTable) {
  for (const seg of ir.segments)
    for (const r of seg.ridMap) {
      if (ir.profile === 'qemu-virt' && r.owner === null) continue;
      for (const rid of new Set([r.base, r.base + 1, r.base + (r.count >> 1), r.base + r.count - 1])) if (rid < r.base + r.count) expectAgrees(ir, t, seg.segment, r, rid);
    }
}

describe('encode: QEMU 10.0 byte identity', () => {
  for (const [name, make] of Object.entries(QEMU_FIXTURES)) {
    it(`${name}: identical to QEMU's IORT.dat, header and checksum included`, () => {
      const { bytes, diagnostics } = ok(make());
      expect(diagnostics).toEqual([]);
      expect(Buffer.from(bytes).toString('hex')).toBe(readFileSync(`${REF_DIR}/${name}/IORT.dat`).toString('hex'));
    });
  }
});

describe('encode: round trip and determinism', () => {
  const all: Record<string, () => IrMachine> = {
    ...QEMU_FIXTURES,
    qemu_rmr: fixtureQemuRmr,
    qemu_its_off: fixtureQemuNoIts,
    qemu_no_smmu: fixtureQemuNoSmmu,
    qemu_two_smmus: fixtureQemuTwoSmmus,
    custom_rev3: fixtureCustomRev3,
    custom_rev5: () => fixtureCustom(5),
    custom_rev6: () => fixtureCustom(6),
  };
  for (const [name, make] of Object.entries(all)) {
    it(`${name}: decode(encode(ir)) equals the intended model; encoding twice gives the same bytes`, () => {
      const { bytes, table } = ok(make());
      const d = decodeIort(bytes);
      expect(d.diagnostics).toEqual([]);
      expect(d.value).toEqual(table);
      expect(Buffer.from(ok(make()).bytes)).toEqual(Buffer.from(bytes));
      expect(table.header.checksumValid).toBe(true);
    });
    it(`${name}: the Linux interpreter agrees with the IR for every RID range`, () => {
      const ir = make();
      expectAllAgree(ir, ok(ir).table);
    });
  }
});

describe('encode: QEMU build_iort algorithm', () => {
  it('b: RC ID array = SMMU ranges (one per bridge) then the ITS complement runs', () => {
    const t = ok(QEMU_FIXTURES.b_smmuv3_2pxb!()).table;
    expect(maps(nodesOf(t, 'root-complex')[0]!)).toEqual([
      [0x0, 0x1ff, 0x0, 0x48, 0],
      [0x4000, 0x1ff, 0x4000, 0x48, 0],
      [0x8000, 0x1ff, 0x8000, 0x48, 0],
      [0x200, 0x3dff, 0x200, 0x30, 0],
      [0x4200, 0x3dff, 0x4200, 0x30, 0],
      [0x8200, 0x7dff, 0x8200, 0x30, 0],
    ]);
  });

  it('c: bypassed bridges and unowned RIDs merge into maximal ITS runs', () => {
    const t = ok(QEMU_FIXTURES.c_smmuv3_2pxb_bypass!()).table;
    expect(maps(nodesOf(t, 'root-complex')[0]!)).toEqual([
      [0x4000, 0x1ff, 0x4000, 0x48, 0],
      [0x0, 0x3fff, 0x0, 0x30, 0],
      [0x4200, 0xbdff, 0x4200, 0x30, 0],
    ]);
  });

  it('adjacent bridges behind the SMMU stay separate entries', () => {
    const ir = QEMU_FIXTURES.a_smmuv3!();
    const bridges = [bridge('pcie.0', 'rc', 0, 0x3f, 'smmu'), bridge('pxb1', 'pxb', 0x40, 0x40, 'smmu')];
    const seg = ridMapOf(bridges, 0);
    const t = ok({ ...ir, bridges, segments: [seg] }).table;
    expect(maps(nodesOf(t, 'root-complex')[0]!)).toEqual([
      [0x0, 0x3fff, 0x0, 0x48, 0],
      [0x4000, 0xff, 0x4000, 0x48, 0],
      [0x4100, 0xbeff, 0x4100, 0x30, 0],
    ]);
  });

  it('several SMMUs: sorted by their first RID range, ATS from any SMMU, identifiers in emission order', () => {
    const { table: t, bytes } = ok(fixtureQemuTwoSmmus());
    expect(t.nodes.map((n) => n.kind)).toEqual(['its-group', 'smmu-v3', 'smmu-v3', 'root-complex']);
    expect(t.nodes.map((n) => n.identifier)).toEqual([0, 1, 2, 3]);
    const [s0, s1] = nodesOf(t, 'smmu-v3');
    expect([s0!.base, s1!.base]).toEqual([0x0c000000n, 0x0c020000n]);
    expect([s0!.eventGsiv, s0!.priGsiv, s0!.gerrGsiv, s0!.syncGsiv]).toEqual([144, 145, 147, 146]);
    const rc = nodesOf(t, 'root-complex')[0]!;
    expect(rc.atsAttribute).toBe(1);
    expect(maps(rc)).toEqual([
      [0x0, 0x1ff, 0x0, s0!.offset, 0],
      [0x1000, 0xff, 0x1000, s1!.offset, 0],
      [0x200, 0xdff, 0x200, 0x30, 0],
      [0x1100, 0xeeff, 0x1100, 0x30, 0],
    ]);
    expect(bytes.length).toBe(364); // QEMU 2026-01-29 IORT.smmuv3-dev size (with ITS)
  });

  it('its=off: no ITS group, SMMU without mappings has ID-array reference 0, RC keeps reference 36', () => {
    const { table: t, bytes } = ok(fixtureQemuNoIts());
    expect(t.nodes.map((n) => n.kind)).toEqual(['smmu-v3', 'root-complex']);
    const s = nodesOf(t, 'smmu-v3')[0]!;
    expect([s.mappingCount, s.mappingOffset, s.length]).toEqual([0, 0, 68]);
    const rc = nodesOf(t, 'root-complex')[0]!;
    expect(rc.mappingOffset).toBe(36);
    expect(maps(rc)).toEqual([[0, 0xff, 0, 0x30, 0]]);
    expect(bytes.length).toBe(172); // QEMU IORT.its_off
  });

  it('no SMMU: one RC mapping 0..0xFFFF to the ITS', () => {
    const t = ok(fixtureQemuNoSmmu()).table;
    expect(maps(nodesOf(t, 'root-complex')[0]!)).toEqual([[0, 0xffff, 0, 0x30, 0]]);
  });

  it('RC with no mappings at all still points its ID array at 36', () => {
    const ir = fixtureQemuNoIts();
    const bridges = [bridge('pcie.0', 'rc', 0, 0, null, { msiParent: null })];
    const t = ok({ ...ir, smmus: [], bridges, segments: [ridMapOf(bridges, 0)] }).table;
    const rc = nodesOf(t, 'root-complex')[0]!;
    expect([rc.mappingCount, rc.mappingOffset, rc.length]).toEqual([0, 36, 36]);
    expect(t.header.length).toBe(84); // QEMU IORT (GICv2m) of 2026-02
  });

  it('RMR (accel=on, table rev 5): rev-3 node after the RC, Single-flag range, descriptor after the mapping', () => {
    const { table: t } = ok(fixtureQemuRmr());
    expect(t.header.revision).toBe(5);
    expect(t.nodes.map((n) => n.kind)).toEqual(['its-group', 'smmu-v3', 'root-complex', 'rmr']);
    const r = nodesOf(t, 'rmr')[0]!;
    expect([r.revision, r.length, r.mappingOffset, r.descriptorOffset, r.rmrFlags, r.identifier]).toEqual([3, 68, 28, 48, 0, 3]);
    expect(maps(r)).toEqual([[0x4000, 0x1ff, 0x4000, 0x48, 1]]);
    expect(r.descriptors.map((d) => [d.base, d.length])).toEqual([[0x8000000n, 0x100000n]]);
    // QEMU master keeps the other node revisions at table rev 5
    expect(t.nodes.map((n) => n.revision)).toEqual([1, 4, 3, 3]);
  });

  it('qemu-virt warns about what QEMU cannot express and writes the QEMU value', () => {
    const ir = QEMU_FIXTURES.a_smmuv3!();
    ir.smmus[0]!.numa = 1;
    ir.bridges[0]!.memLimit = 48;
    const r = encodeIort(ir);
    expect(codes(r.diagnostics)).toEqual(['IOT3009', 'IOT3009']);
    const s = nodesOf(r.table!, 'smmu-v3')[0]!;
    expect([s.pxmValid, s.proximityDomain]).toEqual([false, 0]);
    expect(nodesOf(r.table!, 'root-complex')[0]!.memoryAddressLimit).toBe(64);
  });
});

describe('encode: custom profile', () => {
  it('order ITS, RC (by segment), SMMUv3, RMR; RC rev 4 of 40 bytes from table rev 5', () => {
    const { table: t } = ok(fixtureCustom(5));
    expect(t.nodes.map((n) => n.kind)).toEqual(['its-group', 'its-group', 'root-complex', 'root-complex', 'smmu-v3', 'smmu-v3', 'rmr']);
    expect(t.nodes.map((n) => n.identifier)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(nodesOf(t, 'its-group').map((n) => n.identifiers)).toEqual([[0], [7]]);
    const [rc0, rc1] = nodesOf(t, 'root-complex');
    expect([rc0!.revision, rc0!.mappingOffset, rc0!.rcFlags, rc0!.pasidCapabilities]).toEqual([4, 40, 0, 0]);
    expect([rc0!.pciSegment, rc1!.pciSegment, rc0!.atsAttribute, rc1!.atsAttribute]).toEqual([0, 1, 1, 0]);
    expect(rc1!.memoryAddressLimit).toBe(48);
    const [sA, sB] = nodesOf(t, 'smmu-v3');
    expect(maps(rc0!)).toEqual([
      [0, 0x3fff, 0, sA!.offset, 0],
      [0x4000, 0x1ff, 0x4000, 0x30, 0],
    ]);
    expect(maps(rc1!)).toEqual([[0, 0x1ff, 0x40000, sB!.offset, 0]]);
  });

  it('MSI-signalled SMMU: Single DeviceID mapping last, index points at it; node rev 4 vs 5 (DeviceID valid)', () => {
    for (const rev of [5, 6] as const) {
      const t = ok(fixtureCustom(rev)).table;
      const sA = nodesOf(t, 'smmu-v3')[0]!;
      const its1 = nodesOf(t, 'its-group')[1]!;
      expect(sA.revision).toBe(rev === 6 ? 5 : 4);
      expect(maps(sA)).toEqual([
        [0, 0xffff, 0, 0x30, 0],
        [0, 0, 0x10000, its1.offset, 1],
      ]);
      expect(sA.deviceIdMappingIndex).toBe(1);
      expect(sA.effectiveDeviceIdIndex).toBe(1);
      expect(sA.smmuFlags).toBe(1 | (2 << 1) | 8 | (rev === 6 ? 16 : 0));
      expect(sA.proximityDomain).toBe(1);
      expect([sA.eventGsiv, sA.priGsiv, sA.gerrGsiv, sA.syncGsiv]).toEqual([0, 0, 0, 0]);
      const sB = nodesOf(t, 'smmu-v3')[1]!;
      expect(sB.effectiveDeviceIdIndex).toBeNull();
      expect(sB.smmuFlags).toBe(1);
    }
  });

  it('RMR: flags from the IR, Single flag only for one-ID ranges, descriptors after the mappings', () => {
    const t = ok(fixtureCustom(6)).table;
    const r = nodesOf(t, 'rmr')[0]!;
    const sA = nodesOf(t, 'smmu-v3')[0]!;
    expect(r.rmrFlags).toBe(1 | (5 << 2));
    expect(maps(r)).toEqual([
      [0x100, 0, 0x100, sA.offset, 1],
      [0x200, 3, 0x200, sA.offset, 0],
    ]);
    expect([r.descriptorCount, r.descriptorOffset]).toEqual([2, 28 + 40]);
  });

  it('node revisions per table revision', () => {
    expect(nodeRevisions(3, 'custom')).toEqual({ its: 1, smmuV3: 4, rc: 3, rmr: 3 });
    expect(nodeRevisions(5, 'custom')).toEqual({ its: 1, smmuV3: 4, rc: 4, rmr: 3 });
    expect(nodeRevisions(6, 'custom')).toEqual({ its: 1, smmuV3: 5, rc: 4, rmr: 3 });
    expect(nodeRevisions(6, 'qemu-virt')).toEqual({ its: 1, smmuV3: 5, rc: 3, rmr: 3 });
    const t3 = ok(fixtureCustomRev3()).table;
    expect(nodesOf(t3, 'root-complex').map((n) => [n.revision, n.mappingOffset])).toEqual([
      [3, 36],
      [3, 36],
    ]);
  });

  it('warns when host bridges of one segment disagree on ATS or memory limit', () => {
    const ir = fixtureCustom(5);
    ir.bridges[1]!.ats = false;
    ir.bridges[1]!.memLimit = 40;
    const r = encodeIort(ir);
    expect(codes(r.diagnostics)).toEqual(['IOT3012', 'IOT3013']);
    const rc0 = nodesOf(r.table!, 'root-complex')[0]!;
    expect([rc0.atsAttribute, rc0.memoryAddressLimit]).toEqual([0, 40]);
  });
});

describe('encode: errors', () => {
  it('RMR below table revision 5 is an error, never a silent drop', () => {
    for (const explicit of [true, false]) {
      const ir = fixtureCustom(5);
      ir.iort = { ...ir.iort, revision: 3, revisionExplicit: explicit };
      const r = encodeIort(ir);
      expect(r.bytes).toBeNull();
      expect(codes(r.diagnostics)).toEqual(['IOT3002']);
      expect(r.diagnostics[0]!.message).toContain("RMR 'fb'");
    }
  });

  it('revisions 1, 2, 4 and 7 are refused', () => {
    for (const rev of [1, 2, 4, 7]) {
      const ir = fixtureCustomRev3();
      (ir.iort as { revision: number }).revision = rev;
      const r = encodeIort(ir);
      expect(r.bytes).toBeNull();
      expect(codes(r.diagnostics)).toEqual(['IOT3001']);
    }
  });

  it('SMMUv3 node rev 4 with a zero GSIV and ordinary mappings (Linux would skip mapping 0)', () => {
    const ir = fixtureCustomRev3();
    ir.smmus[1]!.irqs.pri = 0;
    const r = encodeIort(ir);
    expect(codes(r.diagnostics)).toEqual(['IOT3007']);
    expect(r.diagnostics[0]!.help).toMatch(/revision 6/);
    ir.iort = { ...ir.iort, revision: 6 };
    const t = ok(ir).table;
    expect(nodesOf(t, 'smmu-v3')[1]!.effectiveDeviceIdIndex).toBeNull();
  });

  it('MSI SMMU with all four GSIVs wired at node rev 4: Linux would ignore its DeviceID index', () => {
    const ir = fixtureCustom(5);
    ir.smmus[0]!.irqs = { ...ir.smmus[0]!.irqs, event: 1, pri: 2, gerror: 3, sync: 4 };
    expect(codes(encodeIort(ir).diagnostics)).toEqual(['IOT3007']);
    ir.iort = { ...ir.iort, revision: 6 };
    expect(nodesOf(ok(ir).table, 'smmu-v3')[0]!.effectiveDeviceIdIndex).toBe(1);
  });

  it('MSI SMMU without an ITS, dangling SMMU/ITS ids, empty or oversized ranges, bad OEM strings', () => {
    const a = fixtureCustom(5);
    a.smmus[0]!.irqs = { kind: 'msi', event: 0, pri: 0, gerror: 0, sync: 0 };
    expect(codes(encodeIort(a).diagnostics)).toContain('IOT3008');

    const b = fixtureCustom(5);
    b.smmus[1]!.msiMap[0]!.its = 'nope';
    b.rmrs[0]!.smmu = 'ghost';
    b.segments[1]!.ridMap[0]!.target = { kind: 'smmu', smmu: 'ghost', streamBase: 0 };
    expect(codes(encodeIort(b).diagnostics).filter((c) => c === 'IOT3003').length).toBe(3);

    const c = fixtureCustom(5);
    c.smmus[1]!.msiMap[0]!.count = 0;
    c.rmrs[0]!.streams[0]!.base = 0xffffffff;
    c.rmrs[0]!.streams[0]!.count = 2;
    expect(codes(encodeIort(c).diagnostics).filter((x) => x === 'IOT3004').length).toBe(2);

    const d = fixtureCustom(5);
    d.iort = { ...d.iort, oemId: 'TOOLONGID', creatorId: 'A\u00e9CD' };
    expect(codes(encodeIort(d).diagnostics)).toEqual(['IOT3006', 'IOT3006']);

    const e = fixtureCustom(5);
    e.rmrs[0]!.streams = [];
    e.rmrs[0]!.ranges = [];
    expect(codes(encodeIort(e).diagnostics)).toEqual(['IOT3011', 'IOT3010']);
  });

  it('a node longer than 65535 bytes', () => {
    const ir = fixtureCustom(5);
    // 4000 one-bus ranges alternating between the SMMU and the ITS
    const ridMap: IrRidRange[] = [];
    for (let i = 0; i < 4000; i++) ridMap.push({ base: i * 16, count: 16, target: i % 2 ? { kind: 'its', its: 'its0', deviceBase: i * 16 } : { kind: 'smmu', smmu: 'smmuA', streamBase: i * 16 }, owner: null });
    ridMap.push({ base: 64000, count: 0x10000 - 64000, target: { kind: 'none' }, owner: null });
    ir.segments = [{ segment: 0, ridMap }, ir.segments[1]!];
    const r = encodeIort(ir);
    expect(codes(r.diagnostics)).toContain('IOT3005');
    expect(r.bytes).toBeNull();
  });
});

describe('encode: random custom topologies (property)', () => {
  const topo = fc.record({
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: 0xffff }), { maxLength: 8 }),
    targets: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 9, maxLength: 9 }),
    shift: fc.integer({ min: 0, max: 0x1000 }),
    revision: fc.constantFrom(3 as const, 5 as const, 6 as const),
    msiSmmu: fc.boolean(),
  });
  it('encodes, decodes to the intended model, and the interpreter follows the ridMap', () => {
    fc.assert(
      fc.property(topo, ({ cuts, targets, shift, revision, msiSmmu }) => {
        const ir = fixtureCustomRev3();
        ir.iort = { ...ir.iort, revision };
        const s0 = smmu('s0', 0x1000000n, msiSmmu && revision === 6 ? { kind: 'msi', msiIts: 'its1', msiDeviceId: 0x99999 } : { event: 40, pri: 41, sync: 42, gerror: 43 }, {
          msiMap: [{ base: 0, count: 0x20000, outBase: 0x100, its: 'its0' }],
        });
        ir.smmus = [s0];
        ir.rmrs = [];
        const edges = [0, ...[...cuts].sort((a, b) => a - b), 0x10000];
        const ridMap: IrRidRange[] = [];
        for (let i = 0; i + 1 < edges.length; i++) {
          const base = edges[i]!;
          const count = edges[i + 1]! - base;
          const k = targets[i]!;
          ridMap.push({
            base,
            count,
            owner: null,
            target: k === 0 ? { kind: 'smmu', smmu: 's0', streamBase: base + shift } : k === 1 ? { kind: 'its', its: 'its1', deviceBase: base * 2 } : k === 2 ? { kind: 'its', its: 'its0', deviceBase: base } : { kind: 'none' },
          });
        }
        ir.segments = [{ segment: 3, ridMap }];
        ir.bridges = [];
        const { bytes, table } = ok(ir);
        const d = decodeIort(bytes);
        expect(d.diagnostics).toEqual([]);
        expect(d.value).toEqual(table);
        for (const r of ridMap) for (const rid of [r.base, r.base + r.count - 1]) expectAgrees(ir, table, 3, r, rid);
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});
