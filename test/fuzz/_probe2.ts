import { compile } from '../../src/pipeline/compile';
import { loadConfigBytes } from '../../src/ir/index';
const enc = (s: string) => new TextEncoder().encode(s);
function probe(name: string, text: string, file: string) {
  const t = performance.now();
  const r = compile(enc(text), file, { verify: false });
  console.log(name, (text.length / 1e6).toFixed(2), 'MB', (performance.now() - t).toFixed(0), 'ms', r.diagnostics.length, r.diagnostics.slice(0, 2).map((d) => `${d.code} ${d.message.slice(0, 80)}`));
}
for (const n of [2000, 8000, 32000]) {
  probe(`dsl ${n} devices`, 'machine x {\n' + Array.from({ length: n }, (_, i) => `device d${i} emulated { on pcie.0 }`).join('\n') + '\n}', 'x.iotopo');
  probe(`yaml ${n} devices`, 'machine: x\ndevice:\n' + Array.from({ length: n }, (_, i) => `  d${i}: { kind: emulated, on: pcie.0 }`).join('\n'), 'x.yaml');
  probe(`dsl ${n} pxbs`, 'machine x {\n' + Array.from({ length: n }, (_, i) => `pxb-pcie p${i} { bus_nr ${1 + (i % 255)} }`).join('\n') + '\n}', 'x.iotopo');
  probe(`dsl ${n} rmr`, 'machine x {\n smmuv3 s {}\n' + Array.from({ length: n }, (_, i) => `rmr r${i} { ids pcie.0 }`).join('\n') + '\n}', 'x.iotopo');
  probe(`dsl ${n} ports`, 'machine x {\n' + Array.from({ length: n }, (_, i) => `root-port r${i} { on pcie.0 }`).join('\n') + '\n}', 'x.iotopo');
  probe(`dsl ${n} smmus`, 'machine x {\n' + Array.from({ length: n }, (_, i) => `smmuv3 s${i} { }`).join('\n') + '\n}', 'x.iotopo');
  probe(`dsl ${n} rmr ids`, 'machine x {\n smmuv3 s {}\n rmr r { ids ' + Array.from({ length: n }, (_, i) => `${i * 2}..${i * 2}`).join(' ') + ' }\n}', 'x.iotopo');
  probe(`dsl ${n} rmr ranges`, 'machine x {\n smmuv3 s {}\n rmr r { ids pcie.0\n' + Array.from({ length: n }, (_, i) => `range ${(i * 0x20000)} 64K`).join('\n') + ' }\n}', 'x.iotopo');
}
