/** DSL and YAML readers: literals, layout rules, recovery, YAML number tags and limits. */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseSource } from '../../src/ir/index';
import type { Value } from '../../src/parser/ast';
import { dslParser } from '../../src/parser/dsl/parser';
import { parseIntLiteral } from '../../src/parser/literals';
import { stripSpans } from './helpers';

const codes = (src: string, file: string) => loadConfig(src, file).diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.col}`);

describe('literals', () => {
  it('reads hex, binary and decimal with separators and size suffixes', () => {
    const v = (t: string) => {
      const r = parseIntLiteral(t);
      return r.ok ? r.value : r.message;
    };
    expect(v('0x40_1000_0000')).toBe(0x40_1000_0000n);
    expect(v('0b1010_0101')).toBe(0xa5n);
    expect(v('1_000')).toBe(1000n);
    expect(v('64K')).toBe(0x1_0000n);
    expect(v('4GiB')).toBe(4n << 30n);
    expect(v('0x1T')).toBe(1n << 40n);
    expect(v('0xffff_ffff_ffff_ffff')).toBe((1n << 64n) - 1n);
    expect(v('0x1_0000_0000_0000_0000')).toMatch(/64 bits/);
    expect(v('1__0')).toMatch(/'_' may only separate digits/);
    expect(v('0x')).toMatch(/no hexadecimal digits/);
    expect(v('64k')).toMatch(/not a size suffix/);
  });
});

describe('DSL reader', () => {
  const machine = (src: string) => {
    const r = parseSource(src, 't.iotopo');
    expect(r.diagnostics).toEqual([]);
    return r.value!.machine!;
  };

  it('newlines and ; end properties; braces may go on the next line; lists span lines', () => {
    const m = machine(`machine m
    {
      # hash comment
      rmr r // line comment
      {
        ids [a,
             0x10..0x1f] ; range 0x0 64K
        /* a block comment
           spanning lines */ remap true
      }
    }`);
    expect(m.id).toBe('m');
    const r = m.blocks[0]!;
    expect(r.props.map((p) => p.name)).toEqual(['ids', 'range', 'remap']);
    const ids = r.props[0]!.values[0]! as Extract<Value, { kind: 'list' }>;
    expect(stripSpans(ids.items)).toEqual([
      { kind: 'ident', value: 'a' },
      { kind: 'range', lo: 0x10n, hi: 0x1fn },
    ]);
    expect(stripSpans(r.props[1]!.values)).toEqual([
      { kind: 'int', value: 0n, suffix: null, text: '0x0' },
      { kind: 'int', value: 0x1_0000n, suffix: 'K', text: '64K' },
    ]);
    expect(stripSpans(r.props[2]!.values)).toEqual([{ kind: 'bool', value: true }]);
  });

  it('keeps 1-based spans for names and values', () => {
    const m = machine('machine m {\n  smmuv3 s0 { host "x\\ty" }\n}');
    const s = m.blocks[0]!;
    expect(s.idSpan).toMatchObject({ line: 2, col: 10, endLine: 2, endCol: 12 });
    expect(s.props[0]!.values[0]).toMatchObject({ kind: 'string', value: 'x\ty', span: { line: 2, col: 20 } });
  });

  it('reuses one parser instance and recovers to report several errors', () => {
    expect(dslParser()).toBe(dslParser());
    expect(codes('machine m {\n  smmuv3 s0 { stage ] }\n  smmuv3 s1 { numa @ }\n  pxb-pcie p { bus_nr 0x1Z }\n}', 't.iotopo')).toEqual([
      'IOT1006 2:21',
      'IOT1001 3:20',
      'IOT1004 4:23',
    ]);
  });

  it('a file of only comments, or nothing, has no machine', () => {
    expect(codes('', 'e.iotopo')).toEqual(['IOT1008 1:1']);
    expect(codes('// nothing\n/* here */\n', 'e.iotopo')).toEqual(['IOT1008 1:1']);
  });

  it('a UTF-8 BOM is allowed', () => {
    expect(loadConfig('\uFEFFmachine m { }', 'bom.iotopo').value?.name).toBe('m');
  });
});

describe('YAML reader', () => {
  it('resolves hex with underscores, sizes and big decimals to exact integers', () => {
    const m = loadConfig(
      `machine: m
smmuv3: { s: {} }
rmr:
  r: { ids: [pcie.0, 0x1_00..0x1_ff, 7], range: [{ base: 0xffff_ffff_fffe_0000, size: 64K }, { base: 18446744073709420544, size: 0b1_0000_0000_0000_0000 }] }
`,
      't.yaml',
    );
    expect(m.diagnostics).toEqual([]);
    expect(m.value!.rmrs[0]!.ranges).toEqual([
      { base: 0xffff_ffff_fffe_0000n, size: 0x1_0000n },
      { base: 18446744073709420544n, size: 0x1_0000n },
    ]);
    expect(m.value!.rmrs[0]!.streams).toEqual([
      { base: 0, count: 0x100 },
      { base: 0x100, count: 0x100 },
      { base: 7, count: 1 },
    ]);
  });

  it('a quoted number is a string, never silently an integer', () => {
    expect(codes('machine: m\npxb-pcie: { p: { bus_nr: "0x10" } }\n', 't.yaml')).toEqual(['IOT1108 2:26']);
    expect(codes('machine: m\ngic: { dist: "0x1000" }\n', 't.yaml')).toEqual(['IOT2002 2:14']);
  });

  it('aliases work within budget; duplicate keys and alias bombs are errors', () => {
    const ok = loadConfig('machine: m\nsmmuv3:\n  a: &s { stage: nested, numa: 1 }\n  b: *s\n', 't.yaml');
    expect(ok.diagnostics).toEqual([]);
    expect(ok.value!.smmus.map((s) => [s.stage, s.numa])).toEqual([
      ['nested', 1],
      ['nested', 1],
    ]);
    expect(codes('machine: m\nmachine: n\n', 't.yaml')).toEqual(['IOT1102 2:1']);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill('*' + 'abcdefg'[i]).join(', ')}]`), 'machine: m'].join('\n');
    expect(codes(bomb, 't.yaml')[0]).toMatch(/^IOT1103 /);
  });

  it('maps schema errors to the YAML key or value that caused them', () => {
    const src = 'machine: m\nsmmuv3:\n  s0:\n    stage: nested\n    stgae: s1\ndevice:\n  d: { on: pcie.0 }\n';
    expect(codes(src, 't.yaml')).toEqual(['IOT1107 5:5', 'IOT1106 7:3']);
  });

  it('the yaml-language-server modeline is a comment; collection keys are errors', () => {
    expect(loadConfig('# yaml-language-server: $schema=./iotopo.schema.json\nmachine: m\n', 't.yaml').value?.name).toBe('m');
    expect(codes('machine: m\n? [a, b]\n: 1\n', 't.yaml')[0]).toMatch(/^IOT1101 2:3/);
  });

  it('YAML warnings are reported but do not stop lowering', () => {
    const r = loadConfig('%FOO bar\n---\nmachine: m\n', 't.yaml');
    expect(r.value?.name).toBe('m');
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.span?.line}:${d.span?.col}`)).toEqual(['warning IOT1113 1:1']);
  });

  it('refuses deep nesting with a diagnostic', () => {
    const r = codes(`machine: m\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 't.yaml');
    expect(r[0]).toMatch(/^IOT1115 /);
  });
});
