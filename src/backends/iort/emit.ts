/**
 * Serialises an IortTable model to bytes: the second phase of the encoder (layout.ts decides
 * every size, offset and reference; this module only writes them). Each node is written at its
 * own `offset`, so the model alone determines the layout; bytes no field covers stay zero.
 * Fields that are null (absent in the node's revision) are not written.
 */
import {
  IORT_HEADER_SIZE,
  IORT_ID_MAPPING_SIZE,
  IORT_RMR_DESCRIPTOR_SIZE,
  type IortGsiv,
  type IortMemoryAccess,
  type IortNode,
  type IortTable,
} from './model';

class Buf {
  readonly bytes: Uint8Array;
  private readonly v: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.v = new DataView(this.bytes.buffer);
  }
  u8(o: number, x: number) {
    this.v.setUint8(o, x & 0xff);
  }
  u16(o: number, x: number) {
    this.v.setUint16(o, x & 0xffff, true);
  }
  u32(o: number, x: number) {
    this.v.setUint32(o, x >>> 0, true);
  }
  u64(o: number, x: bigint) {
    this.v.setBigUint64(o, BigInt.asUintN(64, x), true);
  }
  ascii(o: number, s: string, n: number) {
    for (let i = 0; i < n; i++) this.u8(o + i, i < s.length ? s.charCodeAt(i) : 0);
  }
}

function memAccess(b: Buf, o: number, m: IortMemoryAccess) {
  b.u32(o, m.cca);
  b.u8(o + 4, m.hints);
  b.u16(o + 5, m.reserved);
  b.u8(o + 7, m.flags);
}

function gsiv(b: Buf, o: number, g: IortGsiv | null) {
  if (!g) return;
  b.u32(o, g.gsiv);
  b.u32(o + 4, g.flags);
}

function node(b: Buf, n: IortNode) {
  const o = n.offset;
  if (n.kind === 'unknown') {
    b.bytes.set(n.raw, o);
  }
  b.u8(o, n.type);
  b.u16(o + 1, n.length);
  b.u8(o + 3, n.revision);
  b.u32(o + 4, n.identifier);
  b.u32(o + 8, n.mappingCount);
  b.u32(o + 12, n.mappingOffset);
  switch (n.kind) {
    case 'its-group':
      b.u32(o + 16, n.itsCount);
      n.identifiers.forEach((id, i) => b.u32(o + 20 + 4 * i, id));
      break;
    case 'named-component':
      b.u32(o + 16, n.nodeFlags);
      memAccess(b, o + 20, n.memoryAccess);
      b.u8(o + 28, n.memoryAddressLimit);
      b.ascii(o + 29, n.deviceName, n.deviceName.length + 1);
      break;
    case 'root-complex':
      memAccess(b, o + 16, n.memoryAccess);
      b.u32(o + 24, n.atsAttribute);
      b.u32(o + 28, n.pciSegment);
      if (n.memoryAddressLimit !== null) b.u8(o + 32, n.memoryAddressLimit);
      if (n.pasidCapabilities !== null) {
        b.u16(o + 33, n.pasidCapabilities);
        if (n.reserved !== null) b.u8(o + 35, n.reserved);
      } else if (n.reserved !== null) {
        b.u8(o + 33, n.reserved);
        b.u8(o + 34, n.reserved >>> 8);
        b.u8(o + 35, n.reserved >>> 16);
      }
      if (n.rcFlags !== null) b.u32(o + 36, n.rcFlags);
      break;
    case 'smmu-v1v2':
      b.u64(o + 16, n.base);
      b.u64(o + 24, n.span);
      b.u32(o + 32, n.model);
      b.u32(o + 36, n.smmuFlags);
      b.u32(o + 40, n.globalIrqOffset);
      b.u32(o + 44, n.contextIrqCount);
      b.u32(o + 48, n.contextIrqOffset);
      b.u32(o + 52, n.pmuIrqCount);
      b.u32(o + 56, n.pmuIrqOffset);
      gsiv(b, o + n.globalIrqOffset, n.nsgIrpt);
      gsiv(b, o + n.globalIrqOffset + 8, n.nsgCfgIrpt);
      n.contextIrqs.forEach((g, i) => gsiv(b, o + n.contextIrqOffset + 8 * i, g));
      n.pmuIrqs.forEach((g, i) => gsiv(b, o + n.pmuIrqOffset + 8 * i, g));
      break;
    case 'smmu-v3':
      b.u64(o + 16, n.base);
      b.u32(o + 24, n.smmuFlags);
      b.u32(o + 28, n.reserved);
      b.u64(o + 32, n.vatosAddress);
      b.u32(o + 40, n.model);
      b.u32(o + 44, n.eventGsiv);
      b.u32(o + 48, n.priGsiv);
      b.u32(o + 52, n.gerrGsiv);
      b.u32(o + 56, n.syncGsiv);
      if (n.proximityDomain !== null) b.u32(o + 60, n.proximityDomain);
      if (n.deviceIdMappingIndex !== null) b.u32(o + 64, n.deviceIdMappingIndex);
      break;
    case 'pmcg':
      b.u64(o + 16, n.page0Base);
      b.u32(o + 24, n.overflowGsiv);
      b.u32(o + 28, n.nodeReference);
      if (n.page1Base !== null) b.u64(o + 32, n.page1Base);
      break;
    case 'rmr':
      b.u32(o + 16, n.rmrFlags);
      b.u32(o + 20, n.descriptorCount);
      b.u32(o + 24, n.descriptorOffset);
      n.descriptors.forEach((d, i) => {
        const at = o + n.descriptorOffset + i * IORT_RMR_DESCRIPTOR_SIZE;
        b.u64(at, d.base);
        b.u64(at + 8, d.length);
        b.u32(at + 16, d.reserved);
      });
      break;
    case 'iwb':
      b.u64(o + 16, n.configBase);
      b.u16(o + 24, n.iwbIndex);
      b.ascii(o + 26, n.deviceName, n.deviceName.length + 1);
      break;
    case 'unknown':
      break;
  }
  n.mappings.forEach((m, i) => {
    const at = o + n.mappingOffset + i * IORT_ID_MAPPING_SIZE;
    b.u32(at, m.inputBase);
    b.u32(at + 4, m.idCount);
    b.u32(at + 8, m.outputBase);
    b.u32(at + 12, m.outputRef);
    b.u32(at + 16, m.flags);
  });
}

/** Sum of all bytes mod 256 is zero once this value is in the checksum byte. */
export function checksumOf(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) if (i !== 9) sum = (sum + bytes[i]!) & 0xff;
  return (0x100 - sum) & 0xff;
}

/**
 * Writes the table. The checksum is recomputed unless `keepChecksum` (used to re-create a
 * decoded table byte for byte, broken checksum included).
 */
export function emitIort(t: IortTable, opts: { keepChecksum?: boolean } = {}): Uint8Array {
  const h = t.header;
  const b = new Buf(Math.max(h.length, IORT_HEADER_SIZE));
  b.ascii(0, h.signature, 4);
  b.u32(4, h.length);
  b.u8(8, h.revision);
  b.ascii(10, h.oemId, 6);
  b.ascii(16, h.oemTableId, 8);
  b.u32(24, h.oemRevision);
  b.ascii(28, h.creatorId, 4);
  b.u32(32, h.creatorRevision);
  b.u32(36, h.nodeCount);
  b.u32(40, h.nodeOffset);
  b.u32(44, h.reserved);
  for (const n of t.nodes) node(b, n);
  b.u8(9, opts.keepChecksum ? h.checksum : checksumOf(b.bytes));
  return b.bytes;
}
