/**
 * A Lark/Feishu custom bot (自定义机器人) endpoint: `POST /open-apis/bot/v2/hook/{hookId}` with a
 * JSON body `{msg_type, content | card, timestamp?, sign?}`, the signature check (key =
 * `timestamp + "\n" + secret`, HMAC-SHA256 over the empty message, base64, timestamp in seconds
 * within 1 h), custom keywords, the 20 KB body limit and the 5/s + 100/min rate limits.
 *
 * Sources (anchors.md 3.3 and these):
 * - Custom bot guide, open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN (zh) and
 *   open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (en): "单租户单机器人 100 次/分钟，
 *   5 次/秒 … 11232 限流错误"; "请求体的数据大小不能超过 20 KB"; signature recipe.
 * - Answers quoted from that guide (mirror: blog.csdn.net/qq_43108153/article/details/136166075):
 *   success `{code:0, msg:"success", data:{}, StatusCode:0, StatusMessage:"success"}`;
 *   9499 "Bad Request" for a malformed body or one over 20 KB; 19024 "Key Words Not Found";
 *   19021 "sign match fail or timestamp is not within one hour from current time"
 *   (also feiyu563/PrometheusAlert#422, blog.csdn.net/zhanglili1993/article/details/136473704).
 * - 19001 "param invalid: incoming webhook access token invalid" with HTTP 200 for an unknown hook
 *   (sansan0/TrendRadar#278 and several public test fixtures).
 * - Rate limiting: the bot answers HTTP 200 with `{"code":11232,"data":{},"msg":"frequency
 *   limited psm[lark.oapi.app_platform_runtime]appID[1500]"}` (response logged in a public
 *   client; openclaw/openclaw#70879 names 11232 as the bot's flow-control code). The generic
 *   OpenAPI gateway answers HTTP 429 + `x-ogw-ratelimit-limit`/`x-ogw-ratelimit-reset` with code
 *   99991400 (open.feishu.cn/document/server-docs/api-call-guide/frequency-control); choose it with
 *   `rateLimitStyle: 'gateway'`.
 *
 * UNCONFIRMED: "20 KB" is taken as 20 × 1024 bytes of request body (hughcube/laravel-lark reports
 * measuring a larger real limit, ~150 KiB with code 19036, so the documented figure is the safe
 * budget); 9499 also answers an unknown msg_type or a missing content field; all bot errors use
 * HTTP 200; which strings the keyword check searches (here: every string in content/card).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { RunningServer } from '../http.js';
import {
  assertOptions,
  type ChatAnswer,
  ChatReceiver,
  type ChatRequest,
  isRecord,
  isText,
  parseJsonObject,
  retryAfterSeconds,
  SlidingWindowLimiter,
  safeEqual,
  stringLeaves,
} from './common.js';

/**
 * Lark's custom-bot signature for `timestampS` (seconds): `base64(HmacSHA256(key = timestamp +
 * "\n" + secret, message = ""))`. Send it as the body fields `timestamp` and `sign`.
 *
 * @example
 * const timestamp = Math.floor(Date.now() / 1000);
 * const body = { timestamp: String(timestamp), sign: larkSign(secret, timestamp), msg_type: 'text',
 *   content: { text: 'hello' } };
 */
export function larkSign(secret: string, timestampS: number | string): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

export interface LarkReceiverOptions {
  /** The last path segment of the webhook URL. @default a fixed UUID */
  readonly hookId?: string;
  /** The signature secret; when set, `timestamp` and `sign` are required in the body. */
  readonly secret?: string;
  /** Custom keywords (at most 10); when set, a message must contain one of them. */
  readonly keywords?: readonly string[];
  /** Largest accepted request body in UTF-8 bytes. @default 20480 (the documented 20 KB) */
  readonly maxBodyBytes?: number;
  /**
   * How a rate-limited request is answered: `'bot'` = HTTP 200 with code 11232 (observed from the
   * bot endpoint); `'gateway'` = HTTP 429, code 99991400 and `x-ogw-ratelimit-*` headers (the
   * OpenAPI gateway's documented answer). @default 'bot'
   */
  readonly rateLimitStyle?: 'bot' | 'gateway';
  /** Milliseconds; drives the 1 h signature skew and the rate windows. @default Date.now */
  readonly clock?: () => number;
}

const HOOK_PREFIX = '/open-apis/bot/v2/hook/';
const DEFAULT_HOOK = '8f6b2e4a-3c1d-4e5f-9a7b-0c2d4e6f8a1b';
const DEFAULT_MAX_BODY = 20 * 1024;
const MAX_SKEW_MS = 60 * 60_000;
const MAX_KEYWORDS = 10;
/** 5 per second and 100 per minute per bot. */
const WINDOWS = [
  { limit: 5, windowMs: 1_000 },
  { limit: 100, windowMs: 60_000 },
] as const;

const ERR = {
  hook: { code: 19001, msg: 'param invalid: incoming webhook access token invalid' },
  bad: { code: 9499, msg: 'Bad Request' },
  sign: {
    code: 19021,
    msg: 'sign match fail or timestamp is not within one hour from current time',
  },
  keywords: { code: 19024, msg: 'Key Words Not Found' },
  rate: {
    code: 11232,
    msg: 'frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]',
  },
} as const;

