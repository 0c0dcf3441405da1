/**
 * Child process for kill.test.ts: writes an output set and SIGKILLs itself at the n-th stage
 * the writer announces (argv: DIR N NAMES...). Nothing after the kill runs: no cleanup, no
 * rollback, exactly what a crash or an OOM killer leaves.
 */
import { writeOutputsAtomically } from '../../src/cli/output';

const [dir, nText, ...names] = process.argv.slice(2);
const n = Number(nText);
let i = 0;
writeOutputsAtomically(
  dir!,
  names.map((name) => ({ name, bytes: new TextEncoder().encode(`new ${name}\n`) })),
  () => {
    if (i++ === n) process.kill(process.pid, 'SIGKILL');
  },
);
