/**
 * Command-line entry: builds the commander program, runs one command, maps every outcome
 * to exit 0/1/2. No stack trace ever reaches the user: an unexpected exception is reported
 * as an internal error (IOT7999) with exit 2.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_USAGE, type Io, UsageError } from './io';
import * as check from './commands/check';
import * as ir from './commands/ir';
import * as schema from './commands/schema';
import * as build from './commands/build';
import * as decode from './commands/decode';
import * as lint from './commands/lint';
import * as checks from './commands/checks';
import * as verify from './commands/verify';

export interface CommandModule {
  /** Adds the command to the program; the action must resolve to an exit code. */
  register(program: Command, io: Io, done: (code: number) => void): void;
}

const MODULES: CommandModule[] = [check, ir, schema, build, decode, lint, checks, verify];

export const formatOption = () =>
  new Option('--format <fmt>', 'output format').choices(['text', 'json']).default('text');

export async function run(argv: string[], io: Io): Promise<number> {
  let exitCode: number | null = null;
  const done = (c: number) => {
    exitCode = c;
  };
  const program = new Command('iotopo')
    .description(
      'Compile Arm IO topologies (SMMUv3, PCIe root complexes, pxb-pcie bridges, RMRs) into ACPI IORT and device-tree blobs, and prove them by replaying DMA.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ iotopo check examples/seed-nested.iotopo          parse, lower and check a config
  $ iotopo build examples/seed-nested.iotopo -o out   write out/iort.bin and out/machine.dtb, then prove them
  $ iotopo decode out/iort.bin                        dump a table with offsets and field names
  $ iotopo lint /sys/firmware/acpi/tables/IORT        lint a firmware table taken from a machine

Exit status: 0 no errors, 1 the input has errors, 2 usage or I/O problem.`,
    );
  for (const m of MODULES) m.register(program, io, done);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exitCode 0.
      if (e.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`iotopo: error ${e.code}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`iotopo: internal error IOT7999: ${msg}\n  please report this with the input that caused it\n`);
    return EXIT_USAGE;
  }
  return exitCode ?? 0;
}
