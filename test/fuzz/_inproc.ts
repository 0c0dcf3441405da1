import { fuzzTarget } from './lib/runner';
import { writeFileSync } from 'node:fs';
import { encodeInput } from './lib/serialize';
const [t, n, seed] = [process.argv[2] as any, Number(process.argv[3] ?? 300), Number(process.argv[4] ?? 42)];
let last: any;
const r = await fuzzTarget({ target: t, seed, numRuns: n, cliEvery: 25, onCase: (i) => { last = i; writeFileSync('/tmp/fz/last.bin', encodeInput(i)); } }).catch((e) => { console.log('THREW', e.stack); writeFileSync('/tmp/fz/crash.bin', encodeInput(last)); process.exit(1); });
console.log(t, r.runs, r.ms.toFixed(0), 'slowest', r.slowestMs.toFixed(0), r.slowestOrigin);
if (r.failure) { writeFileSync(`/tmp/fz/fail-${t}.bin`, encodeInput(r.failure.input)); console.log('FAIL', r.failure.input.origin, r.failure.problems.join('\n').slice(0, 2000)); }
