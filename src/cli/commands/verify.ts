/** `iotopo verify`: not implemented yet (stub so that the CLI builds). */
import type { Command } from 'commander';
import { EXIT_USAGE, type Io } from '../io';

export function register(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('verify')
    .description('(verify is not implemented yet)')
    .allowUnknownOption(true)
    .argument('[args...]')
    .action(() => {
      io.err('iotopo: verify is not implemented yet\n');
      done(EXIT_USAGE);
    });
}
