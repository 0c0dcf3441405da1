/**
 * Runs the generated JSON Schema over the YAML document and maps every ajv error back to a
 * line:col: instancePath -> YAML node -> LineCounter. For `required` the error points at the
 * key that owns the incomplete map; for unknown keys, at the key itself.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { isAlias, isMap, isPair, isSeq, type Node, type Pair } from 'yaml';
import { makeDiag, type Diagnostic } from '../../diag/diagnostic';
import { yamlSchema } from '../../ir/schema';
import { didYouMean } from '../../ir/suggest';
import { YAML_CODES } from '../codes';
import { keyText, nodeSpan, type YamlCtx } from './nodes';

let validator: ValidateFunction | null = null;
function getValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    validator = ajv.compile(yamlSchema());
  }
  return validator;
}

/** bigints become numbers for the schema's range checks (lowering re-checks exactly). */
function forSchema(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(forSchema);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = forSchema(x);
    return o;
  }
  return v;
}

const MAX_SCHEMA_ERRORS = 50;

export function validateYamlSchema(js: unknown, ctx: YamlCtx): Diagnostic[] {
  const validate = getValidator();
  if (validate(forSchema(js))) return [];
  // A bad map key gives a `pattern` error (with propertyName) and a `propertyNames` one: keep one.
  // allErrors reports every bad item (one error or more per value, and a document holds at most
  // MAX_YAML_NODES values), so everything below must stay linear in the number of errors.
  const errors = reduce((validate.errors ?? []).filter((e) => !(e.keyword === 'pattern' && e.propertyName !== undefined)));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors.slice(0, MAX_SCHEMA_ERRORS)) {
    const d = toDiag(e, ctx);
    const key = `${d.code}|${d.span?.offset}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/**
 * ajv reports every failed branch of an anyOf. Keep the branch whose type matched the value
 * (its errors are the precise ones); if none or several did, keep one summary error.
 *
 * ajv appends an anyOf's branch errors just before the anyOf error itself, so the errors that
 * belong to one anyOf are the run right before it with its schema path and its instance (or
 * one below it). Walking back over that run keeps this linear, and keeps the errors of one list
 * item out of the anyOf of another item with the same schema path.
 */
function reduce(errors: ErrorObject[]): ErrorObject[] {
  const index = new Map(errors.map((e, i) => [e, i]));
  const drop = new Set<ErrorObject>();
  const keep = new Set<ErrorObject>();
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  // Innermost anyOf first, so nested ones are resolved before their parents.
  for (const a of [...anyOfs].sort((x, y) => y.schemaPath.length - x.schemaPath.length || index.get(x)! - index.get(y)!)) {
    if (drop.has(a)) continue;
    const prefix = a.schemaPath + '/';
    const under = (e: ErrorObject) => e.instancePath === a.instancePath || e.instancePath.startsWith(a.instancePath + '/');
    const inside: ErrorObject[] = [];
    for (let j = index.get(a)! - 1; j >= 0 && errors[j]!.schemaPath.startsWith(prefix) && under(errors[j]!); j--)
      if (!drop.has(errors[j]!)) inside.unshift(errors[j]!);
    const branches = new Map<string, ErrorObject[]>();
    for (const e of inside) {
      const i = e.schemaPath.slice(prefix.length).split('/')[0]!;
      const list = branches.get(i);
      if (list) list.push(e);
      else branches.set(i, [e]);
    }
    const typeMatched = [...branches.entries()].filter(
      ([, es]) => !es.some((e) => (e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'pattern') && e.instancePath === a.instancePath),
    );
    for (const e of inside) drop.add(e);
    if (typeMatched.length === 1) {
      for (const e of typeMatched[0]![1]) if (e.keyword !== 'anyOf') keep.add(e);
      drop.add(a);
    }
  }
  for (const e of errors) if (!drop.has(e)) keep.add(e);
  return [...keep].sort((x, y) => index.get(x)! - index.get(y)!);
}

function pathOf(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Walks the YAML tree along a JSON pointer; returns the node and the pair that holds it. */
function locate(ctx: YamlCtx, path: string[]): { node: Node | null; pair: Pair | null } {
  let node: unknown = ctx.doc.contents;
  let pair: Pair | null = null;
  for (const seg of path) {
    for (let i = 0; i < 8 && isAlias(node); i++) node = (node as { resolve(d: unknown): unknown }).resolve(ctx.doc);
    if (isMap(node)) {
      const p = (node.items as Pair[]).find((x) => keyText(x.key) === seg);
      if (!p) break;
      pair = p;
      node = p.value;
    } else if (isSeq(node)) {
      const it = node.items[Number(seg)];
      if (it === undefined) break;
      node = it;
      pair = null;
    } else break;
  }
  return { node: (node as Node) ?? null, pair };
}

function what(path: string[]): string {
  if (path.length === 0) return 'the top level';
  return `'${path.join('.')}'`;
}

function toDiag(e: ErrorObject, ctx: YamlCtx): Diagnostic {
  const path = pathOf(e.instancePath);
  const { node, pair } = locate(ctx, path);
  const at = (n: unknown) => ({ span: nodeSpan(ctx, isPair(n) ? (n.key as Node) : (n as Node)) });
  const desc = (e.parentSchema as { title?: string } | undefined)?.title;
  switch (e.keyword) {
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return makeDiag(YAML_CODES.REQUIRED, `${what(path)} needs key '${missing}'`, at(pair ? pair.key : node));
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const p = isMap(node) ? (node.items as Pair[]).find((x) => keyText(x.key) === extra) : undefined;
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return makeDiag(YAML_CODES.UNKNOWN_KEY, `unknown key '${extra}' in ${what(path)}`, at(p ? p.key : node), {
        help: didYouMean(extra, known) ?? (known.length ? `allowed: ${known.join(', ')}` : undefined),
      });
    }
    case 'propertyNames': {
      const name = (e.params as { propertyName: string }).propertyName;
      const p = isMap(node) ? (node.items as Pair[]).find((x) => keyText(x.key) === name) : undefined;
      return makeDiag(YAML_CODES.NOT_ALLOWED, `'${name}' is not a valid id (letters, digits, _, and inner '.' or '-')`, at(p ? p.key : node));
    }
    case 'type': {
      const t = (e.params as { type: string | string[] }).type;
      return makeDiag(YAML_CODES.TYPE, `${what(path)} must be ${article(Array.isArray(t) ? t.join(' or ') : t)}, found ${jsType(e.data)}`, at(node));
    }
    case 'enum':
      return makeDiag(
        YAML_CODES.NOT_ALLOWED,
        `${what(path)} must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}, found ${show(e.data)}`,
        at(node),
        { help: typeof e.data === 'string' ? didYouMean(e.data, ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String)) : undefined },
      );
    case 'pattern':
      return makeDiag(YAML_CODES.NOT_ALLOWED, `${what(path)} has the wrong format: ${show(e.data)}${desc ? ` (expected ${desc})` : ''}`, at(node));
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minItems':
    case 'maxLength':
    case 'minLength':
      return makeDiag(YAML_CODES.RANGE, `${what(path)} ${e.message ?? 'is out of range'}, found ${show(e.data)}`, at(node));
    case 'anyOf':
      return makeDiag(YAML_CODES.TYPE, `${what(path)} must be ${desc ?? 'one of the allowed forms'}, found ${show(e.data)}`, at(node));
    default:
      return makeDiag(YAML_CODES.SCHEMA_OTHER, `${what(path)} ${e.message ?? 'is invalid'}`, at(node));
  }
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
function jsType(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'an empty value';
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a map';
  return String(v);
}
