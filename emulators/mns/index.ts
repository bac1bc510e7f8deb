/**
 * A local emulator of Alibaba Cloud MNS / SMQ (REST API `x-mns-version: 2015-06-06`): queues and
 * topics on one account endpoint, real wire format (XML bodies, `MNS <AK>:<sig>` signatures,
 * `<Error>` bodies), real semantics (delays, visibility, single-use receipt handles, priorities,
 * long polling), and injectable faults. Facts and their sources: reference/protocols.md section 3.
 *
 * @example
 * const emu = await MnsEmulator.start();
 * emu.createQueue('track');
 * const [cred] = DEFAULT_MNS_CREDENTIALS;
 * const client = new MNS(emu.accountId, { ...cred, endpoint: emu.url });
 * await client.sendMessage('track', { MessageBody: 'aGVsbG8=' });
 * await emu.close();
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerMap, type RunningServer, startServer } from '../http.js';
import { verifyMns } from '../signing/mns.js';
import {
  parseXmlDocument,
  renderXml,
  type XmlContent,
  type XmlElement,
  XmlSyntaxError,
} from './xml.js';

export interface MnsCredential {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests signed with this key must carry it in the `security-token` header. */
  securityToken?: string;
}

/** One static AccessKey pair and one STS triple (`STS.` id, as STS issues them). */
export const DEFAULT_MNS_CREDENTIALS: readonly MnsCredential[] = Object.freeze([
  Object.freeze({
    accessKeyId: 'LTAI5tMnsEmulatorStatic01',
    accessKeySecret: 'mns-emulator-static-secret-0000000001',
  }),
  Object.freeze({
    accessKeyId: 'STS.NUMnsEmulatorTemporary01',
    accessKeySecret: 'mns-emulator-sts-secret-00000000001',
    securityToken: 'CAISmnsEmulatorSecurityToken+/0123456789abcdefGhIjKlMnOpQrStUvWxYz==',
  }),
]);

export interface MnsEmulatorOptions {
  /** @default '1234567890123456' */
  accountId?: string;
  /** Accepted keys. @default DEFAULT_MNS_CREDENTIALS */
  credentials?: readonly MnsCredential[];
  /** Milliseconds since the epoch; drives delays, visibility and every timestamp. @default Date.now */
  clock?: () => number;
  /** How far the `Date` header may be from real time (not from `clock`). @default 900000 (15 min) */
  maxClockSkewMs?: number;
}

export interface QueueAttributes {
  /** 0..604800 s. @default 0 */
  DelaySeconds?: number;
  /** 1..43200 s. @default 30 */
  VisibilityTimeout?: number;
  /** 1024..65536 bytes. @default 65536 */
  MaximumMessageSize?: number;
  /** 0..30 s, the default `waitseconds` of ReceiveMessage. @default 0 */
  PollingWaitSeconds?: number;
  /** 60..604800 s. @default 345600 */
  MessageRetentionPeriod?: number;
}

export type MnsFaultKind =
  /** 500 with an XML `InternalError` body. */
  | 'internal-error'
  /** 503 with a `text/html` body, as a load balancer in front of MNS would answer. */
  | 'html-503'
  /** Reads the request and never answers (until close()). */
  | 'hang'
  /** Destroys the connection without an answer. */
  | 'reset'
  /** 400 `QpsLimitExceeded` (status from the MNS error-code table). */
  | 'qps-limit';

export interface MnsFaultSpec {
  kind: MnsFaultKind;
  /** Only this operation; any operation when absent. */
  operation?:
    | 'SendMessage'
    | 'BatchSendMessage'
    | 'ReceiveMessage'
    | 'BatchReceiveMessage'
    | 'DeleteMessage'
    | 'ChangeMessageVisibility'
    | 'PublishMessage';
  /** Only this queue or topic name; any when absent. */
  target?: string;
  /** How many matching requests fail (a positive integer or Infinity). @default 1 */
  times?: number;
}

export interface QueueMessageView {
  MessageId: string;
  body: string;
  state: 'Delayed' | 'Active' | 'Inactive';
  enqueueTime: number;
  nextVisibleTime: number;
  firstDequeueTime?: number;
  dequeueCount: number;
  priority: number;
  delaySeconds: number;
}

export interface PublishedMessage {
  MessageId: string;
  body: string;
  tag?: string;
  attributes?: Record<string, unknown>;
  at: number;
}

export interface MnsRequestRecord {
  /** `SendMessage`, `ReceiveMessage`, … or `Unknown` for a URL no operation matches. */
  operation: string;
  /** Queue or topic name ('' when none). */
  target: string;
  /** HTTP status answered; 0 when the connection was reset or left hanging. */
  status: number;
  /** MNS error code when the answer was an `<Error>`. */
  code?: string;
}

export const MNS_NAMESPACE = 'http://mns.aliyuncs.com/doc/v1/';
const API_VERSION = '2015-06-06';
const XML_CONTENT_TYPE = 'text/xml;charset=utf-8';
/** How often a long poll looks at the queue (and at the clock), in real milliseconds. */
const POLL_INTERVAL_MS = 25;
// Captured at load so that a test's fake timers (vi.useFakeTimers) cannot freeze a long poll.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realNow = performance.now.bind(performance);

/**
 * Error codes with their HTTP status and message. Source: MNS error-code table
 * https://www.alibabacloud.com/help/doc-detail/27501.html (also /help/en/mns/error-codes and its
 * Japanese version, which list `SignatureDoesNotMatch` 403 and `TimeExpired` 408). The row for
 * `QpsLimitExceeded` is cut off in the stored official pages; 400 comes from the same table as
 * mirrored at https://help-w.com/baidu/1518567318.html and developer.aliyun.com/ask/216794.
 * (The newer flow-limiting page, /help/en/mns/developer-reference/flow-limiting-policy, answers
 * throttling with 429 `TooManyRequests` instead; this emulator keeps the documented code.)
 */
