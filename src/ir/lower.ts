/**
 * Lowering: source model (parser/ast.ts) -> IR (types.ts). Validates every block against the
 * model spec, resolves references, applies profile defaults and does the allocations (SMMU
 * bases and interrupts, PCI slots, bus numbers, RID maps, SMMU MSI maps, RMR stream ranges).
 * Deterministic: the same source gives the same IR, whatever the language.
 *
 * Order rule (the same for DSL and YAML, which groups blocks by kind): lists keep declaration
 * order within a kind; allocations that mix kinds take them in a fixed kind order
 * (root-port, pxb-pcie, device), then declaration order.
 */
import { makeDiag, type Diagnostic, hasErrors, type Result } from '../diag/diagnostic';
import type { Span } from '../diag/span';
import type { Block, SourceFile } from '../parser/ast';
import { LOWER } from './codes';
import { CUSTOM_DEFAULT_REVISION, CUSTOM_IORT_IDS } from './profiles/custom';
import {
  GIB,
  MAX_PLATFORM_SMMUS,
  QEMU_GIC,
  QEMU_IORT_IDS,
  QEMU_ITS,
  QEMU_RC,
  QEMU_RMR_RANGE,
  qemuPciWindows,
  qemuPlatform,
  qemuSmmuPlacement,
  SMMU_SIZE,
} from './profiles/qemu-virt';
import { buildRidMaps, mergeIdRanges } from './ridmap';
import { BLOCK_BY_KIND, BLOCKS, CHILD_KINDS } from './spec';
import { didYouMean } from './suggest';
import type {
  IrDevice,
  IrGic,
  IrHostBridge,
  IrIortOptions,
  IrIts,
  IrMachine,
  IrMemRange,
  IrPciWindow,
  IrPlatformRegion,
  IrRmr,
  IrRootPort,
  IrSmmu,
  IrSmmuIrqs,
  Profile,
} from './types';
import { devfnOf, rid } from './types';
import { get, type VBlock, validateBlock } from './validate';

const NO = Symbol('none');
/** True when the source wrote the property, even if its value was rejected (no cascades). */
const written = (b: VBlock, name: string) => b.block.props.some((p) => p.name === name);
type RefResult = string | typeof NO | undefined;

interface Ctx {
  /** Devices behind each SMMU sorted by stream ID (built once, for RMR coverage). */
  devicesBySmmu(bridges: Map<string, IrHostBridge>, devices: IrDevice[]): Map<string, { sid: number; index: number; id: string }[]>;
  profile: Profile;
  diags: Diagnostic[];
  /** id -> defining block (user blocks and implicit ones) */
  ids: Map<string, { kind: string; at: Span | undefined }>;
  machine: VBlock;
}

