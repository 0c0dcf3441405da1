/** Interrupt checks: wired SMMU interrupts are valid SPIs and no SPI is used twice. */
import type { Span } from '../../diag/span';
import type { IrGic, IrPlatformRegion } from '../../ir/types';
import { check } from '../define';
import type { ConfigCtx } from './context';
import { hostOf, smmuSpis } from './context';

const SPI_FIRST = 32;
const SPI_LAST = 1019;
const ESPI_FIRST = 4096;
const ESPI_LAST = 5119;

/** Why an INTID is not a usable SPI on this GIC, or null when it is. */
export function spiProblem(intid: number, gic: IrGic): string | null {
  if (!Number.isInteger(intid) || intid < 0) return 'is not an interrupt ID';
  if (intid < SPI_FIRST) return 'is an SGI/PPI (INTID < 32), not an SPI';
  if (intid <= SPI_LAST) {
    const last = Math.min(SPI_LAST, SPI_FIRST + gic.spiCount - 1);
    return intid <= last ? null : `is above the last SPI the distributor implements (INTID ${last}, ${gic.spiCount} SPIs)`;
  }
  if (intid >= ESPI_FIRST && intid <= ESPI_LAST)
    return gic.espi ? null : 'is an extended SPI (INTID 4096..5119) but the GIC does not implement the extended SPI range';
  if (intid < ESPI_FIRST) return 'is in the special/reserved INTID range 1020..4095';
  return 'is above the extended SPI range (INTID > 5119)';
}

interface Use {
  intid: number;
  what: string;
  /** Who owns the line ("SMMU 'x'", "platform region 'y'"), for grouping findings. */
  owner: string;
  span?: Span;
  /** Platform region whose SPI pool this use belongs to (its own SPIs, or a hosted SMMU's). */
  pool?: IrPlatformRegion;
  /** The region itself (for the region's SPI list entries). */
  region?: IrPlatformRegion;
}

function smmuUses(ctx: ConfigCtx): Use[] {
  const out: Use[] = [];
  for (const s of ctx.ir.smmus) {
    const seen = new Set<number>();
    const host = hostOf(ctx.ir.platform, s.base, s.size, smmuSpis(s));
    const fields: [string, number][] = [
      ['event', s.irqs.event],
      ['pri', s.irqs.pri],
      ['gerror', s.irqs.gerror],
      ['sync', s.irqs.sync],
    ];
    for (const [f, v] of fields) {
      if (!v) continue;
      // A combined interrupt is one line used for all four sources: count it once.
      if (s.irqs.kind === 'combined' && seen.has(v)) continue;
      seen.add(v);
      out.push({ intid: v, what: s.irqs.kind === 'combined' ? 'combined' : f, owner: `SMMU '${s.id}'`, span: s.span, pool: host });
    }
  }
  return out;
}

export const irqRange = check<ConfigCtx>({
  name: 'irq-range',
  code: 'IOT5030',
  level: 'error',
  target: 'config',
  title: 'a wired interrupt is not an SPI the GIC implements',
  explain:
    'Wired SMMU interrupts (IORT GSIVs, DT GIC_SPI cells) must be SPIs: INTID 32..1019, below ' +
    '32 + the number of SPIs the distributor implements, or in the GICv3.1 extended SPI range ' +
    '4096..5119 only when the GIC implements it (Snapdragon X2 Elite tables use 4096+). An INTID ' +
    'outside these ranges never fires, so the SMMU\'s event and error queues are never serviced.',
  source: 'GICv3/v4 architecture INTID map (SPI 32..1019, ESPI 4096..5119); IORT SMMUv3 GSIV fields (iort.md §1.10); corpus qcom-x2e table',
  prereqs: [],
  run(ctx, report) {
    for (const u of smmuUses(ctx)) {
      const p = spiProblem(u.intid, ctx.ir.gic);
      if (p) report({ message: `the ${u.what} interrupt of ${u.owner} is INTID ${u.intid}, which ${p}`, span: u.span });
    }
    for (const r of ctx.ir.platform)
      for (const spi of r.spis) {
        const p = spiProblem(spi + SPI_FIRST, ctx.ir.gic);
        if (p) report({ message: `platform region '${r.name}' uses SPI ${spi} (INTID ${spi + SPI_FIRST}), which ${p}`, span: ctx.machineSpan });
      }
  },
});

export const irqCollision = check<ConfigCtx>({
  name: 'irq-collision',
  code: 'IOT5031',
  level: 'error',
  target: 'config',
  title: 'one SPI is wired to two interrupt sources',
  explain:
    'Each SPI is one wire. Two SMMUs (or an SMMU and a platform device) on one SPI share an edge-' +
    'triggered line: one driver\'s handler sees the other\'s events and the other\'s are lost. The ' +
    'nested multi-vSMMU RFC computes vSMMU i\'s interrupts as the legacy SMMU base plus 4*i ' +
    '(74 + 4*i), which collides with the legacy SMMU itself and, from i = 10, with the platform ' +
    'bus SPIs 112..175 — although it defines a separate VIRT_NESTED_SMMU base of 200.',
  source: 'seed 000 (create_nested_smmu: irq = irqmap[VIRT_SMMU] + i * NUM_SMMU_IRQS); QEMU a15irqmap; fdt.md §4.1',
  prereqs: [],
  run(ctx, report) {
    const uses = smmuUses(ctx);
    for (const r of ctx.ir.platform) for (const spi of r.spis) uses.push({ intid: spi + SPI_FIRST, what: 'fixed', owner: `platform region '${r.name}'`, region: r });
    const sorted = uses.map((u, i) => ({ u, i })).sort((a, b) => a.u.intid - b.u.intid || a.i - b.i);
    // Group the collisions by the pair of owners, so that four lines of one SMMU landing on a
    // region give one finding; pairs keep the order in which they are first met.
    const groups = new Map<string, { here: Use; there: Use; intids: number[]; fields: string[] }>();
    let first: Use | undefined;
    for (let k = 0; k < sorted.length; k++) {
      const u = sorted[k]!.u;
      if (k === 0 || sorted[k - 1]!.u.intid !== u.intid) {
        first = u;
        continue;
      }
      const f = first!;
      // An SMMU placed in a region takes its SPIs from that region's pool: not a collision.
      if ((u.region && f.pool === u.region) || (f.region && u.pool === f.region)) continue;
      // Two fixed regions sharing an SPI is the profile's business.
      if (u.region && f.region) continue;
      // Report at a declared source when possible: the profile's regions have no span.
      const [here, there] = !u.span && f.span ? [f, u] : [u, f];
      const key = `${here.owner}|${there.owner}`;
      const g = groups.get(key) ?? { here, there, intids: [], fields: [] };
      g.intids.push(u.intid);
      if (here.what !== 'fixed') g.fields.push(here.what);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      const spis = g.intids.map((i) => i - SPI_FIRST);
      const list = spis.length > 1 && spis[spis.length - 1]! - spis[0]! === spis.length - 1 ? `SPIs ${spis[0]}..${spis[spis.length - 1]}` : `SPI${spis.length > 1 ? 's' : ''} ${spis.join(', ')}`;
      report({
        message: `${g.here.owner}${g.fields.length ? ` (${g.fields.join(', ')})` : ''} and ${g.there.owner} both use ${list} (INTID ${g.intids.join(', ')})`,
        span: g.here.span ?? ctx.machineSpan,
        related: [g.there.span ? { message: `${g.there.owner} is declared here`, span: g.there.span } : { message: `${g.there.owner} is fixed by the '${ctx.ir.profile}' profile` }],
      });
    }
  },
});

export const irqChecks = [irqRange, irqCollision];
