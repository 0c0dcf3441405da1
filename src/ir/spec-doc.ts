/**
 * Renders the model spec as Markdown tables for grammar/README.md (between the
 * `<!-- spec:begin -->` / `<!-- spec:end -->` markers; a test keeps them in step).
 */
import { BLOCKS, type PropType } from './spec';

function typeText(t: PropType): string {
  const n = (v: bigint) => (v > 4096n ? '0x' + v.toString(16) : v.toString());
  switch (t.t) {
    case 'int':
      return `int ${n(t.min)}..${n(t.max)}${t.size ? ', size suffix ok' : ''}${t.names ? ` or ${Object.keys(t.names).join('/')}` : ''}`;
    case 'bool':
      return 'bool';
    case 'string':
      return `string${t.maxLen !== undefined ? ` (max ${t.maxLen})` : ''}${t.patternDoc ? ` ${t.patternDoc}` : ''}`;
    case 'enum':
      return t.values.join(' \\| ');
    case 'ref':
      return `id of ${t.kinds.join('/')}${t.keywords ? ` or ${t.keywords.join('/')}` : ''}`;
    case 'range':
      return `range lo..hi in ${n(t.min)}..${n(t.max)}`;
    case 'memrange':
      return 'BASE SIZE (YAML {base, size})';
    case 'ids':
      return 'ids: bridge/port/device id, stream ID, lo..hi';
  }
}

export function specMarkdown(): string {
  const out: string[] = [];
  for (const b of BLOCKS) {
    const header =
      b.kind === 'machine'
        ? '`machine NAME { ... }`'
        : `\`${b.kind}${b.id === 'required' ? ' ID' : ''}${b.subkinds ? ` ${b.subkinds.join('|')}` : ''} { ... }\``;
    out.push(`#### ${header}`, '', b.doc + (b.singleton ? ' At most one.' : ''), '');
    out.push('| property | value | required | default | meaning |', '|---|---|---|---|---|');
    for (const p of b.props) {
      const name = [p.name, ...(p.aliases ?? [])].map((x) => `\`${x}\``).join(', ') + (p.repeat ? ' (repeatable)' : '');
      const req = p.required === true ? 'yes' : p.required ? `in ${p.required}` : '';
      const only = p.profiles ? ` (${p.profiles.join(', ')} only)` : '';
      out.push(`| ${name} | ${typeText(p.type)} | ${req} | ${p.default ?? ''} | ${p.doc}${only} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The reader and lowering codes (IOT1xxx, IOT2xxx, the front end's IOT70xx). */
export function codesMarkdown(codes: { code: string; severity: string; title: string }[]): string {
  const mine = codes.filter((c) => /^IOT(1|2|700[2-7])/.test(c.code));
  return ['| code | severity | meaning |', '|---|---|---|', ...mine.map((c) => `| ${c.code} | ${c.severity} | ${c.title} |`), ''].join('\n');
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`. */
export function replaceSection(doc: string, name: string, content: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`section ${name} not found`);
  return doc.slice(0, a + begin.length) + '\n' + content + '\n' + doc.slice(b);
}
