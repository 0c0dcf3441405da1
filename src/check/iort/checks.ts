/**
 * IORT table checks: what Linux (drivers/acpi/arm64/iort.c), ACPICA and EDK2's acpiview do with
 * a firmware table, as named findings with byte offsets. Reference: iort.md §1, §3, §4, §7.
 */
import { KIND_TITLE, type IortIdMapping, type IortNode, type IortRmrNode } from '../../backends/iort/model';
import { check } from '../define';
import { sweepOverlaps, type Iv } from '../intervals';
import type { CheckDef } from '../types';
import { at, deviceIdIndex, hex, label, lastInput, mapAt, mapText, nodeAt, rangeMappings, type IortCtx } from './context';

const SZ_64K = 0x10000n;

export const iortStructure = check<IortCtx>({
  name: 'iort-structure',
  code: 'IOT5100',
  level: 'error',
  target: 'iort',
  title: 'a node, or an array inside a node, runs outside the table',
  explain:
    'Every node must lie inside the table Length, be at least as long as its fixed fields, and hold ' +
    'its ID mapping array (and ITS IDs, interrupts, RMR descriptors) inside its own Length; the ' +
    'header\'s node count must match the nodes that fit. Linux only warns "IORT node pointer ' +
    'overflows, bad table!" while walking and trusts the rest, so a node that overruns is read from ' +
    'whatever bytes follow. Findings come from the decoder, with the byte offset of the field.',
  source: 'IORT (DEN 0049) table and node layout; Linux iort_scan_node() WARN_TAINT; iort.md §1, §3',
  prereqs: [],
  run(ctx, report) {
    for (const d of ctx.structural) report({ message: d.message, loc: d.loc, help: d.help });
  },
});

export const iortRevision = check<IortCtx>({
  name: 'iort-revision',
  code: 'IOT5101',
  level: 'error',
  target: 'iort',
  title: 'the table revision is 1, 2, 4 or unknown',
  explain:
    'IORT table revisions 1 (E) and 2 (E.a) were never supported by ACPICA or EDK2, and 4 (E.c) is ' +
    'deprecated: ACPICA prints "Unsupported IORT revision" and refuses to compile or disassemble ' +
    'it, EDK2 refuses to generate it and acpiview reports an error. Valid revisions are 0, 3, 5, 6 ' +
    'and (E.g, GICv5) 7.',
  source: 'ACPICA dmtbdump2.c / dttable1.c; EDK2 IortGenerator.c, acpiview IortParser.c; iort.md §1.2, §7.8',
  prereqs: [],
  run(ctx, report) {
    const r = ctx.table.header.revision;
    if (r === 1 || r === 2 || r === 4)
      report({ message: `table revision ${r} (spec issue ${r === 1 ? 'E' : r === 2 ? 'E.a' : 'E.c'}) is not supported: ACPICA and EDK2 refuse it`, loc: at(ctx, 8, 1) });
    else if (r > 7) report({ message: `table revision ${r} is newer than any known issue (7 = E.g)`, loc: at(ctx, 8, 1) });
  },
});

export const iortChecksum = check<IortCtx>({
  name: 'iort-checksum',
  code: 'IOT5121',
  level: 'warning',
  target: 'iort',
  title: 'the table checksum is wrong',
  explain:
    'All bytes of an ACPI table, checksum included, must sum to 0 mod 256. Linux logs "Incorrect ' +
    'checksum in table [IORT]" and uses the table anyway; a wrong checksum usually means the table ' +
    'was edited or truncated after it was built.',
  source: 'ACPI spec 5.2.6 (system description table header); ACPICA AcpiTbVerifyChecksum',
  prereqs: [],
  run(ctx, report) {
    if (!ctx.table.header.checksumValid) report({ message: `checksum ${hex(ctx.table.header.checksum)} does not make the table sum to 0`, loc: at(ctx, 9, 1) });
  },
});

