/**
 * IORT decoder: bytes -> IortTable (model.ts), written independently of the encoder so that it
 * can judge the encoder's output and real firmware tables.
 *
 * Robustness rules (real tables break every one of the spec's promises):
 * - Every read goes through ByteReader over exactly `Length` bytes; every node-relative array is
 *   checked against the node's own length before anything is read, and arrays are read only as
 *   far as they fit, so no allocation or loop is ever sized by an untrusted count.
 * - Node layouts follow the node's own revision and length, never the table revision (revision-0
 *   tables with newer node layouts exist), and the ID array is always read at the stored
 *   mapping offset (RC nodes are 36 or 40 bytes depending on who wrote them).
 * - Problems become diagnostics with the byte offset of the field; the decoder never throws.
 */
import { type Diagnostic, makeDiag, type Result } from '../../diag/diagnostic';
import { ByteReader, OutOfBounds } from '../../util/bytes';
import { IortCodes as C } from './codes';
import {
  ID_MAPPING_SINGLE,
  IORT_HEADER_SIZE,
  IORT_ID_MAPPING_SIZE,
  IORT_NODE_HEADER_SIZE,
  IORT_RMR_DESCRIPTOR_SIZE,
  type IortGsiv,
  type IortHeader,
  type IortIdMapping,
  type IortMemoryAccess,
  type IortNode,
  type IortRmrDescriptor,
  type IortTable,
  kindOfType,
  KIND_TITLE,
  nodeLabel,
  RMR_ACCESS_ATTR_MASK,
  RMR_ACCESS_ATTR_SHIFT,
  RMR_FLAG_ACCESS_PRIVILEGED,
  RMR_FLAG_REMAP_PERMITTED,
  SMMUV3_FLAG_COHACC,
  SMMUV3_FLAG_DEVICEID_VALID,
  SMMUV3_FLAG_HTTU_MASK,
  SMMUV3_FLAG_HTTU_SHIFT,
  SMMUV3_FLAG_PXM_VALID,
  smmuV3DeviceIdIndex,
} from './model';

/**
 * Smallest node length (header included) that holds the fields every revision of the type has.
 * A shorter node cannot be interpreted and is kept as raw bytes.
 */
const MIN_NODE_LENGTH: Record<number, number> = {
  0: 20, // ITS count
  1: 30, // through the memory size limit + at least the name's NUL
  2: 32, // through the PCI segment (spec issue A had no memory address size limit)
  3: 76, // through the global interrupt array that normally follows the fixed part
  4: 60, // through the Sync GSIV (spec issue A layout)
  5: 32, // through the node reference
  6: 28, // through the descriptor array reference
  7: 27, // through the IWB index + the name's NUL
};

/** Fixed-field size each type's ID array must not overlap (the minimal layout, see above). */
const MIN_FIXED: Record<number, number> = { 0: 20, 1: 30, 2: 32, 3: 60, 4: 60, 5: 32, 6: 28, 7: 27 };

interface RawNode {
  offset: number;
  type: number;
  length: number;
  revision: number;
  identifier: number;
  mappingCount: number;
  mappingOffset: number;
}

class Ctx {
  readonly diags: Diagnostic[] = [];
  constructor(
    readonly r: ByteReader,
    readonly file: string,
  ) {}
  diag(info: { code: string; severity: 'error' | 'warning' | 'note' }, msg: string, byteOffset: number, length?: number, help?: string) {
    const loc = length === undefined ? { file: this.file, byteOffset } : { file: this.file, byteOffset, length };
    this.diags.push(makeDiag(info, msg, { loc }, help ? { help } : {}));
  }
}

const hex = (n: number | bigint) => '0x' + n.toString(16);

function countReplacementChars(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) {
      n++;
      i += 2;
    }
  }
  return n;
}

