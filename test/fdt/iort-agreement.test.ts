/**
 * The two tables we emit for one config say the same thing, RID by RID: for every RID a host
 * bridge owns, the IORT interpreter (src/verify/iort-map.ts, Linux iort_node_map_id) and the DT
 * interpreter (src/verify/dt-map.ts, Linux of_map_id) give the same SMMU, StreamID, ITS and
 * DeviceID. ITSes are compared through the config (IORT: translation ID, DT: reg base).
 * `unmapped` is not compared: a RID that bypasses the SMMU is an explicit RC->ITS mapping in
 * the IORT but can only be left out of iommu-map in the DT (see dt-map.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeDtb } from '../../src/backends/fdt/decode';
import { buildFdt } from '../../src/backends/fdt/encode';
import { decodeIort } from '../../src/backends/iort/decode';
import { encodeIort } from '../../src/backends/iort/encode';
import type { RidResolution } from '../../src/verify/types';
import { resolveRid } from '../../src/verify/iort-map';
import { DtInterpreter, segmentsFromIr } from '../../src/verify/dt-map';
import type { IrMachine } from '../../src/ir/types';
import { exampleFiles, loadExample } from './examples';
import { FIXTURES } from './fixtures';

function core(r: RidResolution, ir: IrMachine) {
  const its = r.its
    ? (r.its.base ?? ir.its.find((i) => i.translationId === r.its!.translationId)?.base ?? null)
    : null;
  return { smmu: r.smmu?.base ?? null, streamId: r.streamId, its, deviceId: r.deviceId };
}

const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? '0x' + x.toString(16) : x));

const cases: [string, () => IrMachine][] = [
  ...exampleFiles().filter((f) => f.endsWith('.iotopo')).map((f): [string, () => IrMachine] => [f, () => loadExample(f)]),
  ...Object.entries(FIXTURES),
];

describe('IORT and DT agree RID by RID', () => {
  for (const [name, make] of cases) {
    it(name, () => {
      const ir = make();
      const iort = encodeIort(ir);
      expect(iort.bytes, JSON.stringify(iort.diagnostics)).not.toBeNull();
      const table = decodeIort(iort.bytes!).value!;
      const dt = DtInterpreter.of(decodeDtb(buildFdt(ir).value!, name).value!);
      const segOf = segmentsFromIr(dt, ir);
      let n = 0;
      const bad: string[] = [];
      for (const b of ir.bridges) {
        for (let rid = b.busStart << 8; rid < (b.busEnd + 1) << 8; rid++) {
          const a = show(core(resolveRid(table, b.segment, rid), ir));
          const d = show(core(dt.resolveSegmentRid(b.segment, rid, segOf), ir));
          if (a !== d && bad.length < 5) bad.push(`${b.id} rid 0x${rid.toString(16)}: iort ${a} dt ${d}`);
          n++;
        }
      }
      expect(bad).toEqual([]);
      expect(n).toBeGreaterThan(0);
    });
  }
});
