/**
 * One firing and one silent input per IORT and DT check, as bytes. `where` gives the expected
 * location: a byte offset for IORT findings, a node path (":prop") for DT findings.
 */
import { mkNode, mkProp, mkTree, propBool, propStr, propU32, setProp, val, type FdtNode } from '../../src/backends/fdt/model';
import { writeDtb } from '../../src/backends/fdt/blob';
import type { Toggle } from '../../src/check/types';
import { buildIort, cleanNodes, fixChecksum, its, rc, rmr, smmuv3, type BNode } from './iort-builder';

export interface BinaryCase {
  check: string;
  code: string;
  kind: 'iort' | 'dtb';
  fire: () => { bytes: Uint8Array; where: number | string };
  silent: () => Uint8Array;
  toggles?: Toggle[];
}

// ------------------------------------------------------------------ IORT

const clean = () => buildIort(5, cleanNodes()).bytes;
const smmuMaps = [{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }];
const withRc = (maps: { input: number; idCount: number; output: number; ref: string | number; single?: boolean }[], o: Parameters<typeof rc>[1] = {}) => {
  const nodes = cleanNodes();
  nodes[2] = rc('rc', o, maps);
  return buildIort(5, nodes);
};
const rmrTable = (rev: number, r: BNode, extra: BNode[] = []) => buildIort(rev, [...cleanNodes(), ...extra, r]);
const msiMap = { input: 0x8080, idCount: 0, output: 0x8080, ref: 'smmu' };