function readHeader(r: ByteReader, length: number): IortHeader {
  let sum = 0;
  for (let i = 0; i < length; i++) sum = (sum + r.bytes[i]!) & 0xff;
  return {
    signature: r.ascii(0, 4),
    length,
    revision: r.u8(8),
    checksum: r.u8(9),
    checksumValid: sum === 0,
    oemId: r.ascii(10, 6),
    oemTableId: r.ascii(16, 8),
    oemRevision: r.u32(24),
    creatorId: r.ascii(28, 4),
    creatorRevision: r.u32(32),
    nodeCount: r.u32(36),
    nodeOffset: r.u32(40),
    reserved: r.u32(44),
  };
}

/** Walks the node headers; stops at the first node that does not fit (its length cannot be trusted). */
function scanNodes(ctx: Ctx, h: IortHeader): RawNode[] {
  const { r } = ctx;
  const out: RawNode[] = [];
  if (h.nodeCount === 0) return out;
  if (h.nodeOffset < IORT_HEADER_SIZE) {
    ctx.diag(C.badNodeOffset, `node array offset ${hex(h.nodeOffset)} overlaps the 48-byte table header`, 40, 4);
    return out;
  }
  if (h.nodeOffset >= h.length) {
    ctx.diag(C.badNodeOffset, `node array offset ${hex(h.nodeOffset)} is at or beyond the table end (${hex(h.length)})`, 40, 4);
    return out;
  }
  let off = h.nodeOffset;
  let broken = false;
  for (let i = 0; i < h.nodeCount && off < h.length; i++) {
    if (!r.has(off, IORT_NODE_HEADER_SIZE)) {
      ctx.diag(C.nodeOutside, `node #${i} header at ${hex(off)} runs past the table end (${hex(h.length)})`, off);
      broken = true;
      break;
    }
    const length = r.u16(off + 1);
    if (length < IORT_NODE_HEADER_SIZE) {
      ctx.diag(C.nodeTooShort, `node #${i} at ${hex(off)} has length ${length}, less than its 16-byte header; the node list cannot be walked further`, off + 1, 2);
      broken = true;
      break;
    }
    if (off + length > h.length) {
      ctx.diag(C.nodeOutside, `node #${i} at ${hex(off)} has length ${hex(length)} and ends at ${hex(off + length)}, past the table end (${hex(h.length)})`, off + 1, 2);
      broken = true;
      break;
    }
    out.push({
      offset: off,
      type: r.u8(off),
      length,
      revision: r.u8(off + 3),
      identifier: r.u32(off + 4),
      mappingCount: r.u32(off + 8),
      mappingOffset: r.u32(off + 12),
    });
    off += length;
  }
  if (!broken && out.length < h.nodeCount) {
    ctx.diag(C.nodeCountMismatch, `the header announces ${h.nodeCount} nodes but only ${out.length} fit before the table end (${hex(h.length)})`, 36, 4);
  }
  if (!broken && out.length === h.nodeCount && off < h.length) {
    ctx.diag(C.extraNodeBytes, `${h.length - off} byte(s) after the last node (from ${hex(off)})`, off, h.length - off);
  }
  return out;
}

function readMemoryAccess(r: ByteReader, at: number): IortMemoryAccess {
  return { cca: r.u32(at), hints: r.u8(at + 4), reserved: r.u16(at + 5), flags: r.u8(at + 7) };
}

