/**
 * Diagnostic codes of the device-tree back end (IOT4xxx).
 * IOT40xx: DTB reading (dtc's reader errors, with byte offsets).
 * IOT41xx: building a tree from the IR and merging it into a base DTB.
 */
import { defineCodes } from '../../diag/diagnostic';

export const FDT_CODES = defineCodes({
  badMagic: { code: 'IOT4001', severity: 'error', title: 'DTB has an incorrect magic number' },
  tooSmall: { code: 'IOT4002', severity: 'error', title: 'DTB is smaller than its header' },
  badTotalSize: { code: 'IOT4003', severity: 'error', title: 'DTB totalsize does not match the input' },
  badVersion: { code: 'IOT4004', severity: 'error', title: 'unsupported DTB version' },
  offsetPastEnd: { code: 'IOT4005', severity: 'error', title: 'DTB block offset exceeds total size' },
  blockPastEnd: { code: 'IOT4006', severity: 'error', title: 'DTB block extends past total size' },
  blocksOverlap: { code: 'IOT4007', severity: 'error', title: 'DTB blocks overlap' },
  rsvmapUnterminated: { code: 'IOT4008', severity: 'error', title: 'memory reservation block is not terminated' },
  misaligned: { code: 'IOT4009', severity: 'error', title: 'DTB block is misaligned' },
  noBeginNode: { code: 'IOT4010', severity: 'error', title: "structure block doesn't begin with FDT_BEGIN_NODE" },
  badToken: { code: 'IOT4011', severity: 'error', title: 'invalid structure block token' },
  truncated: { code: 'IOT4012', severity: 'error', title: 'structure block ends inside a token' },
  unterminatedName: { code: 'IOT4013', severity: 'error', title: 'node name is not NUL-terminated' },
  badStringOffset: { code: 'IOT4014', severity: 'error', title: 'property name offset overruns the strings block' },
  missingEnd: { code: 'IOT4015', severity: 'error', title: "structure block doesn't end with FDT_END" },
  unbalanced: { code: 'IOT4016', severity: 'error', title: 'unbalanced FDT_BEGIN_NODE / FDT_END_NODE' },
  tooDeep: { code: 'IOT4017', severity: 'error', title: 'device tree nesting is too deep' },
  propAfterNode: { code: 'IOT4018', severity: 'warning', title: 'property follows a subnode' },
  trailingStruct: { code: 'IOT4019', severity: 'warning', title: 'data after FDT_END inside the structure block' },
  propPastEnd: { code: 'IOT4021', severity: 'error', title: 'property value extends past the structure block' },
  rootName: { code: 'IOT4022', severity: 'warning', title: 'root node has a non-empty name' },
  secondRoot: { code: 'IOT4024', severity: 'error', title: 'more than one root node' },
  badRsvEntry: { code: 'IOT4025', severity: 'warning', title: 'memory reservation entry wraps around' },
  nameTooLong: { code: 'IOT4026', severity: 'error', title: 'property name longer than the limit' },
  tooLarge: { code: 'IOT4027', severity: 'error', title: 'DTB larger than the size limit' },

  irqNotSpi: { code: 'IOT4101', severity: 'error', title: 'SMMU interrupt is not an SPI or extended SPI' },
  irqNameDropped: { code: 'IOT4102', severity: 'note', title: 'SMMU interrupt left out of the DT' },
  irqNamesIncomplete: { code: 'IOT4103', severity: 'warning', title: 'SMMU DT node lacks eventq or gerror' },
  noPciWindows: { code: 'IOT4104', severity: 'warning', title: 'PCI host bridge has no address windows' },
  badBridge: { code: 'IOT4105', severity: 'error', title: 'PCI host bridge cannot be placed in the DT' },
  baseDtbInvalid: { code: 'IOT4106', severity: 'error', title: 'base DTB cannot be read' },
  mergeNote: { code: 'IOT4107', severity: 'note', title: 'merge into the base DTB' },
  unknownRef: { code: 'IOT4108', severity: 'error', title: 'IR reference to an unknown id' },
  phandlesExhausted: { code: 'IOT4109', severity: 'error', title: 'no phandle value left' },
  rmrDevice: { code: 'IOT4110', severity: 'error', title: 'RMR consumer device cannot be described' },
  windowTooSmall: { code: 'IOT4111', severity: 'warning', title: 'PCI window too small to share with expander bridges' },
  smmuMsi: { code: 'IOT4112', severity: 'error', title: 'MSI-signalled SMMU without an ITS' },
  addressTooWide: { code: 'IOT4113', severity: 'error', title: 'address does not fit the parent node\'s #address-cells' },
});
