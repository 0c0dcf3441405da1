/**
 * Renders a generated Topology as DSL and as YAML. Both spellings must lower to the same IR, so
 * the two files must build to the same bytes. Spelling varies with the topology's `style`
 * numbers (hex, decimal, binary, `_` separators, size suffixes, `;` or new lines, comments, flow
 * or block YAML maps) so that the readers see more than one way of writing each value.
 */
import type { IommuChoice, TBridge, TDevice, Topology } from './topology';

/** Small deterministic generator: the same topology always renders the same text. */
class Spell {
  private s: number;
  constructor(seed: number[]) {
    this.s = seed.reduce((a, x) => (Math.imul(a ^ x, 0x9e3779b1) + 0x7f4a7c15) >>> 0, 0x12345678) || 1;
  }
  next(n: number): number {
    this.s ^= this.s << 13;
    this.s ^= this.s >>> 17;
    this.s ^= this.s << 5;
    this.s >>>= 0;
    return this.s % n;
  }
}

const SUFFIXES: [string, bigint][] = [
  ['T', 1n << 40n],
  ['G', 1n << 30n],
  ['M', 1n << 20n],
  ['K', 1n << 10n],
];

function groups(digits: string): string {
  const out: string[] = [];
  for (let i = digits.length; i > 0; i -= 4) out.unshift(digits.slice(Math.max(0, i - 4), i));
  return out.join('_');
}

/** An integer literal both readers accept; `size` allows a size suffix. */
export function intText(v: bigint | number, sp: Spell, size = false): string {
  const n = BigInt(v);
  const pick = sp.next(8);
  if (size && n > 0n && pick < 3) {
    for (const [suf, mul] of SUFFIXES)
      if (n % mul === 0n) return `${n / mul}${pick === 2 && suf !== 'K' ? suf + 'iB' : pick === 2 ? 'KiB' : suf}`;
  }
  switch (pick) {
    case 3:
      return '0x' + n.toString(16);
    case 4:
      return '0x' + groups(n.toString(16).toUpperCase());
    case 5:
      return n < 256n ? '0b' + n.toString(2) : '0X' + n.toString(16);
    case 6:
      return groups(n.toString(10)).replace(/^_/, '');
    default:
      return n.toString(10);
  }
}

const quote = (s: string) => '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';

interface Prop {
  name: string;
  /** DSL values (already spelled) and the YAML value. */
  dsl: string[];
  yaml: string;
  /** Repeated DSL property (memranges): one line per element. */
  repeat?: { dsl: string[]; yaml: string }[];
}

function props(t: Topology, sp: Spell) {
  const i = (name: string, v: bigint | number, size = false): Prop => {
    const x = intText(v, sp, size);
    return { name, dsl: [x], yaml: x };
  };
  const w = (name: string, v: string): Prop => ({ name, dsl: [v], yaml: v });
  const str = (name: string, v: string): Prop => ({ name, dsl: [quote(v)], yaml: quote(v) });
  const b = (name: string, v: boolean): Prop => ({ name, dsl: [String(v)], yaml: String(v) });
  const mem = (name: string, list: [bigint, bigint][], repeatable = false): Prop => {
    const items = list.map(([base, size]) => {
      const bs = intText(base, sp, true);
      const ss = intText(size, sp, true);
      return { dsl: [bs, ss], yaml: `{ base: ${bs}, size: ${ss} }` };
    });
    return { name, dsl: [], yaml: items.length === 1 && (!repeatable || sp.next(2)) ? items[0]!.yaml : `[${items.map((x) => x.yaml).join(', ')}]`, repeat: items };
  };
  const ref = (name: string, c: IommuChoice): Prop[] => {
    if (c.k === 'default') return [];
    if (c.k === 'bypass') return [b('bypass', true)];
    return [w(name, c.k === 'none' ? 'none' : c.id)];
  };
  return { i, w, str, b, mem, ref };
}

interface BlockOut {
  kind: string;
  id: string | null;
  sub: string | null;
  props: Prop[];
}

