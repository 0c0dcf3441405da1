import { readFileSync } from 'node:fs';
import { loadConfig } from '../../../src/ir/index';
import { encodeIort } from '../../../src/backends/iort/encode';
import { buildFdt } from '../../../src/backends/fdt/encode';
for (const f of process.argv.slice(2)) {
  const r = loadConfig(readFileSync(f, 'utf8'), f);
  if (!r.value) { console.log(f, r.diagnostics); continue; }
  const ir = r.value;
  console.log('==', f, 'smmus', ir.smmus.map(s => [s.id, '0x'+s.base.toString(16), s.stage, JSON.stringify(s.msiMap)]));
  console.log('its', ir.its.map(i => [i.id, '0x'+i.base.toString(16), i.translationId]));
  console.log('bridges', ir.bridges.map(b => [b.id, b.kind, b.segment, b.busStart, b.busEnd, b.iommu, b.msiParent, b.ecamBase?.toString(16)]));
  console.log('devices', ir.devices.map(d => [d.id, d.segment, d.rid.toString(16), d.bridge]));
  console.log('rmrs', JSON.stringify(ir.rmrs, (k, v) => typeof v === 'bigint' ? '0x' + v.toString(16) : v));
  for (const s of ir.segments) console.log('seg', s.segment, JSON.stringify(s.ridMap));
  const e = encodeIort(ir); console.log('iort', e.bytes?.length, e.diagnostics.map(d=>d.code));
  const d = buildFdt(ir); console.log('dtb', d.value?.length, d.diagnostics.map(d=>d.code));
}
