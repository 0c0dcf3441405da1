/**
 * All-or-nothing output. Every file of a run (all inputs, all output directories) is first
 * written completely and fsynced under a temporary name; only then are they put in place, and
 * any failure before or during that puts back exactly what was there, so a failed run never
 * creates, changes or removes an output file.
 *
 * What a crash (SIGKILL, power loss) can leave, by phase:
 * - while writing: the old files, untouched, plus `.NAME.TAG.tmp` temporaries;
 * - an output directory that did not exist is built as a hidden `.DIR.TAG.tmp` sibling and
 *   renamed into place in one step: it appears complete or not at all;
 * - in an existing directory each file is replaced by one rename(2), atomic per file: a file is
 *   always complete, old or new, never missing (the rollback copy of the old file is a hard link
 *   `.NAME.TAG.old.tmp`, so the old name is never vacated). POSIX has no rename of several files
 *   at once: a crash between two of these renames leaves some files new and the others old. The
 *   renames run back to back after everything else is done, so that window is a few system
 *   calls; running the build again completes the set.
 *
 * `failPoint` (or the module hook set by tests) is called before each step so tests can make a
 * run fail there: 'mkdir' before a directory is created, 'write' before each file is written,
 * 'rename' before each file is put in place.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { defineCodes } from '../diag/diagnostic';

export const OUTPUT_CODES = defineCodes({
  WRITE_FAILED: { code: 'IOT7008', severity: 'error', title: 'cannot write the outputs (nothing was changed)' },
});

export interface OutputFile {
  name: string;
  bytes: Uint8Array;
}

export interface OutputSet {
  dir: string;
  files: OutputFile[];
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

let hook: FailPoint | undefined;
/** Installs a fail point for runs that pass none (the CLI); tests only. */
export function setFailPoint(fp: FailPoint | undefined): void {
  hook = fp;
}

export function writeOutputsAtomically(dir: string, files: OutputFile[], failPoint?: FailPoint): string[] {
  return writeOutputSets([{ dir, files }], failPoint)[0]!;
}

interface FilePlan {
  target: string;
  /** Where the bytes are written first (in a fresh directory: the file's final name there). */
  tmp: string;
  backup?: string;
  placed?: boolean;
}

interface DirPlan {
  dir: string;
  /** The directory did not exist: it is built as `stage` and renamed to `dir` in one step. */
  stage: string | null;
  staged?: boolean;
  placed?: boolean;
  files: FilePlan[];
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));

function writeFileDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a directory makes the renames in it durable; not every platform allows it. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/** lstat: a directory at an output file's path (a symlink there is replaced like a file). */
function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** stat: the output directory itself may be a symlink to one. */
function isDirFollow(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function writeOutputSets(sets: OutputSet[], failPoint: FailPoint | undefined = hook): string[][] {
  for (const s of sets)
    for (const f of s.files) {
      if (basename(f.name) !== f.name || f.name.startsWith('.') || f.name === '') throw new OutputError(`bad output name '${f.name}'`, f.name);
    }
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const plans: DirPlan[] = [];
  /** Parent directories this run created (removed again if the run fails). */
  const madeParents: string[] = [];

  try {
    // ---- phase 1: everything written under temporary names; nothing visible changes
    for (const s of sets) {
      const dir = resolve(s.dir);
      const exists = existsSync(dir);
      if (exists && !isDirFollow(dir)) throw new OutputError(`output path '${s.dir}' is not a directory`, s.dir);
      const plan: DirPlan = { dir, stage: exists ? null : join(dirname(dir), `.${basename(dir)}.${tag}.tmp`), files: [] };
      plans.push(plan);
      failPoint?.('mkdir', s.dir);
      if (plan.stage) {
        for (let p = dirname(dir), missing: string[] = []; ; p = dirname(p)) {
          if (existsSync(p) || dirname(p) === p) {
            for (const m of missing.reverse()) {
              mkdirSync(m);
              madeParents.push(m);
            }
            break;
          }
          missing.push(p);
        }
        mkdirSync(plan.stage);
        plan.staged = true;
      }
      for (const f of s.files) {
        const target = join(dir, f.name);
        if (isDir(target)) throw new OutputError(`output path '${target}' is a directory`, target);
        plan.files.push({ target, tmp: plan.stage ? join(plan.stage, f.name) : join(dir, `.${f.name}.${tag}.tmp`) });
      }
      s.files.forEach((f, i) => {
        failPoint?.('write', plan.files[i]!.target);
        writeFileDurably(plan.files[i]!.tmp, f.bytes);
      });
      if (plan.stage) syncDir(plan.stage);
    }
    // Rollback copies of the files about to be replaced: hard links keep the old names in place.
    for (const p of plans)
      for (const f of p.files) {
        if (p.stage || !existsSync(f.target)) continue;
        f.backup = `${f.tmp.slice(0, -'.tmp'.length)}.old.tmp`;
        try {
          linkSync(f.target, f.backup);
        } catch {
          copyFileSync(f.target, f.backup);
        }
      }

    // ---- phase 2: put everything in place, back to back
    for (const p of plans) {
      for (const f of p.files) {
        failPoint?.('rename', f.target);
        if (!p.stage) {
          renameSync(f.tmp, f.target);
          f.placed = true;
        }
      }
      if (p.stage) {
        renameSync(p.stage, p.dir);
        p.placed = true;
      }
    }
    for (const p of plans) syncDir(p.placed ? dirname(p.dir) : p.dir);
  } catch (e) {
    rollback(plans, madeParents);
    if (e instanceof OutputError) throw e;
    const where = plans.at(-1)?.dir ?? sets[0]?.dir ?? '.';
    throw new OutputError(`cannot write outputs in '${where}': ${code(e)}; nothing was changed`, where);
  }
  for (const p of plans) for (const f of p.files) if (f.backup) rmSync(f.backup, { force: true });
  return plans.map((p) => p.files.map((f) => f.target));
}

/** Puts back what was there before the run: old files from their links, no new files or dirs. */
function rollback(plans: DirPlan[], madeParents: string[]): void {
  for (const p of [...plans].reverse()) {
    for (const f of p.files) {
      try {
        if (f.placed) {
          if (f.backup) renameSync(f.backup, f.target);
          else rmSync(f.target, { force: true });
        } else if (f.backup) rmSync(f.backup, { force: true });
        if (!p.stage) rmSync(f.tmp, { force: true });
      } catch {
        /* best effort: a backup that cannot be renamed keeps the old bytes under its .tmp name */
      }
    }
    try {
      if (p.placed) rmSync(p.dir, { recursive: true, force: true });
      else if (p.staged && p.stage) rmSync(p.stage, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  for (const d of madeParents.reverse()) {
    try {
      rmdirSync(d);
    } catch {
      /* not empty or gone: leave it */
    }
  }
}
