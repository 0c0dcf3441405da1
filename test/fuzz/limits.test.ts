/**
 * Every documented limit (docs/limits.md) holds, with its own code and a location, and the
 * hostile inputs that motivated them end quickly and small: size and count fields that claim
 * gigabytes, counts of 0xFFFFFFFF, references that point at themselves or at each other, and
 * the worst cases found while fuzzing (each noted with what it cost before the fix).
 *
 * Time bounds here are generous (the machine is shared); they separate "linear" from the
 * minutes or gigabytes the unfixed code took, not one fast machine from another.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDtb } from '../../src/backends/fdt/blob';
import { decodeDtb, MAX_DEPTH as DT_MAX_DEPTH, MAX_DTB_BYTES, MAX_PROP_NAME } from '../../src/backends/fdt/decode';
import { mkNode, mkProp, mkTree, val } from '../../src/backends/fdt/model';
import { decodeIort, MAX_IORT_BYTES } from '../../src/backends/iort/decode';
import { resolveCheckLevels } from '../../src/check/index';
import { lintBytes } from '../../src/check/lint';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';
import type { Diagnostic } from '../../src/diag/diagnostic';
import { loadConfig, loadConfigBytes, MAX_BLOCKS, MAX_INPUT_BYTES } from '../../src/ir/index';
import { MAX_DEPTH as DSL_MAX_DEPTH } from '../../src/parser/dsl/index';
import { MAX_ALIAS_COUNT, MAX_YAML_DEPTH, MAX_YAML_NODES } from '../../src/parser/yaml/index';
import { compile } from '../../src/pipeline/compile';
import { resolveRid } from '../../src/verify/iort-map';
import { fixChecksum } from './gen/iort-mutate';
import { SHARED } from '../helpers/shared';

const LEVELS = resolveCheckLevels({}).levels;
const enc = (s: string) => new TextEncoder().encode(s);
const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);
const QEMU_B = `${SHARED}/reference/qemu-10.0/b_smmuv3_2pxb`;
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

const tmp = mkdtempSync(join(tmpdir(), 'iotopo-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs f and checks it stayed within a time and heap-growth bound. */
const heap = () => {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
};
function bounded<T>(f: () => T, ms: number, heapMb: number): T {
  const h0 = heap();
  const t0 = performance.now();
  const r = f();
  const took = performance.now() - t0;
  const grew = (heap() - h0) / 2 ** 20;
  expect(took, `took ${took.toFixed(0)} ms`).toBeLessThan(ms);
  expect(grew, `heap grew ${grew.toFixed(0)} MiB`).toBeLessThan(heapMb);
  return r;
}

const located = (d: Diagnostic) => (d.span ? d.span.line >= 1 && d.span.col >= 1 : d.loc?.byteOffset !== undefined || d.loc?.path !== undefined);
function expectCode(ds: Diagnostic[], code: string): Diagnostic {
  const d = ds.find((x) => x.code === code);
  expect(d, `want ${code}, got ${codes(ds).join(', ')}`).toBeDefined();
  expect(located(d!)).toBe(true);
  return d!;
}

// ----------------------------------------------------------------------------- text inputs

