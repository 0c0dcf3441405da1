/**
 * `npm run bench`: iotopo's benchmarks (issue #8). Prints tables and writes
 * bench/results/latest.json (and bench/results/quick.json for --quick).
 *
 *   scales      generated machines at 1, 8, 64 and 512 SMMUs: each stage in process, the CLI as
 *               a process, dtc and iasl on the same tables, ratios and growth exponents
 *   smmu        the SMMUv3 interpreter's translations/s (bench/smmu.ts)
 *   many files  200 QEMU-sized configs in one `iotopo build` vs dtc + iasl once per file
 *   startup     `iotopo build` of a QEMU-sized example vs bare `node -e 0`
 *
 * Usage: npm run bench [-- --quick] [-- --only scales,smmu,many,startup] [-- --runs N] [-- --scales 0,1]
 * Every generated config must lower, check, encode and verify without errors, and the peers
 * must compile what we give them: anything else stops the run with the reason.
 */
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeIort } from '../src/backends/iort/decode';
import { renderText } from '../src/diag/render';
import { hasErrors } from '../src/diag/diagnostic';
import { compile, DTB_FILE, DTS_FILE, IORT_FILE, type CompileResult } from '../src/pipeline/compile';
import { elementCount, generateMachine, generateQemuSized, rmrFree, SCALES, type ScaleSpec } from './gen';
import { alignIaslOutput, toIaslSource } from './iasl-source';
import { type Cmd, CommandFailed, growthExponent, round, stats, type Stats, timeInterleaved, timeOnce, toolVersion } from './proc';
import { render } from './report';
import { loadProver, type ProofRun, type Prover } from './prover';
import { proveForBuild } from '../src/pipeline/prove';
import type { IrMachine } from '../src/ir/types';

class BenchFailure extends Error {}

function fail(msg: string): never {
  throw new BenchFailure(msg);
}

const ROOT = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const argOf = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = new Set((argOf('--only') ?? 'scales,smmu,many,startup').split(','));
const RUNS = Number(argOf('--runs') ?? (quick ? 3 : 5));
const WARMUP_MS = quick ? 200 : 500;
const MIN_TIMED_MS = quick ? 300 : 1000;
const MAX_RUNS = 40;
/** Time allowed for the proof runs of one scale, and for each process command of one scale. */
const PROOF_BUDGET_MS = quick ? 20_000 : 60_000;
const PROCESS_BUDGET_MS = quick ? 20_000 : 60_000;
const STARTUP_RUNS = quick ? 8 : 20;
const MANY = quick ? 50 : 200;
const scaleArg = argOf('--scales');
const scales: ScaleSpec[] = scaleArg ? scaleArg.split(',').map((i) => SCALES[Number(i)] ?? fail(`no scale ${i}`)) : quick ? SCALES.slice(0, 3) : SCALES;

const NODE = process.execPath;
const CLI = join(ROOT, 'bin', 'iotopo.js');
const work = mkdtempSync(join(tmpdir(), 'iotopo-bench-'));
const enc = new TextEncoder();


const STAGES = ['load', 'check', 'iort', 'dtb', 'verify'] as const;
type Stage = (typeof STAGES)[number];

function output(r: CompileResult, name: string): Uint8Array {
  const o = r.outputs?.find((x) => x.name === name);
  if (!o) fail(`no ${name} in the compile outputs`);
  return o.bytes;
}

/** Compile and insist on no errors (warnings are reported, not fatal). */
function compileClean(src: string, file: string, opts: Parameters<typeof compile>[2]): CompileResult {
  const r = compile(enc.encode(src), file, opts);
  if (!r.outputs || hasErrors(r.diagnostics))
    fail(`${file} does not build:\n${renderText(r.diagnostics.slice(0, 20), () => src)}`);
  return r;
}

// ------------------------------------------------------------------------------------ scales

