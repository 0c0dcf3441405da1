/**
 * The fuzz targets: one per reader of untrusted input, each a fast-check arbitrary of inputs
 * plus the operation a user would run on them (the pure function behind the CLI command, and
 * for a sample of cases the CLI itself in process) and the invariants to check afterwards.
 *
 *   dsl, yaml  compile() (what `iotopo build` runs) on generated valid topologies (which must
 *              build and round-trip) and on mutated ones, examples and bad fixtures
 *   iort       decodeIort + dump + `decode` output, on mutated tables
 *   dtb        decodeDtb + DTS + `decode` output + re-encode idempotence, on mutated blobs
 *   lint       lintBytes (every named IORT / DT check) on mutated tables and blobs
 *   base-dtb   compile() of an example merged into a mutated base DTB (`build --base-dtb`)
 *
 * A target's `run` returns the list of broken invariants (empty = pass); time and memory bounds
 * are checked by the runner around it.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeDtb } from '../../../src/backends/fdt/blob';
import { runFdtDecode } from '../../../src/backends/fdt/cli';
import { decodeDtb } from '../../../src/backends/fdt/decode';
import { toDts } from '../../../src/backends/fdt/dts';
import { runIortDecode } from '../../../src/backends/iort/cli';
import { decodeIort } from '../../../src/backends/iort/decode';
import { dumpIort } from '../../../src/backends/iort/dump';
import { encodeIort } from '../../../src/backends/iort/encode';
import { lintBytes } from '../../../src/check/lint';
import { resolveCheckLevels } from '../../../src/check/index';
import { bufferIo } from '../../../src/cli/io';
import { run } from '../../../src/cli/run';
import { type Diagnostic, hasErrors } from '../../../src/diag/diagnostic';
import { renderText } from '../../../src/diag/render';
import { compile, DTB_FILE, IORT_FILE } from '../../../src/pipeline/compile';
import { toJson } from '../../../src/util/json';
import { applyFdtByteMutation, applyFdtTreeMutation, fdtByteMutationArb, fdtFields, fdtTreeMutationArb } from '../gen/fdt-mutate';
import { applyIortMutation, iortFields, iortMutationArb } from '../gen/iort-mutate';
import { toDsl, toYaml } from '../gen/render';
import { type Seed, seeds } from '../gen/seeds';
import { applyByteMutation, applyTextMutation, byteMutationArb, textMutationArb } from '../gen/text-mutate';
import { topologyArb } from '../gen/topology';
import { diagnosticProblems, exitProblems } from './invariants';

export const TARGET_NAMES = ['dsl', 'yaml', 'iort', 'dtb', 'lint', 'base-dtb'] as const;
/** `selftest` misbehaves on purpose (hangs, allocates, throws) to test the harness itself. */
export type TargetName = (typeof TARGET_NAMES)[number] | 'selftest';

export interface FuzzInput {
  target: TargetName;
  /** File name the tool sees (the extension picks the language for text). */
  file: string;
  bytes: Uint8Array;
  /** A generated valid topology: must build, round-trip, and build like its twin. */
  valid?: boolean;
  /** The same topology in the other language (valid inputs only). */
  twin?: Uint8Array;
  /** How the case was made (seed name, mutation kinds), for the report. */
  origin: string;
}

export interface ArbOptions {
  /** Also mutate the large real-world seeds (slow: the CI budget leaves them to the campaign). */
  big: boolean;
  /** selftest target only: the behaviours to draw from. */
  selftest?: number[];
}

/** Seeds above this size are left out unless `big` (decode + checks of 160 KiB take ~50 ms). */
export const SMALL_SEED_BYTES = 64 * 1024;

export interface Target {
  name: TargetName;
  ext: string;
  arbitrary(o: ArbOptions): fc.Arbitrary<FuzzInput>;
  run(input: FuzzInput, ctx: RunCtx): string[] | Promise<string[]>;
}

export interface RunCtx {
  /** Also run the CLI command in process on this case (costs a temp file). */
  cli: boolean;
  scratch: Scratch;
}

