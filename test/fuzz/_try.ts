import fc from 'fast-check';
import { topologyArb } from './gen/topology';
import { toDsl, toYaml } from './gen/render';
import { compile } from '../../src/pipeline/compile';
const enc = (s: string) => new TextEncoder().encode(s);
const N = Number(process.argv[2] ?? 200);
const samples = fc.sample(topologyArb, { numRuns: N, seed: Number(process.argv[3] ?? 1) });
const counts = new Map<string, number>();
let shown = 0;
let t = performance.now();
for (const topo of samples) {
  const d = toDsl(topo), y = toYaml(topo);
  const rd = compile(enc(d), 'g.iotopo');
  const ry = compile(enc(y), 'g.yaml');
  for (const [r, txt, lang] of [[rd, d, 'dsl'], [ry, y, 'yaml']] as const) {
    const errs = r.diagnostics.filter((x) => x.severity === 'error');
    for (const e of errs) counts.set(lang + ' ' + e.code, (counts.get(lang + ' ' + e.code) ?? 0) + 1);
    if (errs.length && shown < 4) { shown++; console.log('----', lang, errs.slice(0,3).map((e) => `${e.code} ${e.message} @${e.span?.line}`)); console.log(txt); }
  }
  if (rd.outputs && ry.outputs) {
    for (let i = 0; i < rd.outputs.length; i++) if (!Buffer.from(rd.outputs[i]!.bytes).equals(Buffer.from(ry.outputs[i]!.bytes))) counts.set('MISMATCH ' + rd.outputs[i]!.name, (counts.get('MISMATCH ' + rd.outputs[i]!.name) ?? 0) + 1);
  }
}
console.log(counts, ((performance.now() - t) / N).toFixed(2), 'ms per topology');
