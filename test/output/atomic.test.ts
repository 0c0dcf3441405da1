/**
 * All-or-nothing output (src/cli/output.ts): a run made to fail at every stage (directory
 * creation, the write of each file, the rename of each file), into a fresh directory and over
 * an existing set of outputs, leaves the directory byte for byte as it was: no new, changed,
 * removed or temporary file. The same through `iotopo build` in process, for several inputs at
 * once, and for inputs with errors.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FailPoint, type OutputFile, OutputError, setFailPoint, writeOutputSets, writeOutputsAtomically } from '../../src/cli/output';
import { cleanScratch, cli, EXAMPLES, scratch, snapshot } from './helpers';

afterAll(cleanScratch);
afterEach(() => setFailPoint(undefined));

const enc = (s: string) => new TextEncoder().encode(s);
const NEW: OutputFile[] = [
  { name: 'iort.bin', bytes: enc('new iort') },
  { name: 'machine.dtb', bytes: enc('new dtb') },
  { name: 'iort.txt', bytes: enc('new dump') },
];

class Injected extends Error {}

/** Every (stage, file) the writer announces for these outputs, in order. */
function stagesOf(dir: string, files: OutputFile[]): [string, string][] {
  const seen: [string, string][] = [];
  writeOutputsAtomically(join(scratch(), 'probe'), files, (stage, file) => void seen.push([stage, file.replace(/^.*\/probe/, dir)]));
  return seen;
}

function failAt(n: number): FailPoint {
  let i = 0;
  return () => {
    if (i++ === n) throw new Injected(`injected failure #${n}`);
  };
}