export function lower(src: SourceFile): Result<IrMachine> {
  const diags: Diagnostic[] = [];
  const mb = src.machine;
  if (!mb) return { value: null, diagnostics: diags };
  const profileProp = mb.props.find((p) => p.name === 'profile')?.values[0];
  const profile: Profile =
    profileProp && (profileProp.kind === 'ident' || profileProp.kind === 'string') && profileProp.value === 'custom'
      ? 'custom'
      : 'qemu-virt';
  const machine = validateBlock(mb, BLOCK_BY_KIND.get('machine')!, profile, diags);
  if (!mb.id) diags.push(makeDiag(LOWER.MISSING_ID, "the machine needs a name: 'machine NAME { ... }'", { span: mb.kindSpan }));
  if (mb.subkind) diags.push(makeDiag(LOWER.BAD_SUBKIND, 'machine takes no kind qualifier', { span: mb.subkindSpan! }));
  let bySmmu: Map<string, { sid: number; index: number; id: string }[]> | null = null;
  const ctx: Ctx = {
    profile,
    diags,
    ids: new Map(),
    machine,
    devicesBySmmu(bridges, devices) {
      if (bySmmu) return bySmmu;
      bySmmu = new Map();
      devices.forEach((d, index) => {
        const smmu = bridges.get(d.bridge)?.iommu;
        if (!smmu) return;
        const list = bySmmu!.get(smmu) ?? [];
        list.push({ sid: ((d.segment << 16) | d.rid) >>> 0, index, id: d.id });
        bySmmu!.set(smmu, list);
      });
      for (const l of bySmmu.values()) l.sort((a, b) => a.sid - b.sid || a.index - b.index);
      return bySmmu;
    },
  };

  // ---- blocks: kind, header shape, properties ----
  const byKind = new Map<string, VBlock[]>(CHILD_KINDS.map((k) => [k, []]));
  for (const b of mb.blocks) {
    const spec = BLOCK_BY_KIND.get(b.kind);
    if (!spec || b.kind === 'machine') {
      diags.push(
        makeDiag(LOWER.UNKNOWN_KIND, b.kind === 'machine' ? 'machine blocks cannot be nested' : `unknown block kind '${b.kind}'`, { span: b.kindSpan }, {
          help: didYouMean(b.kind, CHILD_KINDS) ?? `block kinds: ${CHILD_KINDS.join(', ')}`,
        }),
      );
      continue;
    }
    if (!checkHeader(b, ctx)) continue;
    for (const inner of b.blocks)
      diags.push(makeDiag(LOWER.NOT_HERE, `blocks cannot be nested inside ${b.kind}`, { span: inner.kindSpan }));
    const list = byKind.get(b.kind)!;
    if (spec.singleton && list.length > 0) {
      diags.push(
        makeDiag(LOWER.SINGLETON, `only one ${b.kind} block is allowed`, { span: b.kindSpan }, {
          related: [{ message: 'first one here', span: list[0]!.block.kindSpan }],
        }),
      );
      continue;
    }
    list.push(validateBlock(b, spec, profile, diags));
  }
  const blocks = (k: string) => byKind.get(k)!;

  // ---- the id namespace (one for all kinds; implicit profile ids first) ----
  const itsOff = get.str(machine, 'its') !== undefined;
  const implicit = new Set<string>();
  if (profile === 'qemu-virt') {
    if (!blocks('pcie').some((b) => b.id === QEMU_RC.id)) implicit.add(QEMU_RC.id);
    ctx.ids.set(QEMU_RC.id, { kind: 'pcie', at: undefined });
    if (!itsOff && blocks('its').length === 0) {
      implicit.add(QEMU_ITS.id);
      ctx.ids.set(QEMU_ITS.id, { kind: 'its', at: undefined });
    }
  }
  const declare = (id: string, kind: string, at: Span | undefined) => {
    const prev = ctx.ids.get(id);
    if (prev) {
      if (!prev.at)
        diags.push(
          makeDiag(LOWER.DUPLICATE_ID, `id '${id}' is the implicit ${prev.kind} of profile ${profile}`, at ? { span: at } : {}, {
            help: 'choose another id',
          }),
        );
      else
        diags.push(
          makeDiag(LOWER.DUPLICATE_ID, `id '${id}' is already used by a ${prev.kind}`, at ? { span: at } : {}, {
            related: [{ message: `'${id}' first defined here`, span: prev.at }],
          }),
        );
      return false;
    }
    ctx.ids.set(id, { kind, at });
    return true;
  };
  const vbOf = new Map<Block, VBlock>();
  for (const list of byKind.values()) for (const vb of list) vbOf.set(vb.block, vb);
  const dropped = new Set<VBlock>();
  for (const b of mb.blocks) {
    const vb = b.id ? vbOf.get(b) : undefined;
    if (!vb) continue;
    // `pcie pcie.0 { ... }` in qemu-virt configures the implicit root complex.
    if (profile === 'qemu-virt' && b.kind === 'pcie' && b.id === QEMU_RC.id && !implicit.has(QEMU_RC.id)) {
      const prev = ctx.ids.get(QEMU_RC.id)!;
      if (!prev.at) {
        ctx.ids.set(QEMU_RC.id, { kind: 'pcie', at: vb.at });
        continue;
      }
    }
    if (!declare(b.id!, b.kind, vb.at)) dropped.add(vb);
  }
  if (dropped.size) for (const [k, list] of byKind) byKind.set(k, list.filter((x) => !dropped.has(x)));

  // ---- GIC ----
  const gic = lowerGic(blocks('gic')[0], ctx);

  // ---- ITS ----
  const its: IrIts[] = [];
  if (itsOff && blocks('its').length) {
    diags.push(
      makeDiag(LOWER.ITS_OFF_CONFLICT, "'its off' but an ITS block is declared", { span: get.span(machine, 'its')! }, {
        related: [{ message: 'ITS declared here', span: blocks('its')[0]!.at }],
      }),
    );
  }
  if (profile === 'qemu-virt') {
    if (blocks('its').length > 1)
      diags.push(
        makeDiag(LOWER.QEMU_ONE_ITS, 'qemu-virt has one ITS (at 0x08080000)', { span: blocks('its')[1]!.at }, {
          help: 'use profile custom for more',
        }),
      );
    const b = blocks('its')[0];
    if (b)
      its.push({
        id: b.id,
        base: get.int(b, 'base') ?? QEMU_ITS.base,
        size: get.int(b, 'size') ?? QEMU_ITS.size,
        translationId: get.num(b, 'translation_id') ?? 0,
        span: b.at,
      });
    else if (!itsOff) its.push({ id: QEMU_ITS.id, base: QEMU_ITS.base, size: QEMU_ITS.size, translationId: 0, span: machine.at });
  } else {
    blocks('its').forEach((b, i) =>
      its.push({
        id: b.id,
        base: get.int(b, 'base') ?? 0n,
        size: get.int(b, 'size') ?? 0x2_0000n,
        translationId: get.num(b, 'translation_id') ?? i,
        span: b.at,
      }),
    );
  }
  const defaultIts = (at: Span, what: string, prop: string): string | null => {
    if (profile === 'qemu-virt' || its.length <= 1) return its[0]?.id ?? null;
    diags.push(
      makeDiag(LOWER.AMBIGUOUS_ITS, `${what} needs '${prop}': the machine has ${its.length} ITS`, { span: at }, {
        help: `add '${prop} ${its[0]!.id}' (or '${prop} none')`,
      }),
    );
    return null;
  };

  // ---- root complexes ----
  interface Rc {
    vb: VBlock | null;
    ir: IrHostBridge;
    busExplicit: boolean;
  }
  const rcs: Rc[] = [];
  const smmuBlocks = blocks('smmuv3');
  const defaultSmmu = smmuBlocks.length === 1 ? smmuBlocks[0]!.id : null;
  const iommuOf = (b: VBlock | null, kindName: string): string | null => {
    if (!b) return defaultSmmu;
    const r = resolveRef(b, 'iommu', ['smmuv3'], ctx);
    const bypass = get.bool(b, 'bypass');
    if (r !== undefined && bypass !== undefined) {
      if ((r === NO) !== bypass)
        diags.push(
          makeDiag(LOWER.CONFLICT, `${kindName} '${b.id}' has both 'iommu' and 'bypass'`, { span: get.propSpan(b, 'bypass')! }, {
            related: [{ message: "'iommu' given here", span: get.propSpan(b, 'iommu')! }],
          }),
        );
    }
    if (r === NO || bypass === true) return null;
    if (typeof r === 'string') return r;
    return defaultSmmu;
  };
  const msiOf = (b: VBlock | null, fallback: () => string | null): string | null => {
    if (b && get.has(b, 'msi')) {
      const r = resolveRef(b, 'msi', ['its'], ctx);
      return typeof r === 'string' ? r : null;
    }
    return fallback();
  };
  if (profile === 'qemu-virt') {
    const pb = blocks('pcie');
    for (const b of pb) {
      if (b.id !== QEMU_RC.id)
        diags.push(
          makeDiag(LOWER.QEMU_ONE_RC, `qemu-virt has one root complex, pcie.0; '${b.id}' cannot be added`, { span: b.at }, {
            help: "use 'pxb-pcie' for more root buses, or profile custom",
          }),
        );
    }
    const b = pb.find((x) => x.id === QEMU_RC.id) ?? null;
    rcs.push({
      vb: b,
      busExplicit: false,
      ir: {
        id: QEMU_RC.id,
        kind: 'rc',
        segment: QEMU_RC.segment,
        busStart: 0,
        busEnd: 0,
        iommu: iommuOf(b, 'pcie'),
        msiParent: msiOf(b, () => its[0]?.id ?? null),
        ats: (b && get.bool(b, 'ats')) ?? false,
        memLimit: (b && get.num(b, 'mem_limit')) ?? QEMU_RC.memLimit,
        numa: (b && get.num(b, 'numa')) ?? null,
        parent: null,
        devfn: null,
        hotplug: (b && get.num(b, 'hotplug')) ?? 0,
        ecamBase: QEMU_RC.ecam,
        span: b?.at ?? machine.at,
      },
    });
  } else {
    for (const b of blocks('pcie')) {
      const br = b.values.get('bus_range')?.[0]?.tv;
      rcs.push({
        vb: b,
        busExplicit: br?.t === 'range',
        ir: {
          id: b.id,
          kind: 'rc',
          segment: get.num(b, 'segment') ?? 0,
          busStart: br?.t === 'range' ? Number(br.lo) : 0,
          busEnd: br?.t === 'range' ? Number(br.hi) : 0,
          iommu: iommuOf(b, 'pcie'),
          msiParent: msiOf(b, () => defaultIts(b.at, `pcie '${b.id}'`, 'msi')),
          ats: get.bool(b, 'ats') ?? false,
          memLimit: get.num(b, 'mem_limit') ?? 64,
          numa: get.num(b, 'numa') ?? null,
          parent: null,
          devfn: null,
          hotplug: get.num(b, 'hotplug') ?? 0,
          ecamBase: get.int(b, 'ecam') ?? 0n,
          span: b.at,
        },
      });
    }
  }
  const rcById = new Map(rcs.map((r) => [r.ir.id, r]));

  // ---- expander bridges ----
  interface Pxb {
    vb: VBlock;
    ir: IrHostBridge;
    rc: Rc | null;
  }
  /** Bridges whose bus numbers are unknown because of an earlier error: no overlap checks. */
  const busUnknown = new Set<string>();
  const pxbs: Pxb[] = [];
  for (const b of blocks('pxb-pcie')) {
    let rc: Rc | null = null;
    if (get.has(b, 'bus')) {
      const r = resolveRef(b, 'bus', ['pcie'], ctx);
      if (typeof r === 'string') rc = rcById.get(r) ?? null;
    } else if (rcs.length === 1) rc = rcs[0]!;
    else
      diags.push(
        makeDiag(rcs.length ? LOWER.AMBIGUOUS_RC : LOWER.NO_BUSES, rcs.length ? `pxb-pcie '${b.id}' needs 'bus': the machine has ${rcs.length} root complexes` : `pxb-pcie '${b.id}' has no root complex to sit on: declare a 'pcie' block`, {
          span: b.at,
        }),
      );
    if (get.num(b, 'bus_nr') === undefined) busUnknown.add(b.id);
    pxbs.push({
      vb: b,
      rc,
      ir: {
        id: b.id,
        kind: 'pxb',
        segment: rc?.ir.segment ?? 0,
        busStart: get.num(b, 'bus_nr') ?? 0,
        busEnd: get.num(b, 'bus_nr') ?? 0,
        iommu: iommuOf(b, 'pxb-pcie'),
        msiParent: msiOf(b, () => rc?.ir.msiParent ?? null),
        ats: get.bool(b, 'ats') ?? false,
        memLimit: get.num(b, 'mem_limit') ?? 64,
        numa: get.num(b, 'numa') ?? null,
        parent: rc?.ir.id ?? null,
        devfn: null,
        hotplug: get.num(b, 'hotplug') ?? 0,
        ecamBase: null,
        span: b.at,
      },
    });
  }
  const bridgeById = new Map<string, IrHostBridge>([...rcs.map((r) => [r.ir.id, r.ir] as const), ...pxbs.map((p) => [p.ir.id, p.ir] as const)]);

  // ---- root ports and devices: attachment ----
  interface Port {
    vb: VBlock | null;
    dev: VBlock | null;
    ir: IrRootPort;
    addr: number | undefined;
    fn: number;
    reserve: number;
  }
  const ports: Port[] = [];
  for (const b of blocks('root-port')) {
    const r = resolveRef(b, 'on', ['pcie', 'pxb-pcie'], ctx);
    const bridge = typeof r === 'string' ? bridgeById.get(r) : undefined;
    if (!bridge) continue;
    ports.push({
      vb: b,
      dev: null,
      addr: get.num(b, 'addr'),
      fn: get.num(b, 'fn') ?? 0,
      reserve: get.num(b, 'reserve') ?? 0,
      ir: { id: b.id, bridge: bridge.id, devfn: 0, bus: 0, secondary: 0, subordinate: 0, chassis: get.num(b, 'chassis') ?? null, span: b.at },
    });
  }
  interface Dev {
    vb: VBlock;
    ir: IrDevice;
    on: { kind: 'bridge'; bridge: IrHostBridge } | { kind: 'port'; port: Port } | null;
    addr: number | undefined;
    fn: number;
  }
  const portById = new Map(ports.map((p) => [p.ir.id, p]));
  const devs: Dev[] = [];
  for (const b of blocks('device')) {
    const kind = b.block.subkind === 'vfio' ? 'vfio' : 'emulated';
    const host = get.str(b, 'host');
    if (kind === 'vfio' && !written(b, 'host'))
      diags.push(
        makeDiag(LOWER.VFIO_HOST, `vfio device '${b.id}' needs 'host "SSSS:BB:DD.F"' (the host PCI address)`, { span: b.at }),
      );
    for (const p of ['host', 'host_smmu'])
      if (kind === 'emulated' && get.has(b, p))
        diags.push(makeDiag(LOWER.VFIO_HOST, `'${p}' is for vfio devices; '${b.id}' is emulated`, { span: get.propSpan(b, p)! }));
    const r = resolveRef(b, 'on', ['pcie', 'pxb-pcie', 'root-port'], ctx);
    let on: Dev['on'] = null;
    let bridgeId = '';
    if (typeof r === 'string') {
      const port = portById.get(r);
      const bridge = bridgeById.get(r);
      if (port) {
        on = { kind: 'port', port };
        bridgeId = port.ir.bridge;
      } else if (bridge) {
        bridgeId = bridge.id;
        on = { kind: 'bridge', bridge };
      }
    }
    devs.push({
      vb: b,
      on,
      addr: get.num(b, 'addr'),
      fn: get.num(b, 'fn') ?? 0,
      ir: {
        id: b.id,
        kind,
        bridge: bridgeId,
        port: null,
        segment: 0,
        bus: 0,
        devfn: 0,
        rid: 0,
        hostBdf: kind === 'vfio' ? (host ?? null) : null,
        hostSmmu: kind === 'vfio' ? (get.str(b, 'host_smmu') ?? null) : null,
        model: get.str(b, 'model') ?? null,
        span: b.at,
      },
    });
  }
  // A device on an expander bridge gets its own root port (what one writes for QEMU anyway).
  const implicitPorts: Port[] = [];
  for (const d of devs) {
    if (d.on?.kind !== 'bridge' || d.on.bridge.kind !== 'pxb') continue;
    const id = `${d.ir.id}.port`;
    if (!declare(id, 'root-port', d.vb.at)) continue;
    const p: Port = {
      vb: null,
      dev: d.vb,
      addr: d.addr,
      fn: 0,
      reserve: 0,
      ir: { id, bridge: d.on.bridge.id, devfn: 0, bus: 0, secondary: 0, subordinate: 0, chassis: null, span: d.vb.at },
    };
    implicitPorts.push(p);
    d.on = { kind: 'port', port: p };
    d.addr = undefined;
  }
  const allPorts = [...ports, ...implicitPorts];

  // ---- slots on each root bus ----
  const group = <T,>(xs: T[], key: (x: T) => string | undefined) => {
    const m = new Map<string, T[]>();
    for (const x of xs) {
      const k = key(x);
      if (k === undefined) continue;
      const l = m.get(k);
      if (l) l.push(x);
      else m.set(k, [x]);
    }
    return m;
  };
  const portsOn = group(allPorts, (p) => p.ir.bridge);
  const pxbsOn = group(pxbs, (x) => x.rc?.ir.id);
  const devsOn = group(devs, (d) => (d.on?.kind === 'bridge' ? d.on.bridge.id : undefined));
  for (const br of bridgeById.values()) {
    interface Occ {
      what: string;
      at: Span | undefined;
      addr: number | undefined;
      fn: number;
      set: (devfn: number) => void;
    }
    const occ: Occ[] = [];
    for (const p of portsOn.get(br.id) ?? [])
        occ.push({ what: `root port '${p.ir.id}'`, at: p.vb ? get.span(p.vb, 'addr') ?? p.vb.at : p.dev ? get.span(p.dev, 'addr') ?? p.dev.at : undefined, addr: p.addr, fn: p.fn, set: (v) => (p.ir.devfn = v) });
    for (const x of pxbsOn.get(br.id) ?? [])
        occ.push({ what: `pxb-pcie '${x.ir.id}'`, at: get.span(x.vb, 'addr') ?? x.vb.at, addr: get.num(x.vb, 'addr'), fn: 0, set: (v) => (x.ir.devfn = v) });
    for (const d of devsOn.get(br.id) ?? [])
        occ.push({ what: `device '${d.ir.id}'`, at: get.span(d.vb, 'addr') ?? d.vb.at, addr: d.addr, fn: d.fn, set: (v) => (d.ir.devfn = v) });
    const used = new Map<number, string>();
    // QEMU's gpex host bridge function is 00:00.0 on pcie.0.
    if (profile === 'qemu-virt' && br.id === QEMU_RC.id) used.set(0, 'the host bridge (00:00.0)');
    const usedAt = new Map<number, Span | undefined>();
    for (const o of occ) {
      if (o.addr === undefined) continue;
      const df = devfnOf(o.addr, o.fn);
      const prev = used.get(df);
      if (prev !== undefined) {
        const at = usedAt.get(df);
        diags.push(
          makeDiag(LOWER.SLOT_CONFLICT, `slot ${o.addr} function ${o.fn} on '${br.id}' is already used by ${prev}`, o.at ? { span: o.at } : {}, {
            related: at ? [{ message: `${prev} is here`, span: at }] : [],
          }),
        );
        continue;
      }
      used.set(df, o.what);
      usedAt.set(df, o.at);
      o.set(df);
    }
    for (const o of occ) {
      if (o.addr !== undefined) continue;
      let slot = -1;
      for (let s = 0; s < 32; s++) {
        let free = true;
        for (let f = 0; f < 8; f++) if (used.has(devfnOf(s, f))) free = false;
        if (free) {
          slot = s;
          break;
        }
      }
      if (slot < 0) {
        diags.push(makeDiag(LOWER.NO_FREE_SLOT, `no free slot on '${br.id}' for ${o.what}`, o.at ? { span: o.at } : {}));
        continue;
      }
      const df = devfnOf(slot, o.fn);
      used.set(df, o.what);
      usedAt.set(df, o.at);
      o.set(df);
    }
  }

  // ---- bus numbers (EDK2 PciBus: depth first, ascending device/function) ----
  const busRangeOf = (br: IrHostBridge, explicitEnd: number | null, at: Span | undefined) => {
    const mine = [...(portsOn.get(br.id) ?? [])].sort((a, b) => a.ir.devfn - b.ir.devfn);
    let next = br.busStart + 1;
    let maxSub = br.busStart;
    for (const p of mine) {
      p.ir.bus = br.busStart;
      p.ir.secondary = next;
      p.ir.subordinate = next + p.reserve;
      maxSub = p.ir.subordinate;
      next = p.ir.subordinate + 1;
    }
    if (explicitEnd !== null) {
      if (maxSub > explicitEnd)
        diags.push(
          makeDiag(LOWER.BUS_TOO_SMALL, `'${br.id}' owns buses ${br.busStart}..${explicitEnd} but its root ports need up to bus ${maxSub}`, at ? { span: at } : {}),
        );
      br.busEnd = explicitEnd;
    } else br.busEnd = maxSub + br.hotplug;
    if (br.busEnd > 255) {
      diags.push(
        makeDiag(LOWER.BUS_OVERFLOW, `'${br.id}' needs buses ${br.busStart}..${br.busEnd}, beyond bus 255`, at ? { span: at } : {}, {
          help: 'lower bus_nr, reserve or hotplug',
        }),
      );
      br.busEnd = 255;
      for (const p of mine) {
        p.ir.secondary = Math.min(p.ir.secondary, 255);
        p.ir.subordinate = Math.min(p.ir.subordinate, 255);
      }
    }
  };
  for (const r of rcs) busRangeOf(r.ir, r.busExplicit ? r.ir.busEnd : null, r.vb?.at ?? r.ir.span);
  for (const x of pxbs) {
    const n = get.num(x.vb, 'buses');
    busRangeOf(x.ir, n !== undefined ? x.ir.busStart + n - 1 : null, get.span(x.vb, 'bus_nr') ?? x.vb.at);
  }
  const bridges: IrHostBridge[] = [...rcs.map((r) => r.ir), ...pxbs.map((p) => p.ir)];
  // Overlaps within a segment (pxb bus_nr inside pcie.0's range, two pxbs too close...):
  // sweep in bus order, comparing each bridge with the one reaching furthest so far.
  const known = bridges.filter((b) => !busUnknown.has(b.id));
  const pos = new Map(known.map((b, i) => [b, i]));
  const order = [...known].sort((a, b) => a.segment - b.segment || a.busStart - b.busStart || pos.get(a)! - pos.get(b)!);
  let reach: IrHostBridge | null = null;
  for (const a of order) {
    if (reach && reach.segment === a.segment && a.busStart <= reach.busEnd) {
      const [first, second] = pos.get(reach)! < pos.get(a)! ? [reach, a] : [a, reach];
      diags.push(
        makeDiag(
          LOWER.BUS_OVERLAP,
          `buses ${second.busStart}..${second.busEnd} of '${second.id}' overlap buses ${first.busStart}..${first.busEnd} of '${first.id}' (segment ${a.segment})`,
          second.span ? { span: second.span } : {},
          { related: first.span ? [{ message: `'${first.id}' is here`, span: first.span }] : [], help: 'choose a bus_nr above the other bridge’s last bus' },
        ),
      );
    }
    if (!reach || reach.segment !== a.segment || a.busEnd > reach.busEnd) reach = a;
  }

  // ---- devices: final addresses ----
  for (const d of devs) {
    if (!d.on) continue;
    if (d.on.kind === 'port') {
      const p = d.on.port;
      if (d.addr !== undefined && d.addr !== 0)
        diags.push(
          makeDiag(LOWER.PORT_SLOT, `device '${d.ir.id}' is behind root port '${p.ir.id}', which has only slot 0`, { span: get.span(d.vb, 'addr')! }),
        );
      d.ir.port = p.ir.id;
      d.ir.bridge = p.ir.bridge;
      d.ir.bus = p.ir.secondary;
      d.ir.devfn = devfnOf(0, d.fn);
    } else {
      d.ir.bridge = d.on.bridge.id;
      d.ir.bus = d.on.bridge.busStart;
    }
    const br = bridgeById.get(d.ir.bridge)!;
    d.ir.segment = br.segment;
    d.ir.rid = rid(d.ir.bus, d.ir.devfn);
  }
  const behindPort = new Map<string, Dev>();
  for (const d of devs) {
    if (d.on?.kind !== 'port') continue;
    const key = `${d.ir.port}/${d.ir.devfn}`;
    const prev = behindPort.get(key);
    if (prev)
      diags.push(
        makeDiag(LOWER.DEVFN_CONFLICT, `devices '${prev.ir.id}' and '${d.ir.id}' both sit at function ${d.fn} behind '${d.ir.port}'`, { span: d.vb.at }, {
          related: [{ message: `'${prev.ir.id}' is here`, span: prev.vb.at }],
          help: "give one of them another 'fn'",
        }),
      );
    else behindPort.set(key, d);
  }

  // ---- SMMUs ----
  const smmus: IrSmmu[] = smmuBlocks.map((b, i) => lowerSmmu(b, i, smmuBlocks.length, ctx));

  // ---- RID maps and SMMU MSI maps ----
  const segments = buildRidMaps(bridges, profile === 'qemu-virt' ? (its[0]?.id ?? null) : null);
  // StreamID ranges each SMMU receives, gathered in one pass (not one pass per SMMU).
  const streamsOf = new Map<string, { base: number; count: number }[]>();
  for (const seg of segments)
    for (const r of seg.ridMap)
      if (r.target.kind === 'smmu') {
        const l = streamsOf.get(r.target.smmu);
        if (l) l.push({ base: r.target.streamBase, count: r.count });
        else streamsOf.set(r.target.smmu, [{ base: r.target.streamBase, count: r.count }]);
      }
  for (const s of smmus) {
    const b = smmuBlocks[smmus.indexOf(s)]!;
    const msiIts = get.has(b, 'msi') ? ((r) => (typeof r === 'string' ? r : null))(resolveRef(b, 'msi', ['its'], ctx)) : null;
    const target = get.has(b, 'msi') ? msiIts : profile === 'qemu-virt' ? (its[0]?.id ?? null) : its.length ? defaultIts(b.at, `smmuv3 '${b.id}'`, 'msi') : null;
    if (!target) continue;
    if (profile === 'qemu-virt') {
      // build_iort maps every StreamID 0..0xFFFF of each SMMU to the ITS, identity.
      s.msiMap = [{ base: 0, count: 0x1_0000, outBase: 0, its: target }];
    } else {
      const ranges = streamsOf.get(s.id) ?? [];
      s.msiMap = mergeIdRanges(ranges).map((r) => ({ base: r.base, count: r.count, outBase: r.base, its: target }));
    }
  }

  // ---- RMRs ----
  const allDevices = devs.map((d) => d.ir);
  const rmrs: IrRmr[] = blocks('rmr').map((b) => lowerRmr(b, ctx, smmus, bridgeById, portById, allDevices));

  // ---- IORT options ----
  const iort = lowerIort(blocks('iort')[0], ctx, blocks('rmr'));

  // ---- platform ----
  let platform: IrPlatformRegion[] = [];
  let pciWindows: IrPciWindow[] = [];
  if (profile === 'qemu-virt') {
    platform = qemuPlatform(get.int(machine, 'memory') ?? GIB, its.length > 0);
    pciWindows = qemuPciWindows(QEMU_RC.id);
  } else {
    get.all(machine, 'ram').forEach((tv, i) => {
      if (tv.t === 'memrange') platform.push({ name: i === 0 ? 'ram' : `ram${i}`, base: tv.base, size: tv.size, spis: [] });
    });
    for (const r of rcs) {
      const vb = r.vb!;
      for (const [prop, kind] of [['pio', 'io'], ['mmio32', 'mem32'], ['mmio64', 'mem64']] as const) {
        const tv = vb.values.get(prop)?.[0]?.tv;
        if (tv?.t === 'memrange')
          pciWindows.push({ bridge: r.ir.id, kind, pciBase: kind === 'io' ? 0n : tv.base, cpuBase: tv.base, size: tv.size });
      }
    }
  }

  const ir: IrMachine = {
    name: mb.id ?? '',
    profile,
    iort,
    gic,
    its,
    smmus,
    bridges,
    rootPorts: allPorts.map((p) => p.ir),
    devices: allDevices,
    rmrs,
    segments,
    platform,
    pciWindows,
    span: machine.at,
  };
  return { value: hasErrors(diags) ? null : ir, diagnostics: diags };
}

