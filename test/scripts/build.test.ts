import { readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, buildFunctions } from '../../scripts/build.js';

// A folder of its own: test/scripts/invoke.test.ts builds dist/ at the same time.
const OUT = join(tmpdir(), `dkt-build-${process.pid}`);
let built: Array<{ name: string; bytes: number }>;
let bundle: string;

beforeAll(async () => {
  built = await buildFunctions(OUT);
  bundle = readFileSync(join(OUT, 'tracker', 'index.js'), 'utf8');
}, 60_000);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('npm run build', () => {
  it('makes one bundle per function folder, within the size budget', () => {
    expect(built.map((b) => b.name)).toEqual(['tracker']);
    for (const { bytes } of built) expect(bytes).toBeLessThan(BUNDLE_BUDGET_BYTES);
    expect(statSync(join(OUT, 'tracker', 'index.js')).size).toBe(built[0]?.bytes);
  });

  it('carries every dependency: the bundle requires only Node built-ins', () => {
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]));
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    // `debug` (via httpx) probes for supports-color inside try/catch: absent is its normal case.
    const outside = [...required].filter((name) => !builtins.has(name as string));
    expect(outside).toEqual(['supports-color']);
    expect(bundle).toMatch(/try\s*\{[^}]*require\("supports-color"\)/);
  });

  it('is CommonJS for FC, next to a package.json that says so, with a source map', () => {
    expect(bundle).toMatch(/module\.exports\s*=/);
    expect(JSON.parse(readFileSync(join(OUT, 'tracker', 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    const map = JSON.parse(readFileSync(join(OUT, 'tracker', 'index.js.map'), 'utf8')) as {
      sources: string[];
    };
    expect(map.sources.some((s) => s.endsWith('functions/tracker/index.ts'))).toBe(true);
  });

  it('bundles the stand-ins, not the modules they replace', () => {
    const map = JSON.parse(readFileSync(join(OUT, 'tracker', 'index.js.map'), 'utf8')) as {
      sources: string[];
    };
    const sources = map.sources.join('\n');
    for (const shim of ['alicloud-credentials', 'xml2js', 'thread-stream']) {
      expect(sources).toContain(`shared/shims/${shim}.ts`);
    }
    expect(sources).not.toMatch(/node_modules\/@alicloud\/credentials\//);
    expect(sources).not.toMatch(/node_modules\/xml2js\//);
    expect(sources).not.toMatch(/node_modules\/xmlbuilder\//);
    expect(sources).not.toMatch(/node_modules\/thread-stream\//);
  });
});
