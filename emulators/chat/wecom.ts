/**
 * A WeCom (Enterprise WeChat, 企业微信) group robot endpoint: `POST /cgi-bin/webhook/send?key=…`
 * with a JSON body `{msgtype, <msgtype>: {...}}`. The key is the only credential (no signature).
 * Every answer is HTTP 200 with `{errcode, errmsg}`; error messages carry WeCom's
 * `, hint: [...], from ip: ..., more info at https://open.work.weixin.qq.com/devtool/query?e=<code>`
 * suffix.
 *
 * Sources (anchors.md 3.4 and these):
 * - 群机器人配置说明, developer.work.weixin.qq.com/document/path/91770 (mirrored by
 *   docs.zhuonian.xyz/api/wecom-webhook.html, cnblogs.com/saplh/p/archive/2021/10/08): text content
 *   ≤ 2048 bytes UTF-8, markdown content ≤ 4096 bytes UTF-8, 20 messages per minute per robot,
 *   news 1-8 articles, image base64 + md5.
 * - Observed answers: 93000 "invalid webhook url" (wes-lin/Cloud189Checkin#175, qd-today/qd#586);
 *   40058 "markdown.content exceed max length 4096. invalid Request Parameter"
 *   (RayWangQvQ/BiliBiliToolPro#702); 45009 "api freq out of limit"
 *   (WecomTeam/wecom-openclaw-plugin#48, lanrion/weixin_authorize#79); 40008 "invalid message type"
 *   for an unknown or wrongly spelled msgtype (ttttmr/Wechat2RSS#278, apache/hertzbeat#984).
 *
 * UNCONFIRMED: the live server has been seen refusing text with "text.content exceed max length
 * 5120" (a public client comment, 2022), i.e. it may accept more than the documented 2048 bytes;
 * the emulator enforces the documented limits (override with `textMaxBytes`). Unparseable JSON →
 * 47001 "data format error" and a missing required field → 40035 "invalid parameter" come from the
 * WeChat global error table, not from an observed robot answer; empty content → 44004 likewise.
 * The 20/min window is taken as sliding.
 */
import { randomInt } from 'node:crypto';
import type { RunningServer } from '../http.js';
import {
  assertOptions,
  type ChatAnswer,
  ChatReceiver,
  type ChatRequest,
  isRecord,
  isText,
  parseJsonObject,
  SlidingWindowLimiter,
  safeEqual,
  utf8Bytes,
} from './common.js';

export interface WeComReceiverOptions {
  /** The robot's `key` (a UUID). @default a fixed UUID */
  readonly key?: string;
  /** Largest `text.content` in UTF-8 bytes. @default 2048 */
  readonly textMaxBytes?: number;
  /** Largest `markdown.content` / `markdown_v2.content` in UTF-8 bytes. @default 4096 */
  readonly markdownMaxBytes?: number;
  /** Milliseconds; drives the rate window. @default Date.now */
  readonly clock?: () => number;
}

const PATH = '/cgi-bin/webhook/send';
const DEFAULT_KEY = '693a91f6-7a0c-4bc4-97a0-0ec2e5a4c1d7';
const RATE = { limit: 20, windowMs: 60_000 } as const;
const MAX_ARTICLES = 8;

type Failure = { readonly errcode: number; readonly errmsg: string };

/**
 * A local WeCom group robot.
 *
 * @example
 * const robot = await WeComReceiver.start();
 * await fetch(robot.url, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ msgtype: 'markdown', markdown: { content: '**killed** 3 sessions' } }) });
 */
export class WeComReceiver extends ChatReceiver {
  readonly #key: string;
  readonly #textMax: number;
  readonly #markdownMax: number;
  readonly #limiter = new SlidingWindowLimiter([RATE]);

  private constructor(server: RunningServer, options: WeComReceiverOptions) {
    super(server, options.clock);
    this.#key = options.key ?? DEFAULT_KEY;
    this.#textMax = options.textMaxBytes ?? 2048;
    this.#markdownMax = options.markdownMaxBytes ?? 4096;
  }