function checkHeader(b: Block, ctx: Ctx): boolean {
  const spec = BLOCK_BY_KIND.get(b.kind)!;
  let ok = true;
  if (spec.id === 'required' && !b.id) {
    ctx.diags.push(
      makeDiag(LOWER.MISSING_ID, `${b.kind} block needs an id: '${b.kind} NAME${spec.subkinds ? ' ' + spec.subkinds[0] : ''} { ... }'`, {
        span: b.kindSpan,
      }),
    );
    ok = false;
  }
  if (spec.id === 'none' && b.id) {
    ctx.diags.push(makeDiag(LOWER.UNEXPECTED_ID, `${b.kind} block takes no id: '${b.kind} { ... }'`, { span: b.idSpan! }));
    ok = false;
  }
  if (spec.subkinds) {
    if (!b.subkind || !spec.subkinds.includes(b.subkind)) {
      ctx.diags.push(
        makeDiag(
          LOWER.BAD_SUBKIND,
          b.subkind ? `unknown ${b.kind} kind '${b.subkind}'` : `${b.kind} '${b.id ?? ''}' needs a kind: ${spec.subkinds.join(' or ')}`,
          { span: b.subkindSpan ?? b.idSpan ?? b.kindSpan },
          { help: b.subkind ? didYouMean(b.subkind, spec.subkinds) ?? `one of ${spec.subkinds.join(', ')}` : `e.g. '${b.kind} ${b.id ?? 'NAME'} ${spec.subkinds[0]} { ... }'` },
        ),
      );
      ok = false;
    }
  } else if (b.subkind) {
    ctx.diags.push(makeDiag(LOWER.BAD_SUBKIND, `${b.kind} takes no kind qualifier`, { span: b.subkindSpan! }));
    ok = false;
  }
  return ok;
}

