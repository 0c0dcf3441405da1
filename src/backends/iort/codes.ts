/**
 * IORT back-end diagnostic codes. IOT30xx: encoder (IR -> table); IOT31xx: decoder (bytes ->
 * model). Decoder diagnostics carry `loc.byteOffset` of the offending field.
 */
import { defineCodes } from '../../diag/diagnostic';

export const IortCodes = defineCodes({
  // encoder
  badRevision: { code: 'IOT3001', severity: 'error', title: 'IORT table revision not supported (use 3, 5 or 6)' },
  rmrNeedsRev5: { code: 'IOT3002', severity: 'error', title: 'RMR nodes need IORT table revision 5 or later' },
  danglingIrRef: { code: 'IOT3003', severity: 'error', title: 'IR names an SMMU or ITS that does not exist' },
  badRange: { code: 'IOT3004', severity: 'error', title: 'ID range cannot be encoded' },
  nodeTooLarge: { code: 'IOT3005', severity: 'error', title: 'IORT node longer than 65535 bytes' },
  badOemField: { code: 'IOT3006', severity: 'error', title: 'OEM/creator field has the wrong length or non-ASCII bytes' },
  deviceIdIndexHazard: {
    code: 'IOT3007',
    severity: 'error',
    title: 'SMMUv3 node rev 4 cannot express this DeviceID mapping index the way Linux reads it',
  },
  msiNoIts: { code: 'IOT3008', severity: 'error', title: 'SMMU uses MSIs but names no ITS or DeviceID' },
  qemuIgnored: { code: 'IOT3009', severity: 'note', title: 'qemu-virt profile: QEMU cannot express this, the QEMU value is used' },
  rmrNoDescriptor: { code: 'IOT3010', severity: 'error', title: 'RMR node without a memory range' },
  rmrNoStreams: { code: 'IOT3011', severity: 'error', title: 'RMR node without stream IDs' },
  atsMixed: { code: 'IOT3012', severity: 'warning', title: 'host bridges of one PCI segment disagree on ATS; the RC node says no ATS' },
  memLimitMixed: {
    code: 'IOT3013',
    severity: 'warning',
    title: 'host bridges of one PCI segment disagree on the memory address limit; the RC node uses the smallest',
  },

  // decoder
  truncatedHeader: { code: 'IOT3100', severity: 'error', title: 'input is shorter than the 48-byte IORT header' },
  badSignature: { code: 'IOT3101', severity: 'error', title: 'signature is not "IORT"' },
  lengthExceedsFile: { code: 'IOT3102', severity: 'error', title: 'table Length field exceeds the input' },
  lengthTooSmall: { code: 'IOT3103', severity: 'error', title: 'table Length field is smaller than the header' },
  trailingBytes: { code: 'IOT3104', severity: 'warning', title: 'bytes after the table Length' },
  badChecksum: { code: 'IOT3105', severity: 'warning', title: 'table checksum does not sum to zero' },
  unsupportedRevision: { code: 'IOT3106', severity: 'warning', title: 'IORT table revision is deprecated or unknown' },
  badNodeOffset: { code: 'IOT3107', severity: 'error', title: 'offset of the node array is outside the table or overlaps the header' },
  nodeOutside: { code: 'IOT3108', severity: 'error', title: 'node header or body lies outside the table' },
  nodeTooShort: { code: 'IOT3109', severity: 'error', title: 'node is shorter than its fixed fields' },
  mappingsOutside: { code: 'IOT3110', severity: 'error', title: 'ID mapping array does not fit in its node' },
  mappingsOverlapFields: { code: 'IOT3111', severity: 'error', title: 'ID mapping array overlaps the node header or fixed fields' },
  danglingRef: { code: 'IOT3112', severity: 'error', title: 'reference does not point at the start of a node' },
  nullRef: { code: 'IOT3113', severity: 'error', title: 'ID mapping has a NULL output reference' },
  refIntoHeader: { code: 'IOT3114', severity: 'error', title: 'reference points into the table header' },
  unknownNodeType: { code: 'IOT3115', severity: 'note', title: 'unknown IORT node type (kept as raw bytes)' },
  nodeCountMismatch: { code: 'IOT3116', severity: 'error', title: 'fewer nodes fit in the table than the header says' },
  arrayOutside: { code: 'IOT3117', severity: 'error', title: 'node array (ITS IDs, interrupts, RMR descriptors) does not fit in its node' },
  nameUnterminated: { code: 'IOT3118', severity: 'error', title: 'device name is not NUL-terminated inside its node' },
  mappingLoop: { code: 'IOT3119', severity: 'error', title: 'ID mappings form a loop' },
  itsHasMappings: { code: 'IOT3120', severity: 'warning', title: 'ITS group node has ID mappings' },
  extraNodeBytes: { code: 'IOT3121', severity: 'note', title: 'bytes after the last node' },
  internalError: { code: 'IOT3199', severity: 'error', title: 'decoder failed on this input (a bug: please report it)' },
  tooLarge: { code: 'IOT3123', severity: 'error', title: 'IORT table larger than the size limit' },
  deviceIdIndexOverflow: { code: 'IOT3122', severity: 'warning', title: 'SMMUv3 DeviceID mapping index overflows the mapping count' },
});
