/**
 * Bytes -> text for the readers: size limit, binary detection and strict UTF-8, each reported
 * as a diagnostic with a location instead of an exception or mojibake.
 */
import { makeDiag, type Result } from '../diag/diagnostic';
import type { Span } from '../diag/span';
import { INPUT, MAX_INPUT_BYTES } from './index';

function byteSpan(file: string, bytes: Uint8Array, offset: number): Span {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++)
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  const col = offset - lineStart + 1;
  return { file, line, col, endLine: line, endCol: col + 1, offset, length: 1 };
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) (n = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (n = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (n = 3), (min = 0x10000);
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/** The diagnostic for an input over MAX_INPUT_BYTES (also used before reading a big file). */
export function tooLarge(file: string, size: number): Result<never> {
  const at0: Span = { file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, length: 0 };
  return {
    value: null,
    diagnostics: [
      makeDiag(INPUT.TOO_LARGE, `input is ${size} bytes; the limit is ${MAX_INPUT_BYTES} (1 MiB)`, { span: at0 }, {
        help: 'a topology description is a few KiB; is this the right file?',
      }),
    ],
  };
}

export function decodeSource(bytes: Uint8Array, file: string): Result<string> {
  if (bytes.length > MAX_INPUT_BYTES) return tooLarge(file, bytes.length);
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    return {
      value: null,
      diagnostics: [
        makeDiag(INPUT.BINARY, 'input contains NUL bytes: this is a binary file, not a topology description', {
          span: byteSpan(file, bytes, nul),
        }, { help: "to inspect a binary table use 'iotopo decode'" }),
      ],
    };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0)
    return {
      value: null,
      diagnostics: [
        makeDiag(INPUT.BAD_UTF8, `input is not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad})`, {
          span: byteSpan(file, bytes, bad),
        }),
      ],
    };
  return { value: new TextDecoder('utf-8').decode(bytes), diagnostics: [] };
}