export const iortBoundaryShared = check<IortCtx>({
  name: 'iort-boundary-shared',
  code: 'IOT5102',
  level: 'warning',
  target: 'iort',
  title: 'a range ends on the ID where the next range starts (Number of IDs written as a count)',
  explain:
    '"Number of IDs" is the count minus one, so [input, input + NumIDs] is inclusive. Firmware that ' +
    'stores the count makes every range end on the first ID of the next one. Linux detects exactly ' +
    'this case: on a match at the last ID of a range it keeps searching, and when a later range ' +
    'starts there it logs FW_BUG "[map %p] conflicting mapping for input ID 0x%x, applying ' +
    'workaround" and lets that range win. The result is what the author meant, but other consumers ' +
    '(and older kernels) send that ID to the wrong target. QEMU wrote counts until 2024; the ' +
    'HiSilicon D05/D06 tables still do.',
  source: 'Linux iort_id_map() -EAGAIN workaround; QEMU 5786827f47; corpus hisilicon-d06; iort.md §1.4, §3, §7.1',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      const ms = rangeMappings(n);
      const starts = new Map<number, IortIdMapping>();
      for (const m of ms) if (!starts.has(m.inputBase)) starts.set(m.inputBase, m);
      for (const a of ms) {
        const b = starts.get(lastInput(a));
        if (!b || b === a || b.inputBase <= a.inputBase) continue;
        report({
          message: `${label(n)}: ${mapText(a)} ends on input ID ${hex(b.inputBase)}, where ${mapText(b)} starts; Linux logs FW_BUG "conflicting mapping for input ID ${hex(b.inputBase)}, applying workaround" and uses mapping #${b.index}`,
          loc: mapAt(ctx, a, 4, 4),
          related: [{ message: `mapping #${b.index} starts here`, loc: mapAt(ctx, b) }],
          help: `store Number of IDs as count - 1 (${hex(a.idCount - 1)})`,
        });
      }
    }
  },
});

export const iortIdOverlap = check<IortCtx>({
  name: 'iort-id-overlap',
  code: 'IOT5103',
  level: 'error',
  target: 'iort',
  title: 'two ID mappings of one node match the same input IDs',
  explain:
    'Linux walks a node\'s ID array in order and takes the first range containing the input ID; it ' +
    'has no other overlap check (the only exception is the shared-boundary workaround that ' +
    'iort-boundary-shared reports). IDs in the overlap therefore silently go to the earlier ' +
    'mapping\'s target and the later mapping is dead for them. Applies to nodes matched by input ' +
    'ID (root complex, SMMU, PMCG); named components take their mappings by index, and single ' +
    'mappings and the SMMU\'s own DeviceID mapping ignore the input.',
  source: 'Linux iort_node_map_id() / iort_id_map(); iort.md §3, §6 ("ID overlap check: none")',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      const ms = rangeMappings(n);
      const starts = new Set(ms.map((m) => m.inputBase));
      // A shared boundary is iort-boundary-shared's finding: trim it before looking for overlaps.
      const ivs: Iv<IortIdMapping>[] = ms.map((m) => {
        const last = lastInput(m);
        const end = BigInt(last) + (starts.has(last) && last > m.inputBase ? 0n : 1n);
        return { lo: BigInt(m.inputBase), end, item: m };
      });
      sweepOverlaps(ivs, (a, b) => {
        const [first, second] = a.item.index < b.item.index ? [a.item, b.item] : [b.item, a.item];
        const lo = b.lo;
        const hi = (a.end < b.end ? a.end : b.end) - 1n;
        const same = first.target === second.target && first.outputBase - first.inputBase === second.outputBase - second.inputBase;
        report({
          message: `${label(n)}: ${mapText(b.item)} overlaps ${mapText(a.item)} on input IDs ${hex(lo)}..${hex(hi)}; Linux uses mapping #${first.index} for them${same ? ' (both translate them the same way)' : ` and mapping #${second.index} is dead there`}`,
          loc: mapAt(ctx, b.item),
          related: [{ message: `mapping #${a.item.index}`, loc: mapAt(ctx, a.item) }],
        });
      });
    }
  },
});

export const iortNullReference = check<IortCtx>({
  name: 'iort-null-reference',
  code: 'IOT5104',
  level: 'error',
  target: 'iort',
  title: 'an ID mapping has a NULL output reference',
  explain:
    'An output reference of 0 points at no node. Linux logs FW_BUG "[node %p type %d] ID map has ' +
    'NULL parent reference" and the translation fails, so the device gets neither an IOMMU nor an ' +
    'MSI domain; for the SMMU\'s own DeviceID mapping it logs FW_BUG "Invalid MSI mapping".',
  source: 'Linux iort_node_map_id(), iort_set_device_domain(); iort.md §3',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes)
      for (const m of n.mappings)
        if (m.outputRef === 0)
          report({ message: `${label(n)}: ${mapText(m)} has a NULL output reference (Linux: FW_BUG "ID map has NULL parent reference")`, loc: mapAt(ctx, m, 12, 4) });
    for (const n of ctx.table.nodes)
      if (n.kind === 'pmcg' && n.nodeReference === 0) report({ message: `${label(n)}: node reference is 0 (no monitored node)`, loc: at(ctx, n.offset + 28, 4) });
  },
});

