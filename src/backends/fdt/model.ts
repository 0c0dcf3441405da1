/**
 * The flattened-device-tree model shared by the DTB writer, the decoder, the DTS printer, the
 * DT lint and the DT table interpreter (src/verify/dt-map.ts).
 *
 * Plain data, no classes: a decoded blob and a tree built from the IR have the same shape, so
 * checks and the interpreter run on either. Property values stay raw big-endian bytes (the blob
 * carries no types); the helpers below read them as cells, strings or phandle lists.
 *
 * Offsets: `structOffset` is the byte offset of the node's FDT_BEGIN_NODE token or of the
 * property's FDT_PROP token from the start of the blob (not of the structure block), so that
 * diagnostics can point at the byte. Trees built in memory carry -1 until encoded.
 */

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;
/** Header size of a version 17 blob (the only version we write). */
export const FDT_V17_HEADER_SIZE = 40;
/** Header size of versions 16 (and 3): no size_dt_struct. */
export const FDT_V16_HEADER_SIZE = 36;

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  /** 0 for version < 17 blobs (the field does not exist there). */
  sizeDtStruct: number;
}

export interface FdtReserveEntry {
  address: bigint;
  size: bigint;
}

export interface FdtProp {
  name: string;
  /** Raw value bytes (big-endian cells, NUL-terminated strings...). Empty for booleans. */
  value: Uint8Array;
  /** Blob offset of the FDT_PROP token, or -1 for a property built in memory. */
  structOffset: number;
}

export interface FdtNode {
  /** Node name without the unit address ("pcie" for "pcie@10000000"); "" for the root. */
  name: string;
  /** The part after '@', or null when the name has none. */
  unitAddress: string | null;
  /** Full unit name as stored in the blob: "pcie@10000000"; "" for the root. */
  unitName: string;
  /** Absolute path: "/" for the root, "/intc@8000000/its@8080000" for others. */
  path: string;
  props: FdtProp[];
  children: FdtNode[];
  /** Blob offset of the FDT_BEGIN_NODE token, or -1 for a node built in memory. */
  structOffset: number;
}

export interface FdtTree {
  /** Header as read (decoder) or as written (encoder); null for a tree not yet encoded. */
  header: FdtHeader | null;
  reserve: FdtReserveEntry[];
  /** boot_cpuid_phys to write (the decoder copies it from the header). */
  bootCpuidPhys: number;
  root: FdtNode;
}

// ------------------------------------------------------------------ construction

export function splitUnitName(unitName: string): { name: string; unitAddress: string | null } {
  const at = unitName.indexOf('@');
  if (at < 0) return { name: unitName, unitAddress: null };
  return { name: unitName.slice(0, at), unitAddress: unitName.slice(at + 1) };
}

/** A node built in memory; `path` is fixed up by `setPaths` (or by `addChild`). */
export function mkNode(unitName: string, props: FdtProp[] = [], children: FdtNode[] = []): FdtNode {
  const { name, unitAddress } = splitUnitName(unitName);
  const n: FdtNode = { name, unitAddress, unitName, path: unitName === '' ? '/' : '/' + unitName, props, children, structOffset: -1 };
  for (const c of children) setPaths(c, n.path);
  return n;
}

/** Recomputes `path` for a subtree below a parent path. */
export function setPaths(node: FdtNode, parentPath: string | null): void {
  node.path = parentPath === null ? '/' : (parentPath === '/' ? '/' : parentPath + '/') + node.unitName;
  for (const c of node.children) setPaths(c, node.path);
}

export function addChild(parent: FdtNode, child: FdtNode, index = parent.children.length): FdtNode {
  parent.children.splice(index, 0, child);
  setPaths(child, parent.path);
  return child;
}

export function mkTree(root: FdtNode, reserve: FdtReserveEntry[] = [], bootCpuidPhys = 0): FdtTree {
  setPaths(root, null);
  return { header: null, reserve, bootCpuidPhys, root };
}

