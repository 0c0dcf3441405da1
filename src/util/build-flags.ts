/**
 * Facts fixed when the CLI is bundled. scripts/build.mjs defines IOTOPO_BUNDLE = true for
 * dist/; under tsx and vitest it is undefined. The bundled CLI skips chevrotain's grammar
 * self-checks (about 10 ms of start-up, measured by `npm run bench`): the grammar cannot change
 * after the bundle is built, and every test run still performs the checks.
 */
declare const IOTOPO_BUNDLE: boolean | undefined;

export const BUNDLED: boolean = typeof IOTOPO_BUNDLE !== 'undefined' && IOTOPO_BUNDLE === true;
