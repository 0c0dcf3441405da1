/**
 * The DSL grammar as a chevrotain CST parser (see grammar/iotopo.ebnf). The grammar is
 * generic on purpose: `item := NAME value* ('{' body '}')?`. Which names are block kinds or
 * properties, and what values they take, is the model spec's job (src/ir/spec.ts), so the
 * parser stays small and its error recovery never has to guess at semantics.
 */
import { CstParser, type CstNode, type IParserErrorMessageProvider, type TokenType } from 'chevrotain';
import { BUNDLED } from '../../util/build-flags';
import {
  allTokens,
  Comma,
  DotDot,
  Ident,
  LBrace,
  LBracket,
  NL,
  NumberLit,
  RBrace,
  RBracket,
  Semi,
  StringLit,
} from './lexer';

const label = (t: TokenType): string => (t.LABEL ?? t.name) as string;
const shown = (image: string, t: TokenType): string =>
  t === NL ? 'end of line' : image === '' ? 'end of file' : `'${image.length > 30 ? image.slice(0, 30) + '…' : image}'`;

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${label(expected)}, found ${shown(actual.image, actual.tokenType)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    firstRedundant.tokenType === RBrace
      ? `unmatched '}'`
      : `unexpected ${shown(firstRedundant.image, firstRedundant.tokenType)}`,
  buildNoViableAltMessage: ({ actual, ruleName }) =>
    `unexpected ${shown(actual[0]?.image ?? "", actual[0]?.tokenType ?? NL)}: expected ${ruleName === 'value' ? 'a value (number, string, name or [list])' : 'a property or block'}`,
  buildEarlyExitMessage: ({ actual }) => `unexpected ${shown(actual[0]?.image ?? '', actual[0]?.tokenType ?? NL)}`,
};

export class DslParser extends CstParser {
  constructor() {
    super(allTokens, { recoveryEnabled: true, errorMessageProvider: messages, maxLookahead: 2, skipValidations: BUNDLED });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.SUBRULE(this.body);
  });

  body = this.RULE('body', () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.item) },
        { ALT: () => this.CONSUME(Semi) },
        { ALT: () => this.CONSUME(NL) },
      ]),
    );
  });

  item = this.RULE('item', () => {
    this.CONSUME(Ident);
    this.MANY(() => this.SUBRULE(this.value));
    this.OPTION(() => {
      this.CONSUME(LBrace);
      this.SUBRULE2(this.body);
      this.CONSUME(RBrace);
    });
  });

  value = this.RULE('value', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(NumberLit);
          this.OPTION(() => {
            this.CONSUME(DotDot);
            this.CONSUME2(NumberLit);
          });
        },
      },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.CONSUME2(Ident) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(RBracket);
  });
}

/** One instance, reused: construction runs the grammar analysis (milliseconds). */
let instance: DslParser | null = null;
export function dslParser(): DslParser {
  instance ??= new DslParser();
  return instance;
}

export type { CstNode };
