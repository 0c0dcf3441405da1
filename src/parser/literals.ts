/**
 * Literal syntax shared by the DSL lexer and the YAML int/size/range tags, so that
 * `0x40_1000_0000`, `64K` and `0x100..0x1ff` mean the same thing in both languages.
 */

/** Size suffixes (binary multiples). Upper-case only: `m` vs `M` is a classic typo trap. */
const SUFFIX: Record<string, bigint> = {
  K: 1n << 10n,
  M: 1n << 20n,
  G: 1n << 30n,
  T: 1n << 40n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
};

export const U64_MAX = (1n << 64n) - 1n;

/** Whole-literal patterns (YAML resolves plain scalars with these). */
export const INT_LITERAL_RE = /^(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)(?:[KMGT](?:iB)?)?$/;
export const RANGE_LITERAL_RE =
  /^(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)\.\.(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)$/;
/** Identifiers: ids, references and keywords (`pcie.0`, `grace-vm`, `nic0.port`). */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*$/;

export type IntParse =
  | { ok: true; value: bigint; suffix: string | null }
  | { ok: false; message: string; tooBig?: boolean };

/** Parses an integer literal with optional `_` separators and size suffix. */
export function parseIntLiteral(text: string): IntParse {
  let digits: string;
  let radix: 'x' | 'b' | 'd';
  let rest: string;
  const m = /^0([xXbB])/.exec(text);
  if (m) {
    radix = m[1]!.toLowerCase() as 'x' | 'b';
    const body = text.slice(2);
    const re = radix === 'x' ? /^[0-9a-fA-F_]*/ : /^[01_]*/;
    digits = re.exec(body)![0];
    rest = body.slice(digits.length);
  } else {
    radix = 'd';
    digits = /^[0-9_]*/.exec(text)![0];
    rest = text.slice(digits.length);
  }
  const kind = radix === 'x' ? 'hexadecimal' : radix === 'b' ? 'binary' : 'decimal';
  if (digits === '') return { ok: false, message: `'${text}' has no ${kind} digits` };
  if (digits.startsWith('_') || digits.endsWith('_') || digits.includes('__'))
    return { ok: false, message: `'${text}': '_' may only separate digits` };
  let suffix: string | null = null;
  if (rest !== '') {
    if (!(rest in SUFFIX))
      return {
        ok: false,
        message: `'${text}' is not a number: '${rest}' is not a size suffix (K, M, G, T, KiB, MiB, GiB, TiB)`,
      };
    suffix = rest;
  }
  const clean = digits.replace(/_/g, '');
  let value = radix === 'x' ? BigInt('0x' + clean) : radix === 'b' ? BigInt('0b' + clean) : BigInt(clean);
  if (suffix) value *= SUFFIX[suffix]!;
  if (value > U64_MAX) return { ok: false, message: `'${text}' does not fit in 64 bits`, tooBig: true };
  return { ok: true, value, suffix };
}

/** Decodes the escapes of a double-quoted string body (without the quotes). */
export function unescapeString(body: string): { value: string; errors: { index: number; message: string }[] } {
  let out = '';
  const errors: { index: number; message: string }[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const code = c.charCodeAt(0);
    if (c !== '\\') {
      if ((code < 0x20 && c !== '\t') || code === 0x7f) {
        errors.push({ index: i, message: `control character U+${code.toString(16).padStart(4, '0')} in string` });
        continue;
      }
      out += c;
      continue;
    }
    const e = body[i + 1];
    switch (e) {
      case '"':
      case '\\':
        out += e;
        i++;
        break;
      case 'n':
        out += '\n';
        i++;
        break;
      case 't':
        out += '\t';
        i++;
        break;
      case 'x': {
        const hex = body.slice(i + 2, i + 4);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += 3;
        } else {
          errors.push({ index: i, message: `'\\x' needs two hex digits` });
          i++;
        }
        break;
      }
      default:
        errors.push({ index: i, message: `unknown escape '\\${e ?? ''}' (use \\" \\\\ \\n \\t \\xNN)` });
        i++;
    }
  }
  return { value: out, errors };
}