export const IORT_CASES: BinaryCase[] = [
  {
    check: 'iort-structure',
    code: 'IOT5100',
    kind: 'iort',
    fire: () => {
      const b = buildIort(5, cleanNodes());
      // The last node claims 8 more bytes than the table has.
      const len = b.bytes[b.at.rc! + 1]! | (b.bytes[b.at.rc! + 2]! << 8);
      b.bytes[b.at.rc! + 1] = (len + 8) & 0xff;
      b.bytes[b.at.rc! + 2] = (len + 8) >> 8;
      return { bytes: fixChecksum(b.bytes), where: b.at.rc! + 1 };
    },
    silent: clean,
  },
  {
    check: 'iort-revision',
    code: 'IOT5101',
    kind: 'iort',
    fire: () => ({ bytes: buildIort(4, cleanNodes()).bytes, where: 8 }),
    silent: () => buildIort(6, cleanNodes()).bytes,
  },
  {
    check: 'iort-checksum',
    code: 'IOT5121',
    kind: 'iort',
    fire: () => {
      const b = buildIort(5, cleanNodes()).bytes;
      b[9] = (b[9]! + 1) & 0xff;
      return { bytes: b, where: 9 };
    },
    silent: clean,
  },
  {
    check: 'iort-null-reference',
    code: 'IOT5104',
    kind: 'iort',
    fire: () => {
      const b = withRc([{ input: 0, idCount: 0xffff, output: 0, ref: 0 }]);
      return { bytes: b.bytes, where: b.map('rc', 0) + 12 };
    },
    silent: clean,
  },
  {
    check: 'iort-dangling-reference',
    code: 'IOT5105',
    kind: 'iort',
    fire: () => {
      const nodes = cleanNodes();
      const b0 = buildIort(5, nodes);
      const b = withRc([{ input: 0, idCount: 0xffff, output: 0, ref: b0.at.smmu! + 4 }]);
      return { bytes: b.bytes, where: b.map('rc', 0) + 12 };
    },
    silent: clean,
  },
  {
    check: 'iort-bad-target',
    code: 'IOT5106',
    kind: 'iort',
    fire: () => {
      const nodes = cleanNodes();
      nodes[1] = smmuv3('smmu', {}, [{ input: 0, idCount: 0xffff, output: 0, ref: 'rc' }]);
      const b = buildIort(5, nodes);
      return { bytes: b.bytes, where: b.map('smmu', 0) + 12 };
    },
    silent: clean,
  },
  {
    check: 'iort-reference-cycle',
    code: 'IOT5107',
    kind: 'iort',
    fire: () => {
      const nodes: BNode[] = [
        its('its'),
        smmuv3('a', {}, [{ input: 0, idCount: 0xffff, output: 0, ref: 'b' }]),
        smmuv3('b', { base: 0x0907_0000n }, [{ input: 0, idCount: 0xffff, output: 0, ref: 'a' }]),
        rc('rc', {}, [{ input: 0, idCount: 0xffff, output: 0, ref: 'a' }]),
      ];
      const b = buildIort(5, nodes);
      return { bytes: b.bytes, where: b.map('b', 0) + 12 };
    },
    silent: clean,
  },
  {
    check: 'iort-boundary-shared',
    code: 'IOT5102',
    kind: 'iort',
    fire: () => {
      const b = withRc([
        { input: 0, idCount: 0x100, output: 0, ref: 'smmu' },
        { input: 0x100, idCount: 0xfeff, output: 0x100, ref: 'its' },
      ]);
      return { bytes: b.bytes, where: b.map('rc', 0) + 4 };
    },
    silent: clean,
  },
  {
    check: 'iort-id-overlap',
    code: 'IOT5103',
    kind: 'iort',
    fire: () => {
      const b = withRc([
        { input: 0, idCount: 0x1ff, output: 0, ref: 'smmu' },
        { input: 0x100, idCount: 0xfeff, output: 0x100, ref: 'its' },
      ]);
      return { bytes: b.bytes, where: b.map('rc', 1) };
    },
    // A shared boundary is iort-boundary-shared's finding, not an overlap.
    silent: () =>
      withRc([
        { input: 0, idCount: 0x100, output: 0, ref: 'smmu' },
        { input: 0x100, idCount: 0xfeff, output: 0x100, ref: 'its' },
      ]).bytes,
  },
  {
    check: 'iort-single-mapping',
    code: 'IOT5108',
    kind: 'iort',
    fire: () => {
      const nodes = cleanNodes();
      nodes[1] = smmuv3('smmu', {}, [{ input: 0, idCount: 0, output: 0x10000, ref: 'its', single: true }]);
      const b = buildIort(5, nodes);
      return { bytes: b.bytes, where: b.map('smmu', 0) + 16 };
    },
    // Root complexes honour the flag.
    silent: () => withRc([{ input: 0, idCount: 0, output: 0x42, ref: 'its', single: true }]).bytes,
  },
  {
    check: 'iort-deviceid-index',
    code: 'IOT5109',
    kind: 'iort',
    fire: () => {
      // rev 4, PRI not wired: Linux takes mapping 0 (the range!) as the DeviceID mapping.
      const nodes = cleanNodes();
      nodes[1] = smmuv3('smmu', { gsivs: [106, 0, 109, 108], idIndex: 0 }, smmuMaps);
      const b = buildIort(5, nodes);
      return { bytes: b.bytes, where: b.at.smmu! + 64 };
    },
    silent: () => {
      const nodes = cleanNodes();
      nodes[1] = smmuv3('smmu', { gsivs: [106, 0, 109, 108], idIndex: 1 }, [...smmuMaps, { input: 0, idCount: 0, output: 0x10000, ref: 'its', single: true }]);
      return buildIort(5, nodes).bytes;
    },
  },
  {
    check: 'iort-single-id-count',
    code: 'IOT5110',
    kind: 'iort',
    fire: () => {
      const b = withRc([{ input: 0, idCount: 1, output: 0x42, ref: 'its', single: true }]);
      return { bytes: b.bytes, where: b.map('rc', 0) + 4 };
    },
    silent: () => withRc([{ input: 0, idCount: 0, output: 0x42, ref: 'its', single: true }]).bytes,
  },
  {
    check: 'iort-duplicate-identifier',
    code: 'IOT5111',
    kind: 'iort',
    fire: () => {
      const nodes = cleanNodes();
      nodes[2]!.id = 1; // the SMMU already has 1
      const b = buildIort(5, nodes);
      return { bytes: b.bytes, where: b.at.rc! + 4 };
    },
    // Revision 0: the field is reserved, equal values are expected.
    silent: () => {
      const nodes = cleanNodes();
      for (const n of nodes) n.id = 0;
      return buildIort(0, nodes).bytes;
    },
  },
  {
    check: 'iort-rmr-alignment',
    code: 'IOT5112',
    kind: 'iort',
    fire: () => {
      const b = rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_1000n, len: 0x1_0000n }] }, [msiMap]));
      return { bytes: b.bytes, where: b.tail('rmr') };
    },
    silent: () => rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x2_0000n }] }, [msiMap])).bytes,
  },
  {
    check: 'iort-rmr-zero-length',
    code: 'IOT5113',
    kind: 'iort',
    fire: () => {
      const b = rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0n }] }, [msiMap]));
      return { bytes: b.bytes, where: b.tail('rmr') + 8 };
    },
    silent: () => rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x1_0000n }] }, [msiMap])).bytes,
  },
  {
    check: 'iort-rmr-overlap',
    code: 'IOT5114',
    kind: 'iort',
    fire: () => {
      const b = rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x2_0000n }, { base: 0x0809_0000n, len: 0x1_0000n }] }, [msiMap]));
      return { bytes: b.bytes, where: b.tail('rmr') + 20 };
    },
    // One RMR per SMMU for the same doorbell is the multi-vSMMU layout.
    silent: () =>
      rmrTable(
        5,
        rmr('rmr2', { descs: [{ base: 0x0808_0000n, len: 0x2_0000n }] }, [{ ...msiMap, ref: 'smmu2' }]),
        [smmuv3('smmu2', { base: 0x0907_0000n }, smmuMaps), rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x2_0000n }] }, [msiMap])],
      ).bytes,
  },
  {
    check: 'iort-rmr-revision',
    code: 'IOT5115',
    kind: 'iort',
    fire: () => {
      const b = rmrTable(3, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x1_0000n }] }, [msiMap]));
      return { bytes: b.bytes, where: b.at.rmr! };
    },
    silent: () => rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x1_0000n }] }, [msiMap])).bytes,
  },
  {
    check: 'iort-rmr-mapping',
    code: 'IOT5116',
    kind: 'iort',
    fire: () => {
      const b = rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x1_0000n }] }, []));
      return { bytes: b.bytes, where: b.at.rmr! + 8 };
    },
    silent: () => rmrTable(5, rmr('rmr', { descs: [{ base: 0x0808_0000n, len: 0x1_0000n }] }, [msiMap])).bytes,
  },
  {
    check: 'iort-mem-limit',
    code: 'IOT5117',
    kind: 'iort',
    fire: () => {
      const b = withRc([{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }], { memLimit: 0, rev: 1 });
      return { bytes: b.bytes, where: b.at.rc! + 32 };
    },
    // Node revision 0 has no memory address limit (Linux does not read it).
    silent: () => withRc([{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }], { memLimit: 0, rev: 0 }).bytes,
  },
  {
    check: 'iort-rc-segment-duplicate',
    code: 'IOT5118',
    kind: 'iort',
    fire: () => {
      const b = buildIort(5, [...cleanNodes(), rc('rc2', { segment: 0 }, [{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }])]);
      return { bytes: b.bytes, where: b.at.rc2! + 28 };
    },
    silent: () => buildIort(5, [...cleanNodes(), rc('rc2', { segment: 1 }, [{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }])]).bytes,
  },
  {
    check: 'iort-rc-input-range',
    code: 'IOT5119',
    kind: 'iort',
    fire: () => {
      const b = withRc([{ input: 0x87030000, idCount: 0x7f, output: 0x1c80, ref: 'its' }]);
      return { bytes: b.bytes, where: b.map('rc', 0) };
    },
    silent: () => withRc([{ input: 0xff00, idCount: 0xff, output: 0xff00, ref: 'its' }]).bytes,
  },
  {
    check: 'iort-its-group',
    code: 'IOT5120',
    kind: 'iort',
    fire: () => {
      const nodes = cleanNodes();
      nodes[0] = its('its', []);
      const b = buildIort(5, nodes);
      return { bytes: b.bytes, where: b.at.its! + 16 };
    },
    silent: clean,
  },
];