export const iortDanglingReference = check<IortCtx>({
  name: 'iort-dangling-reference',
  code: 'IOT5105',
  level: 'error',
  target: 'iort',
  title: 'a reference points at no node',
  explain:
    'Output references (and the PMCG node reference) are byte offsets from the start of the table ' +
    'that must land exactly on a node header. Linux does not check this: it reads whatever bytes ' +
    'are there as a node header, so a dangling reference follows garbage (or runs off the table, ' +
    'WARN "IORT node pointer overflows, bad table!"). EDK2 refuses to generate such a table.',
  source: 'Linux iort_node_map_id() (ACPI_ADD_PTR on output_reference); EDK2 IortGenerator token resolution; iort.md §3, §4',
  prereqs: ['iort-structure'],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      for (const m of n.mappings)
        if (m.outputRef !== 0 && m.target === null)
          report({ message: `${label(n)}: ${mapText(m)} output reference ${hex(m.outputRef)} does not point at the start of a node`, loc: mapAt(ctx, m, 12, 4) });
      if (n.kind === 'pmcg' && n.nodeReference !== 0 && n.nodeReferenceTarget === null)
        report({ message: `${label(n)}: node reference ${hex(n.nodeReference)} does not point at the start of a node`, loc: at(ctx, n.offset + 28, 4) });
    }
  },
});

/** Which node kinds an ID mapping of a given node may output to. */
function allowedTargets(n: IortNode, m: IortIdMapping): Set<IortNode['kind']> {
  if (m.index === deviceIdIndex(n)) return new Set(['its-group']);
  switch (n.kind) {
    case 'root-complex':
    case 'named-component':
      return new Set(['its-group', 'smmu-v1v2', 'smmu-v3']);
    case 'rmr':
      return new Set(['smmu-v1v2', 'smmu-v3']);
    default:
      return new Set(['its-group']);
  }
}

export const iortBadTarget = check<IortCtx>({
  name: 'iort-bad-target',
  code: 'IOT5106',
  level: 'error',
  target: 'iort',
  title: 'an ID mapping outputs to a node that cannot receive IDs from it',
  explain:
    'Root complexes and named components map to an SMMU or an ITS group; SMMUs, PMCGs and IWBs map ' +
    'to an ITS group; RMR mappings name the SMMU whose StreamIDs they reserve. A mapping into a root ' +
    'complex, a named component, an RMR or a PMCG is meaningless: Linux walks into it, finds no ' +
    'node of the type it looks for, and the device ends up without IOMMU or MSI domain.',
  source: 'IORT (DEN 0049) node output types; Linux iort_node_map_id() type mask; iort.md §1.3, §3',
  prereqs: [],
  run(ctx, report) {
    const nodes = ctx.table.nodes;
    for (const n of nodes)
      for (const m of n.mappings) {
        if (m.target === null || m.index === deviceIdIndex(n)) continue;
        const t = nodes[m.target];
        if (!t || allowedTargets(n, m).has(t.kind)) continue;
        report({
          message: `${label(n)}: ${mapText(m)} outputs to ${label(t)}; a ${KIND_TITLE[n.kind]} node maps only to ${[...allowedTargets(n, m)].map((k) => KIND_TITLE[k]).join(' or ')}`,
          loc: mapAt(ctx, m, 12, 4),
          related: [{ message: `${label(t)}`, loc: nodeAt(ctx, t) }],
        });
      }
  },
});

