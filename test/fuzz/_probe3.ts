import { compile } from '../../src/pipeline/compile';
const enc = (s: string) => new TextEncoder().encode(s);
function probe(name: string, text: string, file: string) {
  const t = performance.now();
  const r = compile(enc(text), file, { verify: false });
  console.log(name, (text.length / 1e6).toFixed(2), 'MB', (performance.now() - t).toFixed(0), 'ms', r.diagnostics.length, r.diagnostics.slice(0, 2).map((d) => `${d.code} ${d.message.slice(0, 80)}`));
}
const M = 4_000_000;
probe('dsl 4MB ids', 'machine x {\n smmuv3 s {}\n rmr r { ids ' + '1 '.repeat((M - 60) / 2) + ' }\n}', 'x.iotopo');
probe('dsl 4MB its blocks', 'machine x {\n' + 'its a{}\n'.repeat(M / 8) + '}', 'x.iotopo');
probe('yaml 4MB list', 'machine: x\nram: [' + '1,'.repeat((M - 30) / 2) + ']', 'x.yaml');
probe('dsl 4MB list values', 'machine x { memory [' + '1,'.repeat((M - 30) / 2) + '] }', 'x.iotopo');
probe('dsl 4MB errors', 'machine x {' + '}{'.repeat(M / 2 - 10) + '}', 'x.iotopo');
probe('dsl 4MB unknown props', 'machine x {\n' + 'a 1\n'.repeat(M / 4 - 10) + '}', 'x.iotopo');
probe('yaml 4MB keys', 'machine: x\n' + Array.from({ length: M / 12 }, (_, i) => `k${i}: 1`).join('\n'), 'x.yaml');
