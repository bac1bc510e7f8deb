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
import { defaultHttpDeps, type HttpDeps, postOnce, USER_AGENT, withRetries } from './http.js';
import { type Budget, type Delivery, remainingMs, type Sink } from './types.js';

export function standardWebhookSignature(
  secret: Buffer,
  id: string,
  timestampS: number,
  body: string,
): string {
  const mac = createHmac('sha256', secret).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
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