interface InProcess {
  /** `verify` is absent when the proof was not run (RMR-free variants, placeholder prover). */
  stages: Record<Exclude<Stage, 'verify'> | 'total' | 'toDtb' | 'toIort', Stats> & { verify?: Stats };
  warnings: number;
  sizes: { source: number; iort: number; dtb: number; dts: number };
  proof: string;
}

/**
 * Each stage of compile() in this process: warm-up runs (JIT) for small machines, then at least
 * `runs` timed runs, more while they add up to less than MIN_TIMED_MS (small machines). The
 * proof is timed apart, within PROOF_BUDGET_MS (at least one run).
 */
function measureInProcess(spec: ScaleSpec, src: string, file: string, prover: Prover | null, runs: number, dir: string): InProcess {
  const first = compileClean(src, file, { dump: true, verify: false });
  const iort = output(first, IORT_FILE);
  const dtb = output(first, DTB_FILE);
  const dts = output(first, DTS_FILE);
  writeFileSync(join(dir, 'machine.dts'), dts);
  writeFileSync(join(dir, 'machine.dtb.ref'), dtb);
  writeFileSync(join(dir, 'iort.bin'), iort);
  const samples: Record<string, number[]> = {};
  const push = (k: string, v: number) => (samples[k] ??= []).push(v);
  const w0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - w0 < WARMUP_MS; i++) compileClean(src, file, { verify: false });
  const t0 = performance.now();
  for (let i = 0; i < runs || (performance.now() - t0 < MIN_TIMED_MS && i < MAX_RUNS); i++) {
    const t = compileClean(src, file, { verify: false }).timings;
    for (const s of STAGES) if (s !== 'verify') push(s, t[s]!);
    push('toDtb', t.load! + t.check! + t.dtb!);
    push('toIort', t.load! + t.check! + t.iort!);
    push('total', t.load! + t.check! + t.iort! + t.dtb!);
  }
  let proof = prover ? 'placeholder (not timed)' : 'not run';
  if (prover && prover.impl !== 'placeholder') {
    const prove = prover.prove ?? ((ir: IrMachine, i: Uint8Array, d: Uint8Array) => buildProof(ir, i, d));
    let spent = 0;
    const totals = samples.total!;
    for (let i = 0; i < runs && (i === 0 || spent + spent / i <= PROOF_BUDGET_MS); i++) {
      const p0 = performance.now();
      const p = prove(first.ir!, iort, dtb);
      const ms = performance.now() - p0;
      spent += ms;
      if (!p.ok) fail(`${spec.name}: the proof fails:\n${p.errors.slice(0, 10).join('\n')}`);
      proof = p.summary;
      push('verify', ms);
    }
    // total = median compile stages + each proof run (the proof may have fewer runs)
    const med = stats(totals).median;
    samples.total = samples.verify!.map((v) => med + v);
  }
  const st = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)])) as InProcess['stages'];
  return {
    stages: st,
    warnings: first.diagnostics.filter((d) => d.severity === 'warning').length,
    sizes: { source: src.length, iort: iort.length, dtb: dtb.length, dts: dts.length },
    proof,
  };
}

