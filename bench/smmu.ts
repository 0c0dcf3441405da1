/**
 * SMMUv3 interpreter throughput: cold walks (IOTLB off, every translation walks the tables)
 * per granule and stage, cold walks that also fill the IOTLB, and IOTLB hits.
 * Each case runs in its own process (isolated JIT state) and reports the best of several
 * rounds, as translations per second of the process's CPU time (what one core does while
 * other work shares the machine) and per wall-clock second. Prints a table and a JSON line.
 * Usage: npx tsx bench/smmu.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import {
  cd,
  type Granule,
  PageAllocator,
  PageTable,
  PhysMem,
  Smmu,
  SmmuDriver,
  type Transaction,
  writeDwords,
} from '../src/verify/smmu';

const quick = process.argv.includes('--quick');
const PAGES = 4096;

interface Row {
  name: string;
  granule: string;
  stage: string;
  levels: string;
  /** Per second of this process's CPU time: what one core does, whatever else runs. */
  translationsPerSec: number;
  /** Per second of wall-clock time (lower on a shared machine). */
  wallTranslationsPerSec: number;
  descriptorReadsPerTranslation: number;
}

function setup(stage: 's1' | 's2' | 'nested', granule: Granule, iotlb: boolean, capacity?: number): { smmu: Smmu; base: number; page: number; levels: string } {
  const mem = new PhysMem();
  const smmu = new Smmu(mem, { iotlb, oas: 48, iotlbCapacity: capacity });
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
    const s1 = new PageTable(mem, (sz: number) => gAlloc.alloc(sz), { stage: 1, granule, ias: 48, oas: 48 });
    const dataIpa = 0x2_0000_0000;
    s2.pt.map(dataIpa, 0x40_0000_0000, PAGES * page, { write: true }, { blocks: false });
    for (let i = 0; i < PAGES; i++) s1.map(base + i * page, dataIpa + i * page, page, { write: true }, { blocks: false });
    const cdIpa = gAlloc.alloc(64);
    writeDwords(mem, cdIpa, cd({ asid: 5, ips: 48, tt0: { ttb: s1.root, ias: 48, granule } }));
    drv.attachNested(1, s2, { cdTable: cdIpa });
    levels = `${4 - s1.startLevel}x${4 - s2.pt.startLevel}`;
  }
  return { smmu, base, page, levels };
}

function measure(smmu: Smmu, base: number, page: number, pages: number, roundMs: number, rounds: number): { perSec: number; wall: number; reads: number } {
  const req: Transaction = { sid: 1, iova: base, write: false };
  // Warm up (JIT, config cache) and check that the setup translates.
  for (let i = 0; i < 20000; i++) {
    req.iova = base + (i % pages) * page;
    const r = smmu.translate(req);
    if (r.outcome !== 'translated') throw new Error(`bench setup broken: ${r.toString()}`);
  }
  const reads0 = smmu.stats.walkReads;
  let total = 0;
  let best = 0;
  let bestWall = 0;
  for (let round = 0; round < rounds; round++) {
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    do {
      for (let i = 0; i < 20000; i++) {
        req.iova = base + ((n + i) % pages) * page + 0x10;
        smmu.translate(req);
      }
      n += 20000;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    } while (elapsed < roundMs);
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    total += n;
    best = Math.max(best, (n / cpuMs) * 1000);
    bestWall = Math.max(bestWall, (n / elapsed) * 1000);
  }
  return { perSec: best, wall: bestWall, reads: (smmu.stats.walkReads - reads0) / total };
}

interface Case {
  name: string;
  stage: 's1' | 's2' | 'nested';
  granule: Granule;
  iotlb: boolean;
  pages: number;
  capacity?: number;
}

const CASES: Case[] = [];
for (const stage of ['s1', 's2', 'nested'] as const) {
  for (const granule of [4096, 16384, 65536] as const) CASES.push({ name: 'cold-walk', stage, granule, iotlb: false, pages: PAGES });
}
// Every translation misses (the IOTLB is smaller than the working set) and inserts.
CASES.push({ name: 'tlb-miss', stage: 's1', granule: 4096, iotlb: true, pages: PAGES, capacity: 1024 });
for (const stage of ['s1', 's2', 'nested'] as const) CASES.push({ name: 'iotlb-hit', stage, granule: 4096, iotlb: true, pages: 16 });

function runCase(c: Case): Row {
  const s = setup(c.stage, c.granule, c.iotlb, c.capacity);
  const m = measure(s.smmu, s.base, s.page, c.pages, quick ? 100 : 400, quick ? 2 : 5);
  return {
    name: c.name,
    granule: `${c.granule / 1024}K`,
    stage: c.stage,
    levels: s.levels,
    translationsPerSec: Math.round(m.perSec),
    wallTranslationsPerSec: Math.round(m.wall),
    descriptorReadsPerTranslation: +m.reads.toFixed(2),
  };
}

const caseArg = process.argv.indexOf('--case');
if (caseArg >= 0) {
  // Child: one case, isolated JIT state; the row goes back as JSON on stdout.
  console.log(JSON.stringify(runCase(CASES[Number(process.argv[caseArg + 1])]!)));
} else {
  const rows: Row[] = [];
  for (let i = 0; i < CASES.length; i++) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--case', String(i), ...(quick ? ['--quick'] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`case ${i} failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Row);
  }
  const pad = (s: string, n: number): string => s.padEnd(n);
  console.log(`${pad('case', 11)}${pad('stage', 8)}${pad('granule', 9)}${pad('levels', 8)}${pad('per cpu-second', 16)}${pad('per wall-second', 17)}reads/translation`);
  for (const r of rows) {
    console.log(
      `${pad(r.name, 11)}${pad(r.stage, 8)}${pad(r.granule, 9)}${pad(r.levels, 8)}${pad(r.translationsPerSec.toLocaleString('en-US'), 16)}${pad(r.wallTranslationsPerSec.toLocaleString('en-US'), 17)}${r.descriptorReadsPerTranslation}`,
    );
  }
  console.log(JSON.stringify({ bench: 'smmu', node: process.version, quick, rows }));
}