const SUCCESS = { StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' };

/** The part of the message the keyword check reads, or `undefined` when the shape is wrong. */
function messagePart(body: Record<string, unknown>): unknown {
  const content = body.content;
  switch (body.msg_type) {
    case 'text':
      return isRecord(content) && isText(content.text) ? content : undefined;
    case 'post': {
      if (!isRecord(content) || !isRecord(content.post)) return undefined;
      const locales = Object.values(content.post);
      const ok =
        locales.length > 0 &&
        locales.every((locale) => isRecord(locale) && Array.isArray(locale.content));
      return ok ? content : undefined;
    }
    case 'image':
      return isRecord(content) && isText(content.image_key) ? content : undefined;
    case 'share_chat':
      return isRecord(content) && isText(content.share_chat_id) ? content : undefined;
    case 'interactive': {
      // Cards travel as `card` (object, or the JSON of one); some senders nest them in content.
      const card = body.card ?? (isRecord(content) ? content.card : undefined);
      if (isRecord(card)) return card;
      return typeof card === 'string' ? parseJsonObject(card) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * A local Lark/Feishu custom bot.
 *
 * @example
 * const bot = await LarkReceiver.start({ secret: 'abc', clock: () => now });
 * const timestamp = Math.floor(now / 1000);
 * await fetch(bot.url, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ timestamp, sign: larkSign('abc', timestamp), msg_type: 'text',
 *     content: { text: 'hello' } }) });
 */
export class LarkReceiver extends ChatReceiver {
  readonly #hookId: string;
  readonly #secret: string | undefined;
  readonly #keywords: readonly string[];
  readonly #maxBodyBytes: number;
  readonly #gateway: boolean;
  readonly #limiter = new SlidingWindowLimiter(WINDOWS);

  private constructor(server: RunningServer, options: LarkReceiverOptions) {
    super(server, options.clock);
    this.#hookId = options.hookId ?? DEFAULT_HOOK;
    this.#secret = options.secret;
    this.#keywords = options.keywords ?? [];
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.#gateway = options.rateLimitStyle === 'gateway';
  }

  static async start(options: LarkReceiverOptions = {}): Promise<LarkReceiver> {
    assertOptions('LarkReceiver', options, [
      'hookId',
      'secret',
      'keywords',
      'maxBodyBytes',
      'rateLimitStyle',
      'clock',
    ]);
    if (options.hookId !== undefined && !/^[\w.~-]+$/.test(options.hookId)) {
      throw new TypeError('LarkReceiver: hookId must be one URL path segment ([A-Za-z0-9_.~-])');
    }
    if (options.secret !== undefined && !isText(options.secret)) {
      throw new TypeError('LarkReceiver: secret must be a non-empty string');
    }
    const keywords = options.keywords;
    if (keywords !== undefined && (keywords.length > MAX_KEYWORDS || !keywords.every(isText))) {
      throw new TypeError(`LarkReceiver: keywords must be 1-${MAX_KEYWORDS} non-empty strings`);
    }
    const max = options.maxBodyBytes;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
      throw new TypeError('LarkReceiver: maxBodyBytes must be a positive integer');
    }
    const style = options.rateLimitStyle;
    if (style !== undefined && style !== 'bot' && style !== 'gateway') {
      throw new TypeError('LarkReceiver: rateLimitStyle must be "bot" or "gateway"');
    }
    return ChatReceiver.listen((server) => new LarkReceiver(server, options));
  }

  /** `http://127.0.0.1:<port>/open-apis/bot/v2/hook/<hookId>` */
  get url(): string {
    return `${this.origin}${HOOK_PREFIX}${this.#hookId}`;
  }

  protected override answer(request: ChatRequest): ChatAnswer {
    const refuse = (error: { code: number; msg: string }): ChatAnswer => ({
      status: 200,
      body: { code: error.code, data: {}, msg: error.msg },
      code: error.code,
    });
    if (!request.path.startsWith(HOOK_PREFIX)) {
      return { status: 404, body: '404 page not found', code: 404 };
    }
    if (request.method !== 'POST') return { status: 405, body: 'Method Not Allowed', code: 405 };
    if (!safeEqual(request.path.slice(HOOK_PREFIX.length), this.#hookId)) return refuse(ERR.hook);

    if (request.raw.length > this.#maxBodyBytes) return refuse(ERR.bad);
    const body = parseJsonObject(request.text);
    if (body === undefined) return refuse(ERR.bad);

    if (this.#secret !== undefined && !this.#signed(body, request.now)) return refuse(ERR.sign);

    const part = messagePart(body);
    if (part === undefined) return refuse(ERR.bad);

    if (this.#keywords.length > 0) {
      const texts = stringLeaves(part);
      if (!this.#keywords.some((k) => texts.some((text) => text.includes(k)))) {
        return refuse(ERR.keywords);
      }
    }

    const decision = this.#limiter.take(request.now);
    if (!decision.allowed) {
      if (!this.#gateway) return refuse(ERR.rate);
      return {
        status: 429,
        body: { code: 99991400, msg: 'request trigger frequency limit' },
        code: 99991400,
        headers: {
          'x-ogw-ratelimit-limit': String(decision.limit),
          'x-ogw-ratelimit-reset': String(retryAfterSeconds(decision.retryAfterMs)),
          'x-request-id': randomUUID(),
        },
      };
    }
    return { status: 200, body: SUCCESS, code: 0, accept: body };
  }

  #signed(body: Record<string, unknown>, now: number): boolean {
    const { timestamp, sign } = body;
    const text = typeof timestamp === 'number' ? String(timestamp) : timestamp;
    if (typeof text !== 'string' || !/^\d{1,13}$/.test(text) || typeof sign !== 'string') {
      return false;
    }
    if (Math.abs(now - Number(text) * 1000) > MAX_SKEW_MS) return false;
    return safeEqual(sign, larkSign(this.#secret ?? '', text));
  }
}
