import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../../emulators/webhook.js';
import { loadConfig } from '../../../shared/config/index.js';
import { SinkRejectedError, SinkUnavailableError } from '../../../shared/errors.js';
import { defaultHttpDeps, retryAfterMs } from '../../../shared/sinks/http.js';
import { deliveryOf } from '../../../shared/sinks/publish.js';
import type { Budget } from '../../../shared/sinks/types.js';
import { standardWebhookSignature, WebhookSink } from '../../../shared/sinks/webhook.js';
import { buildSummary } from '../../../shared/summary/build.js';
import { RDS_REQUEST, result, session, T0 } from '../../helpers/factories.js';

const SECRET = `whsec_${Buffer.from('a-webhook-secret-of-32-bytes!!!!').toString('base64')}`;
const summary = buildSummary(
  {
    task: RDS_REQUEST,
    outcome: 'SUCCESS',
    result: result({
      TaskState: 'SUCCESS',
      Result: [session({ Reason: 'SESSION_OTHER_ERROR', Info: `x < 1 & y = '张'` })],
    }),
    checks: 3,
    startedAt: T0,
    finishedAt: T0 + 60_000,
  },
  { maxFailedSessions: 20, showSqlLiterals: true },
);
const delivery = deliveryOf(summary);
const budget = (ms = 60_000): Budget => {
  const start = Date.now();
  return { deadline: start + ms, now: Date.now };
};

let receiver: WebhookReceiver;
let waits: number[];

function sink(overrides: Record<string, string> = {}): WebhookSink {
  const config = loadConfig({
    TRACK_QUEUE: 'q',
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_TIMEOUT_S: '1',
    ...overrides,
  });
  if (config.webhook === undefined) throw new Error('no webhook');
  return new WebhookSink(config.webhook, {
    ...defaultHttpDeps,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
  });
}

beforeEach(async () => {
  receiver = await WebhookReceiver.start({ secret: SECRET });
  waits = [];
});
afterEach(() => receiver.close());

describe('WebhookSink', () => {
  it('POSTs the summary JSON byte-exact with a signature the standardwebhooks package verifies', async () => {
    // Act
    await sink().publish(delivery, budget());
    // Assess
    const [got] = receiver.deliveries;
    expect(got).toMatchObject({
      id: summary.id,
      verified: true,
      contentType: 'application/json',
      body: delivery.json,
    });
    const verified = new Webhook(SECRET).verify(got?.body ?? '', {
      'webhook-id': got?.id ?? '',
      'webhook-timestamp': got?.timestamp ?? '',
      'webhook-signature': got?.signature ?? '',
    });
    expect(verified).toEqual(JSON.parse(delivery.json));
  });

  it('retries 5xx, 429 and resets with backoff, keeping the same webhook-id on every attempt', async () => {
    receiver.fail({ status: 503 }, { status: 429 }, { reset: true });
    await sink({ WEBHOOK_MAX_ATTEMPTS: '4' }).publish(delivery, budget());
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.attempts.map((a) => a.id)).toEqual([summary.id, summary.id, summary.id]);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    receiver.fail({ status: 429, retryAfter: '7' });
    await sink().publish(delivery, budget());
    expect(waits).toEqual([7000]);
  });

  it('does not retry a 4xx refusal', async () => {
    receiver.fail({ status: 400 });
    const error = await sink()
      .publish(delivery, budget())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkRejectedError);
    expect(receiver.attempts).toHaveLength(1);
  });

  it('treats a redirect as a failure instead of following it', async () => {
    receiver.fail({ status: 302 });
    const error = await sink()
      .publish(delivery, budget())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP302' });
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('gives up with a retryable error after its attempts, leaving the rest to a pending publication', async () => {
    receiver.fail({ status: 502 }, { status: 502 }, { status: 502 });
    const error = await sink()
      .publish(delivery, budget())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkUnavailableError);
    expect(receiver.attempts).toHaveLength(3);
  });

  it('times out a receiver that hangs, then retries', async () => {
    receiver.fail({ hang: true });
    await sink().publish(delivery, budget());
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('stops retrying when the invocation budget would not fit another attempt', async () => {
    receiver.fail({ status: 503 }, { status: 503 });
    const error = await sink({ WEBHOOK_MAX_ATTEMPTS: '5' })
      .publish(delivery, budget(1200))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkUnavailableError);
    expect(receiver.attempts).toHaveLength(1);
  });

  it('sends unsigned when no secret is configured', async () => {
    const open = await WebhookReceiver.start();
    try {
      const config = loadConfig({ TRACK_QUEUE: 'q', WEBHOOK_URL: open.url });
      if (config.webhook === undefined) throw new Error('no webhook');
      await new WebhookSink(config.webhook).publish(delivery, budget());
      expect(open.deliveries).toMatchObject([
        { id: summary.id, signature: undefined, verified: false },
      ]);
    } finally {
      await open.close();
    }
  });

  it('is refused by the receiver when the signature was made with another secret', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const forged = standardWebhookSignature(
      Buffer.from('another-secret-of-32-bytes!!!!!!'),
      summary.id,
      timestamp,
      delivery.json,
    );
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'webhook-id': summary.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': forged,
      },
      body: delivery.json,
    });
    expect(response.status).toBe(401);
    expect(receiver.deliveries).toHaveLength(0);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
});
