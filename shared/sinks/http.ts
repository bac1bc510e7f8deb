/**
 * What the webhook and chat sinks share: one POST over `node:http`/`node:https` (not the global
 * `fetch`, whose first use loads Node's bundled undici: about 36 ms measured on these machines, most
 * of a cold start), the meaning of an HTTP answer, and retries with backoff within the invocation.
 */
import { SinkRejectedError, SinkUnavailableError, type TrackerError } from '../errors.js';
import { type Budget, remainingMs } from './types.js';

export interface HttpAnswer {
  readonly status: number;
  header(name: string): string | undefined;
  readonly text: string;
}

/** One POST; rejects on network errors, and with a `TimeoutError` past `timeoutMs`. Redirects are not followed. */
export type HttpPost = (
  url: string,
  init: {
    readonly headers: Record<string, string>;
    readonly body: string;
    readonly timeoutMs: number;
  },
) => Promise<HttpAnswer>;

export interface HttpDeps {
  readonly post: HttpPost;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export const nodePost: HttpPost = async (url, init) => {
  const target = new URL(url);
  // node:https (and tls) only when a URL needs it: loading them costs milliseconds of a cold start.
  const { request: send } =
    target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const body = Buffer.from(init.body, 'utf8');
    const req = send(target, {
      method: 'POST',
      headers: { ...init.headers, 'content-length': String(body.length) },
    });
    const timer = setTimeout(
      () => req.destroy(new TimeoutError(`no answer within ${init.timeoutMs} ms`)),
      init.timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const value = res.headers[name.toLowerCase()];
            return Array.isArray(value) ? value.join(', ') : value;
          },
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
};

export const defaultHttpDeps: HttpDeps = {
  post: nodePost,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export const USER_AGENT = 'das-kill-tracker/0.1 (+https://github.com/das-kill-tracker)';
/** First retry waits about this long; each further retry doubles it (with jitter). */
export const RETRY_BASE_MS = 500;

/** `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 10.2.3). Undefined when absent or bad. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const RETRY_STATUSES = new Set([408, 429]);

export interface AttemptFailure {
  readonly error: TrackerError;
  readonly retryAfterMs?: number | undefined;
}

/**
 * Sends one POST and classifies the answer. Shared by the webhook and chat sinks, which differ in
 * body and headers but not in what an HTTP answer means: 2xx success; 5xx, 408, 429 and network
 * errors retryable (with `Retry-After`); 3xx and other 4xx not.
 */
export async function postOnce(
  deps: HttpDeps,
  url: string,
  init: { headers: Record<string, string>; body: string },
  timeoutMs: number,
  label: string,
  now: number,
): Promise<{ ok: true; answer: HttpAnswer } | { ok: false; failure: AttemptFailure }> {
  let answer: HttpAnswer;
  try {
    answer = await deps.post(url, { ...init, timeoutMs: Math.max(1, timeoutMs) });
  } catch (thrown) {
    const name = thrown instanceof Error ? thrown.name : 'Error';
    const code = (thrown as { code?: unknown }).code;
    const why =
      name === 'TimeoutError'
        ? 'timed out'
        : `network error (${typeof code === 'string' ? code : name})`;
    return {
      ok: false,
      failure: {
        error: new SinkUnavailableError(
          `${label}: ${why}`,
          { code: 'NetworkError' },
          { cause: thrown },
        ),
      },
    };
  }
  const status = answer.status;
  if (status >= 200 && status < 300) return { ok: true, answer };
  const details = { code: `HTTP${status}`, status };
  if (status >= 500 || RETRY_STATUSES.has(status)) {
    const after = retryAfterMs(answer.header('retry-after'), now);
    return {
      ok: false,
      failure: {
        error: new SinkUnavailableError(`${label}: HTTP ${status}`, {
          ...details,
          retryAfterS: after === undefined ? undefined : Math.ceil(after / 1000),
        }),
        retryAfterMs: after,
      },
    };
  }
  return {
    ok: false,
    failure: { error: new SinkRejectedError(`${label}: HTTP ${status}`, details) },
  };
}

/**
 * Runs `attempt` until it succeeds, fails for good, uses `maxAttempts`, or the next wait would not
 * fit in the budget. Throws the last failure's error.
 */
export async function withRetries(
  deps: HttpDeps,
  budget: Budget,
  maxAttempts: number,
  attempt: (attemptNumber: number) => Promise<AttemptFailure | undefined>,
): Promise<void> {
  let last: AttemptFailure | undefined;
  for (let n = 1; n <= maxAttempts; n += 1) {
    last = await attempt(n);
    if (last === undefined) return;
    if (!last.error.retryable || n === maxAttempts) break;
    const backoff = RETRY_BASE_MS * 2 ** (n - 1) * (0.5 + deps.random());
    const wait = Math.max(backoff, last.retryAfterMs ?? 0);
    // Keep a second for the attempt itself; otherwise leave the retry to a pending publication.
    if (wait + 1000 > remainingMs(budget)) break;
    await deps.sleep(wait);
  }
  throw (last as AttemptFailure).error;
}