/** A private temporary directory for CLI-level cases, removed by dispose(). */
export class Scratch {
  private dir: string | null = null;
  private n = 0;
  file(name: string, bytes: Uint8Array): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'iotopo-fuzz-'));
    const p = join(this.dir, `${this.n++ % 4}-${name}`);
    writeFileSync(p, bytes);
    return p;
  }
  path(name: string): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'iotopo-fuzz-'));
    return join(this.dir, name);
  }
  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const pickSeed = (list: Seed[]) => fc.nat(list.length - 1).map((i) => list[i]!);

/** Canonical form for structural comparison: key order and undefined fields do not count. */
function canon(v: unknown): unknown {
  if (typeof v === 'bigint') return `0x${v.toString(16)}n`;
  if (v instanceof Uint8Array) return `u8:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = canon(x);
    }
    return o;
  }
  return v;
}

function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || '<root>'}: ${JSON.stringify(a)?.slice(0, 200)} != ${JSON.stringify(b)?.slice(0, 200)}`;
}

function renderProblems(ds: Diagnostic[], file: string, text?: string): string[] {
  try {
    renderText(ds, (f) => (f === file ? text : undefined));
    toJson({ diagnostics: ds });
    return [];
  } catch (e) {
    return [`rendering the diagnostics threw: ${(e as Error).message}`];
  }
}

/** Runs a CLI command in process; an exception escaping run() or a stack trace is a failure. */
async function cli(argv: string[], what: string): Promise<{ code: number; problems: string[] }> {
  const io = bufferIo();
  let code: number;
  try {
    code = await run(argv, io);
  } catch (e) {
    return { code: -1, problems: [`${what}: run() threw: ${(e as Error).message}`] };
  }
  const p = exitProblems(code, false, what);
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(io.stderr + io.stdout)) p.push(`${what}: a stack trace reached the user`);
  if (/IOT7999/.test(io.stderr)) p.push(`${what}: internal error: ${io.stderr.slice(0, 300)}`);
  return { code, problems: p };
}

// ----------------------------------------------------------------------------- text targets

function textArb(lang: 'dsl' | 'yaml'): fc.Arbitrary<FuzzInput> {
  const yaml = lang === 'yaml';
  const file = yaml ? 'fuzz.yaml' : 'fuzz.iotopo';
  const target: TargetName = lang;
  const render = yaml ? toYaml : toDsl;
  const other = yaml ? toDsl : toYaml;
  const s = seeds();
  const textSeeds = yaml ? s.yaml : s.dsl;
  const mutate = (base: string, ms: Parameters<typeof applyTextMutation>[1][], bm: Parameters<typeof applyByteMutation>[1][], origin: string): FuzzInput => {
    let t = base;
    for (const m of ms) t = applyTextMutation(t, m, yaml);
    let b: Uint8Array = enc(t);
    for (const m of bm) b = applyByteMutation(b, m);
    return { target, file, bytes: b, origin: `${origin} + ${ms.map((m) => `t${m.op % 20}`).concat(bm.map((m) => `b${m.op % 5}`)).join(',')}` };
  };
  const muts = fc.array(textMutationArb, { minLength: 1, maxLength: 4 });
  const bmuts = fc.array(byteMutationArb, { maxLength: 1 });
  return fc.oneof(
    { weight: 2, arbitrary: topologyArb.map((t): FuzzInput => ({ target, file, bytes: enc(render(t)), twin: enc(other(t)), valid: true, origin: 'generated' })) },
    { weight: 5, arbitrary: fc.tuple(topologyArb, muts, bmuts).map(([t, ms, bm]) => mutate(render(t), ms, bm, 'generated')) },
    { weight: 3, arbitrary: fc.tuple(pickSeed(textSeeds), muts, bmuts).map(([sd, ms, bm]) => mutate(dec(sd.bytes), ms, bm, sd.name)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3000 }).map((t): FuzzInput => ({ target, file, bytes: enc(t), origin: 'random text' })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }).map((b): FuzzInput => ({ target, file, bytes: b, origin: 'random bytes' })) },
  );
}

