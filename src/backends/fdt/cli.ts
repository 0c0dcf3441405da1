/**
 * `iotopo decode FILE.dtb`: text prints DTS (dtc -I dtb -O dts style), json prints the decoded
 * model (header, reservations, nodes with byte offsets, raw values plus the dtc-style guess).
 * Reader errors are printed as diagnostics with byte offsets; exit 1.
 */
import { hasErrors, sortDiagnostics } from '../../diag/diagnostic';
import { renderText } from '../../diag/render';
import { EXIT_INPUT, EXIT_OK, type Io } from '../../cli/io';
import { toJson } from '../../util/json';
import { decodeDtb } from './decode';
import { formatValue, guessType, toDts } from './dts';
import type { FdtNode, FdtTree } from './model';

function nodeJson(n: FdtNode): unknown {
  return {
    name: n.name,
    unitAddress: n.unitAddress,
    unitName: n.unitName,
    path: n.path,
    structOffset: n.structOffset,
    props: n.props.map((p) => ({
      name: p.name,
      structOffset: p.structOffset,
      length: p.value.length,
      type: guessType(p.value),
      value: p.value,
      dts: formatValue(p.value).replace(/^ = /, '').replace(/;$/, ''),
    })),
    children: n.children.map(nodeJson),
  };
}

export function treeJson(t: FdtTree): unknown {
  return { header: t.header, reserve: t.reserve, root: nodeJson(t.root) };
}

export function runFdtDecode(bytes: Uint8Array, file: string, opts: { format: 'text' | 'json' }, io: Io): number {
  const r = decodeDtb(bytes, file);
  const diags = sortDiagnostics(r.diagnostics);
  if (opts.format === 'json') {
    io.out(toJson({ kind: 'dtb', file, tree: r.value ? treeJson(r.value) : null, diagnostics: diags }));
  } else {
    if (r.value) io.out(toDts(r.value));
    if (diags.length) io.err(renderText(diags));
  }
  return !r.value || hasErrors(diags) ? EXIT_INPUT : EXIT_OK;
}
