/**
 * A DingTalk custom robot (自定义机器人) endpoint: `POST /robot/send?access_token=…`, with the
 * optional `timestamp` + `sign` query parameters of the "加签" security setting, custom keywords,
 * the five message types and the 20-messages-per-minute limit with its 10-minute throttle.
 * Every answer is HTTP 200 with `{errcode, errmsg}`, as DingTalk answers.
 *
 * Sources (anchors.md 3.2 and these):
 * - Sign, 1 h skew, 20/min + 10 min throttle, message types: https://open.dingtalk.com/document/
 *   group/custom-robot-access (mirrors in anchors.md 3.2; blog.csdn.net/lxw1844912514/article/
 *   details/125780346 quotes "每个机器人每分钟最多发送20条消息到群里，如果超过20条，会限流10分钟").
 * - Observed answers: 300001 "token is not exist" (timonwong/prometheus-webhook-dingtalk#91,
 *   sdvdxl/falcon-message#7); 310000 "sign not match" in its current wording
 *   "description:机器人发送签名不匹配;…" (qd-today/qd#510, sunmh207/AI-Codereview-Gitlab#142);
 *   310000 "invalid timestamp, more: […]" (jenkinsci/dingtalk-plugin#116,
 *   leitingting08/ding-bot-sdk#3); 310000 "keywords not in content, more: […]"
 *   (srcrs/BilibiliTask#53, timonwong/prometheus-webhook-dingtalk#197); 130101 "send too fast,
 *   exceed 20 times per minute" (ccfos/nightingale#369, blog.csdn.net/jialiuyang/article/details/
 *   118615052); 40035 "缺少参数 json" (ccfos/nightingale#2704); 400402/400403 "错误描述:参数
 *   markdown --》 title/text 缺失，或者参数格式不正确; …" (cryozerolabs/n8n-nodes-dingtalk#10,
 *   jenkinsci/dingtalk-plugin#369).
 * - The documented error table of the custom robot page, as copied by client libraries: -1 系统繁忙,
 *   40035 缺少参数 json, 43004 无效的HTTP HEADER Content-Type, 400013 群已被解散,
 *   400101 access_token不存在, 400102 机器人已停用, 400105 不支持的消息类型, 400106 机器人不存在,
 *   410100 发送速度太快而限流, 430101-430104 unsafe content, 310000 消息校验未通过.
 *
 * Choices: bad token answers the observed 300001 (the table's 400101 is the newer wording of the
 * same case) and the rate limit answers the observed 130101 (the table says 410100); a sender
 * should treat both pairs alike. Field errors other than markdown title/text reuse 400402 with the
 * same message template: UNCONFIRMED. No size limit is enforced: none was found in any source.
 */
import { createHash, createHmac } from 'node:crypto';
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
  stringLeaves,
} from './common.js';

/**
 * DingTalk's robot signature for `timestampMs`: `urlEncode(base64(HmacSHA256(key = secret,
 * message = timestamp + "\n" + secret)))`, ready to append as `&sign=`.
 *
 * @example
 * const ts = Date.now();
 * const url = `${robotUrl}&timestamp=${ts}&sign=${dingtalkSign(secret, ts)}`;
 */
export function dingtalkSign(secret: string, timestampMs: number | string): string {
  const digest = createHmac('sha256', secret)
    .update(`${timestampMs}\n${secret}`, 'utf8')
    .digest('base64');
  return encodeURIComponent(digest);
}

export interface DingTalkReceiverOptions {
  /** The robot's `access_token`. @default a fixed 64-hex-digit token */
  readonly accessToken?: string;
  /** The "加签" secret (`SEC…`); when set, `timestamp` and `sign` are required. */
  readonly secret?: string;
  /** Custom keywords (at most 10); when set, a message must contain one of them. */
  readonly keywords?: readonly string[];
  /** Milliseconds; drives the 1 h signature skew and the rate windows. @default Date.now */
  readonly clock?: () => number;
}

/** 20 messages per minute per robot, then the robot is throttled for 10 minutes. */
const RATE = { limit: 20, windowMs: 60_000 } as const;
const THROTTLE_MS = 10 * 60_000;
const MAX_SKEW_MS = 60 * 60_000;
const MAX_KEYWORDS = 10;
const DOC = 'https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq';

