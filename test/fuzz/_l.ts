import { readFileSync } from 'node:fs';
import { lintBytes } from '../../src/check/lint';
import { resolveCheckLevels } from '../../src/check/index';
import { fixChecksum } from './gen/iort-mutate';
const b = new Uint8Array(readFileSync('/work/shared/reference/qemu-10.0/b_smmuv3_2pxb/IORT.dat'));
new DataView(b.buffer).setUint32(152, 72, true); fixChecksum(b);
console.log(lintBytes(b, 'i', 'iort', resolveCheckLevels({}).levels).diagnostics.map((d) => `${d.code} ${d.check} ${d.message}`));
