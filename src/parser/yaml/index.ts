/**
 * YAML reader. The same model as the DSL, spelled as maps:
 *
 *   machine: grace-vm          # the machine name
 *   profile: qemu-virt         # machine properties at top level
 *   smmuv3:                    # block kind -> map of id -> properties
 *     smmu0: { stage: nested }
 *   device:
 *     gpu0: { kind: vfio, on: pxb0, host: "0009:01:00.0" }
 *
 * Pipeline: parse with a LineCounter (syntax errors, duplicate keys) -> toJS with an alias
 * budget -> JSON Schema (generated from the model spec) -> source model with spans.
 * Every error points at a line:col of the YAML text.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  Scalar,
  type YAMLMap,
} from 'yaml';
import { makeDiag, type Diagnostic, type Result } from '../../diag/diagnostic';
import type { Span } from '../../diag/span';
import { BLOCK_BY_KIND, CHILD_KINDS, propSpec } from '../../ir/spec';
import type { Block, Property, SourceFile, Value } from '../ast';
import { YAML_CODES } from '../codes';
import { IDENT_RE, parseIntLiteral, RANGE_LITERAL_RE } from '../literals';
import { validateYamlSchema } from './schema-check';
import { customTags } from './tags';
import { keyText, nodeSpan, spanAt, type YamlCtx } from './nodes';

/** Alias expansions allowed in one document: far above any real use, far below a "billion laughs". */
export const MAX_ALIAS_COUNT = 100;

export function parseYaml(text: string, file: string): Result<SourceFile> {
  const diags: Diagnostic[] = [];
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, customTags, intAsBigInt: true,
    // yaml's own duplicate check is quadratic in the map size; ours (below) is linear.
    uniqueKeys: false,
    prettyErrors: false,
    logLevel: 'error',
  });
  const base = { file, lc, textLength: text.length };
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0 || list[0]!.contents === null) {
    diags.push(
      makeDiag(YAML_CODES.EMPTY, 'the YAML document is empty', { span: spanAt(base, 0, 0) }, { help: 'start with: machine: my-vm' }),
    );
    return { value: null, diagnostics: diags };
  }
  if (list.length > 1) {
    const second = list[1]!;
    diags.push(
      makeDiag(YAML_CODES.MULTI_DOC, 'a file describes one machine: found more than one YAML document', {
        span: spanAt(base, second.range[0], second.range[0] + 3),
      }),
    );
  }
  const doc = list[0]!;
  const ctx: YamlCtx = { ...base, doc };
  for (const e of doc.errors) {
    const code = e.code === 'DUPLICATE_KEY' ? YAML_CODES.DUPLICATE_KEY : e.code === 'TAG_RESOLVE_FAILED' ? YAML_CODES.BAD_TAG : YAML_CODES.SYNTAX;
    const message =
      e.code === 'DUPLICATE_KEY'
        ? `duplicate key '${/^[^:\n]{0,60}/.exec(text.slice(e.pos[0]))![0].trim()}': a map may name each key once`
        : /call stack/i.test(e.message)
          ? 'the YAML is nested too deeply to read'
          : firstLine(e.message);
    diags.push(makeDiag(code, message, { span: spanAt(ctx, e.pos[0], e.pos[1]) }));
  }
  for (const w of doc.warnings) {
    // An unknown tag would silently turn a value into a string: that is an error for us.
    const code = w.code === 'TAG_RESOLVE_FAILED' ? YAML_CODES.BAD_TAG : YAML_CODES.WARNING;
    diags.push(makeDiag(code, firstLine(w.message), { span: spanAt(ctx, w.pos[0], w.pos[1]) }));
  }
  const badKey = checkKeys(doc.contents, ctx, diags);
  if (badKey)
    diags.push(makeDiag(YAML_CODES.SYNTAX, 'a map key must be a plain value, not a map or list', { span: nodeSpan(ctx, badKey) }));
  if (diags.some((d) => d.severity === 'error')) return { value: null, diagnostics: diags };
  const loop = recursiveAlias(doc);
  if (loop) {
    // `a: &x [*x]` is a cyclic structure: every walk of it (toJS, the schema, lowering) would
    // recurse until the stack runs out.
    diags.push(makeDiag(YAML_CODES.ALIASES, `alias '${loop.source}' refers to a map or list that contains it (a recursive structure)`, { span: nodeSpan(ctx, loop) }));
    return { value: null, diagnostics: diags };
  }

  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    diags.push(
      makeDiag(
        YAML_CODES.ALIASES,
        e instanceof ReferenceError || (e instanceof Error && /alias/i.test(e.message))
          ? `alias expansion exceeds the limit (${MAX_ALIAS_COUNT}): ${firstLine((e as Error).message)}`
          : `cannot read the document: ${e instanceof Error ? firstLine(e.message) : String(e)}`,
        { span: firstAliasSpan(ctx) },
      ),
    );
    return { value: null, diagnostics: diags };
  }
  if (!isMap(doc.contents)) {
    diags.push(
      makeDiag(YAML_CODES.NOT_A_MAP, 'the top level must be a map (machine: NAME, profile: ..., smmuv3: {...})', {
        span: nodeSpan(ctx, doc.contents as Node),
      }),
    );
    return { value: null, diagnostics: diags };
  }
  const schemaDiags = validateYamlSchema(js, ctx);
  diags.push(...schemaDiags);
  if (schemaDiags.length) return { value: null, diagnostics: diags };

  const machine = toMachine(doc.contents as YAMLMap, ctx);
  return { value: { file, lang: 'yaml', machine }, diagnostics: diags };
}