function blocks(t: Topology, sp: Spell): { machine: Prop[]; blocks: BlockOut[] } {
  const P = props(t, sp);
  const machine: Prop[] = [];
  if (t.profileExplicit) machine.push(P.w('profile', t.profile));
  if (t.memory !== undefined) machine.push(P.i('memory', t.memory, true));
  if (t.ram.length) machine.push(P.mem('ram', t.ram, true));
  const out: BlockOut[] = [];
  if (t.iort) {
    const ps: Prop[] = [];
    const o = t.iort;
    if (o.revision !== undefined) ps.push(P.i('revision', o.revision));
    if (o.oemId !== undefined) ps.push(P.str('oem_id', o.oemId));
    if (o.oemTableId !== undefined) ps.push(P.str('oem_table_id', o.oemTableId));
    if (o.oemRevision !== undefined) ps.push(P.i('oem_revision', o.oemRevision));
    if (o.creatorId !== undefined) ps.push(P.str('creator_id', o.creatorId));
    if (o.creatorRevision !== undefined) ps.push(P.i('creator_revision', o.creatorRevision));
    out.push({ kind: 'iort', id: null, sub: null, props: ps });
  }
  if (t.gic)
    out.push({
      kind: 'gic',
      id: null,
      sub: null,
      props: [P.i('dist', t.gic.dist, true), P.i('redist', t.gic.redist, true), P.i('redist_size', t.gic.redistSize, true), P.i('spis', t.gic.spis)],
    });
  for (const x of t.its)
    out.push({ kind: 'its', id: x.id, sub: null, props: [P.i('base', x.base, true), ...(x.translationId !== undefined ? [P.i('translation_id', x.translationId)] : [])] });
  for (const s of t.smmus) {
    const ps: Prop[] = [];
    if (s.base !== undefined) ps.push(P.i('base', s.base, true));
    if (s.spi !== undefined) ps.push(P.i('spi', s.spi));
    if (s.gsivs) ps.push(P.i('event_gsiv', s.gsivs.event), P.i('pri_gsiv', s.gsivs.pri), P.i('sync_gsiv', s.gsivs.sync), P.i('gerror_gsiv', s.gsivs.gerror));
    if (s.msiIts !== undefined) ps.push(P.w('msi_its', s.msiIts));
    if (s.msiDeviceId !== undefined) ps.push(P.i('msi_device_id', s.msiDeviceId));
    if (s.msi !== undefined) ps.push(P.w('msi', s.msi));
    if (s.stage) ps.push(P.w('stage', s.stage));
    if (s.host !== undefined) ps.push(P.str('host', s.host));
    if (s.ats !== undefined) ps.push(P.b('ats', s.ats));
    if (s.coherent !== undefined) ps.push(P.b('coherent', s.coherent));
    if (s.httu !== undefined) ps.push(typeof s.httu === 'number' ? P.i('httu', s.httu) : P.w('httu', s.httu));
    if (s.numa !== undefined) ps.push(P.i(sp.next(4) ? 'numa' : 'numa_node', s.numa));
    out.push({ kind: 'smmuv3', id: s.id, sub: null, props: ps });
  }
  const bridgeProps = (b: TBridge): Prop[] => {
    const ps: Prop[] = [];
    if (b.segment !== undefined) ps.push(P.i('segment', b.segment));
    if (b.ecam !== undefined) ps.push(P.i('ecam', b.ecam, true));
    if (b.busRange) {
      const x = `${intText(b.busRange[0], sp)}..${intText(b.busRange[1], sp)}`;
      ps.push({ name: 'bus_range', dsl: [x], yaml: x });
    }
    if (b.windows?.pio) ps.push(P.mem('pio', [b.windows.pio]));
    if (b.windows?.mmio32) ps.push(P.mem('mmio32', [b.windows.mmio32]));
    if (b.windows?.mmio64) ps.push(P.mem('mmio64', [b.windows.mmio64]));
    if (b.kind === 'pxb' && b.parentExplicit) ps.push(P.w('bus', b.parent!));
    if (b.busNr !== undefined) ps.push(P.i('bus_nr', b.busNr));
    if (b.addr !== undefined) ps.push(P.i('addr', b.addr));
    if (b.buses !== undefined) ps.push(P.i('buses', b.buses));
    ps.push(...P.ref('iommu', b.iommu));
    if (b.msi !== undefined) ps.push(P.w('msi', b.msi));
    if (b.ats !== undefined) ps.push(P.b('ats', b.ats));
    if (b.memLimit !== undefined) ps.push(P.i('mem_limit', b.memLimit));
    if (b.numa !== undefined) ps.push(P.i('numa', b.numa));
    if (b.hotplug !== undefined) ps.push(P.i('hotplug', b.hotplug));
    return ps;
  };
  for (const b of t.bridges) if (b.kind === 'rc' && b.declared) out.push({ kind: 'pcie', id: b.id, sub: null, props: bridgeProps(b) });
  for (const b of t.bridges) if (b.kind === 'pxb') out.push({ kind: 'pxb-pcie', id: b.id, sub: null, props: bridgeProps(b) });
  for (const p of t.ports) {
    const ps: Prop[] = [P.w('on', p.on)];
    if (p.addr !== undefined) ps.push(P.i('addr', p.addr));
    if (p.chassis !== undefined) ps.push(P.i('chassis', p.chassis));
    if (p.reserve !== undefined) ps.push(P.i('reserve', p.reserve));
    out.push({ kind: 'root-port', id: p.id, sub: null, props: ps });
  }
  const devProps = (d: TDevice): Prop[] => {
    const ps: Prop[] = [P.w('on', d.on)];
    if (d.addr !== undefined) ps.push(P.i('addr', d.addr));
    if (d.fn !== undefined) ps.push(P.i('fn', d.fn));
    if (d.host !== undefined) ps.push(P.str('host', d.host));
    if (d.hostSmmu !== undefined) ps.push(P.str('host_smmu', d.hostSmmu));
    if (d.model !== undefined) ps.push(P.str('model', d.model));
    return ps;
  };
  for (const d of t.devices) out.push({ kind: 'device', id: d.id, sub: d.kind, props: devProps(d) });
  for (const r of t.rmrs) {
    const ps: Prop[] = [];
    if (r.iommuExplicit) ps.push(P.w('iommu', r.smmu));
    ps.push({ name: 'ids', dsl: r.ids, yaml: `[${r.ids.join(', ')}]` });
    if (r.ranges.length) ps.push(P.mem('range', r.ranges, true));
    if (r.remap !== undefined) ps.push(P.b('remap', r.remap));
    if (r.privileged !== undefined) ps.push(P.b('privileged', r.privileged));
    if (r.attributes !== undefined) ps.push(typeof r.attributes === 'number' ? P.i('attributes', r.attributes) : P.w('attributes', r.attributes));
    out.push({ kind: 'rmr', id: r.id, sub: null, props: ps });
  }
  return { machine, blocks: out };
}

