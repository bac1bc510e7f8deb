/**
 * Plumbing shared by the chat robot receivers (DingTalk, Lark/Feishu, WeCom, Slack): a base
 * class that owns the loopback server, the log of accepted messages and of every attempt, and the
 * scripted faults; plus two rate limiters (a sliding window with one or more windows, and a token
 * bucket) and the small payload helpers the platforms' validators need.
 *
 * Every receiver takes `clock` (ms) so tests drive signature skew and rate windows by hand.
 * Wall-clock time is never read when a clock is given.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerMap, type RunningServer, startServer } from '../http.js';

/**
 * A scripted answer for the next request, consumed in order by {@link ChatReceiver.fail}:
 * - `{ status, body?, retryAfter?, headers? }` answers that status (body defaults to
 *   `scripted failure`; a body that parses as JSON is sent as `application/json`);
 * - `{ hang: true }` never answers (the socket stays open until the caller gives up or `close()`);
 * - `{ reset: true }` destroys the connection without an answer.
 */
export type ChatFault =
  | {
      readonly status: number;
      readonly body?: string;
      /** Sent as the `Retry-After` header, as given. */
      readonly retryAfter?: string | number;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly hang: true }
  | { readonly reset: true };

/** One message the platform accepted (it would have been posted to the chat). */
export interface ChatMessage {
  /** The payload as the platform reads it: the JSON body (Slack form posts: the `payload` field). */
  readonly body: Record<string, unknown>;
  /** The raw request body, byte-exact as UTF-8 text. */
  readonly raw: string;
  /** Path and query exactly as received (DingTalk's `timestamp`/`sign` travel here). */
  readonly target: string;
  /** `clock()` when the request arrived. */
  readonly at: number;
}

/** Every request, with what it got. */
export interface ChatAttempt {
  readonly at: number;
  readonly method: string;
  readonly target: string;
  readonly requestBody: string;
  /** HTTP status answered; `undefined` when the request was hung or reset. */
  readonly status: number | undefined;
  readonly responseBody: string | undefined;
  /**
   * The platform's verdict: `errcode`/`code` for DingTalk, Lark and WeCom (0 on success), the body
   * string for Slack (`ok` on success); the HTTP status for a scripted status fault; `undefined`
   * for hangs and resets.
   */
  readonly code: number | string | undefined;
  readonly outcome: 'accepted' | 'refused' | 'fault';
  /** Which scripted fault answered, when `outcome` is `fault`. */
  readonly fault?: 'status' | 'hang' | 'reset';
}

/** What a receiver sees of one request. */
export interface ChatRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly target: string;
  /** Decoded path, without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly raw: Buffer;
  readonly text: string;
  /** `clock()` at arrival. */
  readonly now: number;
}

/** How a receiver answers one request. */
export interface ChatAnswer {
  readonly status: number;
  /** A string is sent as `text/plain`, an object as `application/json`. */
  readonly body: string | Readonly<Record<string, unknown>>;
  readonly code: number | string;
  readonly headers?: Readonly<Record<string, string>>;
  /** When set, the request is recorded in `messages` with this parsed payload. */
  readonly accept?: Record<string, unknown>;
}

/**
 * Base of the four receivers. Subclasses implement {@link ChatReceiver.answer} (pure decision
 * from request to answer) and `url`; the base applies scripted faults first, then writes the
 * answer and keeps the logs.
 */
export abstract class ChatReceiver {
  readonly #server: RunningServer;
  readonly #clock: () => number;
  readonly #faults: ChatFault[] = [];
  readonly #messages: ChatMessage[] = [];
  readonly #attempts: ChatAttempt[] = [];

  protected constructor(server: RunningServer, clock: (() => number) | undefined) {
    this.#server = server;
    this.#clock = clock ?? Date.now;
  }

  /** Starts a loopback server and binds it to the receiver `create` builds. */
  protected static async listen<R extends ChatReceiver>(
    create: (server: RunningServer) => R,
  ): Promise<R> {
    const holder: { receiver?: R } = {};
    const server = await startServer((req, body, res) => {
      const receiver = holder.receiver;
      if (receiver === undefined) throw new Error('receiver not ready');
      receiver.#dispatch(req, body, res);
    });
    try {
      holder.receiver = create(server);
    } catch (error) {
      await server.close();
      throw error;
    }
    return holder.receiver;
  }

  /** The full robot URL to configure in the sender, credential included. */
  abstract get url(): string;

  /** `http://127.0.0.1:<port>` */
  protected get origin(): string {
    return this.#server.url;
  }

  /** Accepted messages, oldest first. Refused and faulted requests are not here. */
  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  /** Every request in arrival order, with the answer it got. */
  get attempts(): readonly ChatAttempt[] {
    return this.#attempts;
  }

  /** The next requests get these faults, in order, before normal service resumes. */
  fail(...faults: ChatFault[]): void {
    this.#faults.push(...faults);
  }

  /** Stops listening; open sockets (hung requests included) are destroyed. */
  close(): Promise<void> {
    return this.#server.close();
  }

  /** Decides the platform's answer. Called once per request that no fault consumed. */
  protected abstract answer(request: ChatRequest): ChatAnswer;