/** The build's verify stage as compile() runs it (src/pipeline/prove.ts). */
function buildProof(ir: IrMachine, iort: Uint8Array, dtb: Uint8Array): ProofRun {
  const p = proveForBuild(ir, iort, dtb);
  return { ok: p.ok && !hasErrors(p.diagnostics), summary: p.summary, errors: p.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`) };
}

interface PeerCheck {
  /** dtc's DTB is byte-identical to ours. */
  dtcSameBytes?: boolean;
  /** iasl's table equals ours once the fields iasl always writes itself are aligned. */
  iaslSameTable?: boolean;
  iaslPatchedBytes?: number;
}

/** Runs dtc once on our DTS; null when it cannot compile it (the reason is returned). */
function dtcOnce(dir: string): { cmd: Cmd; failed: string | null; same: boolean } {
  const cmd: Cmd = { name: 'dtc', file: 'dtc', args: ['-q', '-I', 'dts', '-O', 'dtb', '-o', join(dir, 'dtc.dtb'), join(dir, 'machine.dts')] };
  try {
    timeOnce(cmd);
  } catch (e) {
    if (e instanceof CommandFailed) return { cmd, failed: e.message.split('\n').slice(0, 3).join(' ').replaceAll(dir + '/', ''), same: false };
    throw e;
  }
  const ours = readFileSync(join(dir, 'machine.dtb.ref'));
  return { cmd, failed: null, same: ours.equals(readFileSync(join(dir, 'dtc.dtb'))) };
}

function iaslPrepare(dir: string, iort: Uint8Array): { cmd: Cmd; check: PeerCheck } {
  const t = decodeIort(iort, IORT_FILE);
  if (!t.value) fail(`our IORT does not decode: ${t.diagnostics.map((d) => d.message).join('; ')}`);
  writeFileSync(join(dir, 'iort.asl'), toIaslSource(t.value));
  const cmd: Cmd = { name: 'iasl', file: 'iasl', args: ['-p', join(dir, 'iasl-out'), join(dir, 'iort.asl')] };
  timeOnce(cmd);
  const al = alignIaslOutput(new Uint8Array(readFileSync(join(dir, 'iasl-out.aml'))), t.value);
  const same = Buffer.from(al.bytes).equals(Buffer.from(iort));
  if (!same) fail(`iasl compiled our ${dir}/iort.asl into a different table than ours`);
  return { cmd, check: { iaslSameTable: true, iaslPatchedBytes: al.patched.length } };
}

interface ScaleResult {
  name: string;
  spec: ScaleSpec;
  elements: number;
  inProcess: InProcess;
  process: { node: Stats; cliNoVerify: Stats; cliVerify: Stats; dtc: Stats | null; dtcFailed: string | null };
  peers: PeerCheck;
  rmrFree: {
    elements: number;
    inProcess: InProcess;
    process: { cliNoVerify: Stats; dtc: Stats; iasl: Stats };
    peers: PeerCheck;
  };
  ratios: Record<string, number | null>;
}

const ratio = (a: number | undefined, b: number | undefined): number | null => (a !== undefined && b ? round(a / b, 3) : null);

function runScale(spec: ScaleSpec, index: number, prover: Prover): ScaleResult {
  const dir = join(work, `scale-${index}`);
  const freeDir = join(dir, 'rmr-free');
  mkdirSync(freeDir, { recursive: true });
  const src = generateMachine(spec);
  const freeSpec = rmrFree(spec);
  const freeSrc = generateMachine(freeSpec);
  const file = join(dir, `machine-${spec.smmus}.iotopo`);
  const freeFile = join(freeDir, `machine-${spec.smmus}-no-rmr.iotopo`);
  writeFileSync(file, src);
  writeFileSync(freeFile, freeSrc);

  log(`  ${spec.name}: in process (${RUNS} runs)`);
  const inProc = measureInProcess(spec, src, file, prover, RUNS, dir);
  // The RMR-free twin is for the peers: no proof (it would prove the same routes again).
  const freeIn = measureInProcess(freeSpec, freeSrc, freeFile, null, RUNS, freeDir);

  // Peer inputs (and the checks that they compile what we compile).
  const dtcMain = dtcOnce(dir);
  const dtcFree = dtcOnce(freeDir);
  if (dtcFree.failed) fail(`dtc cannot compile our RMR-free DTS ${freeDir}/machine.dts: ${dtcFree.failed}`);
  const ia = iaslPrepare(freeDir, new Uint8Array(readFileSync(join(freeDir, 'iort.bin'))));

  log(`  ${spec.name}: processes (${RUNS} interleaved runs)`);
  const cli = (name: string, f: string, out: string, verify: boolean): Cmd => ({
    name,
    file: NODE,
    args: [CLI, 'build', f, '-o', out, ...(verify ? [] : ['--no-verify'])],
  });
  const cmds: Cmd[] = [
    { name: 'node', file: NODE, args: ['-e', '0'] },
    cli('cliNoVerify', file, join(dir, 'out'), false),
    cli('cliVerify', file, join(dir, 'out-v'), true),
    cli('freeCliNoVerify', freeFile, join(freeDir, 'out'), false),
    { ...dtcFree.cmd, name: 'freeDtc' },
    { ...ia.cmd, name: 'freeIasl' },
  ];
  if (!dtcMain.failed) cmds.push(dtcMain.cmd);
  const t = timeInterleaved(cmds, RUNS, PROCESS_BUDGET_MS);

  const dtc = t.get('dtc') ?? null;
  const s = inProc.stages;
  const fs = freeIn.stages;
  const fp = { cliNoVerify: t.get('freeCliNoVerify')!, dtc: t.get('freeDtc')!, iasl: t.get('freeIasl')! };
  return {
    name: spec.name,
    spec,
    elements: elementCount(spec),
    inProcess: inProc,
    process: { node: t.get('node')!, cliNoVerify: t.get('cliNoVerify')!, cliVerify: t.get('cliVerify')!, dtc, dtcFailed: dtcMain.failed },
    peers: { dtcSameBytes: dtcMain.failed ? undefined : dtcMain.same },
    rmrFree: {
      elements: elementCount(freeSpec),
      inProcess: freeIn,
      process: fp,
      peers: { dtcSameBytes: dtcFree.same, ...ia.check },
    },
    ratios: {
      // text -> DTB in process (parse+lower, check, DTB) over dtc's whole run on the same tree
      dtbPathOverDtc: ratio(s.toDtb.median, dtc?.median),
      freeDtbPathOverDtc: ratio(fs.toDtb.median, fp.dtc.median),
      // text -> IORT in process over iasl's whole run on the same table (RMR-free machine)
      freeIortPathOverIasl: ratio(fs.toIort.median, fp.iasl.median),
      // whole CLI process (both tables, --no-verify) over dtc + iasl processes
      freeCliOverDtcPlusIasl: ratio(fp.cliNoVerify.median, fp.dtc.median + fp.iasl.median),
      cliOverDtc: ratio(t.get('cliNoVerify')!.median, dtc?.median),
    },
  };
}

function growth(results: ScaleResult[]): Record<string, { all: number | null; top: number | null }> {
  const series: Record<string, { size: number; ms: number }[]> = {};
  const add = (k: string, size: number, ms: number | undefined) => {
    if (ms !== undefined) (series[k] ??= []).push({ size, ms });
  };
  for (const r of results) {
    for (const st of [...STAGES, 'total'] as const) add(`iotopo ${st}`, r.elements, r.inProcess.stages[st]?.median);
    add('iotopo build --no-verify (process)', r.elements, r.process.cliNoVerify.median);
    add('iotopo build (process)', r.elements, r.process.cliVerify.median);
    add('dtc', r.elements, r.process.dtc?.median);
    add('rmr-free iotopo text->DTB', r.rmrFree.elements, r.rmrFree.inProcess.stages.toDtb.median);
    add('rmr-free iotopo text->IORT', r.rmrFree.elements, r.rmrFree.inProcess.stages.toIort.median);
    add('rmr-free dtc', r.rmrFree.elements, r.rmrFree.process.dtc.median);
    add('rmr-free iasl', r.rmrFree.elements, r.rmrFree.process.iasl.median);
  }
  return Object.fromEntries(
    Object.entries(series).map(([k, ps]) => [k, { all: growthExponent(ps), top: ps.length >= 2 ? growthExponent(ps.slice(-2)) : null }]),
  );
}

// --------------------------------------------------------------------------------- SMMUv3

interface SmmuRow {
  name: string;
  granule: string;
  stage: string;
  levels: string;
  translationsPerSec: number;
  descriptorReadsPerTranslation: number;
}

function runSmmu(): { rows: SmmuRow[]; quick: boolean } {
  const r = spawnSync(NODE, [...process.execArgv, join(ROOT, 'bench', 'smmu.ts'), ...(quick ? ['--quick'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) fail(`bench/smmu.ts failed: ${r.stderr || r.stdout}`);
  const last = r.stdout.trim().split('\n').pop()!;
  const j = JSON.parse(last) as { rows: SmmuRow[]; quick: boolean };
  if (!Array.isArray(j.rows) || j.rows.length === 0) fail('bench/smmu.ts reported no rows');
  return { rows: j.rows, quick: j.quick };
}

// ------------------------------------------------------------------------------ many files

function runMany(prover: Prover): Record<string, unknown> {
  const dir = join(work, 'many');
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const srcs: string[] = [];
  for (let i = 0; i < MANY; i++) {
    const f = join(dir, `qemu-${String(i).padStart(3, '0')}.iotopo`);
    const src = generateQemuSized(i);
    writeFileSync(f, src);
    files.push(f);
    srcs.push(src);
    const r = compileClean(src, f, { dump: true });
    const stem = f.slice(0, -'.iotopo'.length);
    writeFileSync(`${stem}.dts`, output(r, DTS_FILE));
    const t = decodeIort(output(r, IORT_FILE));
    writeFileSync(`${stem}.asl`, toIaslSource(t.value!));
  }
  // In process, warm: the marginal cost of one more QEMU-sized config; "verify" adds the proof.
  const proveOne = (r: CompileResult) => {
    if (!prover.prove) return;
    const p = prover.prove(r.ir!, output(r, IORT_FILE), output(r, DTB_FILE));
    if (!p.ok) fail(`the proof of a QEMU-sized config fails:\n${p.errors.slice(0, 5).join('\n')}`);
  };
  for (const [i, s] of srcs.entries()) proveOne(compileClean(s, files[i]!, { verify: prover.impl === 'build' }));
  const perConfig: Record<string, number[]> = { noVerify: [], verify: [] };
  for (let k = 0; k < RUNS; k++) {
    for (const [key, verify] of [['noVerify', false], ['verify', true]] as const) {
      const t0 = performance.now();
      for (const [i, s] of srcs.entries()) {
        const r = compileClean(s, files[i]!, { verify: verify && prover.impl === 'build' });
        if (verify) proveOne(r);
      }
      perConfig[key]!.push((performance.now() - t0) / srcs.length);
    }
  }
  const script = (tool: 'dtc' | 'iasl' | 'both') =>
    `set -e; for f in ${dir}/qemu-*.iotopo; do s=\${f%.iotopo}; ` +
    (tool !== 'iasl' ? `dtc -q -I dts -O dtb -o $s.dtc.dtb $s.dts; ` : '') +
    (tool !== 'dtc' ? `iasl -p $s.iasl $s.asl >/dev/null; ` : '') +
    'done';
  const cmds: Cmd[] = [
    { name: 'cliNoVerify', file: NODE, args: [CLI, 'build', ...files, '-o', join(dir, 'out'), '--no-verify'] },
    { name: 'cliVerify', file: NODE, args: [CLI, 'build', ...files, '-o', join(dir, 'out-v')] },
    { name: 'cliOneFile', file: NODE, args: [CLI, 'build', files[0]!, '-o', join(dir, 'out-1'), '--no-verify'] },
    { name: 'dtcPlusIaslPerFile', file: 'sh', args: ['-c', script('both')] },
    { name: 'dtcPerFile', file: 'sh', args: ['-c', script('dtc')] },
    { name: 'iaslPerFile', file: 'sh', args: ['-c', script('iasl')] },
  ];
  log(`  ${MANY} QEMU-sized configs: processes (${RUNS} interleaved runs)`);
  const t = timeInterleaved(cmds, RUNS);
  const m = (k: string) => t.get(k)!.median;
  return {
    configs: MANY,
    inProcessMsPerConfig: { noVerify: stats(perConfig.noVerify!), verify: stats(perConfig.verify!) },
    process: Object.fromEntries(t),
    configsPerSecond: {
      cliNoVerify: round((MANY / m('cliNoVerify')) * 1000, 1),
      cliVerify: round((MANY / m('cliVerify')) * 1000, 1),
      dtcPlusIaslPerFile: round((MANY / m('dtcPlusIaslPerFile')) * 1000, 1),
    },
    /** (one process with all files - one process with one file) / (files - 1): cost of one more file. */
    cliMarginalMsPerConfig: round((m('cliNoVerify') - m('cliOneFile')) / (MANY - 1)),
    ratioCliOverPeers: round(m('cliNoVerify') / m('dtcPlusIaslPerFile')),
  };
}

// -------------------------------------------------------------------------------- startup

function runStartup(): Record<string, unknown> {
  const f = join(ROOT, 'examples', 'qemu-b-smmuv3-2pxb.iotopo');
  const out = join(work, 'startup');
  const cmds: Cmd[] = [
    { name: 'node -e 0', file: NODE, args: ['-e', '0'] },
    { name: 'iotopo build --no-verify', file: NODE, args: [CLI, 'build', f, '-o', join(out, 'nv'), '--no-verify'] },
    { name: 'iotopo build', file: NODE, args: [CLI, 'build', f, '-o', join(out, 'v')] },
    { name: 'iotopo --version', file: NODE, args: [CLI, '--version'] },
  ];
  log(`  startup: ${STARTUP_RUNS} interleaved runs`);
  const t = timeInterleaved(cmds, STARTUP_RUNS);
  const base = t.get('node -e 0')!.median;
  return {
    file: 'examples/qemu-b-smmuv3-2pxb.iotopo',
    process: Object.fromEntries(t),
    ratioOverNode: Object.fromEntries([...t].map(([k, s]) => [k, round(s.median / base, 2)])),
  };
}

// -------------------------------------------------------------------------------- report

function log(s: string): void {
  process.stderr.write(s + '\n');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    dtc: toolVersion('dtc', ['--version']),
    iasl: toolVersion('iasl', ['-v']),
  };
  if (!machine.dtc || !machine.iasl) fail('dtc and iasl are needed (Debian: device-tree-compiler, acpica-tools)');
  log(`iotopo benchmarks${quick ? ' (quick)' : ''}: ${machine.cores} cores, node ${machine.node}, ${machine.dtc}, ${machine.iasl}; work dir ${work}`);

  const sample = compileClean(generateMachine(SCALES[0]!), 'sample.iotopo', { verify: false });
  const prover = await loadProver({ ir: sample.ir!, iort: output(sample, IORT_FILE), dtb: output(sample, DTB_FILE) });
  log(`verify stage: ${prover.impl} (${prover.note})`);

  const result: Record<string, unknown> = {
    bench: 'iotopo',
    date: new Date().toISOString(),
    quick,
    runs: RUNS,
    machine,
    // In-process "verify" numbers are the proof when impl is not 'placeholder'; the CLI's default
    // (verifying) build runs the proof only when impl is 'build'.
    verify: { impl: prover.impl, note: prover.note, cliRunsProof: prover.impl === 'build' },
  };
  if (only.has('scales')) {
    log('scales');
    const rs = scales.map((s, i) => runScale(s, i, prover));
    const g = growth(rs);
    result.scales = rs;
    result.growth = g;
  }
  if (only.has('smmu')) {
    log('smmu: bench/smmu.ts');
    const sm = runSmmu();
    result.smmu = sm;
  }
  if (only.has('many')) {
    log('many files');
    const m = runMany(prover);
    result.manyFiles = m;
  }
  if (only.has('startup')) {
    log('startup');
    const s = runStartup();
    result.startup = s;
  }
  result.elapsedSeconds = round((performance.now() - t0) / 1000, 1);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, quick ? 'quick.json' : 'latest.json');
  const json = JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2) + '\n';
  writeFileSync(outFile, json);
  // One renderer for the terminal and docs/benchmarks.md, so the two never disagree.
  console.log(render(JSON.parse(json) as Parameters<typeof render>[0]));
  log(`\nwrote ${outFile} (${result.elapsedSeconds} s)`);
}

main()
  .catch((e) => {
    process.stderr.write(`\nbench FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    if (!(e instanceof BenchFailure) && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
