/**
 * A webhook receiver that behaves like a careful Standard Webhooks consumer: it verifies
 * `webhook-signature` with the reference `standardwebhooks` package (tolerance 5 minutes, as the
 * spec's libraries use), refuses bad signatures with 401, dedupes on `webhook-id`, and can be
 * scripted to fail (status codes, Retry-After, hangs) to exercise the sender's retries.
 */
import type { ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { headerMap, type RunningServer, startServer } from './http.js';

export interface WebhookDelivery {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string | undefined;
  readonly contentType: string | undefined;
  /** The raw body, byte-exact. */
  readonly body: string;
  readonly verified: boolean;
  readonly duplicate: boolean;
  readonly at: number;
}

export type WebhookFault =
  | { readonly status: number; readonly retryAfter?: string; readonly body?: string }
  | { readonly hang: true }
  | { readonly reset: true };

export interface WebhookReceiverOptions {
  /** `whsec_…`; when set, unsigned or badly signed requests get 401. */
  readonly secret?: string;
  readonly onDelivery?: (delivery: WebhookDelivery) => void;
}

export class WebhookReceiver {
  readonly #server: RunningServer;
  readonly #verifier: Webhook | undefined;
  readonly #faults: WebhookFault[] = [];
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #attempts: Array<{ id: string | undefined; status: number }> = [];
  readonly #seen = new Set<string>();
  readonly #onDelivery: ((delivery: WebhookDelivery) => void) | undefined;

  private constructor(
    server: RunningServer,
    options: WebhookReceiverOptions,
    holder: { receiver?: WebhookReceiver },
  ) {
    this.#server = server;
    this.#verifier = options.secret === undefined ? undefined : new Webhook(options.secret);
    this.#onDelivery = options.onDelivery;
    holder.receiver = this;
  }

  static async start(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = await startServer((req, body, res) => {
      const receiver = holder.receiver;
      if (receiver === undefined) throw new Error('receiver not ready');
      receiver.#handle(req.method ?? 'GET', headerMap(req), body, res);
    });
    return new WebhookReceiver(server, options, holder);
  }

  get url(): string {
    return `${this.#server.url}/hooks/das-kill-tracker?token=receiver-key-0001`;
  }

  /** Accepted deliveries, duplicates included (flagged). */
  get deliveries(): readonly WebhookDelivery[] {
    return this.#deliveries;
  }

  /** Every request, with the status it got. */
  get attempts(): ReadonlyArray<{ id: string | undefined; status: number }> {
    return this.#attempts;
  }

  /** The next requests fail as scripted, in order, before normal service resumes. */
  fail(...faults: WebhookFault[]): void {
    this.#faults.push(...faults);
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  #handle(method: string, headers: Record<string, string>, raw: Buffer, res: ServerResponse): void {
    const id = headers['webhook-id'];
    const fault = this.#faults.shift();
    if (fault !== undefined) {
      if ('hang' in fault) return;
      if ('reset' in fault) {
        res.socket?.destroy();
        return;
      }
      this.#attempts.push({ id, status: fault.status });
      const extra: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...extra });
      res.end(fault.body ?? 'scripted failure');
      return;
    }
    const answer = (status: number, text: string) => {
      this.#attempts.push({ id, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
    };
    if (method !== 'POST') {
      answer(405, 'POST only');
      return;
    }
    if (id === undefined || headers['webhook-timestamp'] === undefined) {
      answer(400, 'missing webhook-id or webhook-timestamp');
      return;
    }
    const body = raw.toString('utf8');
    let verified = false;
    if (this.#verifier !== undefined) {
      try {
        this.#verifier.verify(body, {
          'webhook-id': id,
          'webhook-timestamp': headers['webhook-timestamp'],
          'webhook-signature': headers['webhook-signature'] ?? '',
        });
        verified = true;
      } catch {
        answer(401, 'signature verification failed');
        return;
      }
    }
    try {
      JSON.parse(body);
    } catch {
      answer(400, 'body is not JSON');
      return;
    }
    const delivery: WebhookDelivery = {
      id,
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      contentType: headers['content-type'],
      body,
      verified,
      duplicate: this.#seen.has(id),
      at: Date.now(),
    };
    this.#seen.add(id);
    this.#deliveries.push(delivery);
    this.#onDelivery?.(delivery);
    answer(200, 'ok');
  }
}
