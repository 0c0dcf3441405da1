/**
 * DTS printer with `dtc -I dtb -O dts` conventions (dtc treesource.c): tabs, a blank line
 * before each subnode, and the value type guessed from the bytes as dtc's guess_value_type
 * does (a blob carries no types): printable NUL-terminated text with at most as many NULs as
 * other bytes is a string (lists printed with \0 inside one literal), a multiple of 4 bytes is
 * <cells> in 0x%02x, anything else is [bytes]. The output recompiles with dtc to the same tree.
 */
import { cellsOf, type FdtNode, type FdtProp, type FdtTree } from './model';

export type GuessedType = 'empty' | 'string' | 'cells' | 'bytes';

// C isprint in the "C" locale, plus dtc's accepted escapes and NUL.
const isPrint = (c: number) => c >= 0x20 && c < 0x7f;
const isStringByte = (c: number) => isPrint(c) || c === 0 || (c >= 7 && c <= 13);

export function guessType(value: Uint8Array): GuessedType {
  const len = value.length;
  if (len === 0) return 'empty';
  let notString = 0;
  let nul = 0;
  for (const c of value) {
    if (!isStringByte(c)) notString++;
    if (c === 0) nul++;
  }
  if (value[len - 1] === 0 && notString === 0 && nul <= len - nul) return 'string';
  if (len % 4 === 0) return 'cells';
  return 'bytes';
}

const hex2 = (n: number) => {
  const s = n.toString(16);
  return s.length < 2 ? '0' + s : s;
};

function stringLiteral(value: Uint8Array): string {
  let out = '"';
  for (let i = 0; i < value.length - 1; i++) {
    const c = value[i]!;
    switch (c) {
      case 7: out += '\\a'; break;
      case 8: out += '\\b'; break;
      case 9: out += '\\t'; break;
      case 10: out += '\\n'; break;
      case 11: out += '\\v'; break;
      case 12: out += '\\f'; break;
      case 13: out += '\\r'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0: out += '\\0'; break;
      default:
        out += isPrint(c) ? String.fromCharCode(c) : '\\x' + hex2(c);
    }
  }
  return out + '"';
}

function hasNulBeforeOctal(v: Uint8Array): boolean {
  for (let i = 0; i + 1 < v.length - 1; i++) if (v[i] === 0 && v[i + 1]! >= 0x30 && v[i + 1]! <= 0x37) return true;
  return false;
}

/** NUL-terminated pieces of a string value, each with its terminator. */
function splitStrings(v: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) {
      out.push(v.subarray(s, i + 1));
      s = i + 1;
    }
  }
  return out;
}

/** The text after the property name: ";" or " = <...>;". */
export function formatValue(value: Uint8Array): string {
  switch (guessType(value)) {
    case 'empty':
      return ';';
    case 'string':
      // dtc prints a string list as one literal with \0 inside; a NUL followed by an octal digit
      // would then read back as a different octal escape ("\00"), so print a list instead.
      if (hasNulBeforeOctal(value)) return ` = ${splitStrings(value).map(stringLiteral).join(', ')};`;
      return ` = ${stringLiteral(value)};`;
    case 'cells':
      return ` = <${(cellsOf(value) ?? []).map((c) => '0x' + hex2(c)).join(' ')}>;`;
    case 'bytes':
      return ` = [${[...value].map(hex2).join(' ')}];`;
  }
}

export function formatProp(p: FdtProp): string {
  return p.name + formatValue(p.value);
}

function writeNode(out: string[], n: FdtNode, level: number): void {
  const tabs = '\t'.repeat(level);
  out.push(`${tabs}${n.unitName ? n.unitName : '/'} {\n`);
  for (const p of n.props) out.push(`${tabs}\t${formatProp(p)}\n`);
  for (const c of n.children) {
    out.push('\n');
    writeNode(out, c, level + 1);
  }
  out.push(`${tabs}};\n`);
}

export function toDts(tree: FdtTree): string {
  const out: string[] = ['/dts-v1/;\n\n'];
  for (const r of tree.reserve) {
    out.push(`/memreserve/\t0x${r.address.toString(16).padStart(16, '0')} 0x${r.size.toString(16).padStart(16, '0')};\n`);
  }
  writeNode(out, tree.root, 0);
  return out.join('');
}
