/**
 * DSL tokens. Newlines are significant (they end a property, like `;`), so the lexer keeps
 * them and `normalizeNewlines` removes the ones that cannot end anything: inside `[...]`,
 * after `,`, and before `{` (so a block's brace may go on the next line).
 */
import { createToken, type IToken, Lexer, type TokenType } from 'chevrotain';
import { BUNDLED } from '../../util/build-flags';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\f\v\uFEFF]+/, group: Lexer.SKIPPED });
export const NL = createToken({ name: 'NL', pattern: /\n/, label: 'end of line' });
export const LineComment = createToken({
  name: 'LineComment',
  pattern: /(?:\/\/|#)[^\n]*/,
  group: Lexer.SKIPPED,
  start_chars_hint: ['/', '#'],
});
// Block comments go to a group: one spanning lines still ends the property before it.
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: 'comments',
  start_chars_hint: ['/'],
  line_breaks: true,
});
export const UnterminatedComment = createToken({
  name: 'UnterminatedComment',
  pattern: /\/\*[\s\S]*/,
  group: 'bad',
  start_chars_hint: ['/'],
  line_breaks: true,
});
export const StringLit = createToken({ name: 'String', pattern: /"(?:[^"\\\n]|\\.)*"/, label: 'string' });
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n]|\\.)*/,
  label: 'string',
});
// Deliberately broad (any alphanumerics after a digit): the builder explains what is wrong
// with `0x1Q` or `12abc` instead of the lexer splitting them into surprising tokens.
export const NumberLit = createToken({
  name: 'Number',
  pattern: /[0-9][0-9A-Za-z_]*/,
  label: 'number',
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
});
export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./, label: "'..'" });
export const Ident = createToken({
  name: 'Ident',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*/,
  label: 'name',
});
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Semi = createToken({ name: 'Semi', pattern: /;/, label: "';'" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  NL,
  BlockComment,
  UnterminatedComment,
  LineComment,
  StringLit,
  UnterminatedString,
  NumberLit,
  DotDot,
  Ident,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Semi,
];

export const dslLexer = new Lexer(allTokens, {
  positionTracking: 'full',
  ensureOptimizations: true,
  skipValidations: BUNDLED,
  // Our own messages (with codes) are built from the error offsets.
  errorMessageProvider: {
    buildUnexpectedCharactersMessage: (text, offset, length) =>
      `unexpected ${length === 1 ? 'character' : 'characters'} ${JSON.stringify(text.substr(offset, Math.min(length, 20)))}`,
    buildUnableToPopLexerModeMessage: () => 'internal lexer mode error',
  },
});

/** Removes newlines that cannot end a property; a multi-line block comment acts as one newline. */
export function normalizeNewlines(tokens: IToken[], comments: IToken[]): IToken[] {
  const merged: IToken[] = [];
  let ci = 0;
  for (const t of tokens) {
    while (ci < comments.length && comments[ci]!.startOffset < t.startOffset) {
      const c = comments[ci++]!;
      if (c.image.includes('\n')) merged.push({ ...c, tokenType: NL, tokenTypeIdx: NL.tokenTypeIdx! });
    }
    merged.push(t);
  }
  while (ci < comments.length) {
    const c = comments[ci++]!;
    if (c.image.includes('\n')) merged.push({ ...c, tokenType: NL, tokenTypeIdx: NL.tokenTypeIdx! });
  }
  const out: IToken[] = [];
  let bracketDepth = 0;
  for (let i = 0; i < merged.length; i++) {
    const t = merged[i]!;
    if (t.tokenType === LBracket) bracketDepth++;
    else if (t.tokenType === RBracket) bracketDepth = Math.max(0, bracketDepth - 1);
    else if (t.tokenType === NL) {
      if (bracketDepth > 0) continue;
      const prev = out[out.length - 1];
      if (prev && (prev.tokenType === NL || prev.tokenType === Comma)) continue;
      let j = i + 1;
      while (j < merged.length && merged[j]!.tokenType === NL) j++;
      if (j < merged.length && merged[j]!.tokenType === LBrace) continue;
    }
    out.push(t);
  }
  return out;
}
