/**
 * Grammar-aware mutations of DSL and YAML text: the base is a valid generated topology, an
 * example or a bad fixture, and each mutation is drawn as plain numbers (kind, positions,
 * sizes) so that fast-check can shrink it. Mutations work on tokens where that matters (drop a
 * token, swap two references, replace a number with a hostile one) and on bytes where the
 * reader's first line of defence is tested (invalid UTF-8, NUL, random bytes).
 */
import fc from 'fast-check';

export interface TextMutation {
  op: number;
  at: number;
  at2: number;
  n: number;
  pick: number;
}

/** Tokens of either language, roughly: words, numbers, strings, punctuation, spaces. */
const TOKEN_RE = /"(?:[^"\\\n]|\\.)*"?|[A-Za-z_][A-Za-z0-9_.-]*|[0-9][0-9A-Za-z_]*(?:\.\.[0-9][0-9A-Za-z_]*)?|\s+|./gsu;

function tokens(text: string): { s: string; i: number }[] {
  const out: { s: string; i: number }[] = [];
  for (const m of text.matchAll(TOKEN_RE)) out.push({ s: m[0], i: m.index! });
  return out;
}

export const HOSTILE_NUMBERS = [
  '0',
  '-1',
  '18446744073709551615',
  '18446744073709551616',
  '0xffffffffffffffff',
  '0x1_0000_0000_0000_0000',
  '0x' + 'f'.repeat(40),
  '9'.repeat(400),
  '4294967295',
  '4294967296',
  '65535',
  '65536',
  '256',
  '255',
  '16383T',
  '16384T',
  '1e9',
  '0x',
  '0b2',
  '1_',
  '1__0',
  '_1',
  '0x1G',
  '1.5',
  'NaN',
  '0o17',
  '+5',
  '0..0xffffffff',
  '5..1',
  '0..0',
];

const SNIPPETS_COMMON = [
  '{',
  '}',
  '[',
  ']',
  ';',
  ',',
  '..',
  '"',
  '/*',
  '*/',
  '#',
  '//',
  '\\',
  '\t',
  '\r',
  '\n',
  '\u2028',
  '\uFEFF',
  '\u0000',
  '\u0007',
  '\u{1F600}',
  'é',
  '\u202E',
  'machine x {',
  'smmuv3 s9 { }',
  'pxb-pcie p9 { bus_nr 1 }',
  'device d9 vfio { on pcie.0 }',
  'rmr r9 { ids 0..0xffffffff }',
  'iommu none',
  'iommu smmu0',
  'on pcie.0',
  'on dev0',
  'bus pxb0',
  'profile custom',
  'profile qemu-virt',
  'its off',
  'ids pcie.0',
  'none',
  'true',
  'null',
  '~',
];

const SNIPPETS_YAML = [
  '&a ',
  '*a',
  '*nope',
  '!!binary ',
  '!!str ',
  '!!int ',
  '!!float ',
  '!!map ',
  '!custom ',
  '!<tag:yaml.org,2002:str> ',
  '? ',
  '<<: *a',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '%TAG ! tag:x,2000:\n',
  '- ',
  ': ',
  '|\n  x\n',
  '>-\n  y\n',
  "'single'",
  '"dq\\x00"',
  '"\\uD800"',
  '{a: 1, a: 2}',
  '[1, [2, [3]]]',
  'key: [unclosed',
  '  ',
  '\t- x',
  '.inf',
  '.nan',
  '0o777',
  '2001-01-01',
  'yes',
  'on',
];

const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xef, 0xbf, 0xbd],
  [0x00],
];

const clamp = (x: number, n: number) => (n <= 0 ? 0 : x % n);

