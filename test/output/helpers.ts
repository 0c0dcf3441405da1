/**
 * Shared helpers of the output-safety tests: directory snapshots (every entry, hidden ones
 * included, with a hash of each file), scratch directories, the in-process CLI, and a large
 * valid machine whose build takes long enough to be killed in the middle.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferIo } from '../../src/cli/io';
import { run } from '../../src/cli/run';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const EXAMPLES = join(ROOT, 'examples');

/** Every entry below `dir` (relative path -> sha256 of a file, or 'dir'). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(p).isDirectory()) {
        out[r] = 'dir';
        walk(p, r);
      } else out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

const made: string[] = [];
export function scratch(prefix = 'iotopo-out-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanScratch(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/**
 * A valid custom machine with `segments` PCI segments, each a root complex behind its own SMMU
 * with eight expander bridges and a vfio device on each (the large example, scaled up).
 */
export function largeMachine(segments: number, variant = 0): string {
  const h = (n: bigint | number) => '0x' + n.toString(16);
  const L: string[] = [
    `machine large-${variant} {`,
    '  profile custom',
    `  ram 0x8000_0000 ${2 + variant}G`,
    `  iort { revision 6; oem_revision ${variant + 1} }`,
    '  gic { dist 0x3000_0000; redist 0x3010_0000; redist_size 0x0100_0000; spis 480 }',
    '  its its0 { base 0x3004_0000 }',
  ];
  for (let s = 0; s < segments; s++) {
    L.push(`  smmuv3 smmu${s} { base ${h(0x3200_0000 + s * 0x4_0000)}; spi ${100 + 4 * s}; msi its0; stage s2 }`);
    L.push(
      `  pcie pcie${s} { segment ${s}; ecam ${h(0x40_0000_0000n + BigInt(s) * 0x1000_0000n)}; bus_range 0..0x0f; iommu smmu${s}; msi its0`,
      `    pio ${h(0x3eff_0000 - s * 0x1_0000)} 64K; mmio32 ${h(0x4000_0000 + s * 0x100_0000)} 16M; mmio64 ${h(BigInt(s + 1) << 40n)} 1T }`,
    );
    for (let x = 0; x < 8; x++) {
      L.push(`  pxb-pcie pxb${s}_${x} { bus pcie${s}; bus_nr ${h(0x10 * (x + 1))}; iommu smmu${s}; hotplug 1 }`);
      L.push(`  device gpu${s}_${x} vfio { on pxb${s}_${x}; host "${h(s).slice(2).padStart(4, '0')}:${(x + 1).toString(16).padStart(2, '0')}:00.0" }`);
    }
  }
  L.push('}');
  return L.join('\n') + '\n';
}