/** Deeper than this is never a topology; it also bounds recursion in toJS and the schema check. */
export const MAX_YAML_DEPTH = 64;
/**
 * Values (scalars, maps, lists) in one document: room for MAX_BLOCKS (16,384) blocks of about
 * 16 values each. The schema check reports every bad item, so this bounds its work too.
 */
export const MAX_YAML_NODES = 262_144;

/**
 * Reports duplicate keys and too-deep nesting; returns the first key that is a collection
 * (not allowed), if any.
 */
function checkKeys(root: unknown, ctx: YamlCtx, diags: Diagnostic[]): Node | null {
  const stack: [unknown, number][] = [[root, 1]];
  let bad: Node | null = null;
  let count = 0;
  while (stack.length) {
    const [n, depth] = stack.pop()!;
    if ((isMap(n) || isSeq(n)) && depth > MAX_YAML_DEPTH) {
      diags.push(makeDiag(YAML_CODES.TOO_DEEP, `the YAML is nested more than ${MAX_YAML_DEPTH} levels deep`, { span: nodeSpan(ctx, n as Node) }));
      return bad;
    }
    if (++count > MAX_YAML_NODES) {
      diags.push(makeDiag(YAML_CODES.TOO_MANY_NODES, `the YAML holds more than ${MAX_YAML_NODES} values`, { span: nodeSpan(ctx, n as Node) }, {
        help: 'a topology is a few hundred values; is this the right file?',
      }));
      return bad;
    }
    if (isMap(n)) {
      const seen = new Map<string, Node>();
      for (const p of n.items as Pair[]) {
        if (isMap(p.key) || isSeq(p.key)) bad ??= p.key as Node;
        else {
          const k = keyText(p.key);
          const first = seen.get(k);
          if (first)
            diags.push(
              makeDiag(YAML_CODES.DUPLICATE_KEY, `duplicate key '${k.length > 60 ? k.slice(0, 60) + '…' : k}': a map may name each key once`, {
                span: nodeSpan(ctx, p.key as Node),
              }, { related: [{ message: 'first given here', span: nodeSpan(ctx, first) }] }),
            );
          else seen.set(k, p.key as Node);
        }
        stack.push([p.value, depth + 1]);
      }
    } else if (isSeq(n)) for (const it of n.items) stack.push([it, depth + 1]);
  }
  return bad;
}

/** The first alias that points at one of its own enclosing nodes, if any (iterative walk). */
function recursiveAlias(doc: Document.Parsed): Alias | null {
  const open = new Set<unknown>();
  const stack: { n: unknown; exit: boolean }[] = [{ n: doc.contents, exit: false }];
  while (stack.length) {
    const { n, exit } = stack.pop()!;
    if (exit) {
      open.delete(n);
      continue;
    }
    if (isAlias(n)) {
      if (open.has(n.resolve(doc))) return n;
      continue;
    }
    if (!isMap(n) && !isSeq(n)) continue;
    open.add(n);
    stack.push({ n, exit: true });
    for (const it of n.items as unknown[]) {
      if (isPair(it)) stack.push({ n: it.key, exit: false }, { n: it.value, exit: false });
      else stack.push({ n: it, exit: false });
    }
  }
  return null;
}

const firstLine = (m: string) => m.split('\n')[0]!.trim();

function firstAliasSpan(ctx: YamlCtx): Span {
  let found: Node | null = null;
  const walk = (n: unknown): void => {
    if (found || !n) return;
    if (isAlias(n)) {
      found = n;
      return;
    }
    if (isMap(n) || isSeq(n)) for (const it of n.items) walk(it);
    else if (isPair(n)) {
      walk(n.key);
      walk(n.value);
    }
  };
  walk(ctx.doc.contents);
  return nodeSpan(ctx, found);
}

const resolve = (ctx: YamlCtx, n: unknown): unknown => {
  // Alias expansion was bounded by toJS above; a chain of aliases resolves in a few steps.
  for (let i = 0; i < 8 && isAlias(n); i++) n = n.resolve(ctx.doc);
  return n;
};