const ERRORS = {
  AccessDenied: [
    403,
    'The OwnerId that your Access Key Id associated to is forbidden for this operation.',
  ],
  InvalidAccessKeyId: [403, 'The AccessKey Id you provided is not exist.'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  InternalError: [500, 'Interal error.'],
  InvalidAuthorizationHeader: [400, 'The Authorization header format is invalid.'],
  MissingAuthorizationHeader: [400, 'Authorization header is required.'],
  InvalidDateHeader: [400, 'The Date header format is invalid.'],
  MissingDateHeader: [400, 'Date header is required.'],
  TimeExpired: [408, 'The http request you sent is expired.'],
  InvalidArgument: [400, 'The XML you provided did not validate against our published schema.'],
  InvalidDegist: [400, 'The Content-MD5 you specified is invalid.'],
  InvalidRequestURL: [400, 'Http request URL format invalid.'],
  InvalidQueryString: [400, 'Http request URL contains invalid querystring item.'],
  MalformedXML: [400, 'The XML you provided was not well-formed.'],
  MissingReceiptHandle: [400, 'ReceiptHandle is required.'],
  MissingVisibilityTimeout: [400, 'VisibilityTimeout is required.'],
  ReceiptHandleError: [400, 'The receipt handle you provide is not valid.'],
  MessageNotExist: [404, 'Message not exist.'],
  QueueNotExist: [404, 'The queue name you provided is not exist.'],
  QueueAlreadyExist: [409, 'The queue you want to create is already exist.'],
  InvalidQueueName: [
    400,
    'The queue name you provided is invalid. QueueName should start with alpha and contain only alpha, digit or - .',
  ],
  TopicNotExist: [404, 'The topic name you provided is not exist.'],
  TopicAlreadyExist: [409, 'The topic you want to create is already exist.'],
  TopicNameInvalid: [400, 'The topic name you provided is invalid.'],
  QpsLimitExceeded: [400, 'The qps limit of the queue is exceeded.'],
} as const satisfies Record<string, readonly [number, string]>;

type MnsErrorCode = keyof typeof ERRORS;

/** An MNS `<Error>` answer, thrown inside the request handling (internal). */
class MnsServiceError extends Error {
  override readonly name = 'MnsServiceError';
  readonly code: MnsErrorCode;
  readonly status: number;
  constructor(code: MnsErrorCode, message?: string) {
    super(message ?? ERRORS[code][1]);
    this.code = code;
    this.status = ERRORS[code][0];
  }
}

type Operation =
  | 'CreateQueue'
  | 'SetQueueAttributes'
  | 'GetQueueAttributes'
  | 'DeleteQueue'
  | 'SendMessage'
  | 'BatchSendMessage'
  | 'ReceiveMessage'
  | 'BatchReceiveMessage'
  | 'PeekMessage'
  | 'BatchPeekMessage'
  | 'DeleteMessage'
  | 'BatchDeleteMessage'
  | 'ChangeMessageVisibility'
  | 'CreateTopic'
  | 'GetTopicAttributes'
  | 'PublishMessage'
  | 'Unknown';

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

interface RequestContext {
  body: Buffer;
  query: Map<string, string>;
  /** Set when the client went away; long polls stop. */
  gone: () => boolean;
}

interface Route {
  operation: Operation;
  target: string;
  run: (context: RequestContext) => Reply | Promise<Reply>;
}

interface StoredMessage {
  readonly id: string;
  readonly seq: number;
  readonly body: string;
  readonly md5: string;
  readonly priority: number;
  readonly delaySeconds: number;
  readonly enqueueTime: number;
  nextVisibleTime: number;
  dequeueCount: number;
  firstDequeueTime?: number;
  handle?: string;
}

type QueueSettings = Required<QueueAttributes> & { LoggingEnabled: boolean };

interface QueueState {
  readonly name: string;
  settings: QueueSettings;
  readonly createTime: number;
  lastModifyTime: number;
  readonly messages: Map<string, StoredMessage>;
  /** Live receipt handles only: a superseded handle is removed, an expired one fails on use. */
  readonly handles: Map<string, StoredMessage>;
}

interface TopicState {
  readonly name: string;
  maximumMessageSize: number;
  loggingEnabled: boolean;
  readonly createTime: number;
  readonly subscribers: Set<string>;
  readonly published: PublishedMessage[];
}

const QUEUE_DEFAULTS: QueueSettings = {
  DelaySeconds: 0,
  VisibilityTimeout: 30,
  MaximumMessageSize: 65536,
  PollingWaitSeconds: 0,
  MessageRetentionPeriod: 345600,
  LoggingEnabled: false,
};

/**
 * Ranges from the CreateQueue / SendMessage / ChangeMessageVisibility docs (protocols.md 3.4).
 * MessageRetentionPeriod: the current doc's 60..604800 (the 2019 doc allowed 1296000; CONFLICT).
 */
const QUEUE_RANGES: Readonly<Record<keyof QueueAttributes, readonly [number, number]>> = {
  DelaySeconds: [0, 604800],
  VisibilityTimeout: [1, 43200],
  MaximumMessageSize: [1024, 65536],
  PollingWaitSeconds: [0, 30],
  MessageRetentionPeriod: [60, 604800],
};
const QUEUE_ATTRIBUTE_NAMES = Object.keys(QUEUE_RANGES) as (keyof QueueAttributes)[];
const PRIORITY_RANGE = [1, 16] as const;
const DEFAULT_PRIORITY = 8;
const MAX_BATCH = 16;
const MAX_BATCH_BYTES = 65536;
const MAX_WAIT_SECONDS = 30;
const VISIBILITY_RANGE = [1, 43200] as const;
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,255}$/;
/** `1-` + base64, as in the docs' samples (`1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==`). */
const HANDLE_PATTERN = /^\d+-(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const OPTION_KEYS = new Set(['accountId', 'credentials', 'clock', 'maxClockSkewMs']);
const FAULT_KINDS = new Set<MnsFaultKind>([
  'internal-error',
  'html-503',
  'hang',
  'reset',
  'qps-limit',
]);

/**
 * The emulator. Operations (paths relative to {@link MnsEmulator.url}): CreateQueue, SetQueueAttributes,
 * GetQueueAttributes, DeleteQueue, SendMessage, BatchSendMessage, ReceiveMessage,
 * BatchReceiveMessage, PeekMessage, BatchPeekMessage, DeleteMessage, BatchDeleteMessage,
 * ChangeMessageVisibility, CreateTopic, GetTopicAttributes, PublishMessage.
 *
 * Receipt handles look like real ones (`1-<base64>`) and, so that every consumer test meets the
 * hard case, every handle contains `+` and `/` and ends in `==`.
 */
export class MnsEmulator {
  readonly url: string;
  readonly accountId: string;
  readonly #server: RunningServer;
  readonly #credentials: ReadonlyMap<string, MnsCredential>;
  readonly #clock: () => number;
  readonly #maxClockSkewMs: number;
  readonly #queues = new Map<string, QueueState>();
  readonly #topics = new Map<string, TopicState>();
  readonly #faults: { spec: MnsFaultSpec; remaining: number }[] = [];
  readonly #requests: MnsRequestRecord[] = [];
  readonly #sleepers = new Set<() => void>();
  readonly #idPrefix = randomBytes(8).toString('hex').toUpperCase();
  #messageSeq = 0;
  #handleSeq = 0;
  #idSeq = 0;
  #closed = false;

  private constructor(
    server: RunningServer,
    settings: {
      accountId: string;
      credentials: readonly MnsCredential[];
      clock: () => number;
      maxClockSkewMs: number;
    },
  ) {
    this.#server = server;
    this.url = server.url;
    this.accountId = settings.accountId;
    this.#credentials = new Map(settings.credentials.map((c) => [c.accessKeyId, c]));
    this.#clock = settings.clock;
    this.#maxClockSkewMs = settings.maxClockSkewMs;
  }

  /** Starts listening on a free loopback port. @throws TypeError on an invalid option. */
  static async start(options: MnsEmulatorOptions = {}): Promise<MnsEmulator> {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw new TypeError(`MnsEmulator: unknown option "${key}"`);
    }
    const accountId = options.accountId ?? '1234567890123456';
    if (!/^\d+$/.test(accountId)) throw new TypeError('MnsEmulator: "accountId" must be digits');
    const credentials = options.credentials ?? DEFAULT_MNS_CREDENTIALS;
    for (const credential of credentials) {
      if (!credential.accessKeyId || !credential.accessKeySecret) {
        throw new TypeError(
          'MnsEmulator: every credential needs "accessKeyId" and "accessKeySecret"',
        );
      }
    }
    const maxClockSkewMs = options.maxClockSkewMs ?? 15 * 60 * 1000;
    if (!(maxClockSkewMs >= 0)) throw new TypeError('MnsEmulator: "maxClockSkewMs" must be >= 0');
    let emulator: MnsEmulator | undefined;
    const server = await startServer(
      (req, body, res) => (emulator ? emulator.#handle(req, body, res) : undefined),
      (error) => console.error('MnsEmulator: handler failed', error),
    );
    emulator = new MnsEmulator(server, {
      accountId,
      credentials,
      clock: options.clock ?? (() => Date.now()),
      maxClockSkewMs,
    });
    return emulator;
  }

  /** Every request answered so far, in order. */
  get requests(): ReadonlyArray<MnsRequestRecord> {
    return this.#requests;
  }

  /**
   * Creates a queue, or updates the attributes of an existing one (its messages stay).
   * @throws TypeError on an invalid name or an attribute out of range.
   */
  createQueue(name: string, attributes: QueueAttributes = {}): void {
    if (!NAME_PATTERN.test(name)) throw new TypeError(`MnsEmulator: invalid queue name "${name}"`);
    for (const key of Object.keys(attributes)) {
      if (!(key in QUEUE_RANGES))
        throw new TypeError(`MnsEmulator: unknown queue attribute "${key}"`);
    }
    for (const key of QUEUE_ATTRIBUTE_NAMES) {
      const value = attributes[key];
      if (value === undefined) continue;
      const [low, high] = QUEUE_RANGES[key];
      if (!Number.isInteger(value) || value < low || value > high) {
        throw new TypeError(`MnsEmulator: ${key} must be an integer in ${low}..${high}`);
      }
    }
    const now = this.#clock();
    const existing = this.#queues.get(name);
    if (existing) {
      existing.settings = { ...existing.settings, ...attributes };
      existing.lastModifyTime = now;
      return;
    }
    this.#queues.set(name, newQueue(name, { ...QUEUE_DEFAULTS, ...attributes }, now));
  }

  /** Creates a topic (no-op if it exists). @throws TypeError on an invalid name. */
  createTopic(name: string): void {
    if (!NAME_PATTERN.test(name)) throw new TypeError(`MnsEmulator: invalid topic name "${name}"`);
    if (!this.#topics.has(name)) this.#topics.set(name, newTopic(name, 65536, this.#clock()));
  }

  /**
   * Pushes every message later published to `topic` into `queue`, body unchanged (a queue
   * subscription with the SIMPLIFIED notify format). @throws Error when either does not exist.
   */
  subscribeQueue(topic: string, queue: string): void {
    const state = this.#topicOrThrow(topic);
    this.#queueOrThrow(queue);
    state.subscribers.add(queue);
  }

  /** Every message of `queue` not deleted (nor past its retention), in any state, oldest first. */
  messages(queue: string): QueueMessageView[] {
    const state = this.#queueOrThrow(queue);
    const now = this.#clock();
    this.#expire(state, now);
    return [...state.messages.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((m) => {
        const view: QueueMessageView = {
          MessageId: m.id,
          body: m.body,
          state:
            m.nextVisibleTime > now ? (m.dequeueCount === 0 ? 'Delayed' : 'Inactive') : 'Active',
          enqueueTime: m.enqueueTime,
          nextVisibleTime: m.nextVisibleTime,
          dequeueCount: m.dequeueCount,
          priority: m.priority,
          delaySeconds: m.delaySeconds,
        };
        if (m.firstDequeueTime !== undefined) view.firstDequeueTime = m.firstDequeueTime;
        return view;
      });
  }

  /** Every message published to `topic`, in order. */
  published(topic: string): ReadonlyArray<PublishedMessage> {
    return [...this.#topicOrThrow(topic).published];
  }

  /** Makes the next `times` matching requests fail as `kind` says. Faults are used in FIFO order. */
  fault(spec: MnsFaultSpec): void {
    if (!FAULT_KINDS.has(spec.kind))
      throw new TypeError(`MnsEmulator: unknown fault kind "${spec.kind}"`);
    const times = spec.times ?? 1;
    if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times > 0))) {
      throw new TypeError('MnsEmulator: fault "times" must be a positive integer or Infinity');
    }
    this.#faults.push({ spec: { ...spec }, remaining: times });
  }

  /** Stops listening, ends long polls and drops every connection, hanging ones included. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#sleepers) wake();
    this.#sleepers.clear();
    await this.#server.close();
  }

  // ---- request handling -------------------------------------------------------------------

  async #handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const route = this.#route(method, target, body);
    const record = (status: number, code?: string): void => {
      const entry: MnsRequestRecord = { operation: route.operation, target: route.target, status };
      if (code !== undefined) entry.code = code;
      this.#requests.push(entry);
    };

    const fault = this.#takeFault(route);
    if (fault === 'hang') {
      record(0);
      return;
    }
    if (fault === 'reset') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault === 'html-503') {
      record(503);
      const html =
        '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n';
      res.writeHead(503, {
        'content-type': 'text/html',
        'content-length': Buffer.byteLength(html),
      });
      res.end(html);
      return;
    }

    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    let reply: Reply;
    try {
      if (fault === 'internal-error') throw new MnsServiceError('InternalError');
      if (fault === 'qps-limit') throw new MnsServiceError('QpsLimitExceeded');
      this.#authenticate(method, target, headerMap(req), body);
      const query = parseQuery(target);
      reply = await route.run({ body, query, gone: () => gone || this.#closed });
    } catch (caught) {
      if (!(caught instanceof MnsServiceError)) {
        console.error('MnsEmulator: request failed', caught);
      }
      const error =
        caught instanceof MnsServiceError ? caught : new MnsServiceError('InternalError');
      record(error.status, error.code);
      this.#write(res, requestId, {
        status: error.status,
        body: renderXml('Error', MNS_NAMESPACE, [
          ['Code', error.code],
          ['Message', error.message],
          ['RequestId', requestId],
          ['HostId', this.url],
        ]),
      });
      return;
    }
    record(reply.status);
    this.#write(res, requestId, reply);
  }

  #write(res: ServerResponse, requestId: string, reply: Reply): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string | number> = {
      'x-mns-request-id': requestId,
      'x-mns-version': API_VERSION,
      date: new Date().toUTCString(),
      ...reply.headers,
    };
    if (reply.body !== undefined) {
      headers['content-type'] = XML_CONTENT_TYPE;
      headers['content-length'] = Buffer.byteLength(reply.body);
    } else {
      headers['content-length'] = 0;
    }
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }

  #takeFault(route: Route): MnsFaultKind | undefined {
    const index = this.#faults.findIndex(
      ({ spec }) =>
        (spec.operation === undefined || spec.operation === route.operation) &&
        (spec.target === undefined || spec.target === route.target),
    );
    const entry = this.#faults[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#faults.splice(index, 1);
    return entry.spec.kind;
  }

  /**
   * Header checks, in this order: Authorization present and well-formed, `x-mns-version`, Date
   * (present, parseable, within the skew), AccessKeyId known, `security-token` for STS keys,
   * signature, Content-MD5.
   */
  #authenticate(
    method: string,
    target: string,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
  ): void {
    const authorization = headers.authorization;
    if (authorization === undefined || authorization === '') {
      throw new MnsServiceError('MissingAuthorizationHeader');
    }
    // UNCONFIRMED: no documented code for a missing or wrong x-mns-version (required per
    // https://www.alibabacloud.com/help/en/doc-detail/27485.htm); InvalidArgument is a guess.
    if (headers['x-mns-version'] !== API_VERSION) {
      throw new MnsServiceError(
        'InvalidArgument',
        `The x-mns-version header is required and must be ${API_VERSION}.`,
      );
    }
    // `x-mns-date` may stand in for Date (doc 27485). A Date more than 15 minutes off makes the
    // request invalid (same doc); the error table names that TimeExpired, 408, and keeps
    // InvalidDateHeader (400) for a Date that does not parse.
    const dateValue = headers.date ?? headers['x-mns-date'];
    if (dateValue === undefined || dateValue === '') throw new MnsServiceError('MissingDateHeader');
    const sentAt = Date.parse(dateValue);
    if (Number.isNaN(sentAt)) throw new MnsServiceError('InvalidDateHeader');
    if (Math.abs(Date.now() - sentAt) > this.#maxClockSkewMs)
      throw new MnsServiceError('TimeExpired');

    const verdict = verifyMns(
      { method, resource: target, headers },
      (accessKeyId) => this.#credentials.get(accessKeyId)?.accessKeySecret,
    );
    if (!verdict.ok) throw new MnsServiceError(verdict.code, verdict.message);
    const credential = this.#credentials.get(verdict.accessKeyId);
    // The STS token travels in `security-token` (unsigned by the Node SDK; gotcha 12). UNCONFIRMED
    // which code MNS answers for a missing or wrong token; OSS answers InvalidAccessKeyId for a
    // stale STS key (ali-sdk/ali-oss#1363), and so does this emulator.
    if (
      credential?.securityToken !== undefined &&
      headers['security-token'] !== credential.securityToken
    ) {
      throw new MnsServiceError(
        'InvalidAccessKeyId',
        'The security token you provided is missing or does not belong to this AccessKey Id.',
      );
    }
    const contentMd5 = headers['content-md5'];
    if (contentMd5 !== undefined) {
      const digest = createHash('md5').update(body).digest();
      // Both official SDKs send base64 of the lower-case HEX string (Node `buildHeaders`:
      // kitx.md5 hex -> base64; Go: base64 of fmt %x), not RFC 1864's base64 of the raw
      // digest (gotcha 11). Both forms are accepted.
      const accepted = [
        Buffer.from(digest.toString('hex'), 'utf8').toString('base64'),
        digest.toString('base64'),
      ];
      if (!accepted.includes(contentMd5)) throw new MnsServiceError('InvalidDegist');
    }
  }

  #route(method: string, target: string, body: Buffer): Route {
    const queryStart = target.indexOf('?');
    const path = queryStart < 0 ? target : target.slice(0, queryStart);
    const rawQuery = queryStart < 0 ? '' : target.slice(queryStart + 1);
    const has = (key: string): boolean =>
      rawQuery.split('&').some((pair) => pair.split('=', 1)[0]?.toLowerCase() === key);
    const segments = path.split('/');
    const [empty, collection, rawName, sub, ...rest] = segments;
    let name = rawName ?? '';
    try {
      name = decodeURIComponent(name);
    } catch {
      // Left raw: the lookup fails with QueueNotExist/TopicNotExist.
    }
    const unknown: Route = {
      operation: 'Unknown',
      target: '',
      run: () => {
        throw new MnsServiceError('InvalidRequestURL');
      },
    };
    if (empty !== '' || !name || rest.length > 0 || (sub !== undefined && sub !== 'messages')) {
      return unknown;
    }
    const r = (operation: Operation, run: Route['run']): Route => ({
      operation,
      target: name,
      run,
    });
    if (collection === 'queues' && sub === undefined) {
      if (method === 'PUT' && has('metaoverride')) {
        return r('SetQueueAttributes', (c) => this.#setQueueAttributes(name, c));
      }
      if (method === 'PUT') return r('CreateQueue', (c) => this.#createQueueRequest(name, c));
      if (method === 'GET') return r('GetQueueAttributes', () => this.#getQueueAttributes(name));
      if (method === 'DELETE') return r('DeleteQueue', () => this.#deleteQueue(name));
    }
    if (collection === 'queues' && sub === 'messages') {
      if (method === 'POST') {
        return /<(?:[\w.-]+:)?Messages[\s>/]/.test(body.toString('utf8'))
          ? r('BatchSendMessage', (c) => this.#batchSend(name, c))
          : r('SendMessage', (c) => this.#send(name, c));
      }
      if (method === 'GET') {
        const batch = has('numofmessages');
        if (has('peekonly')) {
          return r(batch ? 'BatchPeekMessage' : 'PeekMessage', (c) => this.#peek(name, c, batch));
        }
        return r(batch ? 'BatchReceiveMessage' : 'ReceiveMessage', (c) =>
          this.#receive(name, c, batch),
        );
      }
      if (method === 'DELETE') {
        return has('receipthandle')
          ? r('DeleteMessage', (c) => this.#deleteMessage(name, c))
          : r('BatchDeleteMessage', (c) => this.#batchDelete(name, c));
      }
      if (method === 'PUT')
        return r('ChangeMessageVisibility', (c) => this.#changeVisibility(name, c));
    }
    if (collection === 'topics' && sub === undefined) {
      if (method === 'PUT') return r('CreateTopic', (c) => this.#createTopicRequest(name, c));
      if (method === 'GET') return r('GetTopicAttributes', () => this.#getTopicAttributes(name));
    }
    if (collection === 'topics' && sub === 'messages' && method === 'POST') {
      return r('PublishMessage', (c) => this.#publish(name, c));
    }
    return unknown;
  }

  // ---- queues -------------------------------------------------------------------------------

  #createQueueRequest(name: string, context: RequestContext): Reply {
    if (!NAME_PATTERN.test(name)) throw new MnsServiceError('InvalidQueueName');
    const requested = readQueueBody(context.body);
    const now = this.#clock();
    const existing = this.#queues.get(name);
    // CreateQueue doc: 201 with Location for a new queue, 204 when an identical queue exists,
    // 409 QueueAlreadyExist when it exists with other attributes.
    if (existing) {
      const wanted = { ...QUEUE_DEFAULTS, ...requested };
      const same = (Object.keys(wanted) as (keyof QueueSettings)[]).every(
        (key) => wanted[key] === existing.settings[key],
      );
      if (!same) throw new MnsServiceError('QueueAlreadyExist');
      return { status: 204 };
    }
    this.#queues.set(name, newQueue(name, { ...QUEUE_DEFAULTS, ...requested }, now));
    return { status: 201, headers: { location: `${this.url}/queues/${name}` } };
  }

  #setQueueAttributes(name: string, context: RequestContext): Reply {
    const queue = this.#queue(name);
    queue.settings = { ...queue.settings, ...readQueueBody(context.body) };
    queue.lastModifyTime = this.#clock();
    return { status: 204 };
  }

  #getQueueAttributes(name: string): Reply {
    const queue = this.#queue(name);
    const now = this.#clock();
    this.#expire(queue, now);
    let active = 0;
    let inactive = 0;
    let delayed = 0;
    for (const m of queue.messages.values()) {
      if (m.nextVisibleTime <= now) active += 1;
      else if (m.dequeueCount === 0) delayed += 1;
      else inactive += 1;
    }
    const s = queue.settings;
    // CreateTime/LastModifyTime are Unix seconds in the GetQueueAttributes doc sample.
    return {
      status: 200,
      body: renderXml('Queue', MNS_NAMESPACE, [
        ['QueueName', queue.name],
        ['CreateTime', Math.floor(queue.createTime / 1000)],
        ['LastModifyTime', Math.floor(queue.lastModifyTime / 1000)],
        ['DelaySeconds', s.DelaySeconds],
        ['MaximumMessageSize', s.MaximumMessageSize],
        ['MessageRetentionPeriod', s.MessageRetentionPeriod],
        ['VisibilityTimeout', s.VisibilityTimeout],
        ['PollingWaitSeconds', s.PollingWaitSeconds],
        ['ActiveMessages', active],
        ['InactiveMessages', inactive],
        ['DelayMessages', delayed],
        ['LoggingEnabled', String(s.LoggingEnabled)],
      ]),
    };
  }

  #deleteQueue(name: string): Reply {
    this.#queues.delete(name);
    return { status: 204 };
  }

  // ---- messages -----------------------------------------------------------------------------

  #send(name: string, context: RequestContext): Reply {
    const queue = this.#queue(name);
    const root = readDocument(context.body, ['Message']);
    const message = readSendEntry(root, queue.settings.MaximumMessageSize);
    const stored = this.#enqueue(queue, message);
    return {
      status: 201,
      body: renderXml('Message', MNS_NAMESPACE, [
        ['MessageId', stored.id],
        ['MessageBodyMD5', stored.md5],
      ]),
    };
  }

  #batchSend(name: string, context: RequestContext): Reply {
    const queue = this.#queue(name);
    const root = readDocument(context.body, ['Messages']);
    if (root.children.length < 1 || root.children.length > MAX_BATCH) {
      throw new MnsServiceError(
        'InvalidArgument',
        `The count of message in batch request should between 1 and ${MAX_BATCH}.`,
      );
    }
    const entries = root.children.map((child) => {
      if (child.name !== 'Message') throw schemaError(child.name);
      return readSendEntry(child, queue.settings.MaximumMessageSize);
    });
    const total = entries.reduce((sum, e) => sum + Buffer.byteLength(e.body, 'utf8'), 0);
    if (total > MAX_BATCH_BYTES) {
      throw new MnsServiceError(
        'InvalidArgument',
        `The total size of messages in batch request should not exceed ${MAX_BATCH_BYTES} bytes.`,
      );
    }
    // All-or-nothing: invalid entries fail the whole request above, so no partial-failure body.
    const stored = entries.map((entry) => this.#enqueue(queue, entry));
    return {
      status: 201,
      body: renderXml(
        'Messages',
        MNS_NAMESPACE,
        stored.map((m) => [
          'Message',
          [
            ['MessageId', m.id],
            ['MessageBodyMD5', m.md5],
          ],
        ]),
      ),
    };
  }

  async #receive(name: string, context: RequestContext, batch: boolean): Promise<Reply> {
    const queue = this.#queue(name);
    const count = batch ? readCount(context.query) : 1;
    const waitSeconds = readInteger(
      context.query,
      'waitseconds',
      [0, MAX_WAIT_SECONDS],
      queue.settings.PollingWaitSeconds,
    );
    const taken = await this.#poll(waitSeconds * 1000, context, () => {
      const current = this.#queue(name);
      const found = this.#take(current, count);
      return found.length > 0 ? found : undefined;
    });
    if (!taken) throw new MnsServiceError('MessageNotExist');
    const render = (m: StoredMessage): XmlContent => [
      ['MessageId', m.id],
      ['ReceiptHandle', m.handle ?? ''],
      ['MessageBodyMD5', m.md5],
      ['MessageBody', m.body],
      ['EnqueueTime', m.enqueueTime],
      ['NextVisibleTime', m.nextVisibleTime],
      ['FirstDequeueTime', m.firstDequeueTime ?? m.enqueueTime],
      ['DequeueCount', m.dequeueCount],
      ['Priority', m.priority],
    ];
    const [first] = taken;
    if (!batch && first)
      return { status: 200, body: renderXml('Message', MNS_NAMESPACE, render(first)) };
    return {
      status: 200,
      body: renderXml(
        'Messages',
        MNS_NAMESPACE,
        taken.map((m) => ['Message', render(m)]),
      ),
    };
  }

  #peek(name: string, context: RequestContext, batch: boolean): Reply {
    const queue = this.#queue(name);
    const count = batch ? readCount(context.query) : 1;
    const now = this.#clock();
    this.#expire(queue, now);
    const visible = this.#visible(queue, now).slice(0, count);
    if (visible.length === 0) throw new MnsServiceError('MessageNotExist');
    // PeekMessage doc: no ReceiptHandle and no NextVisibleTime; nothing changes.
    const render = (m: StoredMessage): XmlContent => {
      const fields: [string, string | number][] = [
        ['MessageId', m.id],
        ['MessageBodyMD5', m.md5],
        ['MessageBody', m.body],
        ['EnqueueTime', m.enqueueTime],
      ];
      // UNCONFIRMED what MNS puts here for a message never received; it is left out.
      if (m.firstDequeueTime !== undefined) fields.push(['FirstDequeueTime', m.firstDequeueTime]);
      fields.push(['DequeueCount', m.dequeueCount], ['Priority', m.priority]);
      return fields;
    };
    const [first] = visible;
    if (!batch && first)
      return { status: 200, body: renderXml('Message', MNS_NAMESPACE, render(first)) };
    return {
      status: 200,
      body: renderXml(
        'Messages',
        MNS_NAMESPACE,
        visible.map((m) => ['Message', render(m)]),
      ),
    };
  }

  #deleteMessage(name: string, context: RequestContext): Reply {
    const queue = this.#queue(name);
    const handle = context.query.get('receipthandle');
    if (handle === undefined || handle === '') throw new MnsServiceError('MissingReceiptHandle');
    const message = this.#byHandle(queue, handle);
    this.#remove(queue, message);
    return { status: 204 };
  }

  #batchDelete(name: string, context: RequestContext): Reply {
    const queue = this.#queue(name);
    const root = readDocument(context.body, ['ReceiptHandles']);
    if (root.children.length < 1 || root.children.length > MAX_BATCH) {
      throw new MnsServiceError(
        'InvalidArgument',
        `The count of receipt handles in batch request should between 1 and ${MAX_BATCH}.`,
      );
    }
    const handles = root.children.map((child) => {
      if (child.name !== 'ReceiptHandle' || child.children.length > 0)
        throw schemaError(child.name);
      return child.text;
    });
    const errors: XmlContent[] = [];
    for (const handle of handles) {
      try {
        this.#remove(queue, this.#byHandle(queue, handle));
      } catch (error) {
        if (!(error instanceof MnsServiceError)) throw error;
        errors.push([
          ['ErrorCode', error.code],
          ['ErrorMessage', error.message],
          ['ReceiptHandle', handle],
        ]);
      }
    }
    if (errors.length === 0) return { status: 204 };
    // BatchDeleteMessage doc (help.aliyun.com/document_detail/35139.html): 204 only when every
    // handle succeeds; otherwise 404 with an <Errors> list.
    return {
      status: 404,
      body: renderXml(
        'Errors',
        MNS_NAMESPACE,
        errors.map((e) => ['Error', e]),
      ),
    };
  }

  #changeVisibility(name: string, context: RequestContext): Reply {
    const queue = this.#queue(name);
    // Node SDK: receiptHandle/visibilityTimeout; Go SDK: ReceiptHandle/VisibilityTimeout.
    const handle = context.query.get('receipthandle');
    if (handle === undefined || handle === '') throw new MnsServiceError('MissingReceiptHandle');
    if (!context.query.has('visibilitytimeout'))
      throw new MnsServiceError('MissingVisibilityTimeout');
    const seconds = readInteger(context.query, 'visibilitytimeout', VISIBILITY_RANGE, 0);
    const message = this.#byHandle(queue, handle);
    // The new timeout counts from this call (ChangeMessageVisibility doc), with a new handle.
    message.nextVisibleTime = this.#clock() + seconds * 1000;
    this.#issueHandle(queue, message);
    return {
      status: 200,
      body: renderXml('ChangeVisibility', MNS_NAMESPACE, [
        ['ReceiptHandle', message.handle ?? ''],
        ['NextVisibleTime', message.nextVisibleTime],
      ]),
    };
  }

  // ---- topics -------------------------------------------------------------------------------

  #createTopicRequest(name: string, context: RequestContext): Reply {
    if (!NAME_PATTERN.test(name)) throw new MnsServiceError('TopicNameInvalid');
    let maximumMessageSize = 65536;
    let loggingEnabled = false;
    if (context.body.length > 0) {
      const root = readDocument(context.body, ['Topic']);
      const fields = readFields(root, ['MaximumMessageSize', 'LoggingEnabled']);
      const size = fields.get('MaximumMessageSize');
      if (size !== undefined)
        maximumMessageSize = toInteger('MaximumMessageSize', size, [1024, 65536]);
      const logging = fields.get('LoggingEnabled');
      if (logging !== undefined) loggingEnabled = toBoolean('LoggingEnabled', logging);
    }
    const existing = this.#topics.get(name);
    if (existing) {
      if (
        existing.maximumMessageSize !== maximumMessageSize ||
        existing.loggingEnabled !== loggingEnabled
      ) {
        throw new MnsServiceError('TopicAlreadyExist');
      }
      return { status: 204 };
    }
    const topic = newTopic(name, maximumMessageSize, this.#clock());
    topic.loggingEnabled = loggingEnabled;
    this.#topics.set(name, topic);
    return { status: 201, headers: { location: `${this.url}/topics/${name}` } };
  }

  #getTopicAttributes(name: string): Reply {
    const topic = this.#topic(name);
    return {
      status: 200,
      body: renderXml('Topic', MNS_NAMESPACE, [
        ['TopicName', topic.name],
        ['CreateTime', Math.floor(topic.createTime / 1000)],
        ['LastModifyTime', Math.floor(topic.createTime / 1000)],
        ['MaximumMessageSize', topic.maximumMessageSize],
        ['MessageRetentionPeriod', 86400],
        ['MessageCount', topic.published.length],
        ['LoggingEnabled', String(topic.loggingEnabled)],
      ]),
    };
  }

  #publish(name: string, context: RequestContext): Reply {
    const topic = this.#topic(name);
    const root = readDocument(context.body, ['Message']);
    const fields = readFields(
      root,
      ['MessageBody', 'MessageTag', 'MessageAttributes'],
      ['MessageAttributes'],
    );
    const bodyElement = fields.get('MessageBody');
    if (bodyElement === undefined) throw schemaError('MessageBody');
    const body = bodyElement.text;
    checkBodySize(body, topic.maximumMessageSize);
    const now = this.#clock();
    const published: PublishedMessage = { MessageId: this.#newMessageId(now), body, at: now };
    const tag = fields.get('MessageTag');
    if (tag !== undefined) {
      // PublishMessage doc: a tag is at most 16 characters.
      if (tag.text.length > 16) {
        throw new MnsServiceError(
          'InvalidArgument',
          'The length of MessageTag should between 1 and 16.',
        );
      }
      published.tag = tag.text;
    }
    const attributes = fields.get('MessageAttributes');
    if (attributes !== undefined) published.attributes = toObject(attributes);
    topic.published.push(published);
    for (const queueName of topic.subscribers) {
      const queue = this.#queues.get(queueName);
      if (queue) this.#enqueue(queue, { body });
    }
    return {
      status: 201,
      body: renderXml('Message', MNS_NAMESPACE, [
        ['MessageId', published.MessageId],
        ['MessageBodyMD5', md5Upper(body)],
      ]),
    };
  }

  // ---- state --------------------------------------------------------------------------------

  #enqueue(
    queue: QueueState,
    entry: { body: string; delaySeconds?: number; priority?: number },
  ): StoredMessage {
    const now = this.#clock();
    // A message-level DelaySeconds overrides the queue's (SendMessage doc).
    const delaySeconds = entry.delaySeconds ?? queue.settings.DelaySeconds;
    const message: StoredMessage = {
      id: this.#newMessageId(now),
      seq: ++this.#messageSeq,
      body: entry.body,
      md5: md5Upper(entry.body),
      priority: entry.priority ?? DEFAULT_PRIORITY,
      delaySeconds,
      enqueueTime: now,
      nextVisibleTime: now + delaySeconds * 1000,
      dequeueCount: 0,
    };
    queue.messages.set(message.id, message);
    return message;
  }

  /** Active messages, highest priority (1) first, then oldest first. */
  #visible(queue: QueueState, now: number): StoredMessage[] {
    return [...queue.messages.values()]
      .filter((m) => m.nextVisibleTime <= now)
      .sort((a, b) => a.priority - b.priority || a.enqueueTime - b.enqueueTime || a.seq - b.seq);
  }

  #take(queue: QueueState, count: number): StoredMessage[] {
    const now = this.#clock();
    this.#expire(queue, now);
    const taken = this.#visible(queue, now).slice(0, count);
    for (const m of taken) {
      m.dequeueCount += 1;
      m.firstDequeueTime ??= now;
      m.nextVisibleTime = now + queue.settings.VisibilityTimeout * 1000;
      this.#issueHandle(queue, m);
    }
    return taken;
  }

  /**
   * `1-` + base64 of `<seq>-<next visible, s>-<dequeue count>-<priority>` as in the docs'
   * samples, then four bytes chosen so that the base64 always holds `+` and `/` and ends in `==`.
   */
  #issueHandle(queue: QueueState, message: StoredMessage): void {
    if (message.handle !== undefined) queue.handles.delete(message.handle);
    this.#handleSeq += 1;
    let ascii = `${8589934592 + this.#handleSeq}-${Math.floor(message.nextVisibleTime / 1000)}-${message.dequeueCount}-${message.priority}`;
    while (ascii.length % 3 !== 0) ascii += '-';
    const random = randomBytes(3);
    const tail = Buffer.from([
      0xf8 | (random.readUInt8(0) & 0x03),
      random.readUInt8(1),
      (random.readUInt8(2) & 0xc0) | 0x3f,
      random.readUInt8(0),
    ]);
    const handle = `1-${Buffer.concat([Buffer.from(ascii, 'ascii'), tail]).toString('base64')}`;
    message.handle = handle;
    queue.handles.set(handle, message);
  }

  /**
   * A malformed handle is ReceiptHandleError (400); a well-formed one that is not the message's
   * current handle, or whose visibility window has passed, is MessageNotExist (404)
   * (QueueMessage doc https://www.alibabacloud.com/help/doc-detail/27477.htm; DeleteMessage doc).
   */
  #byHandle(queue: QueueState, handle: string): StoredMessage {
    if (!HANDLE_PATTERN.test(handle)) throw new MnsServiceError('ReceiptHandleError');
    const now = this.#clock();
    this.#expire(queue, now);
    const message = queue.handles.get(handle);
    if (!message || message.nextVisibleTime <= now) {
      throw new MnsServiceError(
        'MessageNotExist',
        `The receipt handle ${handle} has expired or been used.`,
      );
    }
    return message;
  }

  #remove(queue: QueueState, message: StoredMessage): void {
    queue.messages.delete(message.id);
    if (message.handle !== undefined) queue.handles.delete(message.handle);
  }

  /** Drops messages older than the queue's MessageRetentionPeriod. */
  #expire(queue: QueueState, now: number): void {
    const limit = queue.settings.MessageRetentionPeriod * 1000;
    for (const message of queue.messages.values()) {
      if (now - message.enqueueTime >= limit) this.#remove(queue, message);
    }
  }

  /** `5F290C926D472878-2-14D9529A8FA-200000001` shape, as in the ReceiveMessage doc sample. */
  #newMessageId(now: number): string {
    this.#idSeq += 1;
    return `${this.#idPrefix}-1-${now.toString(16).toUpperCase()}-${200000000 + this.#idSeq}`;
  }

  /**
   * Waits up to `waitMs` for `attempt` to find something, looking every {@link POLL_INTERVAL_MS}
   * real milliseconds. The wait ends after `waitMs` of the emulator clock or of real time,
   * whichever comes first, so a manual clock can both wake a poll (a message becoming visible)
   * and end it; it also ends when the client goes away or the emulator closes.
   */
  async #poll<T>(
    waitMs: number,
    context: RequestContext,
    attempt: () => T | undefined,
  ): Promise<T | undefined> {
    const clockStart = this.#clock();
    const realStart = realNow();
    for (;;) {
      const found = attempt();
      if (found !== undefined) return found;
      if (context.gone()) return undefined;
      if (this.#clock() - clockStart >= waitMs || realNow() - realStart >= waitMs) return undefined;
      await this.#sleep(POLL_INTERVAL_MS);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        realClearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = realSetTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  #queue(name: string): QueueState {
    const queue = this.#queues.get(name);
    if (!queue) throw new MnsServiceError('QueueNotExist');
    return queue;
  }

  #topic(name: string): TopicState {
    const topic = this.#topics.get(name);
    if (!topic) throw new MnsServiceError('TopicNotExist');
    return topic;
  }

  #queueOrThrow(name: string): QueueState {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`MnsEmulator: no queue named "${name}"`);
    return queue;
  }

  #topicOrThrow(name: string): TopicState {
    const topic = this.#topics.get(name);
    if (!topic) throw new Error(`MnsEmulator: no topic named "${name}"`);
    return topic;
  }
}

