import fc from 'fast-check';
import { TARGETS, Scratch } from './lib/targets';
import { checkCase } from './lib/runner';
const t = process.argv[2] as import("./lib/targets").TargetName;
const samples: import("./lib/targets").FuzzInput[] = fc.sample(TARGETS[t].arbitrary({ big: false }), { numRuns: Number(process.argv[3] ?? 400), seed: 7 });
const cat = new Map<string, [number, number, number]>();
const scratch = new Scratch();
let i = 0;
for (const s of samples) {
  const r = await checkCase(s, { cli: i++ % 25 === 0, scratch });
  const k = s.valid ? 'valid' : s.origin.startsWith('generated') ? 'gen+mut ' + s.origin.split('+ ')[1]?.split(',').sort().join(',') : s.origin.split(' +')[0]!.replace(/.*\//, '');
  const key = s.valid ? 'valid' : s.origin.startsWith('generated') ? 'gen+mut' : s.origin.includes('random') ? 'random' : 'seed+mut';
  const e = cat.get(key) ?? [0, 0, 0]; e[0]++; e[1] += r.ms; e[2] = Math.max(e[2], r.ms); cat.set(key, e);
  if (r.ms > 50) console.log('slow', r.ms.toFixed(0), s.origin, s.bytes.length);
  if (r.problems.length) console.log('PROBLEM', s.origin, r.problems.slice(0, 3));
}
scratch.dispose();
for (const [k, [n, tot, mx]] of cat) console.log(k, n, (tot / n).toFixed(2), 'avg ms', mx.toFixed(0), 'max');
const cu = process.cpuUsage();
console.log('process cpu s', ((cu.user + cu.system) / 1e6).toFixed(1), 'wall s', (performance.now() / 1000).toFixed(1));