/** Property value builders (big-endian, as the blob stores them). */
export const val = {
  empty: (): Uint8Array => new Uint8Array(0),
  u32: (...cells: number[]): Uint8Array => {
    const out = new Uint8Array(cells.length * 4);
    const dv = new DataView(out.buffer);
    cells.forEach((c, i) => dv.setUint32(i * 4, c >>> 0, false));
    return out;
  },
  /** A bigint as `n` cells (most significant first). */
  cellsOf: (v: bigint, n: number): number[] => {
    const out: number[] = [];
    for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(32 * i)) & 0xffffffffn));
    return out;
  },
  string: (s: string): Uint8Array => val.strings(s),
  strings: (...ss: string[]): Uint8Array => {
    const parts = ss.map((s) => new TextEncoder().encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length + 1;
    }
    return out;
  },
};

export function mkProp(name: string, value: Uint8Array = val.empty()): FdtProp {
  return { name, value, structOffset: -1 };
}
export const propU32 = (name: string, ...cells: number[]): FdtProp => mkProp(name, val.u32(...cells));
export const propStr = (name: string, ...ss: string[]): FdtProp => mkProp(name, val.strings(...ss));
export const propBool = (name: string): FdtProp => mkProp(name);

/** Replaces the value of an existing property in place (keeps its position) or appends it. */
export function setProp(node: FdtNode, prop: FdtProp): void {
  const i = node.props.findIndex((p) => p.name === prop.name);
  if (i >= 0) node.props[i] = prop;
  else node.props.push(prop);
}

export function deleteProp(node: FdtNode, name: string): boolean {
  const i = node.props.findIndex((p) => p.name === name);
  if (i < 0) return false;
  node.props.splice(i, 1);
  return true;
}

// ------------------------------------------------------------------ reading

export function getProp(node: FdtNode, name: string): FdtProp | undefined {
  return node.props.find((p) => p.name === name);
}

export const hasProp = (node: FdtNode, name: string): boolean => getProp(node, name) !== undefined;

/** Value as big-endian u32 cells, or null when the length is not a multiple of 4. */
export function cellsOf(value: Uint8Array): number[] | null {
  if (value.length % 4 !== 0) return null;
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(dv.getUint32(i, false));
  return out;
}

export function propCells(node: FdtNode, name: string): number[] | null {
  const p = getProp(node, name);
  return p ? cellsOf(p.value) : null;
}

/** A single-cell property, or null when absent or not exactly 4 bytes. */
export function propU32Value(node: FdtNode, name: string): number | null {
  const c = propCells(node, name);
  return c && c.length === 1 ? c[0]! : null;
}

/** Cells[i..i+n) as one number (n = 0 gives 0n). */
export function cellsToBigint(cells: readonly number[], start: number, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 32n) | BigInt(cells[start + i] ?? 0);
  return v;
}