// ---- helpers (internal) -------------------------------------------------------------------

function newQueue(name: string, settings: QueueSettings, now: number): QueueState {
  return {
    name,
    settings,
    createTime: now,
    lastModifyTime: now,
    messages: new Map(),
    handles: new Map(),
  };
}

function newTopic(name: string, maximumMessageSize: number, now: number): TopicState {
  return {
    name,
    maximumMessageSize,
    loggingEnabled: false,
    createTime: now,
    subscribers: new Set(),
    published: [],
  };
}

function md5Upper(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex').toUpperCase();
}

/**
 * Splits the raw query by hand. Keys are lower-cased (both SDK casings work); values are
 * percent-decoded (the Go SDK url-encodes) but `+` stays `+`: the Node SDK sends receipt
 * handles unencoded, so `+` is data, never a space (protocols.md 3.6, gotcha 15).
 */
function parseQuery(target: string): Map<string, string> {
  const queryStart = target.indexOf('?');
  const query = new Map<string, string>();
  if (queryStart < 0) return query;
  for (const pair of target.slice(queryStart + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawKey = equals < 0 ? pair : pair.slice(0, equals);
    const rawValue = equals < 0 ? '' : pair.slice(equals + 1);
    try {
      query.set(decodeURIComponent(rawKey).toLowerCase(), decodeURIComponent(rawValue));
    } catch {
      throw new MnsServiceError(
        'InvalidQueryString',
        `Http request URL contains invalid querystring item "${rawKey}".`,
      );
    }
  }
  return query;
}

function readCount(query: Map<string, string>): number {
  return readInteger(query, 'numofmessages', [1, MAX_BATCH], 1);
}

function readInteger(
  query: Map<string, string>,
  key: string,
  [low, high]: readonly [number, number],
  fallback: number,
): number {
  const raw = query.get(key);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new MnsServiceError(
      'InvalidArgument',
      `The value of ${key} should between ${low} and ${high}.`,
    );
  }
  const value = Number(raw);
  if (value < low || value > high) {
    throw new MnsServiceError(
      'InvalidArgument',
      `The value of ${key} should between ${low} and ${high}.`,
    );
  }
  return value;
}

