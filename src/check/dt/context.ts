/** What the DT checks see: the decoded tree (src/backends/fdt/model.ts) plus lookup tables. */
import type { BinLocation } from '../../diag/span';
import type { FdtNode, FdtProp, FdtTree } from '../../backends/fdt/model';
import { getProp, parentMap, phandleIndex, propCells } from '../../backends/fdt/model';

export interface DtCtx {
  tree: FdtTree;
  file: string;
  phandles: Map<number, FdtNode>;
  parents: Map<FdtNode, FdtNode | null>;
  /** Pre-order list of all nodes. */
  nodes: FdtNode[];
}

export function buildDtCtx(tree: FdtTree, file: string): DtCtx {
  const nodes: FdtNode[] = [];
  const rec = (n: FdtNode) => {
    nodes.push(n);
    for (const c of n.children) rec(c);
  };
  rec(tree.root);
  return { tree, file, phandles: phandleIndex(tree.root), parents: parentMap(tree.root), nodes };
}

/** Location of a node, or of one of its properties ("/pcie@10000000:iommu-map"). */
export function where(ctx: DtCtx, node: FdtNode, prop?: FdtProp | string): BinLocation {
  const p = typeof prop === 'string' ? getProp(node, prop) : prop;
  const name = typeof prop === 'string' ? prop : prop?.name;
  const loc: BinLocation = { file: ctx.file, path: name ? `${node.path}:${name}` : node.path };
  const off = p ? p.structOffset : node.structOffset;
  if (off >= 0) loc.byteOffset = off;
  return loc;
}

export interface MapEntry {
  index: number;
  ridBase: number;
  phandle: number;
  outBase: number;
  length: number;
}

export type MapName = 'iommu-map' | 'msi-map';

/** The 4-cell entries of an iommu-map / msi-map, or null when the length is not a multiple of 16. */
export function mapEntries(node: FdtNode, name: MapName): MapEntry[] | null {
  const cells = propCells(node, name);
  if (!cells || cells.length === 0 || cells.length % 4 !== 0) return null;
  const out: MapEntry[] = [];
  for (let i = 0; i < cells.length; i += 4)
    out.push({ index: i / 4, ridBase: cells[i]!, phandle: cells[i + 1]!, outBase: cells[i + 2]!, length: cells[i + 3]! });
  return out;
}

/** The *-map-mask (default: all ones, as in of_map_id), or null when malformed. */
export function mapMask(node: FdtNode, name: MapName): number | null {
  const p = getProp(node, `${name}-mask`);
  if (!p) return 0xffffffff;
  const c = propCells(node, `${name}-mask`);
  return c && c.length === 1 ? c[0]! : null;
}

export const hex = (v: number | bigint): string => '0x' + v.toString(16);