// ------------------------------------------------------------------ DT

interface DtOpts {
  smmuName?: string;
  edit?: (n: { root: FdtNode; smmu: FdtNode; pcie: FdtNode; its: FdtNode }) => void;
}

/** A QEMU-like tree: GIC with ITS, one SMMUv3, one ECAM host bridge mapped 1:1 to both. */
function dtb(o: DtOpts = {}): Uint8Array {
  const itsNode = mkNode('its@8080000', [
    propStr('compatible', 'arm,gic-v3-its'),
    propBool('msi-controller'),
    propU32('#msi-cells', 1),
    mkProp('reg', val.u32(0, 0x0808_0000, 0, 0x2_0000)),
    propU32('phandle', 2),
  ]);
  const gic = mkNode(
    'intc@8000000',
    [
      propStr('compatible', 'arm,gic-v3'),
      propBool('interrupt-controller'),
      propU32('#interrupt-cells', 3),
      propU32('#address-cells', 2),
      propU32('#size-cells', 2),
      propBool('ranges'),
      mkProp('reg', val.u32(0, 0x0800_0000, 0, 0x1_0000, 0, 0x080a_0000, 0, 0xf6_0000)),
      propU32('phandle', 1),
    ],
    [itsNode],
  );
  const smmu = mkNode(o.smmuName ?? 'iommu@9050000', [
    propStr('compatible', 'arm,smmu-v3'),
    mkProp('reg', val.u32(0, 0x0905_0000, 0, 0x2_0000)),
    propU32('interrupt-parent', 1),
    propU32('interrupts', 0, 74, 1, 0, 75, 1, 0, 76, 1, 0, 77, 1),
    propStr('interrupt-names', 'eventq', 'priq', 'cmdq-sync', 'gerror'),
    propBool('dma-coherent'),
    propU32('#iommu-cells', 1),
    propU32('phandle', 3),
  ]);
  const pcie = mkNode('pcie@10000000', [
    propStr('compatible', 'pci-host-ecam-generic'),
    propStr('device_type', 'pci'),
    propU32('#address-cells', 3),
    propU32('#size-cells', 2),
    propU32('bus-range', 0, 0xff),
    mkProp('reg', val.u32(0x40, 0x1000_0000, 0, 0x1000_0000)),
    mkProp('ranges', val.u32(0x0200_0000, 0, 0x1000_0000, 0, 0x1000_0000, 0, 0x2eff_0000)),
    propU32('msi-map', 0, 2, 0, 0x10000),
    propU32('iommu-map', 0, 3, 0, 0x10000),
  ]);
  const root = mkNode('', [propU32('#address-cells', 2), propU32('#size-cells', 2), propStr('compatible', 'linux,dummy-virt')], [gic, smmu, pcie]);
  o.edit?.({ root, smmu, pcie, its: itsNode });
  return writeDtb(mkTree(root));
}