/** Resolves a reference property; reports unknown ids and wrong kinds. */
function resolveRef(b: VBlock, prop: string, kinds: readonly string[], ctx: Ctx): RefResult {
  const e = b.values.get(prop)?.[0];
  if (!e || e.tv.t !== 'ref') return undefined;
  const spec = b.spec.props.find((p) => p.name === prop);
  const keywords = spec?.type.t === 'ref' ? (spec.type.keywords ?? []) : [];
  if (keywords.includes(e.tv.v)) return NO;
  return checkRef(e.tv.v, e.tv.span, kinds, ctx);
}

function checkRef(id: string, span: Span, kinds: readonly string[], ctx: Ctx): string | undefined {
  const def = ctx.ids.get(id);
  if (!def) {
    // Suggestions cost a scan of every id: skip them once a file is clearly broken.
    const candidates = ctx.diags.length < 200 ? [...ctx.ids.entries()].filter(([, d]) => kinds.includes(d.kind)).map(([k]) => k) : [];
    const noIts = kinds.length === 1 && kinds[0] === 'its' && candidates.length === 0;
    ctx.diags.push(
      makeDiag(noIts ? LOWER.NO_ITS_REF : LOWER.UNKNOWN_REF, noIts ? `'${id}': this machine has no ITS` : `no ${kinds.join(' or ')} with id '${id}'`, { span }, {
        help: didYouMean(id, candidates) ?? (candidates.length ? `known: ${candidates.slice(0, 8).join(', ')}` : undefined),
      }),
    );
    return undefined;
  }
  if (!kinds.includes(def.kind)) {
    ctx.diags.push(
      makeDiag(LOWER.WRONG_KIND_REF, `'${id}' is a ${def.kind}, expected a ${kinds.join(' or ')}`, { span }, {
        related: def.at ? [{ message: `'${id}' is defined here`, span: def.at }] : [],
      }),
    );
    return undefined;
  }
  return id;
}

