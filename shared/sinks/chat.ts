/**
 * Chat robot sinks: DingTalk, Lark/Feishu, WeCom and Slack, each enabled by its own variables and
 * usable together. Each one renders the notice for its platform (`notify/render/*`), signs where
 * the platform signs, treats a platform error code inside an HTTP 200 as a failure, retries what is
 * retryable, and respects the robot's rate limit: when a burst exceeds it, the notices that cannot
 * go now wait (their publication is re-queued, nothing is dropped) and go out merged into one digest
 * message at the next free slot. Every notice a digest carries is marked delivered, so its own
 * pending publication does not send it again.
 *
 * Sources (anchors.md 3.2-3.5, 3.8; error codes as the receivers in `emulators/chat` document):
 * DingTalk signs `timestamp(ms) + "\n" + secret` with HMAC-SHA256 keyed by the secret, base64, URL
 * encoded, in the query; 20 messages a minute, then throttled for 10 minutes (errcode 130101).
 * Lark signs with the key `timestamp(s) + "\n" + secret` over an empty message, base64, in the body;
 * 5 a second and 100 a minute (code 11232, or HTTP 429 code 99991400 with x-ogw-ratelimit-reset).
 * WeCom has no signature (the key in the URL is the credential); 20 a minute (errcode 45009).
 * Slack: about 1 a second per webhook, HTTP 429 with Retry-After.
 */
import { createHmac } from 'node:crypto';
import type { ChatRobot, Severity } from '../config/index.js';
import { SinkRejectedError, SinkUnavailableError, type TrackerError } from '../errors.js';
import { type Notice, noticeOf, passesSeverity } from '../notify/content.js';
import { dingtalkRenderer } from '../notify/render/dingtalk.js';
import { larkRenderer } from '../notify/render/lark.js';
import { slackRenderer } from '../notify/render/slack.js';
import type { ChatRenderer, Platform } from '../notify/render/types.js';
import { wecomRenderer } from '../notify/render/wecom.js';
import type { Ledger } from '../track/ledger.js';
import { type HttpDeps, postOnce, USER_AGENT, withRetries } from './http.js';
import { SlidingWindowLimiter, type Window } from './ratelimit.js';
import { type Budget, type Delivery, remainingMs, type Sink } from './types.js';

export const PLATFORM_LIMITS: Readonly<Record<Platform, readonly Window[]>> = {
  dingtalk: [{ limit: 20, ms: 60_000 }],
  lark: [
    { limit: 5, ms: 1000 },
    { limit: 100, ms: 60_000 },
  ],
  wecom: [{ limit: 20, ms: 60_000 }],
  slack: [{ limit: 1, ms: 1000 }],
};

/** How long a platform's own rate-limit answer asks us to stay away. */
const THROTTLE_S: Readonly<Record<Platform, number>> = {
  dingtalk: 600,
  lark: 60,
  wecom: 60,
  slack: 1,
};
/** Platform codes that mean "too fast": retry later, never a bad configuration. */
const RATE_CODES: Readonly<Record<Platform, ReadonlySet<number>>> = {
  dingtalk: new Set([130101, 410100]),
  lark: new Set([11232, 99991400]),
  wecom: new Set([45009]),
  slack: new Set(),
};
/** Notices kept waiting per robot; beyond this the oldest are left to their pending publications. */
const MAX_BUFFERED = 500;

export function dingtalkSign(secret: string, timestampMs: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
  return encodeURIComponent(mac);
}

export function larkSign(secret: string, timestampS: number): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

export interface ChatSinkOptions {
  readonly platform: Platform;
  readonly robot: ChatRobot;
  readonly keyword?: string | undefined;
  readonly consoleUrl: string;
  readonly minSeverity: Severity;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly ledger: Ledger;
  readonly http: HttpDeps;
}

function rendererFor(platform: Platform, keyword: string | undefined): ChatRenderer {
  switch (platform) {
    case 'dingtalk':
      return dingtalkRenderer({ keyword });
    case 'lark':
      return larkRenderer();
    case 'wecom':
      return wecomRenderer();
    case 'slack':
      return slackRenderer();
  }
}

/** Reads a platform's answer to an HTTP 2xx: its own error code decides (errcode, code). */
function platformFailure(
  platform: Platform,
  text: string,
  label: string,
): { error: TrackerError; retryAfterMs?: number } | undefined {
  if (platform === 'slack') return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {
      error: new SinkUnavailableError(`${label}: answer is not JSON`, { code: 'InvalidResponse' }),
    };
  }
  const code = Number(body.errcode ?? body.code ?? body.StatusCode ?? 0);
  if (code === 0) return undefined;
  const message = String(body.errmsg ?? body.msg ?? body.StatusMessage ?? '').slice(0, 200);
  if (RATE_CODES[platform].has(code)) {
    const retryAfterS = THROTTLE_S[platform];
    return {
      error: new SinkUnavailableError(`${label}: rate limited (${code})`, {
        code: String(code),
        retryAfterS,
      }),
      retryAfterMs: retryAfterS * 1000,
    };
  }
  return {
    error: new SinkRejectedError(`${label}: refused with code ${code}: ${message}`, {
      code: String(code),
    }),
  };
}