async function runText(input: FuzzInput, ctx: RunCtx): Promise<string[]> {
  const p: string[] = [];
  const text = dec(input.bytes);
  const r = compile(input.bytes, input.file, { verify: false });
  p.push(...diagnosticProblems(r.diagnostics, { file: input.file, textLength: text.length, byteLength: input.bytes.length, kind: 'text' }));
  p.push(...renderProblems(r.diagnostics, input.file, text));
  const errors = hasErrors(r.diagnostics);
  if (errors && r.outputs) p.push('outputs produced although there are errors');
  if (!errors && !r.outputs) p.push('no outputs and no error diagnostic');
  if (input.valid) p.push(...validProblems(input, r));
  if (ctx.cli) {
    const out = ctx.scratch.path('out');
    const c = await cli(['build', ctx.scratch.file(input.file, input.bytes), '-o', out, '--no-verify', '--format', 'json'], 'iotopo build');
    p.push(...c.problems);
    if (c.code !== (r.outputs ? 0 : 1)) p.push(`iotopo build exited ${c.code}, compile() says ${r.outputs ? 0 : 1}`);
  }
  return p;
}

/** A generated valid topology builds, its tables decode to what the encoder meant, its twin agrees. */
function validProblems(input: FuzzInput, r: ReturnType<typeof compile>): string[] {
  const p: string[] = [];
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.outputs || errs.length) return [`a valid generated topology does not build: ${errs.slice(0, 3).map((d) => `${d.code} ${d.message} @${d.span?.line}:${d.span?.col}`).join('; ')}`];
  const iort = r.outputs.find((o) => o.name === IORT_FILE)!.bytes;
  const dtb = r.outputs.find((o) => o.name === DTB_FILE)!.bytes;
  const meant = encodeIort(r.ir!);
  const got = decodeIort(iort, IORT_FILE);
  if (!meant.table || !got.value) p.push('IORT does not decode');
  else {
    const d = firstDifference(canon(got.value), canon(meant.table));
    if (d) p.push(`decodeIort(bytes) differs from the encoder's table at ${d}`);
  }
  if (got.diagnostics.some((d) => d.severity !== 'note')) p.push(`our IORT decodes with findings: ${got.diagnostics.map((d) => d.code).join(', ')}`);
  if (got.value) dumpIort(got.value, IORT_FILE);
  const t = decodeDtb(dtb, DTB_FILE);
  if (!t.value || t.diagnostics.length) p.push(`our DTB decodes with findings: ${t.diagnostics.map((d) => d.code).join(', ')}`);
  else {
    toDts(t.value);
    if (!Buffer.from(writeDtb(t.value)).equals(Buffer.from(dtb))) p.push('decodeDtb + writeDtb does not give the same bytes');
  }
  if (input.twin) {
    const twinFile = input.file.endsWith('.yaml') ? 'fuzz.iotopo' : 'fuzz.yaml';
    const tr = compile(input.twin, twinFile, { verify: false });
    if (!tr.outputs) p.push(`the ${twinFile} twin does not build: ${tr.diagnostics.filter((d) => d.severity === 'error').slice(0, 3).map((d) => `${d.code} ${d.message}`).join('; ')}`);
    else
      for (const o of r.outputs) {
        const x = tr.outputs.find((y) => y.name === o.name);
        if (!x || !Buffer.from(x.bytes).equals(Buffer.from(o.bytes))) p.push(`${o.name} differs between the DSL and the YAML spelling`);
      }
  }
  return p;
}

// ----------------------------------------------------------------------------- binary targets

function iortArb(target: TargetName): fc.Arbitrary<FuzzInput> {
  const s = seeds().iort;
  const shapes = new Map(s.map((x) => [x, iortFields(x.bytes)]));
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(pickSeed(s), fc.array(iortMutationArb, { minLength: 1, maxLength: 4 })).map(([sd, ms]): FuzzInput => {
        let b = sd.bytes;
        for (const m of ms) b = applyIortMutation(b, shapes.get(sd)!, m);
        return { target, file: 'fuzz.iort', bytes: b, origin: `${sd.name} + ${ms.map((m) => `i${m.op % 8}`).join(',')}` };
      }),
    },
    { weight: 1, arbitrary: pickSeed(s).map((sd): FuzzInput => ({ target, file: 'fuzz.iort', bytes: sd.bytes, origin: sd.name })) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((b): FuzzInput => {
        const c = Uint8Array.from([0x49, 0x4f, 0x52, 0x54, ...b]);
        return { target, file: 'fuzz.iort', bytes: c, origin: 'random after signature' };
      }),
    },
  );
}