function lowerGic(b: VBlock | undefined, ctx: Ctx): IrGic {
  if (ctx.profile === 'qemu-virt') {
    return {
      version: 3,
      distBase: (b && get.int(b, 'dist')) ?? QEMU_GIC.distBase,
      distSize: (b && get.int(b, 'dist_size')) ?? QEMU_GIC.distSize,
      redistBase: (b && get.int(b, 'redist')) ?? QEMU_GIC.redistBase,
      redistSize: (b && get.int(b, 'redist_size')) ?? QEMU_GIC.redistSize,
      spiCount: (b && get.num(b, 'spis')) ?? QEMU_GIC.spiCount,
      espi: (b && get.bool(b, 'espi')) ?? false,
    };
  }
  if (!b)
    ctx.diags.push(
      makeDiag(LOWER.MISSING, "profile custom needs a 'gic' block (dist, redist, redist_size)", { span: ctx.machine.at }, {
        help: 'gic { dist 0x08000000; redist 0x080a0000; redist_size 0xf60000 }',
      }),
    );
  return {
    version: 3,
    distBase: (b && get.int(b, 'dist')) ?? 0n,
    distSize: (b && get.int(b, 'dist_size')) ?? 0x1_0000n,
    redistBase: (b && get.int(b, 'redist')) ?? 0n,
    redistSize: (b && get.int(b, 'redist_size')) ?? 0n,
    spiCount: (b && get.num(b, 'spis')) ?? 256,
    espi: (b && get.bool(b, 'espi')) ?? false,
  };
}

