/**
 * The qemu-virt profile: QEMU's `virt` machine (hw/arm/virt.c base_memmap / a15irqmap,
 * build_iort in hw/arm/virt-acpi-build.c) with GICv3 and highmem, as EDK2 firmware numbers
 * the buses. Everything here reproduces what QEMU 10.x writes; see grammar/README.md.
 */
import type { IrGic, IrPciWindow, IrPlatformRegion } from '../types';

export const GIB = 1n << 30n;

export const QEMU_GIC: IrGic = {
  version: 3,
  distBase: 0x0800_0000n,
  distSize: 0x1_0000n,
  redistBase: 0x080a_0000n,
  redistSize: 0xf6_0000n,
  spiCount: 256,
  espi: false,
};

export const QEMU_ITS = { id: 'its0', base: 0x0808_0000n, size: 0x2_0000n, translationId: 0 };

/** The implicit root complex: segment 0, highmem ECAM (256 buses), gpex host bridge at 00:00.0. */
export const QEMU_RC = { id: 'pcie.0', segment: 0, ecam: 0x40_1000_0000n, memLimit: 64 };

export const SMMU_SIZE = 0x2_0000n;
/** iommu=smmuv3: the one machine-wide SMMU (VIRT_SMMU). SPI 74..77 -> GSIV 106..109. */
export const LEGACY_SMMU = { base: 0x0905_0000n, spi: 74 };
/** -device arm-smmuv3 (QEMU 10.2): dynamic sysbus devices on the platform bus. */
export const PLATFORM_BUS = { base: 0x0c00_0000n, size: 0x0200_0000n, firstSpi: 112, spis: 64 };
export const MAX_PLATFORM_SMMUS = PLATFORM_BUS.spis / 4;

export function qemuSmmuPlacement(index: number, count: number): { base: bigint; spi: number } {
  if (count === 1) return { ...LEGACY_SMMU };
  return { base: PLATFORM_BUS.base + BigInt(index) * SMMU_SIZE, spi: PLATFORM_BUS.firstSpi + 4 * index };
}

/** The accel=on RMR QEMU writes: the host kernel's MSI IOVA window. */
export const QEMU_RMR_RANGE = { base: 0x0800_0000n, size: 0x10_0000n };

export const QEMU_IORT_IDS = { oemId: 'BOCHS ', oemTableId: 'BXPC    ', oemRevision: 1, creatorId: 'BXPC', creatorRevision: 1 };

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export function qemuPlatform(ramSize: bigint, hasIts: boolean): IrPlatformRegion[] {
  const r = (name: string, base: bigint, size: bigint, spis: number[] = []): IrPlatformRegion => ({ name, base, size, spis });
  const regions = [
    r('flash', 0x0n, 0x0800_0000n),
    r('gic-dist', QEMU_GIC.distBase, QEMU_GIC.distSize),
    ...(hasIts ? [r('gic-its', QEMU_ITS.base, QEMU_ITS.size)] : []),
    r('gic-redist', QEMU_GIC.redistBase, QEMU_GIC.redistSize),
    r('uart0', 0x0900_0000n, 0x1000n, [1]),
    r('rtc', 0x0901_0000n, 0x1000n, [2]),
    r('fw-cfg', 0x0902_0000n, 0x18n),
    r('gpio', 0x0903_0000n, 0x1000n, [7]),
    // Slot of the iommu=smmuv3 SMMU; an SMMU placed there is expected to sit inside it.
    r('smmu', LEGACY_SMMU.base, SMMU_SIZE, range(74, 77)),
    r('virtio-mmio', 0x0a00_0000n, 32n * 0x200n, range(16, 47)),
    // Dynamic sysbus devices (multi-SMMU placement) live inside this window.
    r('platform-bus', PLATFORM_BUS.base, PLATFORM_BUS.size, range(112, 175)),
    r('pcie-mmio', 0x1000_0000n, 0x2eff_0000n),
    r('pcie-pio', 0x3eff_0000n, 0x1_0000n),
    r('pcie-ecam', 0x3f00_0000n, 0x0100_0000n),
    r('ram', 0x4000_0000n, ramSize),
    // The highmem ECAM that pcie.0 uses; the PCIe INTx lines belong to the host bridge.
    r('pcie-ecam-high', QEMU_RC.ecam, 0x1000_0000n, range(3, 6)),
    r('pcie-mmio-high', 0x80_0000_0000n, 0x80_0000_0000n),
  ];
  return regions;
}

export function qemuPciWindows(rc: string): IrPciWindow[] {
  return [
    { bridge: rc, kind: 'io', pciBase: 0n, cpuBase: 0x3eff_0000n, size: 0x1_0000n },
    { bridge: rc, kind: 'mem32', pciBase: 0x1000_0000n, cpuBase: 0x1000_0000n, size: 0x2eff_0000n },
    { bridge: rc, kind: 'mem64', pciBase: 0x80_0000_0000n, cpuBase: 0x80_0000_0000n, size: 0x80_0000_0000n },
  ];
}
