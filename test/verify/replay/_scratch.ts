import { readFileSync } from 'node:fs';
import { loadConfig } from '../../../src/ir/index';
import { encodeIort } from '../../../src/backends/iort/encode';
import { decodeIort } from '../../../src/backends/iort/decode';
import { dumpIort } from '../../../src/backends/iort/dump';
for (const f of process.argv.slice(2)) {
  const r = loadConfig(readFileSync(f, 'utf8'), f);
  const ir = r.value!;
  const e = encodeIort(ir);
  const t = decodeIort(e.bytes!, f).value!;
  console.log('==', f, 'rev', t.header.revision);
  for (const n of t.nodes) {
    const extra = n.kind === 'smmu-v3' ? ` base=${n.base.toString(16)} rev=${n.revision} devIdx=${n.effectiveDeviceIdIndex} flags=${n.smmuFlags} gsiv=${n.eventGsiv},${n.priGsiv},${n.gerrGsiv},${n.syncGsiv}` : n.kind === 'root-complex' ? ` seg=${n.pciSegment}` : n.kind==='its-group' ? ` ids=${n.identifiers}` : n.kind === 'rmr' ? ` desc=${n.descriptors.map(d=>d.base.toString(16)+'+'+d.length.toString(16))}` : '';
    console.log(n.offset.toString(16), n.kind, extra);
    for (const m of n.mappings) console.log('   ', m.offset.toString(16), `in ${m.inputBase.toString(16)} cnt-1 ${m.idCount.toString(16)} out ${m.outputBase.toString(16)} -> ${m.outputRef.toString(16)} fl ${m.flags}`);
  }
}
