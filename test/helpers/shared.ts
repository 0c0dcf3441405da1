/**
 * Where the read-only project data lives (seeds, references, real-machine corpus). CI clones
 * the repository with shared/ beside it, so `<repo>/../shared` comes first; IOTOPO_SHARED
 * overrides it, and /work/shared is the workplace's fixed location for clones made elsewhere.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const beside = resolve(import.meta.dirname, '..', '..', '..', 'shared');

export const SHARED: string = process.env.IOTOPO_SHARED ?? (existsSync(beside) ? beside : '/work/shared');