/**
 * Parses a request body and checks its root element and namespace. The namespace may be
 * `http://mns.aliyuncs.com/doc/v1/`, the same without the trailing slash, or absent: the
 * PublishMessage doc demands it, its own sample drops the slash, and the Go SDK sends none
 * (CONFLICT, protocols.md 3.1).
 */
function readDocument(body: Buffer, roots: readonly string[]): XmlElement {
  let root: XmlElement;
  try {
    root = parseXmlDocument(body);
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      throw new MnsServiceError(
        'MalformedXML',
        `The XML you provided was not well-formed: ${error.message}.`,
      );
    }
    throw error;
  }
  if (!roots.includes(root.name)) throw schemaError(root.name);
  const namespace = root.attributes.xmlns;
  if (
    namespace !== undefined &&
    namespace !== MNS_NAMESPACE &&
    namespace !== MNS_NAMESPACE.slice(0, -1)
  ) {
    throw new MnsServiceError(
      'InvalidArgument',
      `The XML you provided did not validate against our published schema, cause by namespace ${namespace}.`,
    );
  }
  return root;
}

function schemaError(element: string): MnsServiceError {
  return new MnsServiceError(
    'InvalidArgument',
    `The XML you provided did not validate against our published schema, cause by ${element} Element.`,
  );
}

