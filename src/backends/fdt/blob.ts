/**
 * DTB writer: FdtTree -> bytes, laid out exactly as `dtc -I dts -O dtb` lays out a version 17
 * blob (dtc flattree.c): 40-byte header, memory reservation block at 0x28, structure block,
 * strings block, no padding. Property names go into the strings block with dtc's
 * first-match-at-any-offset scan (suffix sharing: "ranges" after "dma-ranges" reuses its tail),
 * inserted in node pre-order, property order. Same tree in, same bytes out.
 */
import { ByteWriter } from '../../util/bytes';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_MAGIC,
  FDT_PROP,
  FDT_V17_HEADER_SIZE,
  type FdtHeader,
  type FdtNode,
  type FdtTree,
} from './model';

/**
 * dtc's string table: a new name reuses the first offset whose NUL-terminated tail equals it.
 *
 * Any such match ends at a string's terminator (names hold no NUL), so it is a suffix of one
 * stored string, and the first match is the suffix of the earliest string that has it. Every
 * suffix of every stored string is therefore indexed once, first string wins: a lookup is one
 * map access instead of a scan of the whole table (which made N distinct names cost N times the
 * table: 20k names from a hostile base DTB took 25 s). Keys are the bytes as Latin-1 text so
 * that a suffix may start anywhere, even inside a multi-byte character.
 */
export class StringTable {
  private bytes: number[] = [];
  private readonly first = new Map<string, number>();
  insert(name: string): number {
    const enc = nameBytes(name);
    let key = '';
    for (const c of enc) key += String.fromCharCode(c);
    const hit = this.first.get(key);
    if (hit !== undefined) return hit;
    const at = this.bytes.length;
    for (const c of enc) this.bytes.push(c);
    this.bytes.push(0);
    for (let k = 0; k <= key.length; k++) {
      const suffix = key.slice(k);
      if (!this.first.has(suffix)) this.first.set(suffix, at + k);
    }
    return at;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Names as bytes. The decoder reads names as Latin-1 (one char per byte, whatever the bytes
 * are), so a name that came from a blob is written back byte for byte; only a name with
 * characters above U+00FF (never from a blob) is encoded as UTF-8.
 */
function nameBytes(s: string): Uint8Array {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return new TextEncoder().encode(s);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Encodes the tree; structOffsets of the (mutable) tree are updated to where they landed. */
export function writeDtb(tree: FdtTree): Uint8Array {
  const strings = new StringTable();
  const st = new ByteWriter(false, 4096);
  const rsvSize = (tree.reserve.length + 1) * 16;
  const structBase = FDT_V17_HEADER_SIZE + rsvSize;

  const emit = (n: FdtNode) => {
    n.structOffset = structBase + st.length;
    st.u32(FDT_BEGIN_NODE).bytes(nameBytes(n.unitName)).u8(0).align(4);
    for (const p of n.props) {
      p.structOffset = structBase + st.length;
      st.u32(FDT_PROP).u32(p.value.length).u32(strings.insert(p.name)).bytes(p.value).align(4);
    }
    for (const c of n.children) emit(c);
    st.u32(FDT_END_NODE);
  };
  emit(tree.root);
  st.u32(FDT_END);
  const structBytes = st.finish();
  const stringBytes = strings.finish();

  const header: FdtHeader = {
    magic: FDT_MAGIC,
    totalSize: structBase + structBytes.length + stringBytes.length,
    offDtStruct: structBase,
    offDtStrings: structBase + structBytes.length,
    offMemRsvmap: FDT_V17_HEADER_SIZE,
    version: 17,
    lastCompVersion: 16,
    bootCpuidPhys: tree.bootCpuidPhys >>> 0,
    sizeDtStrings: stringBytes.length,
    sizeDtStruct: structBytes.length,
  };
  const w = new ByteWriter(false, header.totalSize);
  w.u32(header.magic).u32(header.totalSize).u32(header.offDtStruct).u32(header.offDtStrings);
  w.u32(header.offMemRsvmap).u32(header.version).u32(header.lastCompVersion).u32(header.bootCpuidPhys);
  w.u32(header.sizeDtStrings).u32(header.sizeDtStruct);
  for (const r of tree.reserve) w.u64(r.address).u64(r.size);
  w.u64(0n).u64(0n);
  w.bytes(structBytes).bytes(stringBytes);
  tree.header = header;
  return w.finish();
}