function lowerSmmu(b: VBlock, index: number, count: number, ctx: Ctx): IrSmmu {
  const { diags, profile } = ctx;
  const qemu = profile === 'qemu-virt';
  const place = qemu ? qemuSmmuPlacement(index, count) : null;
  if (qemu && count > 1 && index >= MAX_PLATFORM_SMMUS && (!get.has(b, 'base') || !hasIrqProps(b)))
    diags.push(
      makeDiag(LOWER.OUT_OF_RANGE, `qemu-virt's platform bus has interrupts for ${MAX_PLATFORM_SMMUS} SMMUs; '${b.id}' is number ${index + 1}`, { span: b.at }, {
        help: "give it 'base' and 'spi' explicitly, or use profile custom",
      }),
    );
  const base = get.int(b, 'base') ?? place?.base ?? 0n;

  const gsivProps = ['event_gsiv', 'pri_gsiv', 'sync_gsiv', 'gerror_gsiv'].filter((p) => get.has(b, p));
  const styles: string[] = [];
  if (get.has(b, 'spi')) styles.push('spi');
  if (gsivProps.length) styles.push(gsivProps[0]!);
  if (get.has(b, 'combined_gsiv')) styles.push('combined_gsiv');
  if (get.has(b, 'msi_its')) styles.push('msi_its');
  if (styles.length > 1)
    diags.push(
      makeDiag(LOWER.IRQ_CONFLICT, `smmuv3 '${b.id}': give its interrupts one way, not ${styles.map((s) => `'${s}'`).join(' and ')}`, {
        span: get.propSpan(b, styles[1]!)!,
      }),
    );
  const fromSpi = (spi: number): IrSmmuIrqs => ({ kind: 'wired', event: spi + 32, pri: spi + 33, gerror: spi + 35, sync: spi + 34 });
  let irqs: IrSmmuIrqs;
  if (get.has(b, 'msi_its')) {
    const r = resolveRef(b, 'msi_its', ['its'], ctx);
    irqs = { kind: 'msi', event: 0, pri: 0, gerror: 0, sync: 0, msiIts: typeof r === 'string' ? r : '', msiDeviceId: get.num(b, 'msi_device_id') ?? 0 };
  } else if (get.has(b, 'combined_gsiv')) {
    const g = get.num(b, 'combined_gsiv')!;
    irqs = { kind: 'combined', event: g, pri: g, gerror: g, sync: g };
  } else if (gsivProps.length) {
    irqs = {
      kind: 'wired',
      event: get.num(b, 'event_gsiv') ?? 0,
      pri: get.num(b, 'pri_gsiv') ?? 0,
      gerror: get.num(b, 'gerror_gsiv') ?? 0,
      sync: get.num(b, 'sync_gsiv') ?? 0,
    };
  } else if (get.has(b, 'spi')) irqs = fromSpi(get.num(b, 'spi')!);
  else if (place) irqs = fromSpi(place.spi);
  else {
    diags.push(
      makeDiag(LOWER.NO_IRQS, `smmuv3 '${b.id}' needs interrupts in profile custom`, { span: b.at }, {
        help: "add 'spi N' (eventq, priq, cmdq-sync, gerror = SPI N..N+3), the four '*_gsiv', 'combined_gsiv' or 'msi_its'",
      }),
    );
    irqs = { kind: 'wired', event: 0, pri: 0, gerror: 0, sync: 0 };
  }
  if (get.has(b, 'msi_device_id') && !get.has(b, 'msi_its'))
    diags.push(makeDiag(LOWER.CONFLICT, "'msi_device_id' needs 'msi_its'", { span: get.propSpan(b, 'msi_device_id')! }));
  return {
    id: b.id,
    base,
    size: SMMU_SIZE,
    irqs,
    stage: (get.str(b, 'stage') as IrSmmu['stage'] | undefined) ?? 's1',
    host: get.str(b, 'host') ?? null,
    coherent: get.bool(b, 'coherent') ?? true,
    ats: get.bool(b, 'ats') ?? false,
    httu: (get.num(b, 'httu') ?? 0) as 0 | 1 | 2,
    numa: get.num(b, 'numa') ?? null,
    msiMap: [],
    span: b.at,
  };
}

