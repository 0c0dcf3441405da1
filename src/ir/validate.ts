/**
 * Checks one source block against the model spec and turns its property values into typed
 * values. Language-neutral: DSL and YAML blocks go through the same code, so both report the
 * same codes for the same mistakes.
 */
import { makeDiag, type Diagnostic } from '../diag/diagnostic';
import type { Span } from '../diag/span';
import { type Block, describeValue, type Property, type Value } from '../parser/ast';
import { LOWER } from './codes';
import { type BlockSpec, type PropSpec, type PropType, propSpec } from './spec';
import { didYouMean } from './suggest';
import type { Profile } from './types';

export type IdItem = { k: 'ref'; id: string; span: Span } | { k: 'ids'; lo: bigint; hi: bigint; span: Span };

export type TV =
  | { t: 'int'; v: bigint; span: Span }
  | { t: 'bool'; v: boolean; span: Span }
  | { t: 'string'; v: string; span: Span }
  | { t: 'enum'; v: string; span: Span }
  | { t: 'ref'; v: string; span: Span }
  | { t: 'range'; lo: bigint; hi: bigint; span: Span }
  | { t: 'memrange'; base: bigint; size: bigint; span: Span }
  | { t: 'ids'; items: IdItem[]; span: Span };

export interface VBlock {
  block: Block;
  spec: BlockSpec;
  kind: string;
  id: string;
  /** Where to point for "this block" messages. */
  at: Span;
  values: Map<string, { prop: Property; tv: TV }[]>;
}

const BOOL_WORDS: Record<string, boolean> = { on: true, off: false, yes: true, no: false };