function dtbArb(target: TargetName, o: ArbOptions): fc.Arbitrary<FuzzInput> {
  const s = seeds().dtb.filter((x) => o.big || x.bytes.length <= SMALL_SEED_BYTES);
  const shapes = new Map(s.map((x) => [x, fdtFields(x.bytes)]));
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(pickSeed(s), fc.array(fdtByteMutationArb, { minLength: 1, maxLength: 3 })).map(([sd, ms]): FuzzInput => {
        let b = sd.bytes;
        for (const m of ms) b = applyFdtByteMutation(b, shapes.get(sd)!, m);
        return { target, file: 'fuzz.dtb', bytes: b, origin: `${sd.name} + ${ms.map((m) => `f${m.op % 9}`).join(',')}` };
      }),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(pickSeed(s), fc.array(fdtTreeMutationArb, { minLength: 1, maxLength: 3 }), fc.option(fdtByteMutationArb, { freq: 4 }))
        .map(([sd, ms, bm]): FuzzInput => {
          let b = sd.bytes;
          for (const m of ms) b = applyFdtTreeMutation(b, m);
          if (bm) b = applyFdtByteMutation(b, fdtFields(b), bm);
          return { target, file: 'fuzz.dtb', bytes: b, origin: `${sd.name} + ${ms.map((m) => `T${m.op % 6}`).join(',')}${bm ? `,f${bm.op % 9}` : ''}` };
        }),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((b): FuzzInput => ({ target, file: 'fuzz.dtb', bytes: Uint8Array.from([0xd0, 0x0d, 0xfe, 0xed, ...b]), origin: 'random after magic' })),
    },
  );
}

function binInfo(input: FuzzInput) {
  return { file: input.file, byteLength: input.bytes.length, kind: 'binary' as const };
}

async function runIort(input: FuzzInput, ctx: RunCtx): Promise<string[]> {
  const p: string[] = [];
  const r = decodeIort(input.bytes, input.file);
  p.push(...diagnosticProblems(r.diagnostics, binInfo(input)));
  if (!r.value && !hasErrors(r.diagnostics)) p.push('no table and no error');
  if (r.value) dumpIort(r.value, input.file);
  p.push(...renderProblems(r.diagnostics, input.file));
  if (ctx.cli) {
    p.push(...exitProblems(runIortDecode(input.bytes, input.file, { format: 'json' }, bufferIo()), hasErrors(r.diagnostics), 'decode --format json'));
    p.push(...(await cli(['decode', ctx.scratch.file('t.iort', input.bytes)], 'iotopo decode')).problems);
  }
  return p;
}

async function runDtb(input: FuzzInput, ctx: RunCtx): Promise<string[]> {
  const p: string[] = [];
  const r = decodeDtb(input.bytes, input.file);
  p.push(...diagnosticProblems(r.diagnostics, binInfo(input)));
  if (!r.value && !hasErrors(r.diagnostics)) p.push('no tree and no error');
  p.push(...renderProblems(r.diagnostics, input.file));
  if (r.value) {
    toDts(r.value);
    // A tree we decoded must survive our writer: writing it, reading that back and writing again
    // gives the same bytes (a fixpoint after one round).
    const once = writeDtb(r.value);
    const again = decodeDtb(once, 'again');
    if (!again.value) p.push(`re-encoded tree does not decode: ${again.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ').slice(0, 300)}`);
    else if (!Buffer.from(writeDtb(again.value)).equals(Buffer.from(once))) p.push('decode -> writeDtb -> decode -> writeDtb is not a fixpoint');
  }
  if (ctx.cli) {
    p.push(...exitProblems(runFdtDecode(input.bytes, input.file, { format: 'json' }, bufferIo()), hasErrors(r.diagnostics), 'decode --format json'));
    p.push(...(await cli(['decode', ctx.scratch.file('t.dtb', input.bytes)], 'iotopo decode')).problems);
  }
  return p;
}

const LEVELS = resolveCheckLevels({}).levels;

