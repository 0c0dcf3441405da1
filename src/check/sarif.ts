/**
 * SARIF 2.1.0 output for code scanning. Rules: every named check (id = code, name = check
 * name) plus any other diagnostic code the results use (decoder findings). Config findings
 * carry a line/column region; IORT findings a byteOffset region; DT findings the node path as a
 * logical location (and the byte offset of the property when known).
 */
import type * as Sarif from 'sarif';
import { allCodes, type Diagnostic, type Related, type Severity } from '../diag/diagnostic';
import type { BinLocation, Span } from '../diag/span';
import { allChecks } from './registry';

const TOOL_URI = 'https://github.com/iotopo/iotopo';
const LEVEL: Record<Severity, Sarif.Result.level> = { error: 'error', warning: 'warning', note: 'note' };

function uriOf(file: string): string {
  const f = file.replace(/\\/g, '/');
  return f.startsWith('/') ? 'file://' + encodeURI(f) : encodeURI(f);
}

export interface SarifOptions {
  toolVersion?: string;
}

export function toSarif(diags: readonly Diagnostic[], opts: SarifOptions = {}): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  for (const c of allChecks()) {
    ruleIndex.set(c.code, rules.length);
    rules.push({
      id: c.code,
      name: c.name,
      shortDescription: { text: c.title },
      fullDescription: { text: c.explain },
      help: { text: `${c.explain}\nSource: ${c.source}\nToggle: -W ${c.name} / -E ${c.name} / -W no-${c.name}` },
      defaultConfiguration: c.level === 'off' ? { enabled: false, level: 'warning' } : { level: c.level },
      properties: { target: c.target, source: c.source, prerequisites: c.prereqs },
    });
  }
  const titles = new Map(allCodes().map((c) => [c.code, c] as const));
  for (const d of diags) {
    if (ruleIndex.has(d.code)) continue;
    const info = titles.get(d.code);
    ruleIndex.set(d.code, rules.length);
    rules.push({ id: d.code, shortDescription: { text: info?.title ?? d.code }, defaultConfiguration: { level: LEVEL[info?.severity ?? d.severity] } });
  }

  const artifacts: Sarif.Artifact[] = [];
  const artifactIndex = new Map<string, number>();
  const artifact = (file: string) => {
    let i = artifactIndex.get(file);
    if (i === undefined) {
      i = artifacts.length;
      artifactIndex.set(file, i);
      artifacts.push({ location: { uri: uriOf(file) } });
    }
    return { uri: uriOf(file), index: i };
  };

  const location = (where: { span?: Span; loc?: BinLocation }, message?: string): Sarif.Location | undefined => {
    const out: Sarif.Location = {};
    if (where.span) {
      const s = where.span;
      out.physicalLocation = {
        artifactLocation: artifact(s.file),
        region: { startLine: s.line, startColumn: s.col, endLine: s.endLine, endColumn: s.endCol, charOffset: s.offset, charLength: s.length },
      };
    } else if (where.loc) {
      const l = where.loc;
      out.physicalLocation = { artifactLocation: artifact(l.file) };
      if (l.byteOffset !== undefined) out.physicalLocation.region = { byteOffset: l.byteOffset, byteLength: l.length ?? 1 };
      if (l.path) out.logicalLocations = [{ fullyQualifiedName: l.path, kind: 'element' }];
    } else return undefined;
    if (message) out.message = { text: message };
    return out;
  };

  const results: Sarif.Result[] = diags.map((d) => {
    const r: Sarif.Result = {
      ruleId: d.code,
      ruleIndex: ruleIndex.get(d.code)!,
      level: LEVEL[d.severity],
      message: { text: d.help ? `${d.message}\nhelp: ${d.help}` : d.message },
    };
    const loc = location(d);
    if (loc) r.locations = [loc];
    const related = (d.related ?? []).map((x: Related) => location(x, x.message)).filter((x): x is Sarif.Location => !!x);
    if (related.length) r.relatedLocations = related.map((x, id) => ({ id, ...x }));
    if (d.check) r.properties = { check: d.check };
    return r;
  });

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'iotopo', version: opts.toolVersion ?? '0.1.0', informationUri: TOOL_URI, rules } },
        artifacts,
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
