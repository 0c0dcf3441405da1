/**
 * The DT interpreter (Linux of_map_id semantics) on hand-made nodes, on our own output checked
 * RID by RID against the IR's ridMap (computed independently below), and on real corpus trees.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { buildFdt, buildFdtTree } from '../../src/backends/fdt/encode';
import { mkNode, mkTree, propStr, propU32, type FdtNode, phandleIndex, propBool } from '../../src/backends/fdt/model';
import type { IrMachine } from '../../src/ir/types';
import { DtInterpreter, ofMapId, segmentsFromIr } from '../../src/verify/dt-map';
import type { TraceStep } from '../../src/verify/types';
import { FIXTURES, qemuA } from './fixtures';
import { CORPUS_DIR } from './util';

function hand(props: ReturnType<typeof propU32>[], smmuStatus?: string): { root: FdtNode; host: FdtNode } {
  const smmu = mkNode('iommu@1000', [propU32('reg', 0, 0x1000, 0, 0x20000), propU32('#iommu-cells', 1), propU32('phandle', 7), ...(smmuStatus ? [propStr('status', smmuStatus)] : [])]);
  const its = mkNode('msi-controller@2000', [propU32('reg', 0, 0x2000, 0, 0x20000), propBool('msi-controller'), propU32('phandle', 8)]);
  const host = mkNode('pcie@0', [propStr('device_type', 'pci'), propU32('reg', 0, 0, 0, 0x100000), propU32('bus-range', 0, 255), ...props]);
  const root = mkTree(mkNode('', [propU32('#address-cells', 2), propU32('#size-cells', 2)], [smmu, its, host])).root;
  return { root, host: root.children[2]! };
}
const map = (h: { root: FdtNode; host: FdtNode }, rid: number, name = 'iommu-map') => {
  const t: TraceStep[] = [];
  const r = ofMapId(h.host, rid, name, `${name}-mask`, phandleIndex(h.root), t);
  return { ...r, target: r.target?.path ?? null, trace: t };
};

describe('of_map_id', () => {
  it('absent property: untranslated, not present', () => {
    expect(map(hand([]), 0x12)).toMatchObject({ present: false, target: null, out: 0x12, error: null });
  });
  it('first matching entry wins; output = rid - base + out-base', () => {
    const h = hand([propU32('iommu-map', 0x100, 7, 0x5000, 0x100, 0x0, 7, 0x9000, 0x10000)]);
    expect(map(h, 0x180)).toMatchObject({ target: '/iommu@1000', out: 0x5080 });
    expect(map(h, 0x80)).toMatchObject({ target: '/iommu@1000', out: 0x9080 });
    expect(map(h, 0x180).trace.at(-1)!.where).toBe('/pcie@0:iommu-map[0]');
  });
  it('no match: present, no target, id unchanged', () => {
    expect(map(hand([propU32('iommu-map', 0x100, 7, 0, 0x100)]), 0x200)).toMatchObject({ present: true, target: null, out: 0x200, error: null });
  });
  it('mask applies to the RID before lookup', () => {
    const h = hand([propU32('iommu-map', 0x0, 7, 0x10, 1, 0x100, 7, 0x11, 7), propU32('iommu-map-mask', 0x1ff)]);
    expect(map(h, 0x0500 | 0x100)).toMatchObject({ out: 0x11 }); // bus 5 dropped by the mask
    expect(map(h, 0x0103)).toMatchObject({ out: 0x14 });
    expect(map(h, 0x0003)).toMatchObject({ target: null });
  });
  it('an id-base outside the mask fails the lookup when reached, not before a match', () => {
    const h = hand([propU32('iommu-map', 0x0, 7, 0, 0x10, 0x200, 7, 0, 0x10), propU32('iommu-map-mask', 0xff)]);
    expect(map(h, 0x5)).toMatchObject({ out: 0x5, error: null, target: '/iommu@1000' });
    expect(map(h, 0x20).error).toMatch(/ignores id-base \(0x200\)/);
  });
  it('bad length and unknown phandle are errors', () => {
    expect(map(hand([propU32('iommu-map', 0, 7, 0)]), 1).error).toMatch(/Bad iommu-map length: 12/);
    expect(map(hand([propU32('iommu-map', 0, 9, 0, 0x10)]), 1).error).toMatch(/phandle 0x9 names no node/);
  });
  it('u32 arithmetic: base + length wraps as in C', () => {
    const h = hand([propU32('iommu-map', 0xffff0000, 7, 0, 0x20000)]);
    expect(map(h, 0xffff0001).target).toBeNull(); // end wraps to 0x10000 < base: nothing matches
  });
  it('resolution: SMMU by reg base, DeviceID from msi-map, msi-parent fallback, disabled IOMMU', () => {
    const h = hand([propU32('iommu-map', 0, 7, 0x40, 0x100), propU32('msi-map', 0, 8, 0x1000, 0x80), propU32('msi-parent', 8)]);
    const it0 = new DtInterpreter(h.root);
    const b = it0.bridges[0]!;
    expect(it0.resolve(b, 0x10, 0)).toMatchObject({ smmu: { base: 0x1000n }, streamId: 0x50, its: { base: 0x2000n }, deviceId: 0x1010, unmapped: false });
    expect(it0.resolve(b, 0x90, 0)).toMatchObject({ streamId: 0xd0, its: { base: 0x2000n }, deviceId: 0x90 });
    expect(it0.resolve(b, 0x100, 0)).toMatchObject({ smmu: null, streamId: null, unmapped: true });
    const off = hand([propU32('iommu-map', 0, 7, 0, 0x10000)], 'disabled');
    const r = new DtInterpreter(off.root).resolve(new DtInterpreter(off.root).bridges[0]!, 5, 0);
    expect(r).toMatchObject({ smmu: null, unmapped: true });
    expect(r.trace.some((s) => /not available/.test(s.what))).toBe(true);
  });
});

/** What the IR says for one RID of a bridge, computed straight from the ridMap. */
function expected(ir: IrMachine, bridgeId: string, rid: number) {
  const b = ir.bridges.find((x) => x.id === bridgeId)!;
  const r = ir.segments.find((s) => s.segment === b.segment)!.ridMap.find((x) => rid >= x.base && rid < x.base + x.count)!;
  const t = r.target;
  const hasIommuMap = ir.segments
    .find((s) => s.segment === b.segment)!
    .ridMap.some((x) => x.target.kind === 'smmu' && x.base < (b.busEnd + 1) << 8 && x.base + x.count > b.busStart << 8);
  if (t.kind === 'smmu') {
    const s = ir.smmus.find((x) => x.id === t.smmu)!;
    const sid = t.streamBase + (rid - r.base);
    const m = s.msiMap.find((x) => sid >= x.base && sid < x.base + x.count);
    const its = m && b.msiParent ? ir.its.find((x) => x.id === m.its)! : null;
    return { smmu: { base: s.base }, streamId: sid, its: its ? { base: its.base } : null, deviceId: its ? m!.outBase + (sid - m!.base) : null, unmapped: false };
  }
  if (t.kind === 'its') {
    const its = b.msiParent ? ir.its.find((x) => x.id === t.its)! : null;
    return { smmu: null, streamId: null, its: its ? { base: its.base } : null, deviceId: its ? t.deviceBase + (rid - r.base) : null, unmapped: hasIommuMap };
  }
  return { smmu: null, streamId: null, its: null, deviceId: null, unmapped: hasIommuMap };
}