const ERR = {
  token: { errcode: 300001, errmsg: 'token is not exist' },
  sign: {
    errcode: 310000,
    errmsg:
      'description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中，请确认机器人的密钥加密和填写正确;link:请参考本接口对应文档获得具体要求，或者在https://open.dingtalk.com/document/  搜索相关文档;',
  },
  timestamp: { errcode: 310000, errmsg: `invalid timestamp, more: [${DOC}]` },
  keywords: { errcode: 310000, errmsg: `keywords not in content, more: [${DOC}]` },
  contentType: { errcode: 43004, errmsg: '无效的HTTP HEADER Content-Type' },
  json: { errcode: 40035, errmsg: '缺少参数 json' },
  msgtype: { errcode: 400105, errmsg: '不支持的消息类型' },
  rate: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' },
} as const;

const DEFAULT_TOKEN = createHash('sha256').update('das-kill-tracker/dingtalk').digest('hex');

/** A field of `msgtype` is missing or of the wrong type. */
function fieldError(msgtype: string, field: string): { errcode: number; errmsg: string } {
  return {
    errcode: msgtype === 'markdown' && field === 'text' ? 400403 : 400402,
    errmsg: `错误描述:参数 ${msgtype} --》 ${field} 缺失，或者参数格式不正确; 解决方案:请填充上对应参数;参考链接:请参考本接口对应文档查看参数获取方式，或者在https://open.dingtalk.com/document/  搜索对应文档;`,
  };
}

/** The first missing or mistyped field of the message, per the message-type reference. */
function invalidField(msgtype: string, part: Record<string, unknown>): string | undefined {
  const need = (...fields: string[]) => fields.find((field) => !isText(part[field]));
  switch (msgtype) {
    case 'text':
      return need('content');
    case 'markdown':
      return need('title', 'text');
    case 'link':
      if (part.picUrl !== undefined && typeof part.picUrl !== 'string') return 'picUrl';
      return need('title', 'text', 'messageUrl');
    case 'actionCard': {
      const missing = need('title', 'text');
      if (missing !== undefined) return missing;
      if (isText(part.singleTitle) || isText(part.singleURL))
        return need('singleTitle', 'singleURL');
      const btns = part.btns;
      if (!Array.isArray(btns) || btns.length === 0) return 'btns';
      const bad = btns.some((b) => !isRecord(b) || !isText(b.title) || !isText(b.actionURL));
      return bad ? 'btns' : undefined;
    }
    case 'feedCard': {
      const links = part.links;
      if (!Array.isArray(links) || links.length === 0) return 'links';
      const bad = links.some(
        (l) => !isRecord(l) || !isText(l.title) || !isText(l.messageURL) || !isText(l.picURL),
      );
      return bad ? 'links' : undefined;
    }
    default:
      return undefined;
  }
}

function invalidAt(at: unknown): boolean {
  if (at === undefined) return false;
  if (!isRecord(at)) return true;
  const list = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(isText));
  return (
    !list(at.atMobiles) ||
    !list(at.atUserIds) ||
    (at.isAtAll !== undefined && typeof at.isAtAll !== 'boolean')
  );
}

const MSGTYPES = new Set(['text', 'markdown', 'link', 'actionCard', 'feedCard']);

/**
 * A local DingTalk custom robot.
 *
 * @example
 * const robot = await DingTalkReceiver.start({ secret: 'SECabc', clock: () => now });
 * const ts = now;
 * await fetch(`${robot.url}&timestamp=${ts}&sign=${dingtalkSign('SECabc', ts)}`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ msgtype: 'text', text: { content: 'hello' } }),
 * });
 */
export class DingTalkReceiver extends ChatReceiver {
  readonly #accessToken: string;
  readonly #secret: string | undefined;
  readonly #keywords: readonly string[];
  readonly #limiter = new SlidingWindowLimiter([RATE]);
  #throttledUntil = Number.NEGATIVE_INFINITY;

