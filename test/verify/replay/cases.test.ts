/**
 * The proof on hand-built cases: a machine without any SMMU, nested vSMMUs with and without
 * the doorbell RMR, a table with the HiSilicon-style boundary overlap that Linux works around,
 * and the anatomy of counterexamples (resolution and replay).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIort } from '../../../src/backends/iort/decode';
import type { IortTable } from '../../../src/backends/iort/model';
import { proofJson, proveTables, renderProofText, type ProofReport } from '../../../src/verify/index';
import { MAP, patch32 } from '../../mutation/edit';
import { build, EXAMPLES, lower, lowerExample } from './helpers';

const codes = (r: ProofReport, sev = 'error') => r.diagnostics.filter((d) => d.severity === sev).map((d) => d.code);
const table = (b: Uint8Array): IortTable => decodeIort(b, 't').value!;

const BYPASS_ONLY = `machine bypass-only {
  profile qemu-virt
  memory 1G
  pcie pcie.0 { iommu none }
  root-port rp0 { on pcie.0; chassis 1 }
  device nic0 emulated { on rp0; model "virtio-net-pci" }
  pxb-pcie pxb1 { bus pcie.0; bus_nr 64 }
  root-port rp1 { on pxb1; chassis 2 }
  device nic1 emulated { on rp1; model "e1000e" }
}`;

describe('a machine without SMMUs', () => {
  const b = build(lower(BYPASS_ONLY, 'bypass-only.iotopo'));
  it('proves: every RID reaches memory untranslated and MSIs go straight to the ITS', () => {
    const r = proveTables(b);
    expect(codes(r)).toEqual([]);
    expect(r.proven).toBe(true);
    expect(r.summary.smmus).toBe(0);
    expect(r.summary.devices).toBe(0);
    expect(r.summary.bypassRids).toBe(0x10000);
    expect(r.summary.ridsReplayed).toBe(0x10000);
    expect(r.summary.classTransactions).toBe(0);
    expect(r.summary.dmaTransactions).toBe(2 * b.ir.devices.length);
    expect(r.summary.msiTransactions).toBe(b.ir.devices.length);
  });
  it('is disproven when the DT sends a bypassing bridge through an SMMU that does not exist in the IORT', () => {
    const other = build(lowerExample('qemu-c-smmuv3-2pxb-bypass.iotopo'));
    const r = proveTables({ iort: b.iort, dtb: other.dtb });
    expect(r.proven).toBe(false);
    expect(r.counterexamples[0]!.code).toMatch(/IOT600[1-4]/);
  });
});

describe('nested vSMMUs', () => {
  const text = readFileSync(join(EXAMPLES, 'seed-nested.iotopo'), 'utf8');
  it('with the doorbell RMR: guest stage 1 over host stage 2, MSIs through the RMR identity mapping', () => {
    const b = build(lower(text, 'seed-nested.iotopo'));
    const r = proveTables(b);
    expect(codes(r)).toEqual([]);
    expect(codes(r, 'warning')).not.toContain('IOT6104');
    // gpu0..3 behind the vSMMUs, nic0 bypassing.
    expect(r.summary.devices).toBe(4);
    expect(r.summary.msiTransactions).toBe(5);
  });
  it('without it: still proven (the tables say what the config says) but every MSI behind a vSMMU is flagged', () => {
    const noRmr = text.replace(/^\s*rmr .*$/gm, '');
    const ir = lower(noRmr, 'nested-no-rmr.iotopo');
    expect(ir.rmrs).toHaveLength(0);
    const r = proveTables(build(ir));
    expect(r.proven).toBe(true);
    const warn = r.diagnostics.filter((d) => d.code === 'IOT6104');
    expect(warn.map((d) => d.message.slice(0, 17)).sort()).toEqual(['gpu0 (0000:81:00.', 'gpu1 (0000:82:00.', 'gpu2 (0000:c1:00.', 'gpu3 (0000:c2:00.']);
    expect(warn[0]!.message).toMatch(/0x8090040/);
  });
  it('without the RMR in the IORT only: the replay finds the missing identity mapping', () => {
    const b = build(lower(text, 'seed-nested.iotopo'));
    const t = table(b.iort);
    const rmr = t.nodes.find((n) => n.kind === 'rmr')!;
    // Move the RMR's StreamIDs out of reach instead of removing it (same bytes otherwise).
    const m = rmr.mappings[0]!;
    const r = proveTables({ ...b, iort: patch32(b.iort, [[m.offset + MAP.outputBase, 0xf000], [m.offset + MAP.inputBase, 0xf000]]) });
    expect(r.proven).toBe(false);
    expect(codes(r)).toContain('IOT6106');
    expect(codes(r)).toContain('IOT6105');
  });
});

describe('HiSilicon-style boundary overlap (Number of IDs written as the count)', () => {
  const b = build(lowerExample('qemu-b-smmuv3-2pxb.iotopo'));
  const rc = table(b.iort).nodes.find((n) => n.kind === 'root-complex')!;
  const hisi = patch32(b.iort, rc.mappings.map((m): [number, number] => [m.offset + MAP.idCount, m.idCount + 1]));

  it('proves: Linux gives each boundary RID to the range that starts there, and logs FW_BUG', () => {
    const r = proveTables({ ...b, iort: hisi });
    expect(codes(r)).toEqual([]);
    expect(r.proven).toBe(true);
    const fw = r.diagnostics.filter((d) => d.code === 'IOT6050').map((d) => d.message);
    expect(fw).toHaveLength(3);
    expect(fw[0]).toMatch(/^RID 0000:02:00\.0: Linux logs .*conflicting mapping for input ID 0x200.*applying workaround/);
    expect(r.diagnostics.find((d) => d.code === 'IOT6050')!.loc?.byteOffset).toBe(rc.mappings[0]!.offset);
  });
  it('is disproven when the range after the boundary is not there to take it over', () => {
    // The SMMU range 0x0..0x1ff swallowing 0x200 while the ITS range now starts at 0x201.
    const its = rc.mappings.find((m) => m.inputBase === 0x200)!;
    const bad = patch32(hisi, [
      [its.offset + MAP.inputBase, 0x201],
      [its.offset + MAP.outputBase, 0x201],
    ]);
    const r = proveTables({ ...b, iort: bad });
    expect(r.proven).toBe(false);
    expect(r.counterexamples.map((c) => c.bdf)).toContain('0000:02:00.0');
  });
});

describe('counterexamples', () => {
  const b = build(lowerExample('qemu-b-smmuv3-2pxb.iotopo'));
  const rc = table(b.iort).nodes.find((n) => n.kind === 'root-complex')!;
  const first = rc.mappings[0]!;

  it('name the RID, the IORT offsets and DT paths it went through, and what each table said', () => {
    const r = proveTables({ ...b, iort: patch32(b.iort, [[first.offset + MAP.outputBase, 1]]), files: { iort: 'iort.bin', dtb: 'machine.dtb' } });
    expect(r.proven).toBe(false);
    const c = r.counterexamples.find((x) => x.code === 'IOT6002')!;
    expect(c.bdf).toBe('0000:00:00.0');
    expect(c.range).toEqual({ lo: 0, hi: 0x1ff });
    expect(c.expected).toMatch(/^DT: SMMU 0x9050000 StreamID 0x0,/);
    expect(c.actual).toMatch(/^IORT: SMMU 0x9050000 StreamID 0x1,/);
    expect(c.path.some((s) => s.where === `0x${first.offset.toString(16)}`)).toBe(true);
    expect(c.path.some((s) => s.where.startsWith('/pcie@') && s.where.includes(':iommu-map[0]'))).toBe(true);
    expect(c.decidedBy.length).toBeGreaterThan(0);
    const d = r.diagnostics.find((x) => x.code === 'IOT6002')!;
    expect(d.loc).toEqual({ file: 'iort.bin', byteOffset: first.offset });
    expect(d.message).toMatch(/^RID 0000:00:00\.0 \(and 511 more RIDs up to 0000:01:1f\.7\)/);
    const text = renderProofText(r);
    expect(text).toMatch(/counterexample 1: IOT6/);
    expect(text).toMatch(/DISPROVEN: 65536 of 65536 RIDs/);
  });

  it('from the replay carry the STE, CD and page-table descriptor that decided', () => {
    // Two declared devices forced onto one StreamID: a Single mapping pins the range.
    const pxb = rc.mappings.find((m) => m.inputBase === 0x4000)!;
    const r = proveTables({ ...b, dtb: null, iort: patch32(b.iort, [[pxb.offset + MAP.flags, 1]]) });
    const iso = r.counterexamples.find((c) => c.code === 'IOT6102');
    expect(iso, renderProofText(r)).toBeDefined();
    expect(iso!.message).toMatch(/share StreamID 0x4000/);
    expect(iso!.decidedBy.some((l) => /^STE\[0x4000\] @0x[0-9a-f]+ = 0x/.test(l))).toBe(true);
    expect(iso!.decidedBy.some((l) => /^CD @0x/.test(l))).toBe(true);
  });

  it('are capped; the rest are counted', () => {
    const r = proveTables({ ...b, iort: patch32(b.iort, rc.mappings.map((m): [number, number] => [m.offset + MAP.outputBase, m.outputBase + 1])), maxCounterexamples: 1 });
    expect(r.counterexamples).toHaveLength(1);
    expect(r.errors).toBeGreaterThan(1);
    expect(renderProofText(r)).toMatch(/\(\d+ more counterexamples? not shown\)/);
  });

  it('unreadable inputs are findings, not crashes', () => {
    const junk = proveTables({ iort: new Uint8Array([1, 2, 3]) });
    expect(junk.proven).toBe(false);
    expect(codes(junk)).toContain('IOT6201');
    const cut = proveTables({ iort: b.iort, dtb: b.dtb.slice(0, 60) });
    expect(cut.proven).toBe(false);
    expect(codes(cut)).toContain('IOT6202');
  });

  it('the report is deterministic apart from the time', () => {
    const mutant = patch32(b.iort, [[first.offset + MAP.idCount, first.idCount - 1]]);
    const strip = (r: ProofReport) => proofJson({ ...r, summary: { ...r.summary, timeMs: 0 } });
    expect(strip(proveTables({ ...b, iort: mutant }))).toBe(strip(proveTables({ ...b, iort: mutant })));
  });
});

describe('stream table outcomes for StreamIDs without a device', () => {
  it('abort STEs next to a device, C_BAD_STREAMID where no level-2 table exists, bypass for RMR StreamIDs', () => {
    const b = build(lowerExample('seed-nested.iotopo'));
    const r = proveTables(b);
    expect(r.proven).toBe(true);
    // vsmmu0/1: bus 0x80 and 0xc0 have no device (C_BAD_STREAMID without RMR, bypass with it);
    // the RMR covers the whole pxb, so every class transaction is a bypass or a device alias.
    expect(r.summary.classTransactions).toBeGreaterThan(0);
    const q = build(lowerExample('qemu-b-smmuv3-2pxb.iotopo'));
    const rq = proveTables(q);
    // bus 0 of each SMMU range has no device: C_BAD_STREAMID (no L2); the rest of bus 1 aborts.
    expect(rq.summary.faultsAsExpected).toBeGreaterThanOrEqual(rq.summary.classTransactions);
  });
});
