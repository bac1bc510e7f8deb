/**
 * `npm run build`: one bundle per function, `dist/<name>/index.js`, with every dependency inside
 * (FC uploads only the `code:` folder, SPEC 2). CommonJS for FC's Node.js 20 runtime and its
 * `index.handler` convention (protocols.md 4.1); minified, with a source map.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const FUNCTIONS_DIR = 'functions';
const OUT_DIR = 'dist';

export async function buildFunctions(): Promise<Array<{ name: string; bytes: number }>> {
  await rm(OUT_DIR, { recursive: true, force: true });
  const names = (await readdir(FUNCTIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const sizes: Array<{ name: string; bytes: number }> = [];
  for (const name of names) {
    const outdir = `${OUT_DIR}/${name}`;
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