/** NUL-separated string list, or null when the value is not one (empty, unterminated). */
export function stringsOf(value: Uint8Array): string[] | null {
  if (value.length === 0 || value[value.length - 1] !== 0) return null;
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === 0) {
      out.push(new TextDecoder('latin1').decode(value.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

export function propStrings(node: FdtNode, name: string): string[] | null {
  const p = getProp(node, name);
  return p ? stringsOf(p.value) : null;
}

export function propString(node: FdtNode, name: string): string | null {
  const s = propStrings(node, name);
  return s && s.length >= 1 ? s[0]! : null;
}

export function isCompatible(node: FdtNode, compatible: string): boolean {
  return (propStrings(node, 'compatible') ?? []).includes(compatible);
}

/** `phandle` (or the legacy `linux,phandle`) of a node, or null. */
export function phandleOf(node: FdtNode): number | null {
  return propU32Value(node, 'phandle') ?? propU32Value(node, 'linux,phandle');
}

/** #address-cells a node gives its children (DT spec default 2). */
export const addressCells = (node: FdtNode): number => propU32Value(node, '#address-cells') ?? 2;
/** #size-cells a node gives its children (DT spec default 1). */
export const sizeCells = (node: FdtNode): number => propU32Value(node, '#size-cells') ?? 1;

export interface RegEntry {
  address: bigint;
  size: bigint;
}

/**
 * `reg` split with the parent's cell counts. Returns null when the length does not fit. For PCI
 * parents (3 address cells) `address` holds all three cells (phys.hi in the top 32 bits).
 */
export function regOf(node: FdtNode, parent: FdtNode): RegEntry[] | null {
  const cells = propCells(node, 'reg');
  if (!cells) return null;
  const na = addressCells(parent);
  const ns = sizeCells(parent);
  const step = na + ns;
  if (step === 0 || cells.length % step !== 0) return null;
  const out: RegEntry[] = [];
  for (let i = 0; i < cells.length; i += step) out.push({ address: cellsToBigint(cells, i, na), size: cellsToBigint(cells, i + na, ns) });
  return out;
}

// ------------------------------------------------------------------ navigation

/** Pre-order walk; the callback gets each node and its parent (null for the root). */
export function walk(root: FdtNode, fn: (node: FdtNode, parent: FdtNode | null, depth: number) => void): void {
  const rec = (n: FdtNode, p: FdtNode | null, d: number) => {
    fn(n, p, d);
    for (const c of n.children) rec(c, n, d + 1);
  };
  rec(root, null, 0);
}

export function findNode(root: FdtNode, path: string): FdtNode | null {
  if (path === '/' || path === '') return root;
  let cur: FdtNode | undefined = root;
  for (const part of path.split('/').filter((s) => s.length > 0)) {
    // A path component may omit the unit address when it is unambiguous (DT spec 2.2.3).
    const exact: FdtNode | undefined = cur.children.find((c) => c.unitName === part);
    if (exact) {
      cur = exact;
      continue;
    }
    const byName: FdtNode[] = cur.children.filter((c) => c.name === part);
    if (byName.length !== 1) return null;
    cur = byName[0];
    if (!cur) return null;
  }
  return cur ?? null;
}

export function parentMap(root: FdtNode): Map<FdtNode, FdtNode | null> {
  const m = new Map<FdtNode, FdtNode | null>();
  walk(root, (n, p) => m.set(n, p));
  return m;
}

/** phandle -> node (first definition wins, as in libfdt's fdt_node_offset_by_phandle). */
export function phandleIndex(root: FdtNode): Map<number, FdtNode> {
  const m = new Map<number, FdtNode>();
  walk(root, (n) => {
    const ph = phandleOf(n);
    if (ph !== null && !m.has(ph)) m.set(ph, n);
  });
  return m;
}

export function findByCompatible(root: FdtNode, compatible: string): FdtNode[] {
  const out: FdtNode[] = [];
  walk(root, (n) => {
    if (isCompatible(n, compatible)) out.push(n);
  });
  return out;
}

/** Highest phandle used in the tree (0 when none). */
export function maxPhandle(root: FdtNode): number {
  let max = 0;
  walk(root, (n) => {
    for (const name of ['phandle', 'linux,phandle']) {
      const v = propU32Value(n, name);
      if (v !== null && v !== 0xffffffff && v > max) max = v;
    }
  });
  return max;
}

/** `status` is absent, "okay" or "ok" (Linux of_device_is_available). */
export function isAvailable(node: FdtNode): boolean {
  const s = propString(node, 'status');
  return s === null || s === 'okay' || s === 'ok';
}

/**
 * PCI host bridges: nodes with device_type = "pci" whose parent is not itself a PCI bus node
 * (root ports and PCI-PCI bridges under a host bridge also carry device_type = "pci").
 */
export function hostBridges(root: FdtNode): { node: FdtNode; parent: FdtNode }[] {
  const out: { node: FdtNode; parent: FdtNode }[] = [];
  walk(root, (n, p) => {
    if (!p || propString(n, 'device_type') !== 'pci') return;
    if (propString(p, 'device_type') === 'pci') return;
    out.push({ node: n, parent: p });
  });
  return out;
}

/** Deep copy (values are copied too, so that edits never alias a decoded blob). */
export function cloneNode(n: FdtNode): FdtNode {
  return {
    ...n,
    props: n.props.map((p) => ({ ...p, value: p.value.slice() })),
    children: n.children.map(cloneNode),
  };
}

export function cloneTree(t: FdtTree): FdtTree {
  return {
    header: t.header ? { ...t.header } : null,
    reserve: t.reserve.map((r) => ({ ...r })),
    bootCpuidPhys: t.bootCpuidPhys,
    root: cloneNode(t.root),
  };
}
