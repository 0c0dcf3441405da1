import { PageAllocator, PhysMem, Smmu, SmmuDriver, type Transaction } from '/work/main/src/verify/smmu';
const mem = new PhysMem();
const smmu = new Smmu(mem, { oas: 48 });
const alloc = new PageAllocator(mem, 0x1_0000_0000, 0x2_0000_0000);
const drv = new SmmuDriver(smmu, alloc, { sidBits: 8, streamTable: 'linear' });
drv.reset();
const base = 0x7f12_3440_0000;
const d = drv.newS1Domain({ granule: 4096, ias: 48 });
for (let i = 0; i < 16; i++) d.pt.map(base + i * 4096, 0x40_0000_0000 + i * 4096, 4096, { write: true }, { blocks: false });
drv.attachS1(1, d);
const req: Transaction = { sid: 1, iova: base, write: false };
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  const N = 5_000_000;
  for (let i = 0; i < N; i++) { req.iova = base + (i & 15) * 4096 + 0x10; smmu.translate(req); }
  const t = performance.now() - t0;
  console.log((N / t * 1000 / 1e6).toFixed(2), 'M/s');
}