export const iortReferenceCycle = check<IortCtx>({
  name: 'iort-reference-cycle',
  code: 'IOT5107',
  level: 'error',
  target: 'iort',
  title: 'ID mappings form a cycle',
  explain:
    'Linux follows output references until it reaches a node of the type it wants; its loop has no ' +
    'visited set, so a cycle of references that never reaches an SMMU or ITS group makes ' +
    'iort_node_map_id() spin until its mapping-depth guard or never return on older kernels.',
  source: 'Linux iort_node_map_id() (while (node) loop); iort.md §3',
  prereqs: ['iort-structure'],
  run(ctx, report) {
    const nodes = ctx.table.nodes;
    const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
    for (let s = 0; s < nodes.length; s++) {
      if (state[s]) continue;
      // Iterative DFS: stack of [node, next mapping index].
      const stack: [number, number][] = [[s, 0]];
      state[s] = 1;
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const n = nodes[top[0]]!;
        if (top[1] >= n.mappings.length) {
          state[top[0]] = 2;
          stack.pop();
          continue;
        }
        const m = n.mappings[top[1]++]!;
        const t = m.target;
        if (t === null || t < 0 || t >= nodes.length) continue;
        if (state[t] === 1) {
          const from = stack.findIndex(([i]) => i === t);
          const path = stack.slice(from).map(([i]) => label(nodes[i]!));
          report({ message: `ID mappings form a cycle: ${[...path, label(nodes[t]!)].join(' -> ')}`, loc: mapAt(ctx, m, 12, 4) });
        } else if (state[t] === 0) {
          state[t] = 1;
          stack.push([t, 0]);
        }
      }
    }
  },
});

export const iortSingleMapping = check<IortCtx>({
  name: 'iort-single-mapping',
  code: 'IOT5108',
  level: 'error',
  target: 'iort',
  title: 'the single-mapping flag on a node type where Linux rejects it',
  explain:
    'Linux honours the Single-mapping flag only for named components, root complexes and IWBs ' +
    '(output = output base, input ignored). On any other node it logs FW_BUG "[map %p] SINGLE ' +
    'MAPPING flag not allowed for node type %d, skipping ID map" and the mapping is dead. The one ' +
    'legitimate single mapping on an SMMUv3 or PMCG is its own DeviceID mapping (the one the ' +
    'DeviceID mapping index selects), and RMR nodes are exempt (Linux ignores the flag there).',
  source: 'Linux iort_id_map(); iort.md §3, §6',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      if (n.kind === 'named-component' || n.kind === 'root-complex' || n.kind === 'iwb' || n.kind === 'rmr') continue;
      const idx = deviceIdIndex(n);
      for (const m of n.mappings)
        if (m.single && m.index !== idx)
          report({
            message: `${label(n)}: ${mapText(m)} has the single-mapping flag; Linux logs FW_BUG "SINGLE MAPPING flag not allowed for node type ${n.type}, skipping ID map"${n.kind === 'smmu-v3' ? (idx === null ? ' (this node has no DeviceID mapping index in effect)' : ` (the DeviceID mapping index is ${idx})`) : ''}`,
            loc: mapAt(ctx, m, 16, 4),
          });
    }
  },
});

export const iortDeviceIdIndex = check<IortCtx>({
  name: 'iort-deviceid-index',
  code: 'IOT5109',
  level: 'error',
  target: 'iort',
  title: 'the SMMUv3/PMCG DeviceID mapping index is out of range or names a bad mapping',
  explain:
    'An SMMUv3 node of revision >= 1 names, by index, the mapping that gives the SMMU\'s own MSI ' +
    'DeviceID. Linux uses it for rev < 5 unless all four GSIVs are wired, and for rev >= 5 only with ' +
    'flag bit 4 (DeviceID valid); for a PMCG it is mapping 0 when the overflow GSIV is 0. An index ' +
    '>= the mapping count logs FW_BUG "ID mapping index overflows valid mappings"; the mapping must ' +
    'be Single with a non-NULL reference (else FW_BUG "Invalid MSI mapping") to an ITS group. Since ' +
    'Linux skips that mapping during StreamID translation, an index that lands on a range mapping ' +
    'also removes the SMMU\'s StreamID -> DeviceID translation.',
  source: 'Linux iort_get_id_mapping_index(), iort_set_device_domain(); EDK2 IortGenerator (DEVICEID_VALID); iort.md §1.10, §3, §7.7',
  prereqs: [],
  run(ctx, report) {
    const nodes = ctx.table.nodes;
    for (const n of nodes) {
      if (n.kind === 'smmu-v3') {
        const raw = n.deviceIdMappingIndex;
        const inEffect = n.revision >= 1 && raw !== null && (n.revision < 5 ? !(n.eventGsiv && n.priGsiv && n.gerrGsiv && n.syncGsiv) : n.deviceIdValid);
        if (inEffect && raw! >= n.mappingCount) {
          report({
            message: `${label(n)}: DeviceID mapping index ${raw} is not below the mapping count ${n.mappingCount} (Linux: FW_BUG "ID mapping index overflows valid mappings")`,
            loc: at(ctx, n.offset + 64, 4),
          });
          continue;
        }
      }
      const idx = deviceIdIndex(n);
      if (idx === null) continue;
      const m = n.mappings[idx];
      if (!m) continue;
      const why =
        n.kind === 'smmu-v3'
          ? n.revision < 5
            ? `node revision ${n.revision} with GSIVs ${n.eventGsiv}/${n.priGsiv}/${n.gerrGsiv}/${n.syncGsiv} (not all wired)`
            : 'the DeviceID-valid flag'
          : 'overflow GSIV 0';
      const idxLoc = n.kind === 'smmu-v3' ? at(ctx, n.offset + 64, 4) : mapAt(ctx, m);
      if (!m.single)
        report({
          message: `${label(n)}: ${mapText(m)} is the DeviceID mapping (${why}) but not a single mapping: Linux logs FW_BUG "Invalid MSI mapping" and skips it when translating IDs`,
          loc: idxLoc,
          related: [{ message: `mapping #${m.index}`, loc: mapAt(ctx, m) }],
        });
      else if (m.target !== null && nodes[m.target]?.kind !== 'its-group')
        report({
          message: `${label(n)}: DeviceID ${mapText(m)} outputs to ${label(nodes[m.target]!)}, not an ITS group: the node gets no MSI domain`,
          loc: mapAt(ctx, m, 12, 4),
        });
    }
  },
});

