/**
 * DTB reader: bytes -> FdtTree, for any valid version 16 or 17 blob.
 *
 * Every read is bounds-checked against both the input and the header's totalsize; every
 * problem dtc's reader dies on (flattree.c dt_from_blob) becomes a located diagnostic
 * (IOT40xx with the byte offset) instead of an exception. Nothing is allocated with a size
 * taken from the blob: values are views into the input (copied at their real length), and
 * the loops are bounded by the input length, so a hostile header cannot make us allocate or
 * spin.
 */
import { type Diagnostic, makeDiag, type Result } from '../../diag/diagnostic';
import { FDT_CODES as C } from './codes';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
  FDT_V16_HEADER_SIZE,
  FDT_V17_HEADER_SIZE,
  type FdtHeader,
  type FdtNode,
  type FdtReserveEntry,
  type FdtTree,
  splitUnitName,
} from './model';

/** Nesting limit (vm-fdt and crosvm use 64; real trees stay under 10). */
export const MAX_DEPTH = 64;
/**
 * Longest property name read (the DT spec allows 31 characters). Names share the strings block,
 * so without a bound N properties pointing into one long string would cost N times its length
 * in time and memory: a 1 MB blob asked for 10 GB.
 */
export const MAX_PROP_NAME = 256;
/**
 * Largest blob read: Linux arm64 refuses a DTB over 2 MiB (MAX_FDT_SIZE), and real ones are
 * under 200 KiB. Every cost of the reader and of the DT checks is bounded by this.
 */
export const MAX_DTB_BYTES = 2 * 1024 * 1024;

export interface DecodeOptions {
  maxDepth?: number;
  /**
   * Size cap; defaults to MAX_DTB_BYTES. Only a blob iotopo emitted itself (the build's own
   * proof and dump) may raise it: the build warns separately when its output is over Linux's
   * limit, and a very large generated machine must still be provable.
   */
  maxBytes?: number;
}

