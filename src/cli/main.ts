import { processIo } from './io';
import { run } from './run';

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`iotopo: internal error IOT7999: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
