/** Stub: the fdt back end's decode command (replaced by the back end's implementation). */
import { EXIT_USAGE, type Io } from '../../cli/io';

export function runFdtDecode(_bytes: Uint8Array, file: string, _opts: { format: 'text' | 'json' }, io: Io): number {
  io.err(`${file}: fdt decoding is not implemented yet\n`);
  return EXIT_USAGE;
}
