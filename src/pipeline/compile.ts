/**
 * The main job as one pure function: source text -> IR -> checks -> IORT + DTB bytes
 * (+ readable dumps) -> replay proof. `iotopo build`, the benchmarks and the fuzzers all call
 * this, so that what is measured and fuzzed is exactly what users run.
 *
 * Nothing here touches the file system: the caller decides where (and whether) to write.
 */
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diag/diagnostic';
import { loadConfigBytes } from '../ir/index';
import type { IrMachine } from '../ir/types';
import { runConfigChecks, type CheckOptions } from '../check/index';
import { encodeIort } from '../backends/iort/encode';
import { decodeIort } from '../backends/iort/decode';
import { dumpIort } from '../backends/iort/dump';
import { buildFdt } from '../backends/fdt/encode';
import { decodeDtb } from '../backends/fdt/decode';
import { toDts } from '../backends/fdt/dts';
import type { OutputFile } from '../cli/output';
import { proveForBuild, SELF_DTB_CAP, type BuildProof } from './prove';
import { MAX_DTB_BYTES } from '../backends/fdt/decode';
import { makeDiag, defineCodes } from '../diag/diagnostic';

export interface CompileOptions {
  checks?: CheckOptions;
  baseDtb?: Uint8Array;
  baseFile?: string;
  /** Run the replay proof (default true). */
  verify?: boolean;
  /** Also produce iort.txt and machine.dts. */
  dump?: boolean;
  lang?: 'dsl' | 'yaml';
}

export interface CompileResult {
  ir: IrMachine | null;
  diagnostics: Diagnostic[];
  /** null when any error prevents output (nothing must be written then). */
  outputs: OutputFile[] | null;
  proof: BuildProof | null;
  /** Per-stage wall time in ms, for the benchmarks. */
  timings: Record<string, number>;
}

export const PIPELINE_CODES = defineCodes({
  dtbTooLargeForLinux: { code: 'IOT7010', severity: 'warning', title: 'emitted DTB is larger than Linux arm64 accepts' },
});

export const IORT_FILE = 'iort.bin';
export const DTB_FILE = 'machine.dtb';
export const IORT_DUMP_FILE = 'iort.txt';
export const DTS_FILE = 'machine.dts';

const now = () => performance.now();

export function compile(source: Uint8Array, file: string, opts: CompileOptions = {}): CompileResult {
  const timings: Record<string, number> = {};
  const diagnostics: Diagnostic[] = [];
  const fail = (ir: IrMachine | null): CompileResult => ({
    ir,
    diagnostics: sortDiagnostics(diagnostics),
    outputs: null,
    proof: null,
    timings,
  });

  let t = now();
  const loaded = loadConfigBytes(source, file, opts.lang);
  timings.load = now() - t;
  diagnostics.push(...loaded.diagnostics);
  const ir = loaded.value;
  if (!ir || hasErrors(diagnostics)) return fail(ir);

  t = now();
  diagnostics.push(...runConfigChecks(ir, opts.checks ?? {}));
  timings.check = now() - t;
  if (hasErrors(diagnostics)) return fail(ir);

  t = now();
  const iort = encodeIort(ir);
  timings.iort = now() - t;
  diagnostics.push(...iort.diagnostics);

  t = now();
  const fdt = buildFdt(ir, { baseDtb: opts.baseDtb, baseFile: opts.baseFile });
  timings.dtb = now() - t;
  diagnostics.push(...fdt.diagnostics);
  if (!iort.bytes || !fdt.value || hasErrors(diagnostics)) return fail(ir);

  if (fdt.value.length > MAX_DTB_BYTES)
    diagnostics.push(
      makeDiag(
        PIPELINE_CODES.dtbTooLargeForLinux,
        `machine.dtb is ${fdt.value.length} bytes; Linux arm64 refuses a DTB over ${MAX_DTB_BYTES} bytes (MAX_FDT_SIZE)`,
        { loc: { file: DTB_FILE } },
        { help: 'boot with ACPI (the IORT has no such limit) or split the machine' },
      ),
    );
  const outputs: OutputFile[] = [
    { name: IORT_FILE, bytes: iort.bytes },
    { name: DTB_FILE, bytes: fdt.value },
  ];
  if (opts.dump) {
    t = now();
    outputs.push(...dumps(iort.bytes, fdt.value, diagnostics));
    timings.dump = now() - t;
    if (hasErrors(diagnostics)) return fail(ir);
  }

  let proof: BuildProof | null = null;
  if (opts.verify !== false) {
    t = now();
    proof = proveForBuild(ir, iort.bytes, fdt.value);
    timings.verify = now() - t;
    diagnostics.push(...proof.diagnostics);
    if (hasErrors(diagnostics)) return { ...fail(ir), proof };
  }
  return { ir, diagnostics: sortDiagnostics(diagnostics), outputs, proof, timings };
}

/** Readable forms are made from the emitted bytes (decoded), never from the IR. */
function dumps(iortBytes: Uint8Array, dtb: Uint8Array, diagnostics: Diagnostic[]): OutputFile[] {
  const out: OutputFile[] = [];
  const it = decodeIort(iortBytes, IORT_FILE);
  diagnostics.push(...it.diagnostics);
  if (it.value) out.push({ name: IORT_DUMP_FILE, bytes: new TextEncoder().encode(dumpIort(it.value, IORT_FILE)) });
  const dt = decodeDtb(dtb, DTB_FILE, { maxBytes: SELF_DTB_CAP });
  diagnostics.push(...dt.diagnostics);
  if (dt.value) out.push({ name: DTS_FILE, bytes: new TextEncoder().encode(toDts(dt.value)) });
  return out;
}
