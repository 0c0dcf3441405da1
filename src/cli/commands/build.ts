/**
 * `iotopo build FILE... -o DIR`: the main job. Compiles each config (src/pipeline/compile.ts),
 * proves the emitted tables, and writes every output of the run atomically: all files of all
 * inputs are produced in memory first, and nothing is written unless every input succeeded.
 *
 * `--check DIR` is the golden-file mode for pipelines: it builds in memory and compares with
 * the files already in DIR, printing a decoded, field-level diff; it never writes. With
 * `--update` the differing files are rewritten on purpose.
 */
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { type Diagnostic, hasErrors } from '../../diag/diagnostic';
import { renderText, summaryLine } from '../../diag/render';
import { MAX_INPUT_BYTES } from '../../parser/index';
import { compile, DTB_FILE, IORT_FILE, type CompileResult } from '../../pipeline/compile';
import { decodeIort } from '../../backends/iort/decode';
import { dumpIort } from '../../backends/iort/dump';
import { decodeDtb, MAX_DTB_BYTES } from '../../backends/fdt/decode';
import { toDts } from '../../backends/fdt/dts';
import { addCheckToggles, levelsOrUsageError, TOGGLE_HELP } from '../../check/cli-options';
import { diffLines, formatDiff } from '../../util/linediff';
import { toJson } from '../../util/json';
import { EXIT_INPUT, EXIT_OK, type Format, type Io, UsageError } from '../io';
import { formatOption } from '../run';
import { type OutputFile, OutputError, type OutputSet, OUTPUT_CODES, writeOutputSets } from '../output';

interface BuildOpts {
  out?: string;
  dump?: boolean;
  baseDtb?: string;
  verify: boolean;
  check?: string;
  update?: boolean;
  format: Format;
  lang?: string;
}

function readSource(path: string, what: string, limit: number): Uint8Array {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${what} '${path}' is a directory`, 'IOT7001');
    // Over the limit: hand the loader a too-large buffer so it reports its own located limit
    // diagnostic, without reading gigabytes first.
    if (st.size > limit) return new Uint8Array(limit + 1);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`, 'IOT7002');
  }
}

