/**
 * `iotopo decode FILE`: detects the table kind by its magic (IORT signature or FDT magic) and
 * hands the bytes to that back end's decoder, which prints a dump (text) or its model (json).
 */
import type { Command } from 'commander';
import { closeSync, openSync, readSync } from 'node:fs';
import { MAX_IORT_BYTES } from '../../backends/iort/decode';
import { MAX_DTB_BYTES } from '../../backends/fdt/decode';
import { EXIT_USAGE, type Io, UsageError } from '../io';
import { formatOption } from '../run';
import { runIortDecode } from '../../backends/iort/cli';
import { runFdtDecode } from '../../backends/fdt/cli';

export type TableKind = 'iort' | 'dtb' | 'unknown';

export function sniff(bytes: Uint8Array): TableKind {
  if (bytes.length >= 4 && bytes[0] === 0x49 && bytes[1] === 0x4f && bytes[2] === 0x52 && bytes[3] === 0x54) return 'iort';
  if (bytes.length >= 4 && bytes[0] === 0xd0 && bytes[1] === 0x0d && bytes[2] === 0xfe && bytes[3] === 0xed) return 'dtb';
  return 'unknown';
}

/**
 * Reads a binary table, never more than one byte past the decoders' size limit: a wrong path
 * (a disk image, /dev/zero) must not be read into memory, and the decoder still sees the magic
 * and reports the limit with its own diagnostic.
 */
export function readInput(file: string): Uint8Array {
  const cap = Math.max(MAX_IORT_BYTES, MAX_DTB_BYTES) + 1;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = new Uint8Array(cap);
      let n = 0;
      for (let got = -1; got !== 0 && n < cap; n += got) got = readSync(fd, buf, n, cap - n, null);
      return buf.slice(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new UsageError(`cannot read '${file}': ${code}`, 'IOT7002');
  }
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('decode')
    .description('decode an IORT table or a DTB and print it with offsets and field names')
    .argument('<file>', 'an IORT (ACPI table with signature "IORT") or a flattened device tree blob')
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
The kind is detected from the first bytes: "IORT" or the FDT magic 0xd00dfeed.
Text output: IORT as [offset length] Field : value lines, each ID mapping resolved to its
target node; DTB as DTS source. JSON output: the decoded model.

Examples:
  $ iotopo decode out/iort.bin
  $ iotopo decode /sys/firmware/acpi/tables/IORT --format json
  $ iotopo decode out/machine.dtb > machine.dts`,
    )
    .action((file: string, opts: { format: 'text' | 'json' }) => {
      const bytes = readInput(file);
      const kind = sniff(bytes);
      if (kind === 'iort') return done(runIortDecode(bytes, file, opts, io));
      if (kind === 'dtb') return done(runFdtDecode(bytes, file, opts, io));
      io.err(`${file}: error IOT7003: not an IORT table or a DTB (first bytes do not match either signature)\n`);
      done(EXIT_USAGE);
    });
}