describe('limits of the text readers', () => {
  it(`input size: ${MAX_INPUT_BYTES} bytes pass the size check, one more is IOT7002 at 1:1`, () => {
    const head = 'machine m {\n}\n';
    const at = head + '#'.repeat(MAX_INPUT_BYTES - head.length - 1) + '\n';
    expect(enc(at).length).toBe(MAX_INPUT_BYTES);
    const ok = bounded(() => loadConfigBytes(enc(at), 'm.iotopo'), 20_000, 256);
    expect(codes(ok.diagnostics)).not.toContain('IOT7002');
    const over = loadConfigBytes(enc(at + ' '), 'm.iotopo');
    const d = expectCode(over.diagnostics, 'IOT7002');
    expect([d.span!.line, d.span!.col]).toEqual([1, 1]);
    expect(over.value).toBeNull();
  });

  it('a maximal DSL file of blocks is read within the time bound', () => {
    const text = 'machine m {\n' + 'its a { }\n'.repeat(Math.floor((MAX_INPUT_BYTES - 20) / 10)) + '}\n';
    const r = bounded(() => loadConfigBytes(enc(text), 'm.iotopo'), 30_000, 512);
    expectCode(r.diagnostics, 'IOT7007');
  });

  it(`DSL nesting: ${DSL_MAX_DEPTH} levels are read, one more is IOT1012 at the opening bracket`, () => {
    const at = (n: number) => `machine m {\n memory ${'['.repeat(n - 1)}1${']'.repeat(n - 1)}\n}\n`;
    expect(codes(loadConfig(at(DSL_MAX_DEPTH), 'm.iotopo').diagnostics)).not.toContain('IOT1012');
    const d = expectCode(loadConfig(at(DSL_MAX_DEPTH + 1), 'm.iotopo').diagnostics, 'IOT1012');
    expect(d.span!.line).toBe(2);
    // Far deeper (200k brackets) is refused as fast, without recursion.
    const deep = bounded(() => loadConfig(`machine m { x ${'['.repeat(200_000)} }`, 'm.iotopo'), 10_000, 256);
    expectCode(deep.diagnostics, 'IOT1012');
  });

  it(`YAML nesting: more than ${MAX_YAML_DEPTH} levels is IOT1115, even 100k deep`, () => {
    const at = (n: number) => `machine: m\nx: ${'['.repeat(n - 1)}1${']'.repeat(n - 1)}\n`;
    expect(codes(loadConfig(at(MAX_YAML_DEPTH), 'm.yaml').diagnostics)).not.toContain('IOT1115');
    expectCode(loadConfig(at(MAX_YAML_DEPTH + 1), 'm.yaml').diagnostics, 'IOT1115');
    const deep = bounded(() => loadConfig(`machine: m\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'm.yaml'), 15_000, 512);
    expect(deep.value).toBeNull();
    expect(deep.diagnostics.every(located)).toBe(true);
  });

  it(`YAML values: more than ${MAX_YAML_NODES} is IOT1116; a 1 MiB list ends in bounded time`, () => {
    const list = (n: number) => `machine: m\nram: [${'1,'.repeat(n)}]\n`;
    const d = bounded(() => loadConfig(list(MAX_YAML_NODES + 10), 'm.yaml'), 15_000, 512);
    expectCode(d.diagnostics, 'IOT1116');
    // Before the schema check read its errors linearly, 16k bad items took 3 s and this minutes.
    const big = bounded(() => loadConfig(list(Math.floor((MAX_INPUT_BYTES - 30) / 2)), 'm.yaml'), 20_000, 768);
    expectCode(big.diagnostics, 'IOT1116');
    // Just under the limit, every item wrong: the schema errors are still read in bounded time.
    const under = bounded(() => loadConfig(list(MAX_YAML_NODES - 100), 'm.yaml'), 20_000, 768);
    expect(under.diagnostics.length).toBeGreaterThan(0);
    expect(under.diagnostics.length).toBeLessThanOrEqual(101);
  });

  it(`YAML aliases: more than ${MAX_ALIAS_COUNT} expansions is IOT1103 (billion laughs)`, () => {
    const lines = ['machine: m', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const r = bounded(() => loadConfig(lines.join('\n') + '\n', 'm.yaml'), 5_000, 128);
    expectCode(r.diagnostics, 'IOT1103');
  });

  it(`blocks: ${MAX_BLOCKS} are lowered, one more is IOT7007 at the first block past the limit`, () => {
    const dsl = (n: number) => 'machine m {\n' + Array.from({ length: n }, (_, i) => `  its i${i} { }\n`).join('') + '}\n';
    const ok = loadConfig(dsl(MAX_BLOCKS), 'm.iotopo');
    expect(codes(ok.diagnostics)).not.toContain('IOT7007');
    const d = expectCode(loadConfig(dsl(MAX_BLOCKS + 1), 'm.iotopo').diagnostics, 'IOT7007');
    expect(d.span!.line).toBe(MAX_BLOCKS + 2);
    const yaml = 'machine: m\ndevice:\n' + Array.from({ length: MAX_BLOCKS + 1 }, (_, i) => `  d${i}: { kind: emulated, on: pcie.0 }\n`).join('');
    expectCode(loadConfig(yaml, 'm.yaml').diagnostics, 'IOT7007');
  });

  it('many blocks within the limit build in bounded time', () => {
    const text =
      'machine m {\n  smmuv3 s { }\n' +
      Array.from({ length: MAX_BLOCKS - 1 }, (_, i) => `  rmr r${i} { ids pcie.0 }\n`).join('') +
      '}\n';
    const r = bounded(() => compile(enc(text), 'm.iotopo', { verify: false }), 30_000, 768);
    expect(r.diagnostics.every(located)).toBe(true);
  });

  it('string lengths: OEM fields and free-form strings have maxima (IOT2017); a 500 KB string is refused quickly', () => {
    expectCode(loadConfig('machine m { iort { oem_id "1234567" } }', 'm.iotopo').diagnostics, 'IOT2017');
    expectCode(loadConfig(`machine m { smmuv3 s { host "${'h'.repeat(65)}" } }`, 'm.iotopo').diagnostics, 'IOT2017');
    const r = bounded(() => loadConfig(`machine m { device d emulated { on pcie.0; model "${'m'.repeat(500_000)}" } }`, 'm.iotopo'), 10_000, 256);
    expectCode(r.diagnostics, 'IOT2017');
  });

  it('diagnostics per file are capped (IOT7006 says how many more)', () => {
    const r = loadConfig('machine m {\n' + 'bogus 1\n'.repeat(5000) + '}\n', 'm.iotopo');
    expect(r.diagnostics.length).toBe(101);
    expect(r.diagnostics.at(-1)!.code).toBe('IOT7006');
  });
});

// ----------------------------------------------------------------------------- IORT

const iortB = () => new Uint8Array(readFileSync(join(QEMU_B, 'IORT.dat')));
// b_smmuv3_2pxb: ITS group @48, SMMUv3 @72 (1 mapping @140), RC @160 (mappings from @196).
const put32 = (b: Uint8Array, off: number, v: number) => {
  new DataView(b.buffer, b.byteOffset).setUint32(off, v >>> 0, true);
  fixChecksum(b);
  return b;
};

describe('IORT decoder: untrusted counts, sizes and references', () => {
  it('a Length of 4 GiB is refused (IOT3102), nothing sized by it', () => {
    const r = bounded(() => decodeIort(put32(iortB(), 4, 0xffff_ffff), 'i'), 1000, 16);
    expect(r.value).toBeNull();
    expect(expectCode(r.diagnostics, 'IOT3102').loc!.byteOffset).toBe(4);
  });

  it(`a table over ${MAX_IORT_BYTES} bytes is IOT3123`, () => {
    const b = new Uint8Array(MAX_IORT_BYTES + 1);
    b.set(iortB());
    const r = bounded(() => decodeIort(b, 'i'), 1000, 32);
    expectCode(r.diagnostics, 'IOT3123');
  });

  it('a node count of 0xFFFFFFFF walks only the nodes that fit (IOT3116)', () => {
    const r = bounded(() => decodeIort(put32(iortB(), 36, 0xffff_ffff), 'i'), 1000, 16);
    expect(r.value!.nodes.length).toBe(3);
    expect(expectCode(r.diagnostics, 'IOT3116').loc!.byteOffset).toBe(36);
  });

  it('a mapping count of 0xFFFFFFFF decodes only the mappings inside the node (IOT3110)', () => {
    const r = bounded(() => decodeIort(put32(iortB(), 168, 0xffff_ffff), 'i'), 1000, 16);
    const rc = r.value!.nodes[2]!;
    expect(rc.mappings.length).toBe(Math.floor((rc.length - rc.mappingOffset) / 20));
    expectCode(r.diagnostics, 'IOT3110');
  });

  it('an ITS count of 0xFFFFFFFF reads only the identifiers that fit (IOT3117)', () => {
    const r = bounded(() => decodeIort(put32(iortB(), 64, 0xffff_ffff), 'i'), 1000, 16);
    const its = r.value!.nodes[0]!;
    expect(its.kind === 'its-group' && its.identifiers.length).toBe(1);
    expectCode(r.diagnostics, 'IOT3117');
  });

  it('node offset at the header, past the end, or a node length of 0 stop the walk with a code', () => {
    expectCode(decodeIort(put32(iortB(), 40, 0), 'i').diagnostics, 'IOT3107');
    expectCode(decodeIort(put32(iortB(), 40, 0xffff_0000), 'i').diagnostics, 'IOT3107');
    const zeroLen = iortB();
    zeroLen[73] = 0;
    zeroLen[74] = 0;
    fixChecksum(zeroLen);
    expectCode(decodeIort(zeroLen, 'i').diagnostics, 'IOT3109');
  });

  it('a mapping that points at its own node is a reported loop; lint and the Linux walk terminate', () => {
    const b = put32(iortB(), 152, 72); // the SMMU's mapping -> the SMMU itself
    const r = bounded(() => decodeIort(b, 'i'), 1000, 16);
    expectCode(r.diagnostics, 'IOT3119');
    const l = bounded(() => lintBytes(b, 'i', 'iort', LEVELS), 5000, 64);
    expect(l.diagnostics.some((d) => d.check === 'iort-reference-cycle')).toBe(true);
    const walk = bounded(() => resolveRid(r.value!, 0, 0x0008), 1000, 16);
    expect(walk).toBeDefined();
  });

  it('two nodes that point at each other: the loop is reported per closing mapping, the walks end', () => {
    const b = iortB();
    put32(b, 152, 160); // SMMU -> RC
    put32(b, 208, 72); // RC mapping #0 -> SMMU (it already is; make every RC mapping do it)
    for (const at of [228, 248, 268, 288, 308]) put32(b, at, 72);
    const r = bounded(() => decodeIort(b, 'i'), 1000, 16);
    // Each of the RC's six mappings closes the loop once; never more than the mappings.
    expect(codes(r.diagnostics).filter((c) => c === 'IOT3119').length).toBeGreaterThanOrEqual(1);
    expect(codes(r.diagnostics).filter((c) => c === 'IOT3119').length).toBeLessThanOrEqual(7);
    bounded(() => lintBytes(b, 'i', 'iort', LEVELS), 5000, 64);
    bounded(() => resolveRid(r.value!, 0, 0x4000), 1000, 16);
  });

  it('references into the header or into the middle of a node are dangling, not followed', () => {
    expectCode(decodeIort(put32(iortB(), 208, 4), 'i').diagnostics, 'IOT3114');
    expectCode(decodeIort(put32(iortB(), 208, 75), 'i').diagnostics, 'IOT3112');
    expectCode(decodeIort(put32(iortB(), 208, 0x7fff_ffff), 'i').diagnostics, 'IOT3112');
  });
});

// ----------------------------------------------------------------------------- DTB

const dtbQemu = () => new Uint8Array(readFileSync(join(QEMU_B, 'machine.dtb')));
const be32 = (b: Uint8Array, off: number, v: number) => {
  new DataView(b.buffer, b.byteOffset).setUint32(off, v >>> 0, false);
  return b;
};

/** A hand-made blob: N properties whose names all point into one long string. */
function sharedNameBlob(n: number, nameLen: number): Uint8Array {
  const structLen = 8 + n * 12 + 8;
  const strings = new Uint8Array(nameLen + 1).fill(0x61);
  strings[nameLen] = 0;
  const total = 56 + structLen + strings.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xd00dfeed);
  v.setUint32(4, total);
  v.setUint32(8, 56);
  v.setUint32(12, 56 + structLen);
  v.setUint32(16, 40);
  v.setUint32(20, 17);
  v.setUint32(24, 16);
  v.setUint32(32, strings.length);
  v.setUint32(36, structLen);
  let p = 56;
  v.setUint32(p, 1);
  p += 8;
  for (let i = 0; i < n; i++, p += 12) {
    v.setUint32(p, 3);
    v.setUint32(p + 8, (i * 7) % nameLen);
  }
  v.setUint32(p, 2);
  v.setUint32(p + 4, 9);
  b.set(strings, 56 + structLen);
  return b;
}

describe('DTB decoder and DT checks: untrusted sizes, names and references', () => {
  it('a totalsize of 4 GiB is refused (IOT4003), nothing sized by it', () => {
    const r = bounded(() => decodeDtb(be32(dtbQemu(), 4, 0xffff_ffff), 'd'), 1000, 16);
    expect(r.value).toBeNull();
    expect(expectCode(r.diagnostics, 'IOT4003').loc!.byteOffset).toBe(4);
  });

  it('block sizes of 4 GiB are refused (IOT4006)', () => {
    expectCode(decodeDtb(be32(dtbQemu(), 0x24, 0xffff_ffff), 'd').diagnostics, 'IOT4006');
    expectCode(decodeDtb(be32(dtbQemu(), 0x20, 0xffff_ffff), 'd').diagnostics, 'IOT4006');
  });

  it('a property length of 0xFFFFFFFF is refused (IOT4021)', () => {
    const b = dtbQemu();
    const v = new DataView(b.buffer);
    let p = v.getUint32(8);
    while (v.getUint32(p) !== 3) p += 4;
    be32(b, p + 4, 0xffff_ffff);
    const r = bounded(() => decodeDtb(b, 'd'), 1000, 16);
    expectCode(r.diagnostics, 'IOT4021');
  });

  it(`a blob over ${MAX_DTB_BYTES} bytes is IOT4027, also through the CLI`, async () => {
    const b = new Uint8Array(MAX_DTB_BYTES + 4096);
    b.set(dtbQemu());
    expectCode(decodeDtb(b, 'd').diagnostics, 'IOT4027');
    const f = join(tmp, 'big.dtb');
    writeFileSync(f, b);
    const io = bufferIo();
    expect(await run(['decode', f], io)).toBe(1);
    expect(io.stderr).toMatch(/IOT4027/);
  });

  it(`nesting deeper than ${DT_MAX_DEPTH} is IOT4017`, () => {
    let n = mkNode('leaf');
    for (let i = 0; i < DT_MAX_DEPTH; i++) n = mkNode(`n${i}`, [], [n]);
    const r = decodeDtb(writeDtb(mkTree(mkNode('', [], [n]))), 'd');
    expectCode(r.diagnostics, 'IOT4017');
  });

  it(`names longer than ${MAX_PROP_NAME} bytes are IOT4026: 80k properties into one 1 MB name took 4 GB before`, () => {
    const b = sharedNameBlob(80_000, 1_000_000);
    const r = bounded(() => decodeDtb(b, 'd'), 2000, 64);
    expectCode(r.diagnostics, 'IOT4026');
    // At the limit the names are read (and cached per offset), in bounded time and memory.
    const ok = bounded(() => decodeDtb(sharedNameBlob(80_000, MAX_PROP_NAME), 'd'), 5000, 256);
    expect(ok.value?.root.props).toHaveLength(80_000);
  });

  it('phandle cycles (msi-parent, interrupt-parent, iommu-map at itself) do not hang the DT checks', () => {
    const a = mkNode('a', [mkProp('phandle', val.u32(1)), mkProp('interrupt-parent', val.u32(2)), mkProp('msi-parent', val.u32(2)), mkProp('iommu-map', val.u32(0, 1, 0, 0xffff_ffff))]);
    const b = mkNode('b', [mkProp('phandle', val.u32(2)), mkProp('interrupt-parent', val.u32(1)), mkProp('msi-parent', val.u32(1)), mkProp('compatible', val.strings('arm,smmu-v3')), mkProp('#iommu-cells', val.u32(1))]);
    const pci = mkNode('pcie@0', [
      mkProp('device_type', val.strings('pci')),
      mkProp('compatible', val.strings('pci-host-ecam-generic')),
      mkProp('iommu-map', val.u32(0, 2, 0, 0xffff_ffff, 0xffff_ffff, 2, 0, 0xffff_ffff)),
      mkProp('msi-map', val.u32(0, 3, 0, 0x10000)),
      mkProp('interrupt-parent', val.u32(3)),
      mkProp('phandle', val.u32(3)),
    ]);
    const blob = writeDtb(mkTree(mkNode('', [mkProp('interrupt-parent', val.u32(1))], [a, b, pci])));
    const r = bounded(() => lintBytes(blob, 'd', 'dtb', LEVELS), 5000, 64);
    expect(r.decoded).toBe(true);
    expect(r.diagnostics.every(located)).toBe(true);
  });

  it('a base DTB with 20k distinct property names merges quickly (25 s before the string table index)', () => {
    const props = Array.from({ length: 20_000 }, (_, i) => mkProp(`p${i.toString(36)}-${'x'.repeat(20)}`, val.u32(i)));
    const base = writeDtb(mkTree(mkNode('', [mkProp('#address-cells', val.u32(2)), mkProp('#size-cells', val.u32(2))], [mkNode('a', props)])));
    const cfg = new Uint8Array(readFileSync(join(EXAMPLES, 'qemu-b-smmuv3-2pxb.iotopo')));
    const r = bounded(() => compile(cfg, 'q.iotopo', { baseDtb: base, verify: false }), 10_000, 512);
    expect(r.outputs).not.toBeNull();
  });
});