const COMMENTS_DSL = ['// a comment', '# hash comment', '/* block */', '/* multi\n   line */'];

export function toDsl(t: Topology): string {
  const sp = new Spell(t.style);
  const { machine, blocks: bs } = blocks(t, sp);
  const lines: string[] = [];
  if (sp.next(3) === 0) lines.push(COMMENTS_DSL[sp.next(COMMENTS_DSL.length)]!);
  const propLines = (p: Prop): string[] => (p.repeat ? p.repeat.map((r) => `${p.name} ${r.dsl.join(' ')}`) : [`${p.name} ${p.dsl.join(' ')}`]);
  lines.push(`machine ${t.name} ${sp.next(4) === 0 ? '\n' : ''}{`);
  for (const p of machine) lines.push(`  ${propLines(p).join(sp.next(2) ? '; ' : '\n  ')}`);
  for (const b of bs) {
    const head = [b.kind, b.id, b.sub].filter((x) => x !== null).join(' ');
    const body = b.props.flatMap(propLines);
    const oneLine = sp.next(3) !== 0;
    if (sp.next(6) === 0) lines.push('  ' + COMMENTS_DSL[sp.next(COMMENTS_DSL.length)]!);
    if (oneLine) lines.push(`  ${head} { ${body.join('; ')}${body.length && sp.next(2) ? ';' : ''} }`);
    else lines.push(`  ${head}${sp.next(4) === 0 ? '\n ' : ''} {`, ...body.map((l) => `    ${l}${sp.next(3) === 0 ? ';' : ''}`), '  }');
  }
  lines.push('}');
  return lines.join(sp.next(8) === 0 ? '\r\n' : '\n') + (sp.next(4) ? '\n' : '');
}

export function toYaml(t: Topology): string {
  const sp = new Spell(t.style);
  const { machine, blocks: bs } = blocks(t, sp);
  const lines: string[] = [];
  if (sp.next(3) === 0) lines.push('# generated');
  if (sp.next(4) === 0) lines.push('---');
  lines.push(`machine: ${t.name}`);
  for (const p of machine) lines.push(`${p.name}: ${p.yaml}`);
  const map = (ps: Prop[], indent: string): string[] =>
    sp.next(2) ? [`{ ${ps.map((p) => `${p.name}: ${p.yaml}`).join(', ')} }`] : ps.length === 0 ? ['{}'] : ['', ...ps.map((p) => `${indent}${p.name}: ${p.yaml}`)];
  const byKind = new Map<string, BlockOut[]>();
  for (const b of bs) byKind.set(b.kind, [...(byKind.get(b.kind) ?? []), b]);
  for (const [kind, list] of byKind) {
    if (list[0]!.id === null) {
      const body = map(list[0]!.props, '  ');
      lines.push(`${kind}: ${body[0]}`, ...body.slice(1));
      continue;
    }
    lines.push(`${kind}:`);
    for (const b of list) {
      const ps = b.sub ? [{ name: 'kind', dsl: [b.sub], yaml: b.sub }, ...b.props] : b.props;
      const body = map(ps, '    ');
      lines.push(`  ${b.id}: ${body[0]}`, ...body.slice(1));
    }
  }
  return lines.map((l) => l.replace(/ +$/, '')).join('\n') + '\n';
}