export const iortSingleIdCount = check<IortCtx>({
  name: 'iort-single-id-count',
  code: 'IOT5110',
  level: 'warning',
  target: 'iort',
  title: 'a single mapping has a non-zero Number of IDs',
  explain:
    'A single mapping stands for exactly one ID (its output base), and "Number of IDs" is the count ' +
    'minus one, so the field should be 0. Linux ignores it, but a value of 1 is the count-instead-' +
    'of-count-1 mistake again (Ampere Altra SMMU DeviceID mappings, HiSilicon D03/D05/D06 named ' +
    'components, EDK2\'s FDT parser), and other consumers may read a two-ID range.',
  source: 'IORT ID mapping format (iort.md §1.4); EDK2 FdtHwInfoParserLib caveat (iort.md §4); corpus ampere-altra, hisilicon-d0x',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      if (n.kind === 'rmr') continue;
      for (const m of n.mappings)
        if (m.single && m.idCount !== 0)
          report({ message: `${label(n)}: single mapping #${m.index} has Number of IDs ${m.idCount}; a single mapping is one ID (field = 0)`, loc: mapAt(ctx, m, 4, 4) });
    }
  },
});

export const iortDuplicateIdentifier = check<IortCtx>({
  name: 'iort-duplicate-identifier',
  code: 'IOT5111',
  level: 'warning',
  target: 'iort',
  title: 'several nodes share an Identifier (table revision 3 or later)',
  explain:
    'From E.b (table revision 3) the node header\'s Identifier exists "to aid table cross-' +
    'referencing" and must be unique; EDK2 rejects duplicates for revision >= 5. Linux never reads ' +
    'it, but tools that correlate IORT nodes with other tables (AEST, MPAM, APMT) do. Revision-0 ' +
    'tables have a reserved field there and are not checked.',
  source: 'IORT E.b node header; EDK2 IortGenerator identifier uniqueness; iort.md §1.3, §4',
  prereqs: [],
  run(ctx, report) {
    if (ctx.table.header.revision < 3) return;
    const sorted = [...ctx.table.nodes].sort((a, b) => a.identifier - b.identifier || a.index - b.index);
    for (let i = 0; i < sorted.length; ) {
      let j = i + 1;
      while (j < sorted.length && sorted[j]!.identifier === sorted[i]!.identifier) j++;
      if (j - i > 1) {
        const group = sorted.slice(i, j);
        report({
          message: `${group.length} nodes share Identifier ${group[0]!.identifier}: ${group.slice(0, 4).map((n) => label(n)).join(', ')}${group.length > 4 ? ` and ${group.length - 4} more` : ''}`,
          loc: at(ctx, group[1]!.offset + 4, 4),
          related: [{ message: `${label(group[0]!)} has it first`, loc: at(ctx, group[0]!.offset + 4, 4) }],
        });
      }
      i = j;
    }
  },
});