  private constructor(server: RunningServer, options: DingTalkReceiverOptions) {
    super(server, options.clock);
    this.#accessToken = options.accessToken ?? DEFAULT_TOKEN;
    this.#secret = options.secret;
    this.#keywords = options.keywords ?? [];
  }

  static async start(options: DingTalkReceiverOptions = {}): Promise<DingTalkReceiver> {
    assertOptions('DingTalkReceiver', options, ['accessToken', 'secret', 'keywords', 'clock']);
    if (options.accessToken !== undefined && !isText(options.accessToken)) {
      throw new TypeError('DingTalkReceiver: accessToken must be a non-empty string');
    }
    if (options.secret !== undefined && !/^SEC.+/.test(options.secret)) {
      throw new TypeError('DingTalkReceiver: secret must start with "SEC", as DingTalk issues it');
    }
    const keywords = options.keywords;
    if (keywords !== undefined && (keywords.length > MAX_KEYWORDS || !keywords.every(isText))) {
      throw new TypeError(`DingTalkReceiver: keywords must be 1-${MAX_KEYWORDS} non-empty strings`);
    }
    return ChatReceiver.listen((server) => new DingTalkReceiver(server, options));
  }

  /** `http://127.0.0.1:<port>/robot/send?access_token=…`; append `&timestamp=…&sign=…` when signing. */
  get url(): string {
    return `${this.origin}/robot/send?access_token=${encodeURIComponent(this.#accessToken)}`;
  }

  protected override answer(request: ChatRequest): ChatAnswer {
    const refuse = (error: { errcode: number; errmsg: string }): ChatAnswer => ({
      status: 200,
      body: error,
      code: error.errcode,
    });
    // UNCONFIRMED: other paths and methods; the global error table lists 404 "请求的URI地址不存在".
    if (request.path !== '/robot/send') {
      return { status: 404, body: { errcode: 404, errmsg: '请求的URI地址不存在' }, code: 404 };
    }
    if (request.method !== 'POST') return { status: 405, body: 'Method Not Allowed', code: 405 };

    const token = request.query.get('access_token');
    if (token === null || !safeEqual(token, this.#accessToken)) return refuse(ERR.token);

    if (this.#secret !== undefined) {
      const timestamp = request.query.get('timestamp');
      const sign = request.query.get('sign');
      if (timestamp === null || sign === null) return refuse(ERR.sign);
      if (
        !/^\d{1,16}$/.test(timestamp) ||
        Math.abs(request.now - Number(timestamp)) > MAX_SKEW_MS
      ) {
        return refuse(ERR.timestamp);
      }
      // The query parser already undid the sender's URL encoding, so compare with raw base64.
      const expected = decodeURIComponent(dingtalkSign(this.#secret, timestamp));
      if (!safeEqual(sign, expected)) return refuse(ERR.sign);
    }

    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return refuse(ERR.contentType);
    }
    const body = parseJsonObject(request.text);
    if (body === undefined) return refuse(ERR.json);
    const msgtype = body.msgtype;
    if (typeof msgtype !== 'string' || !MSGTYPES.has(msgtype)) return refuse(ERR.msgtype);
    const part = body[msgtype];
    if (!isRecord(part)) return refuse(fieldError(msgtype, msgtype));
    const field = invalidField(msgtype, part);
    if (field !== undefined) return refuse(fieldError(msgtype, field));
    if (invalidAt(body.at)) return refuse(fieldError(msgtype, 'at'));

    if (this.#keywords.length > 0) {
      const texts = stringLeaves(part);
      const found = this.#keywords.some((k) => texts.some((text) => text.includes(k)));
      if (!found) return refuse(ERR.keywords);
    }

    // Over the limit, the robot is throttled for 10 minutes from the refused message; refused
    // messages do not count against the window.
    if (request.now < this.#throttledUntil) return refuse(ERR.rate);
    if (!this.#limiter.take(request.now).allowed) {
      this.#throttledUntil = request.now + THROTTLE_MS;
      return refuse(ERR.rate);
    }
    return { status: 200, body: { errcode: 0, errmsg: 'ok' }, code: 0, accept: body };
  }
}
