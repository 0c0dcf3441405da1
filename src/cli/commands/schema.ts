/** `iotopo schema`: print the JSON Schema (draft 2020-12) of the YAML form. */
import type { Command } from 'commander';
import { yamlSchema } from '../../ir/schema';
import { EXIT_OK, type Format, type Io } from '../io';
import { formatOption } from '../run';

export function register(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('schema')
    .description('print the JSON Schema (draft 2020-12) for YAML topology files')
    // The schema is JSON whatever the format; text is accepted so that every command takes
    // the same --format option in pipelines.
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
Examples:
  $ iotopo schema > iotopo.schema.json
  then put this first line in a YAML topology for editor completion and checks:
  # yaml-language-server: $schema=./iotopo.schema.json`,
    )
    .action((_opts: { format: Format }) => {
      io.out(JSON.stringify(yamlSchema(), null, 2) + '\n');
      done(EXIT_OK);
    });
}
