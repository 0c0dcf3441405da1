/**
 * All-or-nothing output: every file of a run is first written to a temporary file in the
 * target directory (same filesystem, so rename is atomic), and only when every one of them
 * was written completely are they renamed into place. Any failure removes the temporaries,
 * so a failed run never creates or changes an output file.
 *
 * The rename loop itself can fail half-way (e.g. a target is a directory); we check every
 * target before the first rename so that the only failures left are I/O errors the OS
 * reports for a rename within one directory, which are not expected in practice.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface OutputFile {
  name: string;
  bytes: Uint8Array;
}

export class OutputError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Test hook: called before each stage so tests can make a run fail at that point. */
export type FailPoint = (stage: 'mkdir' | 'write' | 'rename', file: string) => void;

export function writeOutputsAtomically(dir: string, files: OutputFile[], failPoint?: FailPoint): string[] {
  for (const f of files) {
    if (basename(f.name) !== f.name || f.name.startsWith('.')) throw new OutputError(`bad output name '${f.name}'`, f.name);
  }
  try {
    failPoint?.('mkdir', dir);
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot create output directory '${dir}': ${(e as NodeJS.ErrnoException).code ?? e}`, dir);
  }
  for (const f of files) {
    const target = join(dir, f.name);
    try {
      if (lstatSync(target).isDirectory()) throw new OutputError(`output path '${target}' is a directory`, target);
    } catch (e) {
      if (e instanceof OutputError) throw e;
      // ENOENT: fine, the file will be created.
    }
  }
  const temps: { tmp: string; target: string; backup?: string; placed?: boolean }[] = [];
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  try {
    for (const f of files) {
      const target = join(dir, f.name);
      const tmp = join(dir, `.${f.name}.${tag}.tmp`);
      temps.push({ tmp, target });
      failPoint?.('write', target);
      const fd = openSync(tmp, 'wx', 0o644);
      try {
        let off = 0;
        while (off < f.bytes.length) off += writeSync(fd, f.bytes, off, f.bytes.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    // Existing targets are moved aside first so that a failure in the middle of the rename
    // loop can put every old file back: the directory then looks as if the run never happened.
    for (const t of temps) {
      try {
        lstatSync(t.target);
        t.backup = `${t.tmp}.old`;
        renameSync(t.target, t.backup);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    for (const t of temps) {
      failPoint?.('rename', t.target);
      renameSync(t.tmp, t.target);
      t.placed = true;
    }
    for (const t of temps) if (t.backup) rmSync(t.backup, { force: true });
  } catch (e) {
    for (const t of temps) {
      if (t.placed) rmSync(t.target, { force: true });
      if (t.backup) {
        try {
          renameSync(t.backup, t.target);
        } catch {
          /* best effort: the backup keeps the old content under its temporary name */
        }
      }
      rmSync(t.tmp, { force: true });
    }
    if (e instanceof OutputError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new OutputError(`cannot write outputs in '${dir}': ${err.code ?? err.message}`, dir);
  }
  return temps.map((t) => t.target);
}
