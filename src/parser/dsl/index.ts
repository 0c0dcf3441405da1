/**
 * DSL reader: text -> tokens -> CST (with error recovery) -> source model (ast.ts).
 * Every problem becomes a coded diagnostic with a line:col; several are reported per run.
 */
import type { CstNode, IToken } from 'chevrotain';
import { makeDiag, type Diagnostic, type Result } from '../../diag/diagnostic';
import { LineIndex, type Span } from '../../diag/span';
import type { Block, Property, SourceFile, Value } from '../ast';
import { DSL } from '../codes';
import { parseIntLiteral, unescapeString } from '../literals';
import {
  dslLexer,
  LBrace,
  LBracket,
  normalizeNewlines,
  RBrace,
  RBracket,
  StringLit,
  UnterminatedComment,
  UnterminatedString,
} from './lexer';
import { dslParser } from './parser';

/** Deeper nesting than this is certainly a mistake, and it bounds parser recursion. */
export const MAX_DEPTH = 32;
/** Stop after this many syntax errors: later ones are mostly echoes of the first. */
const MAX_SYNTAX_ERRORS = 50;

interface Item {
  name: IToken;
  values: Value[];
  body: Item[] | null;
  span: Span;
}

export function parseDsl(text: string, file: string): Result<SourceFile> {
  const idx = new LineIndex(text);
  const diags: Diagnostic[] = [];
  // Clamped to the text: a fixed-up token (an unterminated string gets a closing quote) or an
  // escape at the very end must not point past the last character.
  const sp = (offset: number, length: number) => idx.span(file, offset, Math.max(0, Math.min(length, text.length - offset)));
  const tokSpan = (t: IToken) =>
    Number.isFinite(t.startOffset) ? sp(t.startOffset, t.image.length) : sp(text.length, 0);

  const lexed = dslLexer.tokenize(text);
  for (const e of lexed.errors) {
    diags.push(makeDiag(DSL.UNEXPECTED_CHAR, e.message, { span: sp(e.offset, e.length) }));
  }
  for (const t of (lexed.groups.bad ?? []) as IToken[]) {
    if (t.tokenType === UnterminatedComment)
      diags.push(makeDiag(DSL.UNTERMINATED_COMMENT, "block comment '/*' is never closed", { span: sp(t.startOffset, 2) }));
  }
  const tokens = lexed.tokens.map((t) => {
    if (t.tokenType !== UnterminatedString) return t;
    diags.push(
      makeDiag(DSL.UNTERMINATED_STRING, 'string is not closed before the end of the line', { span: tokSpan(t) }, {
        help: 'add the closing \'"\'',
      }),
    );
    // Parse on as if it were closed, so one missing quote gives one error.
    return { ...t, tokenType: StringLit, tokenTypeIdx: StringLit.tokenTypeIdx!, image: t.image + '"' };
  });

  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === LBrace || t.tokenType === LBracket) {
      if (++depth > MAX_DEPTH) {
        diags.push(
          makeDiag(DSL.TOO_DEEP, `blocks or lists are nested more than ${MAX_DEPTH} levels deep`, { span: tokSpan(t) }),
        );
        return { value: null, diagnostics: diags };
      }
    } else if (t.tokenType === RBrace || t.tokenType === RBracket) depth = Math.max(0, depth - 1);
  }

  const parser = dslParser();
  parser.input = normalizeNewlines(tokens, (lexed.groups.comments ?? []) as IToken[]);
  const cst = parser.file();
  for (const e of parser.errors.slice(0, MAX_SYNTAX_ERRORS)) {
    const t = e.token;
    const code =
      e.name === 'MismatchedTokenException' ? DSL.EXPECTED_TOKEN : DSL.UNEXPECTED_TOKEN;
    diags.push(makeDiag(code, e.message, { span: tokSpan(t) }));
  }

  // ---- CST -> generic items ----
  const children = (n: CstNode | undefined, key: string): CstNode[] => (n?.children[key] as CstNode[] | undefined) ?? [];
  const toks = (n: CstNode | undefined, key: string): IToken[] =>
    ((n?.children[key] as IToken[] | undefined) ?? []).filter((t) => !t.isInsertedInRecovery && Number.isFinite(t.startOffset));

  const numberValue = (t: IToken): { value: bigint; suffix: string | null } => {
    const r = parseIntLiteral(t.image);
    if (r.ok) return r;
    diags.push(makeDiag(r.tooBig ? DSL.NUMBER_TOO_BIG : DSL.BAD_NUMBER, r.message, { span: tokSpan(t) }));
    return { value: 0n, suffix: null };
  };

  const valueOf = (n: CstNode): Value | null => {
    const nums = toks(n, 'Number');
    if (nums.length > 0) {
      const a = nums[0]!;
      if (nums.length === 2) {
        const b = nums[1]!;
        const span = sp(a.startOffset, b.startOffset + b.image.length - a.startOffset);
        const lo = numberValue(a).value;
        const hi = numberValue(b).value;
        if (lo > hi)
          diags.push(makeDiag(DSL.BAD_RANGE, `range ${a.image}..${b.image} is empty: lo is greater than hi`, { span }));
        return { kind: 'range', lo, hi, span };
      }
      const { value, suffix } = numberValue(a);
      return { kind: 'int', value, suffix, text: a.image, span: tokSpan(a) };
    }
    const str = toks(n, 'String')[0];
    if (str) {
      const r = unescapeString(str.image.slice(1, -1));
      for (const e of r.errors)
        diags.push(makeDiag(DSL.BAD_ESCAPE, e.message, { span: sp(str.startOffset + 1 + e.index, 2) }));
      return { kind: 'string', value: r.value, span: tokSpan(str) };
    }
    const id = toks(n, 'Ident')[0];
    if (id) {
      if (id.image === 'true' || id.image === 'false')
        return { kind: 'bool', value: id.image === 'true', span: tokSpan(id) };
      return { kind: 'ident', value: id.image, span: tokSpan(id) };
    }
    const list = children(n, 'list')[0];
    if (list) {
      const open = toks(list, 'LBracket')[0];
      const close = toks(list, 'RBracket')[0];
      const items = children(list, 'value')
        .map(valueOf)
        .filter((v): v is Value => v !== null);
      const start = open?.startOffset ?? items[0]?.span.offset ?? 0;
      const end = close ? close.startOffset + 1 : (items.at(-1)?.span.offset ?? start) + (items.at(-1)?.span.length ?? 0);
      return { kind: 'list', items, span: sp(start, end - start) };
    }
    return null;
  };

  const itemsOf = (body: CstNode | undefined): Item[] =>
    children(body, 'item').flatMap((it): Item[] => {
      const name = toks(it, 'Ident')[0];
      if (!name) return [];
      const values = children(it, 'value')
        .map(valueOf)
        .filter((v): v is Value => v !== null);
      const hasBody = toks(it, 'LBrace').length > 0;
      const close = toks(it, 'RBrace')[0];
      const last = close ?? null;
      let end = name.startOffset + name.image.length;
      if (last) end = last.startOffset + 1;
      else if (values.length) end = values.at(-1)!.span.offset + values.at(-1)!.span.length;
      return [
        {
          name,
          values,
          body: hasBody ? itemsOf(children(it, 'body')[0]) : null,
          span: sp(name.startOffset, end - name.startOffset),
        },
      ];
    });

  const toBlock = (it: Item): Block => {
    const props: Property[] = [];
    const blocks: Block[] = [];
    for (const c of it.body ?? []) {
      if (c.body) blocks.push(toBlock(c));
      else props.push({ name: c.name.image, nameSpan: tokSpan(c.name), values: c.values, span: c.span });
    }
    const [idV, subV, ...extra] = it.values;
    let id: string | null = null;
    let idSpan: Span | null = null;
    let subkind: string | null = null;
    let subkindSpan: Span | null = null;
    if (idV) {
      if (idV.kind === 'ident') {
        id = idV.value;
        idSpan = idV.span;
      } else
        diags.push(
          makeDiag(DSL.BAD_HEADER, `a block id must be a name, found ${idV.kind === 'int' ? `number ${idV.text}` : `a ${idV.kind}`}`, {
            span: idV.span,
          }),
        );
    }
    if (subV) {
      if (subV.kind === 'ident') {
        subkind = subV.value;
        subkindSpan = subV.span;
      } else diags.push(makeDiag(DSL.BAD_HEADER, `a block kind qualifier must be a name (like vfio)`, { span: subV.span }));
    }
    for (const x of extra)
      diags.push(
        makeDiag(DSL.BAD_HEADER, `too many words before '{': a block header is 'KIND ID [QUALIFIER] {'`, { span: x.span }, {
          help: `properties go inside the braces, one per line or separated by ';'`,
        }),
      );
    return {
      kind: it.name.image,
      kindSpan: tokSpan(it.name),
      id,
      idSpan,
      subkind,
      subkindSpan,
      props,
      blocks,
      span: it.span,
    };
  };

  const top = itemsOf(children(cst, 'body')[0]);
  let machine: Block | null = null;
  for (const it of top) {
    if (it.name.image === 'machine' && it.body) {
      if (machine) {
        diags.push(
          makeDiag(DSL.TWO_MACHINES, 'a file describes one machine; this is a second machine block', { span: tokSpan(it.name) }, {
            related: [{ message: 'first machine block', span: machine.kindSpan }],
          }),
        );
        continue;
      }
      machine = toBlock(it);
    } else {
      diags.push(
        makeDiag(
          DSL.NOT_MACHINE,
          it.body
            ? `'${it.name.image}' block at top level: blocks go inside 'machine NAME { ... }'`
            : `'${it.name.image}' at top level: properties go inside 'machine NAME { ... }'`,
          { span: tokSpan(it.name) },
        ),
      );
    }
  }
  if (!machine && !diags.some((d) => d.code !== DSL.NOT_MACHINE.code)) {
    const blank = text.trim() === '';
    diags.push(
      makeDiag(DSL.NO_MACHINE, blank ? 'the file is empty' : "the file has no 'machine NAME { ... }' block", { span: sp(0, 0) }, {
        help: 'start with: machine my-vm { profile qemu-virt }',
      }),
    );
  }
  return { value: { file, lang: 'dsl', machine }, diagnostics: diags };
}
