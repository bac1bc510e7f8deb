/**
 * Generic webhook sink: `POST` of the summary JSON with Standard Webhooks headers (SPEC 6).
 *
 * Standard Webhooks 1.0 (standard-webhooks/standard-webhooks `spec/standard-webhooks.md`):
 * `webhook-id` is the idempotency key and stays the same on every attempt; `webhook-timestamp` is
 * Unix seconds of *this* attempt; `webhook-signature` is `v1,` + base64 HMAC-SHA256 over
 * `${id}.${timestamp}.${body}` keyed with the bytes after `whsec_`. 2xx is success; 3xx is a
 * failure (redirects are not followed); 429, 408, 5xx and network errors are retried with
 * exponential backoff and jitter, honouring `Retry-After`; other 4xx are not retried.
 */
import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../config/index.js';
import { SinkRejectedError, SinkUnavailableError, type TrackerError } from '../errors.js';
import { type Budget, type Delivery, remainingMs, type Sink } from './types.js';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpDeps {
  readonly fetch: Fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export const defaultHttpDeps: HttpDeps = {
  fetch: (input, init) => globalThis.fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export const USER_AGENT = 'das-kill-tracker/0.1 (+https://github.com/das-kill-tracker)';
/** First retry waits about this long; each further retry doubles it (with jitter). */
export const RETRY_BASE_MS = 500;

export function standardWebhookSignature(
  secret: Buffer,
  id: string,
  timestampS: number,
  body: string,
): string {
  const mac = createHmac('sha256', secret).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 10.2.3). Undefined when absent or bad. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const RETRY_STATUSES = new Set([408, 429]);

interface AttemptFailure {
  readonly error: TrackerError;
  readonly retryAfterMs?: number | undefined;
}

/**
 * Sends one POST and classifies the answer. Shared by the webhook and chat sinks, which differ in
 * body and headers but not in what an HTTP answer means.
 */
export async function postOnce(
  deps: HttpDeps,
  url: string,
  init: { headers: Record<string, string>; body: string },
  timeoutMs: number,
  label: string,
  now: number,
): Promise<
  { ok: true; response: Response; text: string } | { ok: false; failure: AttemptFailure }
> {
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
  } catch (thrown) {
    const name = thrown instanceof Error ? thrown.name : 'Error';
    const cause = (thrown as { cause?: { code?: unknown } }).cause?.code;
    const why =
      name === 'TimeoutError'
        ? 'timed out'
        : `network error (${typeof cause === 'string' ? cause : name})`;
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
  const text = await response.text().catch(() => '');
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, response, text };
  const details = { code: `HTTP${status}`, status };
  if (status >= 500 || RETRY_STATUSES.has(status)) {
    const after = retryAfterMs(response.headers.get('retry-after'), now);
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

export class WebhookSink implements Sink {
  readonly name = 'webhook';
  readonly #config: WebhookConfig;
  readonly #deps: HttpDeps;

  constructor(config: WebhookConfig, deps: HttpDeps = defaultHttpDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  async publish(delivery: Delivery, budget: Budget): Promise<void> {
    const url = this.#config.url.reveal().toString();
    const label = `webhook ${this.#config.host}`;
    await withRetries(this.#deps, budget, this.#config.maxAttempts, async () => {
      const now = budget.now();
      const timestampS = Math.floor(now / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestampS),
      };
      const secret = this.#config.secret?.reveal();
      if (secret !== undefined) {
        headers['webhook-signature'] = standardWebhookSignature(
          secret,
          delivery.id,
          timestampS,
          delivery.json,
        );
      }
      const timeoutMs = Math.min(this.#config.timeoutMs, remainingMs(budget));
      const result = await postOnce(
        this.#deps,
        url,
        { headers, body: delivery.json },
        timeoutMs,
        label,
        now,
      );
      return result.ok ? undefined : result.failure;
    });
  }
}