  static async start(options: WeComReceiverOptions = {}): Promise<WeComReceiver> {
    assertOptions('WeComReceiver', options, ['key', 'textMaxBytes', 'markdownMaxBytes', 'clock']);
    if (options.key !== undefined && !isText(options.key)) {
      throw new TypeError('WeComReceiver: key must be a non-empty string');
    }
    for (const name of ['textMaxBytes', 'markdownMaxBytes'] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new TypeError(`WeComReceiver: ${name} must be a positive integer`);
      }
    }
    return ChatReceiver.listen((server) => new WeComReceiver(server, options));
  }

  /** `http://127.0.0.1:<port>/cgi-bin/webhook/send?key=<key>` */
  get url(): string {
    return `${this.origin}${PATH}?key=${encodeURIComponent(this.#key)}`;
  }

  protected override answer(request: ChatRequest): ChatAnswer {
    const refuse = (code: number, message: string): ChatAnswer => ({
      status: 200,
      body: { errcode: code, errmsg: decorate(code, message) },
      code,
    });
    if (request.path !== PATH) return { status: 404, body: 'Not Found', code: 404 };
    if (request.method !== 'POST') return { status: 405, body: 'Method Not Allowed', code: 405 };
    const key = request.query.get('key');
    if (key === null || !safeEqual(key, this.#key)) return refuse(93000, 'invalid webhook url');

    const body = parseJsonObject(request.text);
    if (body === undefined) return refuse(47001, 'data format error');
    const failure = this.#validate(body);
    if (failure !== undefined) return refuse(failure.errcode, failure.errmsg);

    if (!this.#limiter.take(request.now).allowed) return refuse(45009, 'api freq out of limit');
    return { status: 200, body: { errcode: 0, errmsg: 'ok' }, code: 0, accept: body };
  }

  #validate(body: Record<string, unknown>): Failure | undefined {
    const msgtype = body.msgtype;
    if (typeof msgtype !== 'string' || !MSGTYPES.has(msgtype)) {
      return { errcode: 40008, errmsg: 'invalid message type' };
    }
    const part = body[msgtype];
    if (!isRecord(part)) return missing(msgtype);
    switch (msgtype) {
      case 'text': {
        const lists = [part.mentioned_list, part.mentioned_mobile_list];
        if (!lists.every((l) => l === undefined || (Array.isArray(l) && l.every(isText)))) {
          return missing('text.mentioned_list');
        }
        return content(part, 'text.content', this.#textMax);
      }
      case 'markdown':
      case 'markdown_v2':
        return content(part, `${msgtype}.content`, this.#markdownMax);
      case 'image':
        return isText(part.base64) && isText(part.md5) ? undefined : missing('image.base64');
      case 'news': {
        const articles = part.articles;
        if (!Array.isArray(articles) || articles.length === 0) return missing('news.articles');
        if (articles.length > MAX_ARTICLES) {
          return {
            errcode: 40058,
            errmsg: `news.articles exceed max length ${MAX_ARTICLES}. invalid Request Parameter`,
          };
        }
        const bad = articles.some((a) => !isRecord(a) || !isText(a.title) || !isText(a.url));
        return bad ? missing('news.articles') : undefined;
      }
      case 'file':
      case 'voice':
        return isText(part.media_id) ? undefined : missing(`${msgtype}.media_id`);
      case 'template_card':
        return isText(part.card_type) ? undefined : missing('template_card.card_type');
      default:
        return undefined;
    }
  }
}

const MSGTYPES = new Set([
  'text',
  'markdown',
  'markdown_v2',
  'image',
  'news',
  'file',
  'voice',
  'template_card',
]);

function missing(field: string): Failure {
  return { errcode: 40035, errmsg: `invalid parameter, ${field} missing or invalid` };
}

/** `content` must be a non-empty string of at most `max` UTF-8 bytes. */
function content(part: Record<string, unknown>, field: string, max: number): Failure | undefined {
  const text = part.content;
  if (typeof text !== 'string') return missing(field);
  if (text.length === 0) return { errcode: 44004, errmsg: 'empty content' };
  if (utf8Bytes(text) > max) {
    return {
      errcode: 40058,
      errmsg: `${field} exceed max length ${max}. invalid Request Parameter`,
    };
  }
  return undefined;
}

/** WeCom's error suffix: a request hint, the caller's IP and the error-code lookup link. */
function decorate(code: number, message: string): string {
  const hint = String(randomInt(2 ** 47)).padStart(25, '1');
  return `${message}, hint: [${hint}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${code}`;
}