describe('writeOutputsAtomically: a failure at any stage changes nothing', () => {
  const stages = stagesOf('DIR', NEW);

  it('announces mkdir, one write per file and one rename per file', () => {
    expect(stages.map(([s]) => s)).toEqual(['mkdir', 'write', 'write', 'write', 'rename', 'rename', 'rename']);
    expect(stages.filter(([s]) => s === 'rename').map(([, f]) => f)).toEqual(['DIR/iort.bin', 'DIR/machine.dtb', 'DIR/iort.txt']);
  });

  for (const [i, [stage, file]] of stages.entries()) {
    it(`fails at ${stage} ${file}: an existing output set is untouched`, () => {
      const dir = scratch();
      writeFileSync(join(dir, 'iort.bin'), 'old iort');
      writeFileSync(join(dir, 'machine.dtb'), 'old dtb');
      writeFileSync(join(dir, 'notes.md'), 'not ours');
      const before = snapshot(dir);
      expect(() => writeOutputsAtomically(dir, NEW, failAt(i))).toThrow(OutputError);
      expect(snapshot(dir)).toEqual(before);
    });

    it(`fails at ${stage} ${file}: a directory that did not exist is not created`, () => {
      const parent = scratch();
      const before = snapshot(parent);
      expect(() => writeOutputsAtomically(join(parent, 'a', 'b', 'out'), NEW, failAt(i))).toThrow(OutputError);
      expect(snapshot(parent)).toEqual(before);
    });
  }

  it('without a failure the new set replaces the old one and no temporary is left', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'iort.bin'), 'old iort');
    writeOutputsAtomically(dir, NEW);
    expect(readdirSync(dir).sort()).toEqual(['iort.bin', 'iort.txt', 'machine.dtb']);
    expect(readFileSync(join(dir, 'iort.bin'), 'utf8')).toBe('new iort');
  });

  it('several output directories are one transaction: a failure in the last undoes the first', () => {
    const root = scratch();
    const a = join(root, 'a');
    mkdirSync(a);
    writeFileSync(join(a, 'iort.bin'), 'old a');
    const before = snapshot(root);
    const sets = [
      { dir: a, files: NEW },
      { dir: join(root, 'b'), files: NEW },
    ];
    const all: string[] = [];
    writeOutputSets(sets.map((s) => ({ ...s, dir: join(scratch(), 'x', s.dir.slice(-1)) })), (st, f) => void all.push(`${st} ${f}`));
    for (let i = 0; i < all.length; i++) {
      expect(() => writeOutputSets(sets, failAt(i)), all[i]).toThrow(OutputError);
      expect(snapshot(root), `after a failure at ${all[i]}`).toEqual(before);
    }
    writeOutputSets(sets);
    expect(readFileSync(join(root, 'b', 'machine.dtb'), 'utf8')).toBe('new dtb');
    expect(readFileSync(join(a, 'iort.bin'), 'utf8')).toBe('new iort');
  });

  it('a real I/O error (read-only directory) is reported and changes nothing', () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions: use a path below a regular file instead.
      const f = join(scratch(), 'file');
      writeFileSync(f, 'x');
      expect(() => writeOutputsAtomically(join(f, 'out'), NEW)).toThrow(OutputError);
      expect(readFileSync(f, 'utf8')).toBe('x');
      return;
    }
    const dir = scratch();
    writeFileSync(join(dir, 'iort.bin'), 'old');
    const before = snapshot(dir);
    chmodSync(dir, 0o555);
    try {
      expect(() => writeOutputsAtomically(dir, NEW)).toThrow(OutputError);
    } finally {
      chmodSync(dir, 0o755);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('an output path that is a directory, or an output dir that is a file, is refused before writing', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'machine.dtb'));
    writeFileSync(join(dir, 'iort.bin'), 'old');
    const before = snapshot(dir);
    expect(() => writeOutputsAtomically(dir, NEW)).toThrow(/is a directory/);
    expect(snapshot(dir)).toEqual(before);
    expect(() => writeOutputsAtomically(join(dir, 'iort.bin'), NEW)).toThrow(/not a directory/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('names with a path or a leading dot are refused', () => {
    const dir = scratch();
    expect(() => writeOutputsAtomically(dir, [{ name: '../x', bytes: enc('') }])).toThrow(/bad output name/);
    expect(() => writeOutputsAtomically(dir, [{ name: '.hidden', bytes: enc('') }])).toThrow(/bad output name/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('iotopo build: the CLI never leaves a partial set', () => {
  const seed = join(EXAMPLES, 'seed-nested.iotopo');
  const b = join(EXAMPLES, 'qemu-b-smmuv3-2pxb.iotopo');

  it('a failure at every stage of a two-input build with --dump exits 2 (IOT7008) and changes nothing', async () => {
    const out = scratch();
    expect((await cli('build', seed, b, '-o', out, '--dump')).code).toBe(0);
    // Make the existing outputs differ from what this run writes, so a change would show.
    for (const d of ['seed-nested', 'qemu-b-smmuv3-2pxb']) writeFileSync(join(out, d, 'iort.txt'), 'stale');
    const before = snapshot(out);
    const stages: string[] = [];
    setFailPoint((s, f) => void stages.push(`${s} ${f}`));
    expect((await cli('build', seed, b, '-o', join(scratch(), 'probe'), '--dump')).code).toBe(0);
    expect(stages.filter((s) => s.startsWith('rename'))).toHaveLength(8);
    for (let i = 0; i < stages.length; i++) {
      setFailPoint(failAt(i));
      const r = await cli('build', seed, b, '-o', out, '--dump');
      expect(r.code, stages[i]).toBe(2);
      expect(r.err).toMatch(/IOT7008/);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(snapshot(out), `after a failure at ${stages[i]}`).toEqual(before);
    }
    setFailPoint(undefined);
    expect((await cli('build', seed, b, '-o', out, '--dump')).code).toBe(0);
    expect(readFileSync(join(out, 'seed-nested', 'iort.txt'), 'utf8')).not.toBe('stale');
  });

  it('an input with errors writes nothing, even next to a valid input', async () => {
    const out = scratch();
    expect((await cli('build', b, '-o', out)).code).toBe(0);
    const before = snapshot(out);
    const bad = join(scratch(), 'bad.iotopo');
    writeFileSync(bad, 'machine m { smmuv3 s { stage s9 } }\n');
    const r = await cli('build', b, bad, '-o', out);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/nothing was written/);
    expect(snapshot(out)).toEqual(before);
    const fresh = join(scratch(), 'never');
    expect((await cli('build', bad, '-o', fresh)).code).toBe(1);
    expect(() => readdirSync(fresh)).toThrow();
  });
});