describe('our DTBs agree with the IR, RID by RID', () => {
  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name}: every RID of every bridge`, () => {
      const ir = make();
      const tree = decodeDtb(buildFdt(ir).value!, name).value!;
      const interp = DtInterpreter.of(tree);
      const segOf = segmentsFromIr(interp, ir);
      let n = 0;
      for (const b of ir.bridges) {
        for (let rid = b.busStart << 8; rid < (b.busEnd + 1) << 8; rid++) {
          const got = interp.resolveSegmentRid(b.segment, rid, segOf);
          const { trace: _t, fwBugs, segment, ...core } = got;
          expect(fwBugs).toEqual([]);
          expect(segment).toBe(b.segment);
          expect({ ...core, rid: undefined }).toEqual({ ...expected(ir, b.id, rid), rid: undefined });
          n++;
        }
      }
      expect(n).toBeGreaterThan(0);
    });
  }
  it('a RID on a bus no bridge owns is unmapped with no route', () => {
    const ir = qemuA();
    const interp = new DtInterpreter(buildFdtTree(ir).value!.root);
    const r = interp.resolveSegmentRid(0, 0x0300, segmentsFromIr(interp, ir));
    expect(r).toMatchObject({ smmu: null, its: null, unmapped: true });
  });
  it('traces name DT paths and entries', () => {
    const ir = qemuA();
    const interp = new DtInterpreter(buildFdtTree(ir).value!.root);
    const r = interp.resolveSegmentRid(0, 0x8, segmentsFromIr(interp, ir));
    expect(r.trace.map((s) => s.where)).toEqual(['/pcie@4010000000:iommu-map[0]', '/pcie@4010000000:msi-map[0]']);
  });
});

describe('real trees', () => {
  const load = (f: string) => DtInterpreter.of(decodeDtb(new Uint8Array(readFileSync(`${CORPUS_DIR}/${f}`)), f).value!);
  it('arm-rd1ae: RID 0x123 -> SMMU 0x280000000 StreamID 0x40123, ITS 0x30040000 DeviceID 0x40123', () => {
    const i = load('arm-rd1ae.tf-a.dtb');
    const b = i.bridges.find((x) => x.path.endsWith('pci@4000000000'))!;
    expect(i.resolve(b, 0x123, 0)).toMatchObject({ smmu: { base: 0x280000000n }, streamId: 0x40123, its: { base: 0x30040000n }, deviceId: 0x40123, unmapped: false });
  });
  it('nxp-imx95: masked iommu-map to a disabled SMMU leaves masters untranslated; msi-map unmasked', () => {
    const i = load('nxp-imx95-19x19-evk.dtb');
    const withMask = i.bridges.filter((b) => b.node.props.some((p) => p.name === 'iommu-map-mask'));
    expect(withMask.length).toBeGreaterThan(0);
    const b = withMask[0]!;
    const r = i.resolve(b, 0x100, 0);
    expect(r).toMatchObject({ smmu: null, unmapped: true, its: { base: 0x48040000n }, deviceId: 0x11 });
    expect(i.resolve(b, 0x205, 0)).toMatchObject({ its: null, deviceId: null });
  });
  it('every corpus host bridge resolves its whole bus-range without an exception', () => {
    let total = 0;
    for (const f of readdirSync(CORPUS_DIR).filter((x) => x.endsWith('.dtb'))) {
      const i = load(f);
      for (const b of i.bridges) for (let bus = b.busStart; bus <= Math.min(b.busEnd, 255); bus++) {
        i.resolve(b, (bus << 8) | 0x8, b.domain ?? 0);
        total++;
      }
    }
    expect(total).toBeGreaterThan(100);
  });
});