/** Alias chains that expand geometrically (the "billion laughs" shape). */
function aliasBomb(levels: number, width: number): string {
  const lines = ['l0: &l0 [x, x]'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

export function applyTextMutation(text: string, m: TextMutation, yaml: boolean): string {
  const toks = tokens(text);
  const nonSpace = toks.filter((t) => !/^\s+$/.test(t.s));
  const idents = toks.filter((t) => /^[A-Za-z_]/.test(t.s));
  const numbers = toks.filter((t) => /^[0-9]/.test(t.s));
  const at = clamp(m.at, text.length + 1);
  const ins = (s: string, pos = at) => text.slice(0, pos) + s + text.slice(pos);
  const replaceTok = (t: { s: string; i: number } | undefined, s: string) => (t ? text.slice(0, t.i) + s + text.slice(t.i + t.s.length) : text);
  const lines = text.split('\n');
  const li = clamp(m.at, lines.length);
  switch (m.op % 20) {
    case 0: // drop a token
      return replaceTok(nonSpace[clamp(m.at, nonSpace.length)], '');
    case 1: // duplicate a token
      return ((t) => (t ? ins(t.s + ' ', t.i) : text))(nonSpace[clamp(m.at, nonSpace.length)]);
    case 2: {
      // swap two references / names
      const a = idents[clamp(m.at, idents.length)];
      const b = idents[clamp(m.at2, idents.length)];
      if (!a || !b || a === b) return text;
      const [x, y] = a.i < b.i ? [a, b] : [b, a];
      return text.slice(0, x.i) + y.s + text.slice(x.i + x.s.length, y.i) + x.s + text.slice(y.i + y.s.length);
    }
    case 3: // a name where another name was (wrong-kind or unknown reference)
      return replaceTok(idents[clamp(m.at, idents.length)], idents[clamp(m.at2, idents.length)]?.s ?? 'x');
    case 4: // a hostile number
      return replaceTok(numbers[clamp(m.at, numbers.length)] ?? nonSpace[clamp(m.at, nonSpace.length)], HOSTILE_NUMBERS[clamp(m.pick, HOSTILE_NUMBERS.length)]!);
    case 5: {
      // deep nesting, balanced or not
      // Mostly modest depths (around the limits), now and then thousands.
      const depth = 1 + (m.pick < 16 ? m.n % 4000 : m.n % 80);
      const pairs: [string, string][] = yaml ? [['[', ']'], ['{', '}'], ['{a: ', '}'], ['- ', '']] : [['{', '}'], ['[', ']'], ['x {', '}'], ['x [', ']']];
      const [o, c] = pairs[clamp(m.pick, pairs.length)]!;
      const close = m.pick & 4 ? c.repeat(depth) : '';
      if (yaml && o === '- ') return ins('\n' + Array.from({ length: Math.min(depth, 300) }, (_, k) => ' '.repeat(k) + '- ').join('\n') + 'x\n');
      return ins(o.repeat(depth) + close);
    }
    case 6: {
      // long strings, names, comments
      const len = 1 + (m.n % 16 === 0 ? (m.n * 37) % 200_000 : m.n % 2000);
      const forms = [`"${'A'.repeat(len)}"`, 'a'.repeat(len), `/* ${'*'.repeat(len)} */`, `# ${'#'.repeat(len)}\n`, `"${'\\x41'.repeat(len >> 2)}"`, `"${'é'.repeat(len >> 1)}"`];
      return ins(' ' + forms[clamp(m.pick, forms.length)]! + ' ');
    }
    case 7:
      return ins(SNIPPETS_COMMON[clamp(m.pick, SNIPPETS_COMMON.length)]!);
    case 8:
      return ins(yaml ? SNIPPETS_YAML[clamp(m.pick, SNIPPETS_YAML.length)]! : SNIPPETS_COMMON[clamp(m.pick >> 3, SNIPPETS_COMMON.length)]!);
    case 9: // truncate
      return text.slice(0, at);
    case 10: // duplicate a line (duplicate ids, repeated properties)
      return [...lines.slice(0, li + 1), ...Array.from({ length: 1 + (m.n % 3) }, () => lines[li]!), ...lines.slice(li + 1)].join('\n');
    case 11: // drop a line
      return [...lines.slice(0, li), ...lines.slice(li + 1)].join('\n');
    case 12: {
      // swap two lines
      const lj = clamp(m.at2, lines.length);
      const c = [...lines];
      [c[li], c[lj]] = [c[lj]!, c[li]!];
      return c.join('\n');
    }
    case 13: // many copies of one line: many blocks / keys / diagnostics
      return [...lines.slice(0, li + 1), ...Array.from({ length: m.pick < 8 ? m.n % 3000 : m.n % 40 }, (_, k) => lines[li]!.replace(/\b([a-z]+)(\d+)\b/, `$1$2x${k}`)), ...lines.slice(li + 1)].join('\n');
    case 14:
      return yaml ? aliasBomb(1 + (m.n % 12), 1 + (m.pick % 9)) + text : ins(` ${'[0, '.repeat(m.n % 40)}1${']'.repeat(m.n % 40)} `);
    case 15: // indentation damage (YAML) / newline removal (DSL)
      return yaml ? lines.map((l, k) => (k === li ? (m.pick & 1 ? '\t' + l : l.replace(/^ +/, ' '.repeat(m.pick % 7))) : l)).join('\n') : text.replace(/\n/g, m.pick & 1 ? ' ' : ';');
    case 16: // case change of a keyword
      return replaceTok(idents[clamp(m.at, idents.length)], (idents[clamp(m.at, idents.length)]?.s ?? '').toUpperCase());
    case 17: // line endings
      return m.pick & 1 ? text.replace(/\n/g, '\r\n') : text.replace(/\n/g, '\r');
    case 18: // a token from the other language
      return ins(SNIPPETS_YAML[clamp(m.pick, SNIPPETS_YAML.length)]!);
    default: // whole-line replacement with a snippet
      return [...lines.slice(0, li), (yaml ? SNIPPETS_YAML : SNIPPETS_COMMON)[clamp(m.pick, yaml ? SNIPPETS_YAML.length : SNIPPETS_COMMON.length)]!, ...lines.slice(li + 1)].join('\n');
  }
}

export interface ByteMutation {
  op: number;
  at: number;
  n: number;
  bytes: number[];
}

/** Mutations after UTF-8 encoding: what a text conversion or a copy gone wrong leaves behind. */
export function applyByteMutation(b: Uint8Array, m: ByteMutation): Uint8Array {
  const at = clamp(m.at, b.length + 1);
  const splice = (ins: number[], del = 0) => {
    const out = new Uint8Array(b.length - Math.min(del, b.length - at) + ins.length);
    out.set(b.subarray(0, at));
    out.set(ins, at);
    out.set(b.subarray(Math.min(b.length, at + del)), at + ins.length);
    return out;
  };
  switch (m.op % 5) {
    case 0:
      return splice(INVALID_UTF8[clamp(m.n, INVALID_UTF8.length)]!);
    case 1:
      return splice(m.bytes);
    case 2:
      return splice(m.bytes, m.bytes.length);
    case 3: {
      const c = b.slice();
      if (c.length) c[clamp(m.at, c.length)]! ^= 1 << (m.n & 7);
      return c;
    }
    default:
      return m.n & 1 ? Uint8Array.from([0xef, 0xbb, 0xbf, ...b]) : Uint8Array.from([0xff, 0xfe, ...b]);
  }
}

export const textMutationArb: fc.Arbitrary<TextMutation> = fc.record({
  op: fc.nat(19),
  at: fc.nat(),
  at2: fc.nat(),
  n: fc.nat(),
  pick: fc.nat(255),
});

export const byteMutationArb: fc.Arbitrary<ByteMutation> = fc.record({
  op: fc.nat(4),
  at: fc.nat(),
  n: fc.nat(),
  bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 16 }),
});