/** Child elements by name; unknown or repeated ones fail, leaves must hold only text. */
function readFields(
  parent: XmlElement,
  allowed: readonly string[],
  nested: readonly string[] = [],
): Map<string, XmlElement> {
  const fields = new Map<string, XmlElement>();
  for (const child of parent.children) {
    if (!allowed.includes(child.name) || fields.has(child.name)) throw schemaError(child.name);
    if (!nested.includes(child.name) && child.children.length > 0) throw schemaError(child.name);
    fields.set(child.name, child);
  }
  return fields;
}

function toInteger(
  name: string,
  element: XmlElement,
  [low, high]: readonly [number, number],
): number {
  const text = element.text.trim();
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= low && value <= high)) {
    throw new MnsServiceError(
      'InvalidArgument',
      `The value of ${name} should between ${low} and ${high}.`,
    );
  }
  return value;
}

function toBoolean(name: string, element: XmlElement): boolean {
  const text = element.text.trim();
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  throw new MnsServiceError('InvalidArgument', `The value of ${name} should be true or false.`);
}

function toObject(element: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of element.children) {
    out[child.name] = child.children.length > 0 ? toObject(child) : child.text;
  }
  return out;
}

function readQueueBody(body: Buffer): Partial<QueueSettings> {
  if (body.length === 0) return {};
  const root = readDocument(body, ['Queue']);
  const fields = readFields(root, [...QUEUE_ATTRIBUTE_NAMES, 'LoggingEnabled']);
  const out: Partial<QueueSettings> = {};
  for (const key of QUEUE_ATTRIBUTE_NAMES) {
    const element = fields.get(key);
    if (element !== undefined) out[key] = toInteger(key, element, QUEUE_RANGES[key]);
  }
  const logging = fields.get('LoggingEnabled');
  if (logging !== undefined) out.LoggingEnabled = toBoolean('LoggingEnabled', logging);
  return out;
}

