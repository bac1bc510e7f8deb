/**
 * `npm run build`: one bundle per function, `dist/<name>/index.js`, with every dependency inside
 * (FC uploads only the `code:` folder, SPEC 2). CommonJS for FC's Node.js 20 runtime and its
 * `index.handler` convention (protocols.md 4.1); minified, with a source map.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const FUNCTIONS_DIR = 'functions';
const OUT_DIR = 'dist';

const shim = (name: string) =>
  fileURLToPath(new URL(`../shared/shims/${name}.ts`, import.meta.url));

/**
 * Modules the SDKs load whole although the tracker uses a sliver of them, replaced at bundle time
 * by small stand-ins with the same behaviour for that use (each file says what and why, and its
 * test compares it with the real module):
 * - `@alicloud/credentials` (openapi-client builds static credentials from it): 66 KB;
 * - `xml2js` (both SDKs only parse; the real one loads `xmlbuilder` too): 87 KB with it;
 * - `thread-stream` (pino's transports, never used);
 * - `assert` where sonic-boom imports it, and `worker_threads` where pino's tools import it (Node
 *   built-ins that cost milliseconds to load for one call and one flag).
 */
export const SHIMS: Plugin = {
  name: 'das-kill-tracker-shims',
  setup(b) {
    const targets: Record<string, string> = {
      '@alicloud/credentials': shim('alicloud-credentials'),
      xml2js: shim('xml2js'),
      'thread-stream': shim('thread-stream'),
    };
    b.onResolve({ filter: /^(@alicloud\/credentials|xml2js|thread-stream)$/ }, (args) => ({
      path: targets[args.path] as string,
    }));
    b.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /[\\/]sonic-boom[\\/]/.test(args.importer) ? { path: shim('assert') } : undefined,
    );
    b.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      /[\\/]pino[\\/]lib[\\/]tools\.js$/.test(args.importer)
        ? { path: shim('worker-threads') }
        : undefined,
    );
  },
};

/** The size budget of one function's bundle (issue 5): FC's code upload and cold start stay small. */
export const BUNDLE_BUDGET_BYTES = 400 * 1024;

export async function buildFunctions(
  outRoot = OUT_DIR,
): Promise<Array<{ name: string; bytes: number }>> {
  await rm(outRoot, { recursive: true, force: true });
  const names = (await readdir(FUNCTIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const sizes: Array<{ name: string; bytes: number }> = [];
  for (const name of names) {
    const outdir = `${outRoot}/${name}`;
    await build({
      entryPoints: [`${FUNCTIONS_DIR}/${name}/index.ts`],
      outfile: `${outdir}/index.js`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      keepNames: true,
      sourcemap: true,
      sourcesContent: false,
      legalComments: 'external',
      logLevel: 'warning',
      // Nothing is external. (@alicloud/mns is imported as lib/client.js in the source, bundling.md.)
      plugins: [SHIMS],
    });
    // The repository is "type": "module"; the bundle is CommonJS, as FC loads it.
    await writeFile(`${outdir}/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`);
    sizes.push({ name, bytes: (await stat(`${outdir}/index.js`)).size });
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await mkdir(OUT_DIR, { recursive: true });
  for (const { name, bytes } of await buildFunctions()) {
    console.log(`${OUT_DIR}/${name}/index.js  ${(bytes / 1024).toFixed(1)} KiB`);
  }
}
