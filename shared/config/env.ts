/**
 * Typed readers over an environment map. Values are trimmed; an empty value counts as unset;
 * every failure is a `ConfigError` naming the variable (SPEC 4: invalid configuration fails at
 * module load, and FC reports it as an initialisation error).
 */
import { ConfigError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readInt(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max) {
    throw new ConfigError(name, `must be between ${bounds.min} and ${bounds.max}, got ${value}`);
  }
  return value;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

export function readEnum<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const match = allowed.find((value) => value === raw.toLowerCase());
  if (match === undefined) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return match;
}

/**
 * An http(s) URL. The value itself may carry a credential (a WeCom key, a webhook token), so
 * the error message never repeats it.
 */
export function readUrl(env: Env, name: string): URL | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      name,
      'must be an absolute http(s) URL (value not shown: it may hold a key)',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, `must use http or https, got ${url.protocol}`);
  }
  return url;
}

/** MNS queue and topic names: letters, digits and hyphens, starting with a letter, at most 256. */
export function readMnsName(env: Env, name: string): string | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  // https://www.alibabacloud.com/help/en/mns/developer-reference/createqueue (QueueName rules)
  if (!/^[A-Za-z][A-Za-z0-9-]{0,255}$/.test(value)) {
    throw new ConfigError(
      name,
      `"${value}" is not a valid MNS name (a letter, then letters, digits or hyphens, at most 256)`,
    );
  }
  return value;
}
