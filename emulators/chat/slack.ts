/**
 * A Slack incoming webhook: `POST /services/T…/B…/…` with a JSON body `{text?, blocks?, …}` (or a
 * form post with a `payload` field). Success is `200 ok` (text/plain); errors are HTTP statuses
 * with a short text body, as Slack's webhooks answer.
 *
 * Sources (anchors.md 3.5 and these):
 * - Error statuses and bodies: api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-
 *   webhooks (400 invalid_payload / user_not_found, 403 action_prohibited, 404 channel_not_found,
 *   410 channel_is_archived, 500 rollup_error; script the channel ones with `fail()`).
 * - 404 no_service for an unknown or revoked webhook (slackapi/slack-github-action#249,
 *   getsentry/sentry#26741); 400 no_text for a message with nothing to show (widely observed).
 * - Block Kit limits: ≤ 50 blocks, section text ≤ 3000 chars, section fields ≤ 10 × 2000, header
 *   plain_text ≤ 150 (a 400 invalid_blocks when exceeded: bugsink/bugsink#317), markdown block
 *   ≤ 12000 (bolt-js#2509 summary), text objects need a non-empty `text`.
 * - Rate: "Posting messages: 1 per second; short bursts > 1 allowed" (api.slack.com/docs/rate-
 *   limits); 429 with `Retry-After` seconds. The burst size is not published (PSSlack#52 measured
 *   ~25 for the Web API), hence the `burst` option.
 *
 * UNCONFIRMED: text over 40,000 characters answers 413 `msg_too_long` (Slack's 2018 changelog
 * says such text is truncated, and the Web API has been seen refusing far shorter text with
 * msg_too_long: seratch/ChatGPT-in-Slack#102); the 429 body `rate_limited`; characters are counted
 * as Unicode code points; the default burst of 5.
 */
import type { RunningServer } from '../http.js';
import {
  assertOptions,
  type ChatAnswer,
  ChatReceiver,
  type ChatRequest,
  charCount,
  isRecord,
  isText,
  parseJsonObject,
  retryAfterSeconds,
  TokenBucket,
} from './common.js';

export interface SlackReceiverOptions {
  /** The webhook path. @default '/services/T000/B000/XXXX' */
  readonly path?: string;
  /** Messages tolerated in a burst before the 1-per-second rate applies. @default 5 */
  readonly burst?: number;
  /** Milliseconds; drives the rate limiter. @default Date.now */
  readonly clock?: () => number;
}

const DEFAULT_PATH = '/services/T000/B000/XXXX';
const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;

/**
 * A local Slack incoming webhook.
 *
 * @example
 * const hook = await SlackReceiver.start({ clock: () => now });
 * await fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ text: 'Task 42 killed 3 sessions' }) });
 */
export class SlackReceiver extends ChatReceiver {
  readonly #path: string;
  readonly #bucket: TokenBucket;

  private constructor(server: RunningServer, options: SlackReceiverOptions) {
    super(server, options.clock);
    this.#path = options.path ?? DEFAULT_PATH;
    this.#bucket = new TokenBucket(options.burst ?? 5, 1_000);
  }

  static async start(options: SlackReceiverOptions = {}): Promise<SlackReceiver> {
    assertOptions('SlackReceiver', options, ['path', 'burst', 'clock']);
    if (options.path !== undefined && !/^\/services\/[\w/-]+$/.test(options.path)) {
      throw new TypeError('SlackReceiver: path must look like /services/T…/B…/…');
    }
    const burst = options.burst;
    if (burst !== undefined && (!Number.isInteger(burst) || burst < 1)) {
      throw new TypeError('SlackReceiver: burst must be a positive integer');
    }
    return ChatReceiver.listen((server) => new SlackReceiver(server, options));
  }

  /** `http://127.0.0.1:<port>/services/T000/B000/XXXX` */
  get url(): string {
    return `${this.origin}${this.#path}`;
  }

  protected override answer(request: ChatRequest): ChatAnswer {
    const refuse = (status: number, error: string): ChatAnswer => ({
      status,
      body: error,
      code: error,
    });
    if (request.path !== this.#path) return refuse(404, 'no_service');
    if (request.method !== 'POST') return refuse(405, 'invalid_method');

    const body = readPayload(request);
    if (body === undefined) return refuse(400, 'invalid_payload');
    const { text, blocks, attachments } = body;
    if (text !== undefined && typeof text !== 'string') return refuse(400, 'invalid_payload');
    if (attachments !== undefined && !Array.isArray(attachments)) {
      return refuse(400, 'invalid_attachments');
    }
    if (blocks !== undefined && !validBlocks(blocks)) return refuse(400, 'invalid_blocks');
    const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
    const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
    if (!isText(text) && !hasBlocks && !hasAttachments) return refuse(400, 'no_text');
    if (typeof text === 'string' && charCount(text) > MAX_TEXT) return refuse(413, 'msg_too_long');

    const decision = this.#bucket.take(request.now);
    if (!decision.allowed) {
      return {
        status: 429,
        body: 'rate_limited',
        code: 'rate_limited',
        headers: { 'retry-after': String(retryAfterSeconds(decision.retryAfterMs)) },
      };
    }
    return { status: 200, body: 'ok', code: 'ok', accept: body };
  }
}

/** The JSON payload, from a JSON body or the `payload` field of a form post. */
function readPayload(request: ChatRequest): Record<string, unknown> | undefined {
  const type = request.headers['content-type'] ?? '';
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    const payload = new URLSearchParams(request.text).get('payload');
    return payload === null ? undefined : parseJsonObject(payload);
  }
  return parseJsonObject(request.text);
}

/** A text object: `{type: 'plain_text' | 'mrkdwn', text}` with 1..max characters. */
function textObject(value: unknown, max: number, plainOnly = false): boolean {
  if (!isRecord(value) || !isText(value.text) || charCount(value.text) > max) return false;
  return value.type === 'plain_text' || (!plainOnly && value.type === 'mrkdwn');
}

function elements(value: unknown, max: number): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.length <= max && value.every(isRecord);
}

function validBlock(block: unknown): boolean {
  if (!isRecord(block) || typeof block.type !== 'string') return false;
  if (block.block_id !== undefined && (!isText(block.block_id) || block.block_id.length > 255)) {
    return false;
  }
  switch (block.type) {
    case 'section': {
      const { text, fields } = block;
      if (text === undefined && fields === undefined) return false;
      if (text !== undefined && !textObject(text, 3000)) return false;
      if (fields === undefined) return true;
      return elements(fields, 10) && fields.every((field) => textObject(field, 2000));
    }
    case 'header':
      return textObject(block.text, 150, true);
    case 'divider':
      return true;
    case 'context':
      return elements(block.elements, 10);
    case 'actions':
      return elements(block.elements, 25);
    case 'image':
      return (
        (isText(block.image_url) || isRecord(block.slack_file)) &&
        isText(block.alt_text) &&
        charCount(block.alt_text) <= 2000
      );
    case 'markdown':
      return isText(block.text) && charCount(block.text) <= 12_000;
    case 'rich_text':
      return elements(block.elements, Number.POSITIVE_INFINITY);
    case 'input':
      return textObject(block.label, 2000, true) && isRecord(block.element);
    case 'video':
    case 'file':
      return true;
    default:
      return false;
  }
}

function validBlocks(blocks: unknown): boolean {
  return Array.isArray(blocks) && blocks.length <= MAX_BLOCKS && blocks.every(validBlock);
}
