/**
 * SMMUv3 interpreter throughput: cold walks (IOTLB off, every translation walks the tables)
 * per granule and stage, cold walks that also fill the IOTLB, and IOTLB hits.
 * Prints a table and a JSON line. Usage: npx tsx bench/smmu.ts [--quick]
 */
import {
  type Granule,
  PageAllocator,
  PhysMem,
  Smmu,
  SmmuDriver,
  type Transaction,
} from '../src/verify/smmu';

const quick = process.argv.includes('--quick');
const PAGES = 4096;

interface Row {
  name: string;
  granule: string;
  stage: string;
  levels: string;
  translationsPerSec: number;
  descriptorReadsPerTranslation: number;
}

function setup(stage: 's1' | 's2' | 'nested', granule: Granule, iotlb: boolean): { smmu: Smmu; base: number; page: number; levels: string } {
  const mem = new PhysMem();
  const smmu = new Smmu(mem, { iotlb, oas: 48 });
  const alloc = new PageAllocator(mem, 0x1_0000_0000, 0x2_0000_0000);
  const drv = new SmmuDriver(smmu, alloc, { sidBits: 8, streamTable: 'linear' });
  drv.reset();
  // Spread the IOVAs over the address space so every level's index changes.
  const base = 0x7f12_3450_0000 - (0x7f12_3450_0000 % (granule * 512));
  const page = granule;
  let levels = '';
  if (stage === 's1') {
    const d = drv.newS1Domain({ granule, ias: 48 });
    for (let i = 0; i < PAGES; i++) d.pt.map(base + i * page, 0x40_0000_0000 + i * page, page, { write: true }, { blocks: false });
    drv.attachS1(1, d);
    levels = `${4 - d.pt.startLevel}`;
  } else if (stage === 's2') {
    const d = drv.newS2Domain({ granule, ias: 48 });
    for (let i = 0; i < PAGES; i++) d.pt.map(base + i * page, 0x40_0000_0000 + i * page, page, { write: true }, { blocks: false });
    drv.attachS2(1, d);
    levels = `${4 - d.pt.startLevel}`;
  } else {
    // Guest stage 1 in IPA space, identity-mapped at stage 2 over the guest's memory.
    const s2 = drv.newS2Domain({ granule, ias: 48 });
    const guestRam = 0x1_4000_0000;
    const ramSize = 0x400_0000;
    s2.pt.map(guestRam, guestRam, ramSize, { write: true }, { blocks: false });
    const gAlloc = new PageAllocator(mem, guestRam, guestRam + ramSize);
    const { PageTable } = require_pgtable();
    const s1 = new PageTable(mem, (sz: number) => gAlloc.alloc(sz), { stage: 1, granule, ias: 48, oas: 48 });
    const dataIpa = 0x2_0000_0000;
    s2.pt.map(dataIpa, 0x40_0000_0000, PAGES * page, { write: true }, { blocks: false });
    for (let i = 0; i < PAGES; i++) s1.map(base + i * page, dataIpa + i * page, page, { write: true }, { blocks: false });
    const cdIpa = gAlloc.alloc(64);
    const { cd, writeDwords } = require_encode();
    writeDwords(mem, cdIpa, cd({ asid: 5, ips: 48, tt0: { ttb: s1.root, ias: 48, granule } }));
    drv.attachNested(1, s2, { cdTable: cdIpa });
    levels = `${4 - s1.startLevel}x${4 - s2.pt.startLevel}`;
  }
  return { smmu, base, page, levels };
}

// Static imports re-exposed so the nested setup reads clearly.
import * as pgtable from '../src/verify/smmu/build/pgtable';
import * as encode from '../src/verify/smmu/build/encode';
function require_pgtable(): typeof pgtable {
  return pgtable;
}
function require_encode(): typeof encode {
  return encode;
}

function measure(smmu: Smmu, base: number, page: number, pages: number, minMs: number): { perSec: number; reads: number } {
  const req: Transaction = { sid: 1, iova: base, write: false };
  // Warm up (JIT, config cache).
  for (let i = 0; i < 20000; i++) {
    req.iova = base + (i % pages) * page;
    const r = smmu.translate(req);
    if (r.outcome !== 'translated') throw new Error(`bench setup broken: ${r.toString()}`);
  }
  const reads0 = smmu.stats.walkReads;
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < 50000; i++) {
      req.iova = base + ((n + i) % pages) * page + 0x10;
      smmu.translate(req);
    }
    n += 50000;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (elapsed < minMs);
  return { perSec: (n / elapsed) * 1000, reads: (smmu.stats.walkReads - reads0) / n };
}

const rows: Row[] = [];
const minMs = quick ? 150 : 1000;
for (const stage of ['s1', 's2', 'nested'] as const) {
  for (const granule of [4096, 16384, 65536] as const) {
    const s = setup(stage, granule, false);
    const m = measure(s.smmu, s.base, s.page, PAGES, minMs);
    rows.push({ name: 'cold-walk', granule: `${granule / 1024}K`, stage, levels: s.levels, translationsPerSec: Math.round(m.perSec), descriptorReadsPerTranslation: +m.reads.toFixed(2) });
  }
}
{
  const s = setup('s1', 4096, true);
  // Distinct pages beyond what fits: each translation misses and inserts.
  const m = measure(s.smmu, s.base, s.page, PAGES, minMs);
  rows.push({ name: 'tlb-fill', granule: '4K', stage: 's1', levels: s.levels, translationsPerSec: Math.round(m.perSec), descriptorReadsPerTranslation: +m.reads.toFixed(2) });
}
for (const stage of ['s1', 's2', 'nested'] as const) {
  const s = setup(stage, 4096, true);
  const m = measure(s.smmu, s.base, s.page, 16, minMs);
  rows.push({ name: 'iotlb-hit', granule: '4K', stage, levels: s.levels, translationsPerSec: Math.round(m.perSec), descriptorReadsPerTranslation: +m.reads.toFixed(2) });
}

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`${pad('case', 11)}${pad('stage', 8)}${pad('granule', 9)}${pad('levels', 8)}${pad('translations/s', 16)}reads/translation`);
for (const r of rows) {
  console.log(`${pad(r.name, 11)}${pad(r.stage, 8)}${pad(r.granule, 9)}${pad(r.levels, 8)}${pad(r.translationsPerSec.toLocaleString('en-US'), 16)}${r.descriptorReadsPerTranslation}`);
}
console.log(JSON.stringify({ bench: 'smmu', node: process.version, quick, rows }));