export function decodeDtb(bytes: Uint8Array, file: string, opts: DecodeOptions = {}): Result<FdtTree> {
  const diags: Diagnostic[] = [];
  const at = (byteOffset: number, length?: number) => ({ loc: { file, byteOffset, ...(length !== undefined ? { length } : {}) } });
  const err = (info: { code: string; severity: 'error' | 'warning' | 'note' }, msg: string, off: number, len?: number) => {
    diags.push(makeDiag(info, msg, at(off, len)));
  };
  const fail = (): Result<FdtTree> => ({ value: null, diagnostics: diags });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, false);

  const maxBytes = opts.maxBytes ?? MAX_DTB_BYTES;
  if (bytes.length > maxBytes) {
    err(C.tooLarge, `input is ${bytes.length} bytes; a DTB may be at most ${maxBytes}${maxBytes === MAX_DTB_BYTES ? ' (2 MiB, Linux arm64 MAX_FDT_SIZE)' : ''}`, 0, 4);
    return fail();
  }
  if (bytes.length < 4 || u32(0) !== FDT_MAGIC) {
    err(C.badMagic, `Blob has incorrect magic number (expected 0xd00dfeed${bytes.length >= 4 ? `, found 0x${u32(0).toString(16).padStart(8, '0')}` : ''})`, 0, 4);
    return fail();
  }
  if (bytes.length < 28) {
    err(C.tooSmall, `DT blob size (${bytes.length}) is too small for a header`, 0, bytes.length);
    return fail();
  }
  const version = u32(0x14);
  const lastComp = u32(0x18);
  if (version < 16 || lastComp > 17) {
    err(
      C.badVersion,
      version < 16
        ? `DTB version ${version} is not supported (only versions 16 and 17 are read)`
        : `DTB last compatible version ${lastComp} is newer than 17`,
      version < 16 ? 0x14 : 0x18,
      4,
    );
    return fail();
  }
  const hdrSize = version >= 17 ? FDT_V17_HEADER_SIZE : FDT_V16_HEADER_SIZE;
  if (bytes.length < hdrSize) {
    err(C.tooSmall, `DT blob size (${bytes.length}) is too small for a version ${version} header (${hdrSize} bytes)`, 0, bytes.length);
    return fail();
  }
  const h: FdtHeader = {
    magic: FDT_MAGIC,
    totalSize: u32(0x04),
    offDtStruct: u32(0x08),
    offDtStrings: u32(0x0c),
    offMemRsvmap: u32(0x10),
    version,
    lastCompVersion: lastComp,
    bootCpuidPhys: u32(0x1c),
    sizeDtStrings: u32(0x20),
    sizeDtStruct: version >= 17 ? u32(0x24) : 0,
  };
  if (h.totalSize < hdrSize) {
    err(C.tooSmall, `DT blob size (${h.totalSize}) is too small`, 0x04, 4);
    return fail();
  }
  if (h.totalSize > bytes.length) {
    err(C.badTotalSize, `totalsize (${h.totalSize}) is larger than the ${bytes.length}-byte input (truncated blob?)`, 0x04, 4);
    return fail();
  }
  const total = h.totalSize;
  // Bytes beyond totalsize (padded buffers) are legal and simply not read.
  if (h.offMemRsvmap >= total) err(C.offsetPastEnd, `Mem Reserve structure offset (0x${h.offMemRsvmap.toString(16)}) exceeds total size (0x${total.toString(16)})`, 0x10, 4);
  if (h.offDtStruct >= total) err(C.offsetPastEnd, `DT structure offset (0x${h.offDtStruct.toString(16)}) exceeds total size (0x${total.toString(16)})`, 0x08, 4);
  if (h.offDtStrings > total) err(C.offsetPastEnd, `String table offset (0x${h.offDtStrings.toString(16)}) exceeds total size (0x${total.toString(16)})`, 0x0c, 4);
  if (diags.length) return fail();
  if (h.offDtStrings + h.sizeDtStrings > total) {
    err(C.blockPastEnd, `String table extends past total size (0x${h.offDtStrings.toString(16)} + 0x${h.sizeDtStrings.toString(16)} > 0x${total.toString(16)})`, 0x20, 4);
  }
  if (version >= 17 && h.offDtStruct + h.sizeDtStruct > total) {
    err(C.blockPastEnd, `Structure block extends past total size (0x${h.offDtStruct.toString(16)} + 0x${h.sizeDtStruct.toString(16)} > 0x${total.toString(16)})`, 0x24, 4);
  }
  if (h.offMemRsvmap % 8 !== 0) err(C.misaligned, `Mem Reserve structure offset 0x${h.offMemRsvmap.toString(16)} is not 8-byte aligned`, 0x10, 4);
  if (h.offDtStruct % 4 !== 0) err(C.misaligned, `DT structure offset 0x${h.offDtStruct.toString(16)} is not 4-byte aligned`, 0x08, 4);
  if (h.offMemRsvmap < hdrSize) err(C.blocksOverlap, `Mem Reserve structure (0x${h.offMemRsvmap.toString(16)}) overlaps the header`, 0x10, 4);
  if (h.offDtStruct < hdrSize) err(C.blocksOverlap, `DT structure (0x${h.offDtStruct.toString(16)}) overlaps the header`, 0x08, 4);
  if (h.offDtStrings < hdrSize && h.sizeDtStrings > 0) err(C.blocksOverlap, `String table (0x${h.offDtStrings.toString(16)}) overlaps the header`, 0x0c, 4);
  // Without size_dt_struct (v16) the structure block runs until FDT_END or the next block.
  const structLimit =
    version >= 17
      ? h.offDtStruct + h.sizeDtStruct
      : h.offDtStrings > h.offDtStruct
        ? h.offDtStrings
        : total;
  if (version >= 17 && h.sizeDtStrings > 0 && h.sizeDtStruct > 0 && rangesOverlap(h.offDtStruct, h.sizeDtStruct, h.offDtStrings, h.sizeDtStrings)) {
    err(C.blocksOverlap, `structure block [0x${h.offDtStruct.toString(16)}, 0x${structLimit.toString(16)}) and strings block [0x${h.offDtStrings.toString(16)}, 0x${(h.offDtStrings + h.sizeDtStrings).toString(16)}) overlap`, 0x0c, 4);
  }
  if (diags.some((d) => d.severity === 'error')) return fail();

  // ---------------------------------------------------------------- reservation block
  const reserve: FdtReserveEntry[] = [];
  let o = h.offMemRsvmap;
  const rsvLimit = Math.min(total, rangeEnd(h.offMemRsvmap, [h.offDtStruct, h.offDtStrings], total));
  for (;;) {
    if (o + 16 > rsvLimit) {
      err(C.rsvmapUnterminated, 'memory reservation block has no terminating all-zero entry before the next block', o, Math.max(0, rsvLimit - o));
      return fail();
    }
    const address = dv.getBigUint64(o, false);
    const size = dv.getBigUint64(o + 8, false);
    if (size === 0n) break;
    if (address + size > 0xffffffffffffffffn + 1n) err(C.badRsvEntry, `reservation 0x${address.toString(16)}+0x${size.toString(16)} wraps around the address space`, o, 16);
    reserve.push({ address, size });
    o += 16;
  }

  // ---------------------------------------------------------------- strings
  const strEnd = h.offDtStrings + h.sizeDtStrings;
  const nameCache = new Map<number, string | null>();
  /** The name at `nameoff`; null when it is outside the block, unterminated or too long. */
  const propName = (nameoff: number): string | null => {
    const hit = nameCache.get(nameoff);
    if (hit !== undefined) return hit;
    let r: string | null = null;
    if (nameoff < h.sizeDtStrings) {
      const s = h.offDtStrings + nameoff;
      const limit = Math.min(strEnd, s + MAX_PROP_NAME + 1);
      let e = s;
      while (e < limit && bytes[e] !== 0) e++;
      if (e < limit) r = latin1(bytes, s, e);
    }
    nameCache.set(nameoff, r);
    return r;
  };

  // ---------------------------------------------------------------- structure
  const maxDepth = opts.maxDepth ?? MAX_DEPTH;
  const stack: FdtNode[] = [];
  let root: FdtNode | null = null;
  let p = h.offDtStruct;
  let sawEnd = false;
  let first = true;
  const need = (n: number, what: string): boolean => {
    if (p + n <= structLimit) return true;
    err(C.truncated, `structure block ends inside ${what} (needs ${n} byte(s) at 0x${p.toString(16)}, block ends at 0x${structLimit.toString(16)})`, p, Math.max(0, structLimit - p));
    return false;
  };
  while (p < structLimit) {
    if (!need(4, 'a token')) return fail();
    const tokOff = p;
    const tok = u32(p);
    p += 4;
    if (first && tok !== FDT_BEGIN_NODE && tok !== FDT_NOP) {
      err(C.noBeginNode, `Device tree blob doesn't begin with FDT_BEGIN_NODE (found 0x${tok.toString(16).padStart(8, '0')})`, tokOff, 4);
      return fail();
    }
    if (tok === FDT_BEGIN_NODE) {
      first = false;
      let e = p;
      while (e < structLimit && bytes[e] !== 0) e++;
      if (e >= structLimit) {
        err(C.unterminatedName, `node name starting at 0x${p.toString(16)} is not NUL-terminated inside the structure block`, p, structLimit - p);
        return fail();
      }
      const unitName = latin1(bytes, p, e);
      p = align4(e + 1);
      if (stack.length === 0 && root !== null) {
        err(C.secondRoot, `FDT_BEGIN_NODE "${unitName}" after the root node was closed`, tokOff, 4);
        return fail();
      }
      if (stack.length >= maxDepth) {
        err(C.tooDeep, `nesting deeper than ${maxDepth} levels at node "${unitName}"`, tokOff, 4);
        return fail();
      }
      const parent = stack[stack.length - 1];
      const { name, unitAddress } = splitUnitName(unitName);
      const node: FdtNode = {
        name,
        unitAddress,
        unitName,
        path: parent ? (parent.path === '/' ? '/' : parent.path + '/') + unitName : '/',
        props: [],
        children: [],
        structOffset: tokOff,
      };
      if (parent) parent.children.push(node);
      else {
        root = node;
        if (unitName !== '') err(C.rootName, `root node is named "${unitName}" (expected an empty name)`, tokOff, 4);
      }
      stack.push(node);
    } else if (tok === FDT_END_NODE) {
      if (stack.length === 0) {
        err(C.unbalanced, 'FDT_END_NODE without a matching FDT_BEGIN_NODE', tokOff, 4);
        return fail();
      }
      stack.pop();
    } else if (tok === FDT_PROP) {
      if (!need(8, 'an FDT_PROP header')) return fail();
      const len = u32(p);
      const nameoff = u32(p + 4);
      p += 8;
      const node = stack[stack.length - 1];
      if (!node) {
        err(C.unbalanced, 'FDT_PROP outside of any node', tokOff, 4);
        return fail();
      }
      if (len > structLimit - p) {
        err(C.propPastEnd, `property value of ${len} byte(s) at 0x${p.toString(16)} extends past the structure block (ends at 0x${structLimit.toString(16)})`, tokOff + 4, 4);
        return fail();
      }
      const name = propName(nameoff);
      if (name === null) {
        if (nameoff < h.sizeDtStrings && h.offDtStrings + nameoff + MAX_PROP_NAME < strEnd)
          err(C.nameTooLong, `property name at string offset ${nameoff} is longer than ${MAX_PROP_NAME} bytes`, tokOff + 8, 4);
        else err(C.badStringOffset, `String offset ${nameoff} overruns string table (size ${h.sizeDtStrings})`, tokOff + 8, 4);
        return fail();
      }
      if (node.children.length > 0) {
        err(C.propAfterNode, `${node.path}: property "${name}" follows a subnode (Flat tree input has subnodes preceding a property)`, tokOff, 4);
      }
      node.props.push({ name, value: bytes.slice(p, p + len), structOffset: tokOff });
      p = align4(p + len);
    } else if (tok === FDT_NOP) {
      // ignored by every reader
    } else if (tok === FDT_END) {
      if (stack.length > 0) {
        err(C.unbalanced, `Premature FDT_END: ${stack.length} node(s) still open (innermost ${stack[stack.length - 1]!.path})`, tokOff, 4);
        return fail();
      }
      sawEnd = true;
      if (version >= 17 && p < structLimit) {
        err(C.trailingStruct, `${structLimit - p} byte(s) after FDT_END inside the structure block`, p, structLimit - p);
      }
      break;
    } else {
      err(C.badToken, `Invalid opcode word 0x${tok.toString(16).padStart(8, '0')}`, tokOff, 4);
      return fail();
    }
  }
  if (!sawEnd) {
    if (stack.length > 0) err(C.unbalanced, `structure block ends with ${stack.length} node(s) still open`, structLimit, 0);
    err(C.missingEnd, "Device tree blob doesn't end with FDT_END", Math.max(h.offDtStruct, structLimit - 4), 4);
    return fail();
  }
  if (!root) {
    err(C.noBeginNode, 'structure block holds no node', h.offDtStruct, 4);
    return fail();
  }
  return { value: { header: h, reserve, bootCpuidPhys: h.bootCpuidPhys, root }, diagnostics: diags };
}

const align4 = (n: number) => (n + 3) & ~3;

function rangesOverlap(a: number, al: number, b: number, bl: number): boolean {
  return a < b + bl && b < a + al;
}

/** End of the block starting at `start`: the nearest other block start after it, or total. */
function rangeEnd(start: number, others: number[], total: number): number {
  let end = total;
  for (const o of others) if (o > start && o < end) end = o;
  return end;
}

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
  return out;
}