/**
 * MessageBody is required and 1..MaximumMessageSize bytes (UTF-8). UNCONFIRMED that an empty
 * body is refused; the error table's wording ("between Low and High bytes") suggests it.
 */
function checkBodySize(body: string, maximum: number): void {
  const size = Buffer.byteLength(body, 'utf8');
  if (size < 1 || size > maximum) {
    throw new MnsServiceError(
      'InvalidArgument',
      `The value of MessageBody should between 1 and ${maximum} bytes.`,
    );
  }
}

function readSendEntry(
  element: XmlElement,
  maximumMessageSize: number,
): { body: string; delaySeconds?: number; priority?: number } {
  const fields = readFields(element, ['MessageBody', 'DelaySeconds', 'Priority']);
  const bodyElement = fields.get('MessageBody');
  if (bodyElement === undefined) throw schemaError('MessageBody');
  checkBodySize(bodyElement.text, maximumMessageSize);
  const entry: { body: string; delaySeconds?: number; priority?: number } = {
    body: bodyElement.text,
  };
  const delay = fields.get('DelaySeconds');
  if (delay !== undefined)
    entry.delaySeconds = toInteger('DelaySeconds', delay, QUEUE_RANGES.DelaySeconds);
  const priority = fields.get('Priority');
  if (priority !== undefined) entry.priority = toInteger('Priority', priority, PRIORITY_RANGE);
  return entry;
}