const rmrNodes = (ctx: IortCtx) => ctx.table.nodes.filter((n): n is IortRmrNode => n.kind === 'rmr');

export const iortRmrAlignment = check<IortCtx>({
  name: 'iort-rmr-alignment',
  code: 'IOT5112',
  level: 'error',
  target: 'iort',
  title: 'an RMR descriptor is not 64 KiB aligned',
  explain:
    'RMR memory range descriptors need a 64 KiB aligned base and a length that is a multiple of ' +
    '64 KiB. Linux logs FW_BUG "RMR descriptor[%pa] not aligned to 64K, continue with [%pa]" and ' +
    'page-aligns the region, so the identity mapping differs from the described one; acpiview ' +
    'reports an error.',
  source: 'Linux iort_get_rmrs(); EDK2 acpiview; iort.md §1.12, §3',
  prereqs: [],
  run(ctx, report) {
    for (const n of rmrNodes(ctx))
      for (const d of n.descriptors)
        if (d.base % SZ_64K !== 0n || d.length % SZ_64K !== 0n)
          report({ message: `${label(n)}: descriptor base ${hex(d.base)} length ${hex(d.length)} is not 64 KiB aligned (Linux: FW_BUG "RMR descriptor[...] not aligned to 64K")`, loc: at(ctx, d.offset, 20) });
  },
});

export const iortRmrZeroLength = check<IortCtx>({
  name: 'iort-rmr-zero-length',
  code: 'IOT5113',
  level: 'error',
  target: 'iort',
  title: 'an RMR has no descriptor, or a descriptor of length 0',
  explain:
    'Linux silently ignores an RMR node whose descriptor count or offset is 0 and logs FW_BUG ' +
    '"RMR descriptor[...] with zero length, continue anyway" for an empty descriptor; acpiview ' +
    'requires at least one descriptor and EDK2 refuses to generate the node.',
  source: 'Linux iort_node_get_rmr_info(), iort_get_rmrs(); EDK2 acpiview; iort.md §3, §4',
  prereqs: [],
  run(ctx, report) {
    for (const n of rmrNodes(ctx)) {
      if (n.descriptorCount === 0 || n.descriptorOffset === 0)
        report({ message: `${label(n)}: no memory range descriptors (count ${n.descriptorCount}, offset ${hex(n.descriptorOffset)}); Linux ignores the node`, loc: at(ctx, n.offset + 20, 8) });
      for (const d of n.descriptors)
        if (d.length === 0n) report({ message: `${label(n)}: descriptor at ${hex(d.base)} has length 0 (Linux: FW_BUG "... with zero length, continue anyway")`, loc: at(ctx, d.offset + 8, 8) });
    }
  },
});

export const iortRmrOverlap = check<IortCtx>({
  name: 'iort-rmr-overlap',
  code: 'IOT5114',
  level: 'warning',
  target: 'iort',
  title: 'RMR descriptors for one SMMU overlap',
  explain:
    'Linux logs FW_BUG "RMR descriptor[...] overlaps, continue anyway" for overlapping descriptors ' +
    'of one node. Two RMR nodes for the same SMMU that cover the same memory reserve it twice, ' +
    'possibly with different flags (remapping permitted, privileged, access attributes). RMR nodes ' +
    'of different SMMUs may cover the same memory.',
  source: 'Linux iort_get_rmrs(); iort.md §3, §7.6',
  prereqs: [],
  run(ctx, report) {
    // Group descriptors by each SMMU their node's mappings name (plus the node itself, so a
    // node without valid mappings still gets its own overlaps checked).
    const groups = new Map<string, Iv<{ n: IortRmrNode; off: number }>[]>();
    for (const n of rmrNodes(ctx)) {
      const keys = new Set<string>([`node:${n.offset}`]);
      for (const m of n.mappings) if (m.target !== null) keys.add(`smmu:${m.target}`);
      for (const k of keys) {
        const l = groups.get(k) ?? [];
        for (const d of n.descriptors) l.push({ lo: d.base, end: d.base + d.length, item: { n, off: d.offset } });
        groups.set(k, l);
      }
    }
    const seen = new Set<string>();
    for (const [key, ivs] of groups)
      sweepOverlaps(ivs, (a, b) => {
        const same = a.item.n === b.item.n;
        // Within a node, report once (from the node's own group); across nodes, once per pair.
        if (same !== key.startsWith('node:')) return;
        const pair = `${Math.min(a.item.off, b.item.off)}-${Math.max(a.item.off, b.item.off)}`;
        if (seen.has(pair)) return;
        seen.add(pair);
        const smmu = same ? undefined : ctx.table.nodes[Number(key.slice(5))];
        report({
          message: same
            ? `${label(b.item.n)}: descriptor ${hex(b.lo)}..${hex(b.end - 1n)} overlaps descriptor ${hex(a.lo)}..${hex(a.end - 1n)} (Linux: FW_BUG "... overlaps, continue anyway")`
            : `${label(b.item.n)}: descriptor ${hex(b.lo)}..${hex(b.end - 1n)} overlaps ${hex(a.lo)}..${hex(a.end - 1n)} of ${label(a.item.n)}, both for ${smmu ? label(smmu) : 'one SMMU'}`,
          loc: at(ctx, b.item.off, 20),
          related: [{ message: 'the other descriptor', loc: at(ctx, a.item.off, 20) }],
        });
      });
  },
});