export class ChatSink implements Sink {
  readonly name: Platform;
  readonly #options: ChatSinkOptions;
  readonly #renderer: ChatRenderer;
  readonly #limiter: SlidingWindowLimiter;
  /** Notices waiting for a free slot, by id, oldest first. */
  readonly #waiting = new Map<string, Notice>();

  constructor(options: ChatSinkOptions) {
    this.name = options.platform;
    this.#options = options;
    this.#renderer = rendererFor(options.platform, options.keyword);
    this.#limiter = new SlidingWindowLimiter(PLATFORM_LIMITS[options.platform]);
  }

  async publish(delivery: Delivery, budget: Budget): Promise<void> {
    const notice = noticeOf(delivery.event, this.#options.consoleUrl);
    // Below the robot's severity: nothing to send, which counts as done.
    if (!passesSeverity(notice, this.#options.minSeverity)) return;
    this.#waiting.delete(notice.id);
    this.#waiting.set(notice.id, notice);
    while (this.#waiting.size > MAX_BUFFERED)
      this.#waiting.delete(this.#waiting.keys().next().value as string);
    const label = `${this.name} ${this.#options.robot.host}`;
    const waitMs = this.#limiter.waitMs(budget.now());
    if (waitMs > 0) {
      throw new SinkUnavailableError(
        `${label}: rate limit reached; the notice goes in the next digest`,
        {
          code: 'RateLimited',
          retryAfterS: Math.ceil(waitMs / 1000),
        },
      );
    }
    const waiting = [...this.#waiting.values()];
    const { body, included } =
      waiting.length === 1
        ? { body: this.#renderer.single(notice), included: [notice] }
        : this.#renderer.digest(waiting);
    await this.#send(body, budget, label);
    for (const sent of included) {
      this.#waiting.delete(sent.id);
      this.#options.ledger.add(`${sent.id}:${this.name}`);
    }
    if (!included.some((n) => n.id === notice.id)) {
      throw new SinkUnavailableError(
        `${label}: the digest was full; the notice goes in the next one`,
        {
          code: 'DigestFull',
          retryAfterS: Math.ceil(this.#limiter.waitMs(budget.now()) / 1000) || 1,
        },
      );
    }
  }

  async #send(message: Record<string, unknown>, budget: Budget, label: string): Promise<void> {
    const { robot, http } = this.#options;
    await withRetries(http, budget, this.#options.maxAttempts, async () => {
      const now = budget.now();
      // Each attempt is a message the platform counts: wait for a slot rather than be throttled.
      const waitMs = this.#limiter.waitMs(now);
      if (waitMs > 0) {
        return {
          error: new SinkUnavailableError(`${label}: rate limit reached`, {
            code: 'RateLimited',
            retryAfterS: Math.ceil(waitMs / 1000),
          }),
          retryAfterMs: waitMs,
        };
      }
      this.#limiter.take(now);
      const { url, body } = this.#signed(robot, message, now);
      const result = await postOnce(
        http,
        url,
        {
          headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT },
          body,
        },
        Math.min(this.#options.timeoutMs, remainingMs(budget)),
        label,
        now,
      );
      if (!result.ok) return result.failure;
      return platformFailure(this.name, result.answer.text, label);
    });
  }

  /** The URL (with DingTalk's signature) and body (with Lark's) of one attempt. */
  #signed(
    robot: ChatRobot,
    message: Record<string, unknown>,
    now: number,
  ): { url: string; body: string } {
    const url = new URL(robot.url.reveal().toString());
    const secret = robot.secret?.reveal();
    if (secret !== undefined && this.name === 'dingtalk') {
      url.searchParams.set('timestamp', String(now));
      // dingtalkSign URL-encodes already; set the raw value so it is encoded exactly once.
      url.searchParams.set('sign', decodeURIComponent(dingtalkSign(secret, now)));
    }
    if (secret !== undefined && this.name === 'lark') {
      const timestamp = Math.floor(now / 1000);
      return {
        url: url.toString(),
        body: JSON.stringify({
          timestamp: String(timestamp),
          sign: larkSign(secret, timestamp),
          ...message,
        }),
      };
    }
    return { url: url.toString(), body: JSON.stringify(message) };
  }
}
