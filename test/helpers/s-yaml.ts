/**
 * Renders s.yaml as Serverless Devs 3 does: js-yaml parses it, then every string goes through
 * `@serverless-devs/art-template/lib/devs-compile` (the `${...}` parser of @serverless-devs/parse-spec),
 * `vars` first, then the resource with the compiled `vars` in scope (parse-spec `parse-content.ts`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { load } from 'js-yaml';

const require = createRequire(import.meta.url);
const compile = require('@serverless-devs/art-template/lib/devs-compile') as (
  value: unknown,
  context: Record<string, unknown>,
) => unknown;

function compileDeep(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value === 'string') return compile(value, context);
  if (Array.isArray(value)) return value.map((item) => compileDeep(item, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compileDeep(v, context)]));
  }
  return value;
}

export interface RenderedYaml {
  readonly raw: Record<string, unknown>;
  readonly vars: Record<string, unknown>;
  readonly props: Record<string, unknown> & {
    environmentVariables: Record<string, string>;
    triggers: Array<{
      triggerName: string;
      triggerType: string;
      triggerConfig: Record<string, unknown>;
    }>;
  };
}

export function renderSYaml(env: Record<string, string>, file = 's.yaml'): RenderedYaml {
  const raw = load(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const vars = compileDeep(raw.vars, { env, vars: raw.vars }) as Record<string, unknown>;
  const tracker = (raw.resources as Record<string, { props: unknown }>).tracker;
  const props = compileDeep(tracker?.props, { env, vars }) as RenderedYaml['props'];
  return { raw, vars, props };
}