/** NUL-terminated ASCII inside [start, end); null when there is no NUL. */
function readCString(r: ByteReader, start: number, end: number): string | null {
  let s = '';
  for (let o = start; o < end; o++) {
    const c = r.u8(o);
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return null;
}

interface Resolver {
  byOffset: Map<number, number>;
}

function resolveRef(ctx: Ctx, res: Resolver, ref: number, fieldAt: number, what: string): number | null {
  const t = res.byOffset.get(ref);
  if (t !== undefined) return t;
  if (ref === 0) return null; // reported by the caller where NULL matters
  if (ref < IORT_HEADER_SIZE) ctx.diag(C.refIntoHeader, `${what} ${hex(ref)} points into the table header`, fieldAt, 4);
  else if (ref >= ctx.r.size) ctx.diag(C.danglingRef, `${what} ${hex(ref)} points past the table end (${hex(ctx.r.size)})`, fieldAt, 4);
  else ctx.diag(C.danglingRef, `${what} ${hex(ref)} does not point at the start of a node`, fieldAt, 4);
  return null;
}

/** Reads as many `size`-byte entries at node-relative `rel` as both `count` and the node allow. */
function fitCount(ctx: Ctx, raw: RawNode, rel: number, count: number, size: number, what: string, fieldAt: number, minRel: number): number {
  if (count === 0) return 0;
  const label = nodeLabel({ kind: kindOfType(raw.type), offset: raw.offset });
  if (rel < minRel) {
    const target = rel < IORT_NODE_HEADER_SIZE ? 'the node header' : 'the fixed fields';
    ctx.diag(what === 'ID mapping array' ? C.mappingsOverlapFields : C.arrayOutside, `${label}: ${what} at node offset ${hex(rel)} overlaps ${target} (they end at ${hex(minRel)})`, fieldAt, 4);
    if (rel < IORT_NODE_HEADER_SIZE) return 0;
  }
  const room = raw.length > rel ? Math.floor((raw.length - rel) / size) : 0;
  if (count > room) {
    const code = what === 'ID mapping array' ? C.mappingsOutside : C.arrayOutside;
    ctx.diag(code, `${label}: ${count} ${what} entr${count === 1 ? 'y' : 'ies'} of ${size} bytes at node offset ${hex(rel)} need ${hex(rel + count * size)} bytes but the node is ${hex(raw.length)} long; ${room} decoded`, fieldAt, 4);
    return room;
  }
  return count;
}

function decodeMappings(ctx: Ctx, res: Resolver, raw: RawNode, minFixed: number): IortIdMapping[] {
  const { r } = ctx;
  if (raw.mappingCount === 0) return [];
  const label = nodeLabel({ kind: kindOfType(raw.type), offset: raw.offset });
  if (raw.mappingOffset === 0) {
    ctx.diag(C.mappingsOverlapFields, `${label}: ${raw.mappingCount} ID mapping(s) but the ID array reference is 0`, raw.offset + 12, 4);
    return [];
  }
  const n = fitCount(ctx, raw, raw.mappingOffset, raw.mappingCount, IORT_ID_MAPPING_SIZE, 'ID mapping array', raw.offset + 8, minFixed);
  const out: IortIdMapping[] = [];
  for (let i = 0; i < n; i++) {
    const at = raw.offset + raw.mappingOffset + i * IORT_ID_MAPPING_SIZE;
    const outputRef = r.u32(at + 12);
    const flags = r.u32(at + 16);
    if (outputRef === 0) ctx.diag(C.nullRef, `${label}: ID mapping #${i} has a NULL output reference (Linux: "ID map has NULL parent reference")`, at + 12, 4);
    out.push({
      offset: at,
      index: i,
      inputBase: r.u32(at),
      idCount: r.u32(at + 4),
      outputBase: r.u32(at + 8),
      outputRef,
      flags,
      single: (flags & ID_MAPPING_SINGLE) !== 0,
      target: resolveRef(ctx, res, outputRef, at + 12, `${label}: ID mapping #${i} output reference`),
    });
  }
  return out;
}

function readGsivs(ctx: Ctx, raw: RawNode, rel: number, n: number): IortGsiv[] {
  const out: IortGsiv[] = [];
  for (let i = 0; i < n; i++) {
    const at = raw.offset + rel + i * 8;
    out.push({ gsiv: ctx.r.u32(at), flags: ctx.r.u32(at + 4) });
  }
  return out;
}

function decodeNode(ctx: Ctx, res: Resolver, raw: RawNode, index: number): IortNode {
  const { r } = ctx;
  const o = raw.offset;
  const kind = kindOfType(raw.type);
  const label = nodeLabel({ kind, offset: o });
  const minLen = MIN_NODE_LENGTH[raw.type] ?? IORT_NODE_HEADER_SIZE;
  const mappings = decodeMappings(ctx, res, raw, MIN_FIXED[raw.type] ?? IORT_NODE_HEADER_SIZE);
  const common = {
    index,
    offset: o,
    type: raw.type,
    length: raw.length,
    revision: raw.revision,
    identifier: raw.identifier,
    mappingCount: raw.mappingCount,
    mappingOffset: raw.mappingOffset,
    mappings,
  };
  const asRaw = (): IortNode => ({ ...common, kind: 'unknown', raw: r.slice(o, raw.length) });
  if (kind === 'unknown') {
    ctx.diag(C.unknownNodeType, `node #${index} at ${hex(o)} has unknown type ${raw.type}; kept as ${raw.length} raw bytes`, o, 1);
    return asRaw();
  }
  if (raw.length < minLen) {
    ctx.diag(C.nodeTooShort, `${label}: length ${raw.length} is shorter than the ${minLen} bytes of a ${KIND_TITLE[kind]} node's fixed fields; kept as raw bytes`, o + 1, 2);
    return asRaw();
  }
  // Fields past the start of the ID array belong to a newer layout than the writer used.
  const fixedEnd = raw.mappingCount > 0 && raw.mappingOffset >= minLen ? Math.min(raw.mappingOffset, raw.length) : raw.length;
  const u32If = (rel: number): number | null => (rel + 4 <= fixedEnd ? r.u32(o + rel) : null);

  switch (kind) {
    case 'its-group': {
      const itsCount = r.u32(o + 16);
      const n = fitCount(ctx, raw, 20, itsCount, 4, 'GIC ITS identifier', o + 16, 20);
      const identifiers: number[] = [];
      for (let i = 0; i < n; i++) identifiers.push(r.u32(o + 20 + i * 4));
      if (raw.mappingCount !== 0)
        ctx.diag(C.itsHasMappings, `${label}: an ITS group has no ID mappings, but the node says ${raw.mappingCount}`, o + 8, 4);
      return { ...common, kind, itsCount, identifiers };
    }
    case 'named-component': {
      const nameEnd = raw.mappingCount > 0 && raw.mappingOffset > 29 ? Math.min(raw.mappingOffset, raw.length) : raw.length;
      let deviceName = readCString(r, o + 29, o + nameEnd);
      if (deviceName === null) {
        ctx.diag(C.nameUnterminated, `${label}: device name at ${hex(o + 29)} has no NUL before ${hex(o + nameEnd)}`, o + 29);
        deviceName = r.ascii(o + 29, nameEnd - 29);
      }
      return {
        ...common,
        kind,
        nodeFlags: r.u32(o + 16),
        memoryAccess: readMemoryAccess(r, o + 20),
        memoryAddressLimit: r.u8(o + 28),
        deviceName,
      };
    }
    case 'root-complex': {
      const rev4 = raw.revision >= 4;
      return {
        ...common,
        kind,
        memoryAccess: readMemoryAccess(r, o + 16),
        atsAttribute: r.u32(o + 24),
        pciSegment: r.u32(o + 28),
        memoryAddressLimit: fixedEnd >= 33 ? r.u8(o + 32) : null,
        pasidCapabilities: rev4 && fixedEnd >= 35 ? r.u16(o + 33) : null,
        reserved: rev4 ? (fixedEnd >= 36 ? r.u8(o + 35) : null) : fixedEnd >= 36 ? r.u8(o + 33) | (r.u8(o + 34) << 8) | (r.u8(o + 35) << 16) : null,
        rcFlags: rev4 ? u32If(36) : null,
      };
    }
    case 'smmu-v1v2': {
      const globalIrqOffset = r.u32(o + 40);
      const contextIrqCount = r.u32(o + 44);
      const contextIrqOffset = r.u32(o + 48);
      const pmuIrqCount = r.u32(o + 52);
      const pmuIrqOffset = r.u32(o + 56);
      let nsgIrpt: IortGsiv | null = null;
      let nsgCfgIrpt: IortGsiv | null = null;
      if (globalIrqOffset >= IORT_NODE_HEADER_SIZE && globalIrqOffset + 16 <= raw.length) {
        nsgIrpt = { gsiv: r.u32(o + globalIrqOffset), flags: r.u32(o + globalIrqOffset + 4) };
        nsgCfgIrpt = { gsiv: r.u32(o + globalIrqOffset + 8), flags: r.u32(o + globalIrqOffset + 12) };
      } else {
        ctx.diag(C.arrayOutside, `${label}: global interrupt array at node offset ${hex(globalIrqOffset)} does not fit in the node (length ${hex(raw.length)})`, o + 40, 4);
      }
      const nc = fitCount(ctx, raw, contextIrqOffset, contextIrqCount, 8, 'context interrupt', o + 48, IORT_NODE_HEADER_SIZE);
      const np = fitCount(ctx, raw, pmuIrqOffset, pmuIrqCount, 8, 'PMU interrupt', o + 56, IORT_NODE_HEADER_SIZE);
      return {
        ...common,
        kind,
        base: r.u64(o + 16),
        span: r.u64(o + 24),
        model: r.u32(o + 32),
        smmuFlags: r.u32(o + 36),
        globalIrqOffset,
        contextIrqCount,
        contextIrqOffset,
        pmuIrqCount,
        pmuIrqOffset,
        nsgIrpt,
        nsgCfgIrpt,
        contextIrqs: contextIrqOffset >= IORT_NODE_HEADER_SIZE ? readGsivs(ctx, raw, contextIrqOffset, nc) : [],
        pmuIrqs: pmuIrqOffset >= IORT_NODE_HEADER_SIZE ? readGsivs(ctx, raw, pmuIrqOffset, np) : [],
      };
    }
    case 'smmu-v3': {
      const smmuFlags = r.u32(o + 24);
      const fields = {
        base: r.u64(o + 16),
        smmuFlags,
        cohacc: (smmuFlags & SMMUV3_FLAG_COHACC) !== 0,
        httu: (smmuFlags & SMMUV3_FLAG_HTTU_MASK) >> SMMUV3_FLAG_HTTU_SHIFT,
        pxmValid: (smmuFlags & SMMUV3_FLAG_PXM_VALID) !== 0,
        deviceIdValid: (smmuFlags & SMMUV3_FLAG_DEVICEID_VALID) !== 0,
        reserved: r.u32(o + 28),
        vatosAddress: r.u64(o + 32),
        model: r.u32(o + 40),
        eventGsiv: r.u32(o + 44),
        priGsiv: r.u32(o + 48),
        gerrGsiv: r.u32(o + 52),
        syncGsiv: r.u32(o + 56),
        proximityDomain: u32If(60),
        deviceIdMappingIndex: u32If(64),
      };
      const idx = smmuV3DeviceIdIndex({ ...fields, revision: raw.revision, mappingCount: raw.mappingCount });
      if (idx.overflow)
        ctx.diag(C.deviceIdIndexOverflow, `${label}: DeviceID mapping index ${fields.deviceIdMappingIndex} is not below the mapping count ${raw.mappingCount} (Linux: "ID mapping index overflows valid mappings")`, o + 64, 4);
      return { ...common, kind, ...fields, effectiveDeviceIdIndex: idx.index };
    }
    case 'pmcg': {
      const nodeReference = r.u32(o + 28);
      const nodeReferenceTarget = resolveRef(ctx, res, nodeReference, o + 28, `${label}: node reference`);
      if (nodeReference === 0) ctx.diag(C.danglingRef, `${label}: node reference is 0 (no monitored node)`, o + 28, 4);
      return {
        ...common,
        kind,
        page0Base: r.u64(o + 16),
        overflowGsiv: r.u32(o + 24),
        nodeReference,
        nodeReferenceTarget,
        page1Base: raw.revision >= 1 && fixedEnd >= 40 ? r.u64(o + 32) : null,
      };
    }
    case 'rmr': {
      const rmrFlags = r.u32(o + 16);
      const descriptorCount = r.u32(o + 20);
      const descriptorOffset = r.u32(o + 24);
      const n = fitCount(ctx, raw, descriptorOffset, descriptorCount, IORT_RMR_DESCRIPTOR_SIZE, 'memory range descriptor', o + 20, 28);
      const descriptors: IortRmrDescriptor[] = [];
      if (descriptorOffset >= IORT_NODE_HEADER_SIZE) {
        for (let i = 0; i < n; i++) {
          const at = o + descriptorOffset + i * IORT_RMR_DESCRIPTOR_SIZE;
          descriptors.push({ offset: at, base: r.u64(at), length: r.u64(at + 8), reserved: r.u32(at + 16) });
        }
      }
      return {
        ...common,
        kind,
        rmrFlags,
        remapPermitted: (rmrFlags & RMR_FLAG_REMAP_PERMITTED) !== 0,
        accessPrivileged: (rmrFlags & RMR_FLAG_ACCESS_PRIVILEGED) !== 0,
        accessAttributes: (rmrFlags & RMR_ACCESS_ATTR_MASK) >>> RMR_ACCESS_ATTR_SHIFT,
        descriptorCount,
        descriptorOffset,
        descriptors,
      };
    }
    case 'iwb': {
      const nameEnd = raw.mappingCount > 0 && raw.mappingOffset > 26 ? Math.min(raw.mappingOffset, raw.length) : raw.length;
      let deviceName = readCString(r, o + 26, o + nameEnd);
      if (deviceName === null) {
        ctx.diag(C.nameUnterminated, `${label}: device name at ${hex(o + 26)} has no NUL before ${hex(o + nameEnd)}`, o + 26);
        deviceName = r.ascii(o + 26, nameEnd - 26);
      }
      return { ...common, kind, configBase: r.u64(o + 16), iwbIndex: r.u16(o + 24), deviceName };
    }
  }
}

/** Reports each cycle in the mapping graph once (Linux would walk it forever). */
function findLoops(ctx: Ctx, nodes: IortNode[]): void {
  const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
  for (let start = 0; start < nodes.length; start++) {
    if (state[start]) continue;
    // Iterative DFS: stack of [node, next edge index].
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const node = nodes[top[0]]!;
      if (top[1] >= node.mappings.length) {
        state[top[0]] = 2;
        stack.pop();
        continue;
      }
      const m = node.mappings[top[1]++]!;
      const t = m.target;
      if (t === null) continue;
      if (state[t] === 1) {
        const cycle = stack.slice(stack.findIndex(([n]) => n === t)).map(([n]) => nodeLabel(nodes[n]!));
        ctx.diag(C.mappingLoop, `ID mappings form a loop: ${[...cycle, nodeLabel(nodes[t]!)].join(' -> ')}`, m.offset + 12, 4);
      } else if (state[t] === 0) {
        state[t] = 1;
        stack.push([t, 0]);
      }
    }
  }
}