function coerce(p: PropSpec, prop: Property, diags: Diagnostic[]): TV | null {
  const type = p.type;
  const vals = prop.values;
  const whole = prop.values.length ? spanOver(prop.values[0]!.span, prop.values.at(-1)!.span) : prop.nameSpan;
  const wrong = (v: Value, want: string) => {
    diags.push(makeDiag(LOWER.WRONG_TYPE, `'${prop.name}' takes ${want}, found ${describeValue(v)}`, { span: v.span }));
    return null;
  };
  const arity = (n: number, what: string) => {
    if (vals.length === n) return true;
    diags.push(
      makeDiag(
        LOWER.ARITY,
        vals.length === 0
          ? `'${prop.name}' needs ${what}`
          : `'${prop.name}' takes ${what}, found ${vals.length} values`,
        { span: vals.length === 0 ? prop.nameSpan : whole },
        vals.length > n && type.t !== 'memrange' ? { help: "end each property with ';' or a new line" } : {},
      ),
    );
    return false;
  };
  switch (type.t) {
    case 'int': {
      if (!arity(1, 'one integer')) return null;
      const v = vals[0]!;
      let n: bigint;
      if (v.kind === 'int') {
        if (v.suffix && !type.size) return wrong(v, 'a plain integer (no size suffix)');
        n = v.value;
      } else if ((v.kind === 'ident' || v.kind === 'string') && type.names && v.value in type.names) {
        n = BigInt(type.names[v.value]!);
      } else return wrong(v, type.names ? `an integer or one of ${Object.keys(type.names).join(', ')}` : 'an integer');
      if (n < type.min || n > type.max) {
        diags.push(
          makeDiag(LOWER.OUT_OF_RANGE, `'${prop.name}' must be ${fmtBounds(type.min, type.max)}, found ${v.kind === 'int' ? v.text : n}`, {
            span: v.span,
          }),
        );
        return null;
      }
      return { t: 'int', v: n, span: v.span };
    }
    case 'bool': {
      if (!arity(1, 'true or false')) return null;
      const v = vals[0]!;
      if (v.kind === 'bool') return { t: 'bool', v: v.value, span: v.span };
      if (v.kind === 'ident' && v.value in BOOL_WORDS) return { t: 'bool', v: BOOL_WORDS[v.value]!, span: v.span };
      return wrong(v, 'true or false');
    }
    case 'string': {
      if (!arity(1, 'one string')) return null;
      const v = vals[0]!;
      if (v.kind !== 'string' && v.kind !== 'ident') return wrong(v, 'a string');
      if (type.maxLen !== undefined && v.value.length > type.maxLen) {
        diags.push(
          makeDiag(LOWER.STRING_TOO_LONG, `'${prop.name}' is at most ${type.maxLen} characters, found ${v.value.length}`, {
            span: v.span,
          }),
        );
        return null;
      }
      if (type.pattern && !type.pattern.test(v.value)) {
        diags.push(
          makeDiag(LOWER.STRING_FORMAT, `'${prop.name}' must be ${type.patternDoc ?? type.pattern.source}, found ${JSON.stringify(v.value)}`, {
            span: v.span,
          }),
        );
        return null;
      }
      return { t: 'string', v: v.value, span: v.span };
    }
    case 'enum': {
      if (!arity(1, `one of ${type.values.join(', ')}`)) return null;
      const v = vals[0]!;
      const word = v.kind === 'ident' || v.kind === 'string' ? v.value : v.kind === 'bool' && !v.value ? 'off' : null;
      if (word === null) return wrong(v, `one of ${type.values.join(', ')}`);
      if (!type.values.includes(word)) {
        diags.push(
          makeDiag(LOWER.NOT_ALLOWED, `'${prop.name}' must be one of ${type.values.join(', ')}, found '${word}'`, { span: v.span }, {
            help: didYouMean(word, type.values),
          }),
        );
        return null;
      }
      return { t: 'enum', v: word, span: v.span };
    }
    case 'ref': {
      const what = `the id of a ${type.kinds.join(' or ')}${type.keywords ? ` or ${type.keywords.join(', ')}` : ''}`;
      if (!arity(1, what)) return null;
      const v = vals[0]!;
      if (v.kind !== 'ident' && v.kind !== 'string') return wrong(v, what);
      return { t: 'ref', v: v.value, span: v.span };
    }
    case 'range': {
      if (!arity(1, 'a range lo..hi')) return null;
      const v = vals[0]!;
      if (v.kind !== 'range') return wrong(v, 'a range lo..hi');
      if (v.lo < type.min || v.hi > type.max || v.lo > v.hi) {
        diags.push(
          makeDiag(LOWER.OUT_OF_RANGE, `'${prop.name}' must lie in ${type.min}..${type.max} with lo <= hi`, { span: v.span }),
        );
        return null;
      }
      return { t: 'range', lo: v.lo, hi: v.hi, span: v.span };
    }
    case 'memrange': {
      if (!arity(2, 'two integers: BASE SIZE')) return null;
      const [b, s] = vals as [Value, Value];
      if (b.kind !== 'int') return wrong(b, 'a base address');
      if (s.kind !== 'int') return wrong(s, 'a size');
      if (s.value === 0n) {
        diags.push(makeDiag(LOWER.OUT_OF_RANGE, `'${prop.name}' size must not be 0`, { span: s.span }));
        return null;
      }
      if (b.value + s.value > 1n << 64n) {
        diags.push(makeDiag(LOWER.OUT_OF_RANGE, `'${prop.name}' ends beyond the 64-bit address space`, { span: whole }));
        return null;
      }
      return { t: 'memrange', base: b.value, size: s.value, span: whole };
    }
    case 'ids': {
      if (vals.length === 0) return (arity(1, 'at least one id, stream ID or range'), null);
      const items: IdItem[] = [];
      let ok = true;
      const add = (v: Value) => {
        if (v.kind === 'list') return v.items.forEach(add);
        if (v.kind === 'ident' || v.kind === 'string') items.push({ k: 'ref', id: v.value, span: v.span });
        else if (v.kind === 'int' || v.kind === 'range') {
          const lo = v.kind === 'int' ? v.value : v.lo;
          const hi = v.kind === 'int' ? v.value : v.hi;
          if (hi > 0xffff_ffffn || lo > hi) {
            diags.push(makeDiag(LOWER.OUT_OF_RANGE, `stream IDs are 32-bit and lo <= hi`, { span: v.span }));
            ok = false;
          } else items.push({ k: 'ids', lo, hi, span: v.span });
        } else {
          wrong(v, 'ids, stream IDs or ranges lo..hi');
          ok = false;
        }
      };
      vals.forEach(add);
      return ok ? { t: 'ids', items, span: whole } : null;
    }
  }
}

