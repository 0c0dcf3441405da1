/** `iotopo ir`: not implemented yet (stub so that the CLI builds). */
import type { Command } from 'commander';
import { EXIT_USAGE, type Io } from '../io';

export function register(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('ir')
    .description('(ir is not implemented yet)')
    .allowUnknownOption(true)
    .argument('[args...]')
    .action(() => {
      io.err('iotopo: ir is not implemented yet\n');
      done(EXIT_USAGE);
    });
}
