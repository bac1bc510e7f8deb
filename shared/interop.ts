/**
 * The default export of a CommonJS module compiled from TypeScript (`exports.default = X` plus
 * `__esModule`). Runners disagree about it: Node and esbuild (in a `"type": "module"` package)
 * hand an ESM importer `module.exports`, whose `.default` is X; vitest hands X itself. This
 * accepts both, so the same source runs in FC's bundle and in the tests.
 */
export function cjsDefault<T>(imported: unknown): T {
  const inner = (imported as { default?: unknown } | null)?.default;
  return (typeof inner === 'function' ? inner : imported) as T;
}