function fmtBounds(min: bigint, max: bigint): string {
  const f = (n: bigint) => (n > 4096n ? '0x' + n.toString(16) : n.toString());
  return `between ${f(min)} and ${f(max)}`;
}

export function spanOver(a: Span, b: Span): Span {
  if (a.file !== b.file || b.offset < a.offset) return a;
  return { ...a, endLine: b.endLine, endCol: b.endCol, length: b.offset + b.length - a.offset };
}

/** Validates the properties of `block` (not its child blocks). */
export function validateBlock(block: Block, spec: BlockSpec, profile: Profile, diags: Diagnostic[]): VBlock {
  const values = new Map<string, { prop: Property; tv: TV }[]>();
  const at = block.idSpan ?? block.kindSpan;
  const seen = new Map<string, Property>();
  for (const prop of block.props) {
    const p = propSpec(spec, prop.name);
    if (!p) {
      const names = spec.props.map((x) => x.name);
      diags.push(
        makeDiag(LOWER.UNKNOWN_PROP, `unknown property '${prop.name}' in ${spec.kind}`, { span: prop.nameSpan }, {
          help: didYouMean(prop.name, names) ?? `${spec.kind} takes: ${names.join(', ')}`,
        }),
      );
      continue;
    }
    if (p.profiles && !p.profiles.includes(profile)) {
      diags.push(
        makeDiag(LOWER.NOT_HERE, `'${p.name}' is only allowed in profile ${p.profiles.join(', ')} (this machine is ${profile})`, {
          span: prop.nameSpan,
        }),
      );
      continue;
    }
    const first = seen.get(p.name);
    if (first && !p.repeat) {
      diags.push(
        makeDiag(LOWER.REPEATED, `'${p.name}' is given more than once`, { span: prop.nameSpan }, {
          related: [{ message: 'first given here', span: first.nameSpan }],
        }),
      );
      continue;
    }
    seen.set(p.name, prop);
    const tv = coerce(p, prop, diags);
    if (!tv) continue;
    const list = values.get(p.name) ?? [];
    list.push({ prop, tv });
    values.set(p.name, list);
  }
  for (const p of spec.props) {
    const req = p.required === true || p.required === profile;
    if (req && !seen.has(p.name)) {
      diags.push(
        makeDiag(
          LOWER.MISSING,
          `${spec.kind}${block.id ? ` '${block.id}'` : ''} needs '${p.name}'${p.required === profile ? ` (required in profile ${profile})` : ''}`,
          { span: at },
          { help: p.doc },
        ),
      );
    }
  }
  return { block, spec, kind: spec.kind, id: block.id ?? spec.kind, at, values };
}

/** Typed accessors (the value has already been checked against the spec). */
export const get = {
  int(b: VBlock, name: string): bigint | undefined {
    const tv = b.values.get(name)?.[0]?.tv;
    return tv?.t === 'int' ? tv.v : undefined;
  },
  num(b: VBlock, name: string): number | undefined {
    const tv = b.values.get(name)?.[0]?.tv;
    return tv?.t === 'int' ? Number(tv.v) : undefined;
  },
  bool(b: VBlock, name: string): boolean | undefined {
    const tv = b.values.get(name)?.[0]?.tv;
    return tv?.t === 'bool' ? tv.v : undefined;
  },
  str(b: VBlock, name: string): string | undefined {
    const tv = b.values.get(name)?.[0]?.tv;
    return tv && (tv.t === 'string' || tv.t === 'enum' || tv.t === 'ref') ? tv.v : undefined;
  },
  span(b: VBlock, name: string): Span | undefined {
    return b.values.get(name)?.[0]?.tv.span;
  },
  propSpan(b: VBlock, name: string): Span | undefined {
    return b.values.get(name)?.[0]?.prop.nameSpan;
  },
  has(b: VBlock, name: string): boolean {
    return b.values.has(name);
  },
  all(b: VBlock, name: string): TV[] {
    return (b.values.get(name) ?? []).map((x) => x.tv);
  },
};
