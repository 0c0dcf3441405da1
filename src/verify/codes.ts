/**
 * Verify diagnostic codes (IOT6xxx). IOT60xx: the tables disagree with each other or with the
 * config about where a RID goes; IOT61xx: a replayed transaction did not do what the tables
 * promise; IOT62xx: inputs and structure; IOT69xx: the verifier itself.
 */
import { defineCodes } from '../diag/diagnostic';

export const VerifyCodes = defineCodes({
  // resolution (table interpreters)
  smmuMismatch: { code: 'IOT6001', severity: 'error', title: 'IORT and DT send a RID to different SMMUs' },
  streamIdMismatch: { code: 'IOT6002', severity: 'error', title: 'IORT and DT give a RID different StreamIDs' },
  itsMismatch: { code: 'IOT6003', severity: 'error', title: 'IORT and DT send a RID\'s MSIs to different ITSes' },
  deviceIdMismatch: { code: 'IOT6004', severity: 'error', title: 'IORT and DT give a RID different ITS DeviceIDs' },
  intentSmmu: { code: 'IOT6010', severity: 'error', title: 'the IORT sends a RID to another SMMU or StreamID than the config says' },
  intentMsi: { code: 'IOT6011', severity: 'error', title: 'the IORT sends a RID\'s MSIs to another ITS or DeviceID than the config says' },
  ownerMismatch: { code: 'IOT6013', severity: 'error', title: 'the DT host bridge that owns a RID is not the config\'s' },
  fwBug: { code: 'IOT6050', severity: 'warning', title: 'Linux would log a firmware bug on this RID\'s path' },
  // replay (SMMU interpreter)
  dmaMisrouted: { code: 'IOT6101', severity: 'error', title: 'a device\'s DMA did not land in its own pages' },
  isolation: { code: 'IOT6102', severity: 'error', title: 'two devices are not isolated (a shared StreamID, or DMA that reaches the other\'s pages)' },
  msiMisrouted: { code: 'IOT6103', severity: 'error', title: 'a device\'s MSI write did not reach its ITS doorbell' },
  nestedDoorbell: { code: 'IOT6104', severity: 'warning', title: 'MSIs behind a nested vSMMU reach a doorbell no RMR keeps mapped' },
  unexpectedOutcome: { code: 'IOT6105', severity: 'error', title: 'a StreamID with no device did not get the expected outcome (bypass, abort or event)' },
  rmrIdentity: { code: 'IOT6106', severity: 'error', title: 'an RMR range is not identity-mapped for a device it covers' },
  rmrDtMismatch: { code: 'IOT6107', severity: 'error', title: 'the IORT RMRs and the DT reserved-memory regions of a device disagree' },
  // inputs and structure
  iortUnreadable: { code: 'IOT6201', severity: 'error', title: 'the IORT cannot be decoded' },
  dtbUnreadable: { code: 'IOT6202', severity: 'error', title: 'the DTB cannot be decoded' },
  structure: { code: 'IOT6203', severity: 'error', title: 'the tables describe another set of segments, SMMUs or ITSes than the config' },
  limited: { code: 'IOT6204', severity: 'note', title: 'part of the replay was skipped' },
  // the verifier
  internal: { code: 'IOT6901', severity: 'error', title: 'internal verifier error: the fast path disagrees with the reference interpreter' },
});

export type VerifyCode = (typeof VerifyCodes)[keyof typeof VerifyCodes];
