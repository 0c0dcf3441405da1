/**
 * The custom profile: nothing implicit. Defaults only where the architecture fixes a value
 * (GICv3 distributor 64 KiB, ITS 128 KiB, SMMUv3 128 KiB).
 */
export const CUSTOM_IORT_IDS = { oemId: 'IOTOPO', oemTableId: 'IOTOPO  ', oemRevision: 1, creatorId: 'IOTO', creatorRevision: 1 };
export const CUSTOM_DEFAULT_REVISION = 5 as const;