const hasIrqProps = (b: VBlock) =>
  ['spi', 'event_gsiv', 'pri_gsiv', 'sync_gsiv', 'gerror_gsiv', 'combined_gsiv', 'msi_its'].some((p) => get.has(b, p));

/** Device index built once per device list, not once per RMR (thousands of RMRs). */
const deviceIndexes = new WeakMap<IrDevice[], Map<string, IrDevice>>();
function deviceIndex(devices: IrDevice[]): Map<string, IrDevice> {
  let m = deviceIndexes.get(devices);
  if (!m) {
    m = new Map(devices.map((d) => [d.id, d]));
    deviceIndexes.set(devices, m);
  }
  return m;
}

function lowerRmr(
  b: VBlock,
  ctx: Ctx,
  smmus: IrSmmu[],
  bridgeById: Map<string, IrHostBridge>,
  portById: Map<string, { ir: IrRootPort }>,
  devices: IrDevice[],
): IrRmr {
  const { diags } = ctx;
  const deviceById = deviceIndex(devices);
  const explicit = resolveRef(b, 'iommu', ['smmuv3'], ctx);
  const streams: { base: number; count: number }[] = [];
  const via: { smmu: string; span: Span }[] = [];
  const throughSmmu = (bridgeId: string, what: string, span: Span): IrHostBridge | null => {
    const br = bridgeById.get(bridgeId);
    if (!br) return null;
    if (!br.iommu) {
      diags.push(
        makeDiag(LOWER.RMR_BYPASS, `rmr '${b.id}': ${what} bypasses the IOMMU (bridge '${br.id}' has no SMMU), so it has no stream IDs`, { span }),
      );
      return null;
    }
    via.push({ smmu: br.iommu, span });
    return br;
  };
  for (const tv of get.all(b, 'ids')) {
    if (tv.t !== 'ids') continue;
    for (const it of tv.items) {
      if (it.k === 'ids') {
        streams.push({ base: Number(it.lo), count: Number(it.hi - it.lo + 1n) });
        continue;
      }
      const id = checkRef(it.id, it.span, ['pcie', 'pxb-pcie', 'root-port', 'device'], ctx);
      if (!id) continue;
      const br = bridgeById.get(id);
      const port = portById.get(id);
      const dev = deviceById.get(id);
      if (br) {
        if (throughSmmu(br.id, `bridge '${br.id}'`, it.span))
          streams.push({ base: (br.segment << 16) | (br.busStart << 8), count: (br.busEnd - br.busStart + 1) << 8 });
      } else if (port) {
        const owner = bridgeById.get(port.ir.bridge);
        if (owner && throughSmmu(owner.id, `root port '${id}'`, it.span))
          streams.push({ base: (owner.segment << 16) | (port.ir.secondary << 8), count: (port.ir.subordinate - port.ir.secondary + 1) << 8 });
      } else if (dev) {
        if (throughSmmu(dev.bridge, `device '${id}'`, it.span)) streams.push({ base: (dev.segment << 16) | dev.rid, count: 1 });
      }
    }
  }
  let smmu: string | undefined = typeof explicit === 'string' ? explicit : undefined;
  const distinct = [...new Set(via.map((v) => v.smmu))];
  if (smmu) {
    for (const v of via)
      if (v.smmu !== smmu)
        diags.push(
          makeDiag(LOWER.RMR_SMMU_MISMATCH, `rmr '${b.id}' is for '${smmu}' but this id goes through '${v.smmu}'`, { span: v.span }),
        );
  } else if (distinct.length > 1) {
    diags.push(
      makeDiag(LOWER.RMR_SMMU_MISMATCH, `rmr '${b.id}' ids go through ${distinct.map((s) => `'${s}'`).join(' and ')}; one RMR describes one SMMU`, {
        span: via.find((v) => v.smmu === distinct[1])!.span,
      }, { help: 'split it into one rmr per SMMU' }),
    );
    smmu = distinct[0];
  } else if (distinct.length === 1) smmu = distinct[0];
  else if (smmus.length === 1) smmu = smmus[0]!.id;
  else if (explicit === undefined && !get.has(b, 'iommu'))
    diags.push(
      makeDiag(LOWER.RMR_NO_SMMU, `rmr '${b.id}' needs 'iommu': its ids name no bridge or device${smmus.length ? '' : ' and the machine has no SMMU'}`, {
        span: b.at,
      }),
    );

  const ranges: IrMemRange[] = [];
  for (const tv of get.all(b, 'range')) {
    if (tv.t !== 'memrange') continue;
    if (tv.base % 0x1_0000n !== 0n || tv.size % 0x1_0000n !== 0n)
      diags.push(
        makeDiag(LOWER.RMR_ALIGN, `rmr '${b.id}': base and size must be multiples of 64 KiB (0x10000)`, { span: tv.span }),
      );
    ranges.push({ base: tv.base, size: tv.size });
  }
  if (!ranges.length) {
    if (ctx.profile === 'qemu-virt') ranges.push({ ...QEMU_RMR_RANGE });
    else diags.push(makeDiag(LOWER.RMR_NO_RANGE, `rmr '${b.id}' needs 'range BASE SIZE' in profile custom`, { span: b.at }));
  }
  const covered = smmu === undefined ? [] : coveredDevices(smmu, streams, ctx.devicesBySmmu(bridgeById, devices));
  return {
    id: b.id,
    smmu: smmu ?? '',
    streams,
    ranges,
    remappable: get.bool(b, 'remap') ?? false,
    privileged: get.bool(b, 'privileged') ?? false,
    attributes: get.num(b, 'attributes') ?? 0,
    devices: covered,
    span: b.at,
  };
}

