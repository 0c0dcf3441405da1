// Bundles the CLI into one ESM file so that `iotopo` starts fast (one file to load, no
// TypeScript at run time). Run by `npm ci` (prepare), `npm test` and `npm run bench`.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/iotopo.mjs',
  // chevrotain pulls lodash-es; bundling keeps start-up to one file read.
  banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