function scalarValue(ctx: YamlCtx, n: unknown): Value {
  const node = resolve(ctx, n);
  const span = nodeSpan(ctx, node as Node);
  if (!isScalar(node)) return { kind: 'null', span };
  const v = node.value;
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
    const text = node.source ?? String(v);
    const r = parseIntLiteral(text);
    return { kind: 'int', value: BigInt(v), suffix: r.ok ? r.suffix : null, text, span };
  }
  if (typeof v === 'boolean') return { kind: 'bool', value: v, span };
  if (v === null || v === undefined) return { kind: 'null', span };
  if (typeof v === 'string') {
    if (node.type === Scalar.PLAIN) {
      const m = RANGE_LITERAL_RE.exec(v);
      if (m) {
        const lo = parseIntLiteral(m[1]!);
        const hi = parseIntLiteral(m[2]!);
        if (lo.ok && hi.ok) return { kind: 'range', lo: lo.value, hi: hi.value, span };
      }
      if (IDENT_RE.test(v)) return { kind: 'ident', value: v, span };
    }
    return { kind: 'string', value: v, span };
  }
  return { kind: 'string', value: String(v), span };
}

function valuesOf(ctx: YamlCtx, n: unknown): Value[] {
  const node = resolve(ctx, n);
  if (isSeq(node)) return node.items.map((it) => scalarOrList(ctx, it));
  return [scalarOrList(ctx, node)];
}

function scalarOrList(ctx: YamlCtx, n: unknown): Value {
  const node = resolve(ctx, n);
  if (isSeq(node)) return { kind: 'list', items: node.items.map((it) => scalarOrList(ctx, it)), span: nodeSpan(ctx, node) };
  return scalarValue(ctx, node);
}

function propsOf(ctx: YamlCtx, kind: string, pairs: Pair[]): { props: Property[]; subkind: Pair | null } {
  const spec = BLOCK_BY_KIND.get(kind)!;
  const props: Property[] = [];
  let subkind: Pair | null = null;
  for (const pair of pairs) {
    const name = keyText(pair.key);
    if (name === 'kind' && spec.subkinds) {
      subkind = pair;
      continue;
    }
    const nameSpan = nodeSpan(ctx, pair.key as Node);
    const value = resolve(ctx, pair.value);
    const whole = (v: Span): Span => ({ ...nameSpan, endLine: v.endLine, endCol: v.endCol, length: v.offset + v.length - nameSpan.offset });
    const p = propSpec(spec, name);
    const memrange = (m: unknown): Value[] => {
      const mm = resolve(ctx, m);
      if (!isMap(mm)) return [scalarOrList(ctx, mm)];
      const get = (k: string) => (mm.items as Pair[]).find((x) => keyText(x.key) === k)?.value;
      return [scalarValue(ctx, get('base')), scalarValue(ctx, get('size'))];
    };
    if (p?.type.t === 'memrange') {
      const items = isSeq(value) ? value.items : [value];
      for (const it of items) {
        const vals = memrange(it);
        props.push({ name, nameSpan, values: vals, span: whole(nodeSpan(ctx, resolve(ctx, it) as Node)) });
      }
      continue;
    }
    const vals = p?.type.t === 'ids' ? valuesOf(ctx, value) : [scalarOrList(ctx, value)];
    props.push({ name, nameSpan, values: vals, span: whole(nodeSpan(ctx, value as Node)) });
  }
  return { props, subkind };
}

function toBlock(ctx: YamlCtx, kind: string, keyNode: Node, id: Node | null, body: unknown): Block {
  const node = resolve(ctx, body);
  const pairs = isMap(node) ? (node.items as Pair[]) : [];
  const { props, subkind } = propsOf(ctx, kind, pairs);
  const subVal = subkind ? resolve(ctx, subkind.value) : null;
  return {
    kind,
    kindSpan: nodeSpan(ctx, keyNode),
    id: id ? keyText(id) : null,
    idSpan: id ? nodeSpan(ctx, id) : null,
    subkind: isScalar(subVal) ? String(subVal.value) : null,
    subkindSpan: subVal ? nodeSpan(ctx, subVal as Node) : null,
    props,
    blocks: [],
    span: nodeSpan(ctx, (id ?? keyNode) as Node),
  };
}

function toMachine(root: YAMLMap, ctx: YamlCtx): Block {
  const pairs = root.items as Pair[];
  const namePair = pairs.find((p) => keyText(p.key) === 'machine')!;
  const nameNode = resolve(ctx, namePair.value) as Node;
  const machineProps: Pair[] = [];
  const blocks: Block[] = [];
  for (const pair of pairs) {
    const key = keyText(pair.key);
    if (key === 'machine') continue;
    const value = resolve(ctx, pair.value);
    if (CHILD_KINDS.includes(key) && isMap(value)) {
      const spec = BLOCK_BY_KIND.get(key)!;
      if (spec.id === 'none') blocks.push(toBlock(ctx, key, pair.key as Node, null, value));
      else for (const b of value.items as Pair[]) blocks.push(toBlock(ctx, key, pair.key as Node, b.key as Node, b.value));
      continue;
    }
    machineProps.push(pair);
  }
  const { props } = propsOf(ctx, 'machine', machineProps);
  const nameSpan = nodeSpan(ctx, nameNode);
  return {
    kind: 'machine',
    kindSpan: nodeSpan(ctx, namePair.key as Node),
    id: isScalar(nameNode) ? String(nameNode.value) : null,
    idSpan: nameSpan,
    subkind: null,
    subkindSpan: null,
    props,
    blocks,
    span: spanAt(ctx, 0, ctx.textLength),
  };
}