/** Ids of the devices whose stream ID falls in one of `streams`, in declaration order. */
function coveredDevices(
  smmu: string,
  streams: { base: number; count: number }[],
  index: Map<string, { sid: number; index: number; id: string }[]>,
): string[] {
  const list = index.get(smmu) ?? [];
  const hit = new Map<number, string>();
  for (const s of streams) {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.sid < s.base) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && list[i]!.sid < s.base + s.count; i++) hit.set(list[i]!.index, list[i]!.id);
  }
  return [...hit.entries()].sort((a, b) => a[0] - b[0]).map(([, id]) => id);
}

function lowerIort(b: VBlock | undefined, ctx: Ctx, rmrs: VBlock[]): IrIortOptions {
  const ids = ctx.profile === 'qemu-virt' ? QEMU_IORT_IDS : CUSTOM_IORT_IDS;
  const rev = b ? get.num(b, 'revision') : undefined;
  if (rev === 4)
    ctx.diags.push(
      makeDiag(LOWER.BAD_REVISION, 'IORT revision 4 (E.c) is deprecated and rejected by ACPICA and EDK2; use 3, 5 or 6', { span: get.span(b!, 'revision')! }),
    );
  if (rev !== undefined && rev < 5 && rmrs.length)
    ctx.diags.push(
      makeDiag(LOWER.RMR_OLD_REVISION, `IORT revision ${rev} cannot carry RMR nodes (Linux reads RMRs only from revision 5)`, { span: get.span(b!, 'revision')! }, {
        related: [{ message: `rmr '${rmrs[0]!.id}' is here`, span: rmrs[0]!.at }],
        help: "use 'revision 5' or leave it out",
      }),
    );
  const revision = (rev === 3 || rev === 5 || rev === 6 ? rev : undefined) ??
    (ctx.profile === 'qemu-virt' ? (rmrs.length ? 5 : 3) : CUSTOM_DEFAULT_REVISION);
  const s = (name: string, dflt: string, width: number) => ((b && get.str(b, name)) ?? dflt).padEnd(width, ' ');
  return {
    revision,
    revisionExplicit: rev !== undefined,
    oemId: s('oem_id', ids.oemId, 6),
    oemTableId: s('oem_table_id', ids.oemTableId, 8),
    oemRevision: (b && get.num(b, 'oem_revision')) ?? ids.oemRevision,
    creatorId: s('creator_id', ids.creatorId, 4),
    creatorRevision: (b && get.num(b, 'creator_revision')) ?? ids.creatorRevision,
  };
}

export { BLOCKS };