async function runLint(input: FuzzInput, ctx: RunCtx): Promise<string[]> {
  const p: string[] = [];
  const kind = input.file.endsWith('.dtb') ? 'dtb' : 'iort';
  const r = lintBytes(input.bytes, input.file, kind, LEVELS);
  p.push(...diagnosticProblems(r.diagnostics, binInfo(input)));
  p.push(...renderProblems(r.diagnostics, input.file));
  if (!r.decoded && !hasErrors(r.diagnostics)) p.push('not decoded and no error');
  if (ctx.cli) {
    const c = await cli(['lint', ctx.scratch.file(`t.${kind}`, input.bytes), '--format', 'sarif'], 'iotopo lint');
    p.push(...c.problems);
    if (c.code !== 2 && c.code !== (hasErrors(r.diagnostics) ? 1 : 0)) p.push(`iotopo lint exited ${c.code} but lintBytes has ${hasErrors(r.diagnostics) ? '' : 'no '}errors`);
  }
  return p;
}

const BASE_CONFIG = 'qemu-b-smmuv3-2pxb.iotopo';

function runBaseDtb(input: FuzzInput): string[] {
  const p: string[] = [];
  const cfg = seeds().dsl.find((x) => x.name.endsWith(BASE_CONFIG))!;
  const r = compile(cfg.bytes, cfg.name, { baseDtb: input.bytes, baseFile: input.file, verify: false, dump: true });
  p.push(...diagnosticProblems(r.diagnostics, { file: input.file, byteLength: Math.max(input.bytes.length, cfg.bytes.length), kind: 'binary' }));
  p.push(...renderProblems(r.diagnostics, cfg.name, dec(cfg.bytes)));
  const errors = hasErrors(r.diagnostics);
  if (errors && r.outputs) p.push('outputs produced although there are errors');
  if (!errors && !r.outputs) p.push('no outputs and no error diagnostic');
  if (r.outputs) {
    const dtb = r.outputs.find((o) => o.name === DTB_FILE)!.bytes;
    const d = decodeDtb(dtb, 'merged');
    if (!d.value || hasErrors(d.diagnostics)) p.push(`the merged DTB we wrote does not decode: ${d.diagnostics.map((x) => x.code).join(', ')}`);
  }
  return p;
}

/**
 * The harness's own test target: byte 0 of the input says what to do. 0 pass, 1 loop forever,
 * 2 allocate without bound, 3 throw, 4 sleep past the case bound, 5 keep 16 MiB alive,
 * 6 report a broken invariant.
 */
const retained: Uint8Array[] = [];
function runSelftest(input: FuzzInput): string[] {
  switch (input.bytes[0]) {
    case 1:
      for (;;);
    case 2: {
      const hog: number[][] = [];
      for (;;) hog.push(new Array(1 << 20).fill(1));
    }
    case 3:
      throw new TypeError('selftest exception');
    case 4: {
      const until = Date.now() + 400;
      while (Date.now() < until);
      return [];
    }
    case 5:
      retained.push(new Uint8Array(16 << 20).fill(1));
      return [];
    case 6:
      return ['selftest invariant broken'];
    default:
      return [];
  }
}

export const TARGETS: Record<TargetName, Target> = {
  selftest: {
    name: 'selftest',
    ext: 'bin',
    arbitrary: (o) => fc.constantFrom(...(o.selftest ?? [0])).map((k): FuzzInput => ({ target: 'selftest', file: 'self.bin', bytes: Uint8Array.of(k), origin: `selftest ${k}` })),
    run: runSelftest,
  },
  dsl: { name: 'dsl', ext: 'iotopo', arbitrary: () => textArb('dsl'), run: runText },
  yaml: { name: 'yaml', ext: 'yaml', arbitrary: () => textArb('yaml'), run: runText },
  iort: { name: 'iort', ext: 'iort', arbitrary: () => iortArb('iort'), run: runIort },
  dtb: { name: 'dtb', ext: 'dtb', arbitrary: (o) => dtbArb('dtb', o), run: runDtb },
  lint: {
    name: 'lint',
    ext: 'bin',
    arbitrary: (o) => fc.oneof(iortArb('lint'), dtbArb('lint', o)).map((x) => ({ ...x, target: 'lint' as const })),
    run: runLint,
  },
  'base-dtb': { name: 'base-dtb', ext: 'dtb', arbitrary: (o) => dtbArb('base-dtb', o), run: (i) => runBaseDtb(i) },
};