export function decodeIort(bytes: Uint8Array, file = '<input>'): Result<IortTable> {
  try {
    return decodeUnsafe(bytes, file);
  } catch (e) {
    // Every read is bounds-checked before it is made; this only turns a decoder bug into a
    // located diagnostic instead of a crash.
    const at = e instanceof OutOfBounds ? e.offset : 0;
    const msg = e instanceof Error ? e.message : String(e);
    return { value: null, diagnostics: [makeDiag(C.internalError, `decoder failed: ${msg}`, { loc: { file, byteOffset: at } })] };
  }
}

/** Largest table read: real IORTs are a few KiB; this bounds every cost of the reader and lint. */
export const MAX_IORT_BYTES = 2 * 1024 * 1024;

function decodeUnsafe(bytes: Uint8Array, file: string): Result<IortTable> {
  const full = new ByteReader(bytes, true);
  const ctx0 = new Ctx(full, file);
  if (bytes.length > MAX_IORT_BYTES) {
    ctx0.diag(C.tooLarge, `input is ${bytes.length} bytes; an IORT table may be at most ${MAX_IORT_BYTES} (2 MiB)`, 0, 4);
    return { value: null, diagnostics: ctx0.diags };
  }
  if (bytes.length >= 4 && full.ascii(0, 4) !== 'IORT') {
    ctx0.diag(C.badSignature, `signature is ${JSON.stringify(full.ascii(0, 4))}, not "IORT"`, 0, 4);
    return { value: null, diagnostics: ctx0.diags };
  }
  if (bytes.length < IORT_HEADER_SIZE) {
    ctx0.diag(C.truncatedHeader, `input has ${bytes.length} byte(s); an IORT header needs 48`, 0);
    return { value: null, diagnostics: ctx0.diags };
  }
  const length = full.u32(4);
  if (length > bytes.length) {
    const bad = countReplacementChars(bytes);
    const help =
      bad > 0
        ? `the input holds ${bad} EF BF BD sequences (U+FFFD): it was probably saved through a UTF-8 text conversion, which replaces every byte >= 0x80; take the binary again (e.g. /sys/firmware/acpi/tables/IORT or acpidump -b)`
        : 'the table is truncated; take the whole binary again (e.g. /sys/firmware/acpi/tables/IORT or acpidump -b)';
    ctx0.diag(C.lengthExceedsFile, `table Length field is ${hex(length)} (${length} bytes) but the input has only ${bytes.length} bytes; refusing to decode`, 4, 4, help);
    return { value: null, diagnostics: ctx0.diags };
  }
  if (length < IORT_HEADER_SIZE) {
    ctx0.diag(C.lengthTooSmall, `table Length field is ${length}, less than the 48-byte IORT header`, 4, 4);
    return { value: null, diagnostics: ctx0.diags };
  }
  const r = new ByteReader(bytes.subarray(0, length), true);
  const ctx = new Ctx(r, file);
  if (length < bytes.length) ctx.diag(C.trailingBytes, `${bytes.length - length} byte(s) after the table Length (${hex(length)}) are ignored`, length);
  const header = readHeader(r, length);
  if (!header.checksumValid) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum = (sum + r.bytes[i]!) & 0xff;
    const want = (header.checksum - sum) & 0xff;
    ctx.diag(C.badChecksum, `checksum ${hex(header.checksum)} does not make the bytes sum to 0 (expected ${hex(want)})`, 9, 1);
  }
  if (header.revision === 1 || header.revision === 2 || header.revision === 4)
    ctx.diag(C.unsupportedRevision, `table revision ${header.revision} (spec issue ${header.revision === 4 ? 'E.c' : header.revision === 1 ? 'E' : 'E.a'}) is deprecated; ACPICA and EDK2 refuse it`, 8, 1);
  else if (header.revision > 7)
    ctx.diag(C.unsupportedRevision, `table revision ${header.revision} is newer than any known issue (7 = E.g); decoded with the newest layouts`, 8, 1);

  const raws = scanNodes(ctx, header);
  const res: Resolver = { byOffset: new Map(raws.map((n, i) => [n.offset, i])) };
  const nodes = raws.map((raw, i) => decodeNode(ctx, res, raw, i));
  findLoops(ctx, nodes);
  return { value: { header, nodes }, diagnostics: [...ctx0.diags, ...ctx.diags] };
}