const stem = (f: string) => basename(f, extname(f));
// Digests appear only in the JSON report; loading node:crypto on demand keeps it off the
// start-up path of every text-mode build.
const sha256 = (b: Uint8Array): string =>
  (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(b).digest('hex');

/** Field-level difference between a fresh output and the file on disk ('' when equal). */
export function outputDiff(name: string, fresh: Uint8Array, old: Uint8Array): string {
  if (Buffer.from(fresh).equals(Buffer.from(old))) return '';
  const text = (b: Uint8Array): string[] | null => {
    if (name.endsWith('.bin')) {
      const d = decodeIort(b, name);
      return d.value ? dumpIort(d.value, name).split('\n') : null;
    }
    if (name.endsWith('.dtb')) {
      const d = decodeDtb(b, name);
      return d.value ? toDts(d.value).split('\n') : null;
    }
    return new TextDecoder().decode(b).split('\n');
  };
  const a = text(old);
  const b = text(fresh);
  if (!a || !b) return `  (the file on disk does not decode; ${old.length} bytes on disk, ${fresh.length} bytes fresh)\n`;
  const d = formatDiff(diffLines(a, b));
  // Same decoded fields but different bytes: say so rather than print an empty diff.
  return d || `  (same decoded fields, different bytes: ${old.length} on disk, ${fresh.length} fresh)\n`;
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program
    .command('build')
    .description('compile topologies into IORT and DTB, prove them by replaying DMA, write them atomically')
    .argument('<files...>', 'topology files (.iotopo DSL or .yaml)')
    .option('-o, --out <dir>', 'output directory (one sub-directory per input when several are given)')
    .option('--dump', 'also write iort.txt (decoded IORT) and machine.dts')
    .option('--base-dtb <file>', "merge our nodes into this DTB (e.g. QEMU's dumpdtb output) instead of a standalone tree")
    .option('--no-verify', 'skip the replay proof')
    .option('--check <dir>', 'compare fresh outputs with the files in <dir> (golden files); never writes')
    .option('--update', 'with --check: rewrite the files that differ')
    .option('--lang <lang>', 'force the input language: dsl or yaml')
    .addOption(formatOption());
  const toggles = addCheckToggles(cmd);
  cmd.addHelpText(
    'after',
    `
Outputs: iort.bin (ACPI IORT), machine.dtb (flattened device tree) and, with --dump,
iort.txt and machine.dts. Nothing is written unless every input builds and proves.
${TOGGLE_HELP}

Examples:
  $ iotopo build examples/seed-nested.iotopo -o out --dump
  $ iotopo build examples/qemu-a-smmuv3.iotopo -o out --base-dtb machine.dtb
  $ iotopo build examples/*.iotopo -o golden              one sub-directory per input
  $ iotopo build examples/*.iotopo --check golden         exit 1 and a field diff if any changed

Exit status: 0 built (or unchanged), 1 an input has errors or an output differs, 2 usage or I/O problem.`,
  );
  cmd.action((files: string[], opts: BuildOpts) => {
    const json = opts.format === 'json';
    if (!opts.out && !opts.check) throw new UsageError('say where outputs go: -o DIR (or --check DIR to compare)', 'IOT7001');
    if (opts.out && opts.check) throw new UsageError('-o and --check are exclusive: --check never writes', 'IOT7001');
    if (opts.update && !opts.check) throw new UsageError('--update goes with --check DIR', 'IOT7001');
    if (opts.lang !== undefined && opts.lang !== 'dsl' && opts.lang !== 'yaml')
      throw new UsageError(`--lang must be dsl or yaml, not '${opts.lang}'`, 'IOT7001');
    const checkOptions = { toggles: toggles() };
    levelsOrUsageError(checkOptions); // unknown check names are usage errors before any work
    const baseDtb = opts.baseDtb ? readSource(opts.baseDtb, 'base DTB', MAX_DTB_BYTES) : undefined;
    const multi = files.length > 1;
    const dirFor = (root: string, f: string) => (multi ? join(root, stem(f)) : root);
    if (multi && new Set(files.map(stem)).size !== files.length)
      throw new UsageError('two inputs have the same base name; their output directories would collide', 'IOT7001');

    const sources = new Map<string, string>();
    const results: { file: string; res: CompileResult }[] = [];
    for (const f of files) {
      const bytes = readSource(f, 'input', MAX_INPUT_BYTES);
      sources.set(f, new TextDecoder().decode(bytes));
      const res = compile(bytes, f, {
        checks: checkOptions,
        baseDtb,
        baseFile: opts.baseDtb,
        verify: opts.verify,
        dump: opts.dump,
        lang: opts.lang as 'dsl' | 'yaml' | undefined,
      });
      results.push({ file: f, res });
    }
    const allDiags: Diagnostic[] = results.flatMap((r) => r.res.diagnostics);
    const failed = results.some((r) => !r.res.outputs || hasErrors(r.res.diagnostics));
    const report: { file: string; outputs: { path: string; bytes: number; sha256?: string; status?: string }[]; proof?: string }[] = [];
    const lines: string[] = [];
    let differs = false;

    if (!failed) {
      if (opts.check) {
        const updates: OutputSet[] = [];
        for (const { file, res } of results) {
          const dir = dirFor(opts.check, file);
          const rows: (typeof report)[number]['outputs'] = [];
          const toWrite: OutputFile[] = [];
          for (const o of res.outputs!) {
            const path = join(dir, o.name);
            let old: Uint8Array | null = null;
            try {
              old = new Uint8Array(readFileSync(path));
            } catch {
              old = null;
            }
            const diff = old ? outputDiff(o.name, o.bytes, old) : `  (missing: ${path})\n`;
            const status = diff ? (opts.update ? 'updated' : 'differs') : 'same';
            if (diff) {
              differs = true;
              toWrite.push(o);
              lines.push(`${path}: ${status}\n${diff}`);
            }
            rows.push({ path, bytes: o.bytes.length, ...(json ? { sha256: sha256(o.bytes) } : {}), status });
          }
          if (opts.update && toWrite.length) updates.push({ dir, files: toWrite });
          report.push({ file, outputs: rows, proof: res.proof?.summary });
        }
        // Every directory's changes in one all-or-nothing write.
        if (updates.length) writeOrThrow(updates);
      } else {
        const plan = results.map(({ file, res }) => ({ file, dir: dirFor(opts.out!, file), res }));
        writeOrThrow(plan.map((p) => ({ dir: p.dir, files: p.res.outputs! })));
        for (const p of plan) {
          const rows = p.res.outputs!.map((o) => ({ path: join(p.dir, o.name), bytes: o.bytes.length, ...(json ? { sha256: sha256(o.bytes) } : {}) }));
          report.push({ file: p.file, outputs: rows, proof: p.res.proof?.summary });
          lines.push(
            `${p.file}: wrote ${rows.map((r) => `${r.path} (${r.bytes} bytes)`).join(', ')}${p.res.proof ? `\n  proof: ${p.res.proof.summary}` : ''}\n`,
          );
        }
      }
    }

    if (opts.format === 'json') {
      io.out(toJson({ ok: !failed && (!differs || !!opts.update), diagnostics: allDiags, results: report }));
    } else {
      io.out(renderText(allDiags, (f) => sources.get(f)));
      for (const l of lines) io.out(l);
      for (const { file, res } of results)
        if (res.proof && !res.proof.ok) io.out(`${file}: the replay proof failed:\n${res.proof.text}`);
      if (failed) io.out(`build failed: ${summaryLine(allDiags)}; nothing was written\n`);
      else if (opts.check && !differs) io.out(`${files.length} input(s): all outputs match ${opts.check}\n`);
    }
    if (failed) return done(EXIT_INPUT);
    if (differs && !opts.update) return done(EXIT_INPUT);
    done(EXIT_OK);
  });
}

/** All output directories of the run at once: either every file is in place or none changed. */
function writeOrThrow(sets: OutputSet[]): void {
  try {
    writeOutputSets(sets);
  } catch (e) {
    if (e instanceof OutputError) throw new UsageError(e.message, OUTPUT_CODES.WRITE_FAILED.code);
    throw e;
  }
}

export { IORT_FILE, DTB_FILE, EXIT_INPUT };