  #dispatch(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const now = this.#clock();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const text = raw.toString('utf8');
    const seen = { at: now, method, target, requestBody: text };
    const fault = this.#faults.shift();
    if (fault !== undefined) {
      if ('hang' in fault) {
        this.#attempts.push({ ...seen, ...NO_ANSWER, outcome: 'fault', fault: 'hang' });
        return;
      }
      if ('reset' in fault) {
        this.#attempts.push({ ...seen, ...NO_ANSWER, outcome: 'fault', fault: 'reset' });
        res.socket?.destroy();
        return;
      }
      const body = fault.body ?? 'scripted failure';
      const headers: Record<string, string> = {
        'content-type': parseJsonObject(body) === undefined ? TEXT : JSON_TYPE,
        ...(fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }),
        ...fault.headers,
      };
      this.#attempts.push({
        ...seen,
        status: fault.status,
        responseBody: body,
        code: fault.status,
        outcome: 'fault',
        fault: 'status',
      });
      res.writeHead(fault.status, headers);
      res.end(body);
      return;
    }
    const url = new URL(target, 'http://receiver.invalid');
    const answer = this.answer({
      method,
      target,
      path: safeDecode(url.pathname),
      query: url.searchParams,
      headers: headerMap(req),
      raw,
      text,
      now,
    });
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    if (answer.accept !== undefined) {
      this.#messages.push({ body: answer.accept, raw: text, target, at: now });
    }
    this.#attempts.push({
      ...seen,
      status: answer.status,
      responseBody: body,
      code: answer.code,
      outcome: answer.accept === undefined ? 'refused' : 'accepted',
    });
    res.writeHead(answer.status, {
      'content-type': typeof answer.body === 'string' ? TEXT : JSON_TYPE,
      ...answer.headers,
    });
    res.end(body);
  }
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const NO_ANSWER = { status: undefined, responseBody: undefined, code: undefined } as const;

// ---- rate limiting ----------------------------------------------------------------------------

/** At most `limit` events in any `windowMs`. */
export interface RateWindow {
  readonly limit: number;
  readonly windowMs: number;
}

export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly retryAfterMs: number;
      /** The limit of the window that refused (the one that frees up last). */
      readonly limit: number;
    };

/**
 * A sliding-window limiter over one or more windows (Lark: 5 per second and 100 per minute). An
 * event at `t` counts against the window until `t + windowMs`, exclusive.
 */
export class SlidingWindowLimiter {
  readonly #windows: readonly RateWindow[];
  #events: number[] = [];

  constructor(windows: readonly RateWindow[]) {
    if (windows.length === 0) throw new TypeError('windows: at least one window is required');
    for (const [index, window] of windows.entries()) {
      if (!Number.isInteger(window.limit) || window.limit < 1) {
        throw new TypeError(`windows[${index}].limit must be a positive integer`);
      }
      if (!(window.windowMs > 0)) throw new TypeError(`windows[${index}].windowMs must be > 0`);
    }
    this.#windows = windows;
  }

  /** Records one event at `now` when every window has room; otherwise records nothing. */
  take(now: number): RateDecision {
    const longest = Math.max(...this.#windows.map((w) => w.windowMs));
    this.#events = this.#events.filter((at) => at > now - longest);
    let refusal: { allowed: false; retryAfterMs: number; limit: number } | undefined;
    for (const window of this.#windows) {
      const inWindow = this.#events.filter((at) => at > now - window.windowMs);
      if (inWindow.length >= window.limit) {
        // The window frees up when its (count - limit + 1)-th oldest event leaves it.
        const freeing = inWindow[inWindow.length - window.limit] ?? now;
        const retryAfterMs = freeing + window.windowMs - now;
        if (refusal === undefined || retryAfterMs > refusal.retryAfterMs) {
          refusal = { allowed: false, retryAfterMs, limit: window.limit };
        }
      }
    }
    if (refusal !== undefined) return refusal;
    this.#events.push(now);
    return { allowed: true };
  }

  reset(): void {
    this.#events = [];
  }
}

/**
 * A token bucket: `capacity` tokens (the tolerated burst), one token back every `intervalMs`.
 * Starts full. Implemented as GCRA (a "theoretical arrival time"), so a manual clock gives exact
 * integer results with no floating-point drift.
 */
export class TokenBucket {
  readonly #capacity: number;
  readonly #intervalMs: number;
  #tat = Number.NEGATIVE_INFINITY;

  constructor(capacity: number, intervalMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError('capacity must be a positive integer');
    }
    if (!(intervalMs > 0)) throw new TypeError('intervalMs must be > 0');
    this.#capacity = capacity;
    this.#intervalMs = intervalMs;
  }

  /** Takes one token at `now` when one is available; a refusal changes nothing. */
  take(now: number): RateDecision {
    const tolerance = (this.#capacity - 1) * this.#intervalMs;
    const tat = Math.max(this.#tat, now);
    if (tat - now > tolerance) {
      return { allowed: false, retryAfterMs: tat - now - tolerance, limit: this.#capacity };
    }
    this.#tat = tat + this.#intervalMs;
    return { allowed: true };
  }
}

// ---- payload helpers ---------------------------------------------------------------------------

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object in `text`, or `undefined` when it is not JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A string with at least one character. */
export function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Unicode code points: what "characters" means for the platforms that count characters. */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Every string inside `value`, depth first: where keyword checks look. */
export function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (isRecord(value)) return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** Constant-time string comparison (different lengths compare unequal). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `Retry-After` seconds for a wait in ms: rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Throws a `TypeError` naming the first option key that is not in `known` (typo guard), and
 * when `clock` is given but not a function.
 */
export function assertOptions(receiver: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${receiver}: unknown option "${key}" (known: ${known.join(', ')})`);
    }
  }
  const clock: unknown = (options as { clock?: unknown }).clock;
  if (clock !== undefined && typeof clock !== 'function') {
    throw new TypeError(`${receiver}: clock must be a function returning milliseconds`);
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
