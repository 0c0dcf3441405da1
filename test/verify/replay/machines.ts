/** Generated configs for the replay tests (custom profile, every address explicit). */

/**
 * `segments` PCI segments, each a root complex plus four pxb-pcie expanders split over two
 * SMMUv3 (stage s2 on even segments, s1 on odd ones), one vfio device per expander and one
 * RMR per segment.
 */
export function bigMachine(segments: number): string {
  const h = (n: number | bigint) => '0x' + n.toString(16);
  const out: string[] = [];
  out.push(`machine big${segments} {`, '  profile custom', '  ram 0x8000_0000 2G', '  ram 0x88_0000_0000 62G');
  out.push('  iort { revision 6 }', '  gic { dist 0x3000_0000; redist 0x3010_0000; redist_size 0x0100_0000; spis 960 }');
  out.push('  its its0 { base 0x3004_0000; translation_id 0 }', '  its its1 { base 0x3006_0000; translation_id 1 }');
  for (let s = 0; s < segments; s++) {
    const its = s % 2 === 0 ? 'its0' : 'its1';
    const stage = s % 2 === 0 ? 's2' : 's1';
    for (let k = 0; k < 2; k++) {
      const i = 2 * s + k;
      out.push(`  smmuv3 smmu${i} { base ${h(0x32000000 + i * 0x40000)}; spi ${100 + 4 * i}; msi ${its}; stage ${stage} }`);
    }
    const ecam = 0x40_0000_0000n + BigInt(s) * 0x1000_0000n;
    const mmio32 = 0x4000_0000 + s * 0x200_0000;
    const mmio64 = 0x100_0000_0000n + BigInt(s) * 0x10_0000_0000n;
    out.push(`  pcie pcie${s} { segment ${s}; ecam ${h(ecam)}; bus_range 0..0x0f; iommu smmu${2 * s}; msi ${its}`);
    out.push(`    pio ${h(0x3eff0000 - s * 0x10000)} 64K; mmio32 ${h(mmio32)} 32M; mmio64 ${h(mmio64)} 64G }`);
    for (let p = 0; p < 4; p++) {
      out.push(`  pxb-pcie pxb${s}_${p} { bus pcie${s}; bus_nr ${h(0x10 * (p + 1))}; iommu smmu${2 * s + (p % 2)}; hotplug 2 }`);
      out.push(`  device dev${s}_${p} vfio { on pxb${s}_${p}; host "${s.toString(16).padStart(4, '0')}:0${p + 1}:00.0" }`);
    }
    out.push(`  rmr fb${s} { ids dev${s}_0; range ${h(0x8000_0000 + s * 0x100_0000)} 1M }`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