const P = '/pcie@10000000';
const S = '/iommu@9050000';
const at = (bytes: Uint8Array, where: string) => ({ bytes, where });

export const DT_CASES: BinaryCase[] = [
  {
    check: 'dt-map-length',
    code: 'IOT5200',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map', 0, 3, 0)) }), `${P}:iommu-map`),
    silent: () => dtb(),
  },
  {
    check: 'dt-phandle',
    code: 'IOT5201',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map', 0, 0x99, 0, 0x10000)) }), `${P}:iommu-map`),
    silent: () => dtb(),
  },
  {
    check: 'dt-map-mask',
    code: 'IOT5202',
    kind: 'dtb',
    fire: () =>
      at(
        dtb({
          edit: ({ pcie }) => {
            setProp(pcie, propU32('iommu-map', 0x10, 3, 0, 0x10));
            setProp(pcie, propU32('iommu-map-mask', 0xff00));
          },
        }),
        `${P}:iommu-map`,
      ),
    silent: () => dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map-mask', 0xffff)) }),
  },
  {
    check: 'dt-map-overlap',
    code: 'IOT5203',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map', 0, 3, 0, 0x100, 0x80, 3, 0x80, 0xff80)) }), `${P}:iommu-map`),
    silent: () => dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map', 0, 3, 0, 0x80, 0x80, 3, 0x80, 0xff80)) }),
  },
  {
    check: 'dt-map-rid-range',
    code: 'IOT5206',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map', 0, 3, 0, 0x10000, 0xff00, 3, 0, 0x200)) }), `${P}:iommu-map`),
    silent: () => dtb(),
  },
  {
    check: 'dt-bus-range',
    code: 'IOT5212',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('bus-range', 0x10, 0x5)) }), `${P}:bus-range`),
    silent: () => dtb({ edit: ({ pcie }) => setProp(pcie, propU32('bus-range', 0x10, 0x1f)) }),
  },
  {
    check: 'dt-iommu-map-coverage',
    code: 'IOT5204',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('iommu-map', 0, 3, 0, 0x100)) }), `${P}:iommu-map`),
    silent: () =>
      dtb({
        edit: ({ pcie }) => {
          setProp(pcie, propU32('iommu-map', 0, 3, 0, 0x100));
          setProp(pcie, propU32('bus-range', 0, 0));
        },
      }),
  },
  {
    check: 'dt-msi-map-coverage',
    code: 'IOT5205',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ pcie }) => setProp(pcie, propU32('msi-map', 0, 2, 0, 0x100)) }), `${P}:msi-map`),
    silent: () =>
      dtb({
        edit: ({ pcie }) => {
          setProp(pcie, propU32('msi-map', 0, 2, 0, 0x100));
          setProp(pcie, propU32('bus-range', 0, 0));
        },
      }),
  },
  {
    check: 'dt-iommu-cells',
    code: 'IOT5207',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ smmu }) => setProp(smmu, propU32('#iommu-cells', 2)) }), `${S}:#iommu-cells`),
    silent: () => dtb(),
  },
  {
    check: 'dt-smmu-node-name',
    code: 'IOT5208',
    kind: 'dtb',
    fire: () => at(dtb({ smmuName: 'smmuv3@9050000' }), '/smmuv3@9050000'),
    silent: () => dtb(),
  },
  {
    check: 'dt-smmu-reg',
    code: 'IOT5209',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ smmu }) => setProp(smmu, mkProp('reg', val.u32(0, 0x0905_0000, 0, 0x1_0000))) }), `${S}:reg`),
    // 64 KiB is enough with the Cavium page-1 quirk.
    silent: () =>
      dtb({
        edit: ({ smmu }) => {
          setProp(smmu, mkProp('reg', val.u32(0, 0x0905_0000, 0, 0x1_0000)));
          setProp(smmu, propBool('cavium,cn9900-broken-page1-regspace'));
        },
      }),
  },
  {
    check: 'dt-smmu-interrupt-names',
    code: 'IOT5210',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ smmu }) => setProp(smmu, propStr('interrupt-names', 'eventq', 'eventq', 'gerror', 'priq')) }), `${S}:interrupt-names`),
    silent: () =>
      dtb({
        edit: ({ smmu }) => {
          setProp(smmu, propU32('interrupts', 0, 74, 1));
          setProp(smmu, propStr('interrupt-names', 'combined'));
        },
      }),
  },
  {
    check: 'dt-iommu-disabled',
    code: 'IOT5211',
    kind: 'dtb',
    fire: () => at(dtb({ edit: ({ smmu }) => setProp(smmu, propStr('status', 'disabled')) }), `${P}:iommu-map`),
    // A disabled host bridge does not care.
    silent: () =>
      dtb({
        edit: ({ smmu, pcie }) => {
          setProp(smmu, propStr('status', 'disabled'));
          setProp(pcie, propStr('status', 'disabled'));
        },
      }),
  },
];