export const iortRmrRevision = check<IortCtx>({
  name: 'iort-rmr-revision',
  code: 'IOT5115',
  level: 'error',
  target: 'iort',
  title: 'RMR nodes in a table below revision 5 are ignored by Linux',
  explain:
    'Linux parses RMR nodes only in tables of revision >= 5 (E.d): iort_find_rmrs() returns at once ' +
    'otherwise ("Only supports ARM DEN 0049E.d onwards"), so the reserved regions are never ' +
    'mapped and the devices that rely on them fault when the SMMU is enabled.',
  source: 'Linux iort_find_rmrs(); iort.md §1.2, §3, §7.6',
  prereqs: [],
  run(ctx, report) {
    const rev = ctx.table.header.revision;
    if (rev >= 5) return;
    for (const n of rmrNodes(ctx))
      report({ message: `${label(n)} is in a revision-${rev} table; Linux ignores RMR nodes below revision 5`, loc: nodeAt(ctx, n), related: [{ message: 'table revision', loc: at(ctx, 8, 1) }] });
  },
});

export const iortRmrMapping = check<IortCtx>({
  name: 'iort-rmr-mapping',
  code: 'IOT5116',
  level: 'error',
  target: 'iort',
  title: 'an RMR node has no ID mapping',
  explain:
    'The StreamIDs an RMR applies to come from its ID mappings (output_base .. output_base + ' +
    'NumIDs towards one SMMU). A node without mappings, or with a mapping offset of 0, makes Linux ' +
    'log FW_BUG "Invalid ID mapping, skipping RMR node %p".',
  source: 'Linux iort_node_get_rmr_info(); iort.md §3',
  prereqs: [],
  run(ctx, report) {
    for (const n of rmrNodes(ctx))
      if (n.mappingCount === 0 || n.mappingOffset === 0)
        report({ message: `${label(n)} has no ID mappings (count ${n.mappingCount}, offset ${hex(n.mappingOffset)}); Linux: FW_BUG "Invalid ID mapping, skipping RMR node"`, loc: at(ctx, n.offset + 8, 8) });
  },
});

export const iortMemLimit = check<IortCtx>({
  name: 'iort-mem-limit',
  code: 'IOT5117',
  level: 'warning',
  target: 'iort',
  title: 'a root complex or named component has a memory address limit of 0',
  explain:
    'The memory address size limit gives the DMA mask of the devices behind a root complex (node ' +
    'revision >= 1) or named component. 0 makes Linux log FW_BUG "Root complex missing memory ' +
    'address limit" (or "Named component missing memory address limit") and fall back to the ' +
    'default mask, which may exceed what the interconnect can address.',
  source: 'Linux rc_dma_get_range(), nc_dma_get_range(); iort.md §1.7, §1.8, §3',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      if (n.kind === 'root-complex' && n.revision >= 1 && n.memoryAddressLimit === 0)
        report({ message: `${label(n)} (segment ${n.pciSegment}) has memory address limit 0 (Linux: FW_BUG "Root complex missing memory address limit")`, loc: at(ctx, n.offset + 32, 1) });
      if (n.kind === 'named-component' && n.memoryAddressLimit === 0)
        report({ message: `${label(n)} (${n.deviceName}) has memory address limit 0 (Linux: FW_BUG "Named component missing memory address limit")`, loc: at(ctx, n.offset + 28, 1) });
    }
  },
});

export const iortRcSegmentDuplicate = check<IortCtx>({
  name: 'iort-rc-segment-duplicate',
  code: 'IOT5118',
  level: 'warning',
  target: 'iort',
  title: 'two root complex nodes have the same PCI segment',
  explain:
    'Linux finds the root complex node of a PCI device by segment number alone ("PCI segment ' +
    'numbers maps one-to-one with root complexes"), so with two nodes for one segment the first ' +
    'wins and the second\'s mappings are never used. Describe several host bridges of one segment ' +
    '(pxb-pcie) as ID ranges inside one root complex node.',
  source: 'Linux iort_match_node_callback(); iort.md §2.2, §3, §7.3',
  prereqs: [],
  run(ctx, report) {
    const first = new Map<number, IortNode>();
    for (const n of ctx.table.nodes) {
      if (n.kind !== 'root-complex') continue;
      const f = first.get(n.pciSegment);
      if (!f) first.set(n.pciSegment, n);
      else
        report({
          message: `${label(n)} is a second root complex for PCI segment ${n.pciSegment}; Linux uses ${label(f)} and never this node`,
          loc: at(ctx, n.offset + 28, 4),
          related: [{ message: `${label(f)} has segment ${n.pciSegment} first`, loc: at(ctx, f.offset + 28, 4) }],
        });
    }
  },
});

export const iortRcInputRange = check<IortCtx>({
  name: 'iort-rc-input-range',
  code: 'IOT5119',
  level: 'warning',
  target: 'iort',
  title: 'a root complex mapping has input IDs above 0xffff',
  explain:
    'The input of a root complex mapping is a PCI requester ID: 16 bits (bus << 8 | devfn). Input ' +
    'IDs above 0xffff can never match a PCI device, so such ranges (or their parts above 0xffff) ' +
    'are dead; usually a vendor encoding leaked into the RC node.',
  source: 'PCIe requester ID; Linux iort_pci_iommu_init() passes the 16-bit alias; corpus qcom-sc8180x',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      if (n.kind !== 'root-complex') continue;
      for (const m of n.mappings)
        if (!m.single && lastInput(m) > 0xffff)
          report({
            message: `${label(n)}: ${mapText(m)} reaches input ID ${hex(lastInput(m))}, beyond the 16-bit PCI RID space`,
            loc: mapAt(ctx, m, 0, 8),
            help: lastInput(m) === 0x10000 ? 'the range ends exactly one past 0xffff: Number of IDs was probably written as a count, not count - 1' : undefined,
          });
    }
  },
});

export const iortItsGroup = check<IortCtx>({
  name: 'iort-its-group',
  code: 'IOT5120',
  level: 'warning',
  target: 'iort',
  title: 'an ITS group has ID mappings or no ITS',
  explain:
    'An ITS group is an end point: it has no ID mappings (acpiview reports an error unless both the ' +
    'mapping count and offset are 0) and lists at least one GIC ITS identifier, which must match a ' +
    'MADT GIC ITS entry (Linux looks the MSI domain up by identifiers[0]).',
  source: 'EDK2 acpiview IortParser.c; Linux iort_find_domain_token(); iort.md §1.6',
  prereqs: [],
  run(ctx, report) {
    for (const n of ctx.table.nodes) {
      if (n.kind !== 'its-group') continue;
      if (n.mappingCount !== 0 || n.mappingOffset !== 0)
        report({ message: `${label(n)} has ${n.mappingCount} ID mapping(s) at offset ${hex(n.mappingOffset)}; an ITS group has none`, loc: at(ctx, n.offset + 8, 8) });
      if (n.itsCount === 0) report({ message: `${label(n)} lists no ITS identifier`, loc: at(ctx, n.offset + 16, 4) });
    }
  },
});

export const iortChecks: CheckDef<IortCtx>[] = [
  iortStructure,
  iortRevision,
  iortChecksum,
  iortNullReference,
  iortDanglingReference,
  iortBadTarget,
  iortReferenceCycle,
  iortBoundaryShared,
  iortIdOverlap,
  iortSingleMapping,
  iortDeviceIdIndex,
  iortSingleIdCount,
  iortDuplicateIdentifier,
  iortRmrAlignment,
  iortRmrZeroLength,
  iortRmrOverlap,
  iortRmrRevision,
  iortRmrMapping,
  iortMemLimit,
  iortRcSegmentDuplicate,
  iortRcInputRange,
  iortItsGroup,
];
