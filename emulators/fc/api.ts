/**
 * A local emulator of the Function Compute 3.0 invocation API (`InvokeFunction`, API version
 * 2023-03-30), as the tracker's FC self-invocation transport uses it: synchronous calls that answer
 * the handler's result, and asynchronous calls that are accepted, persisted and run later (after
 * `x-fc-async-delay`), retried when they fail, and deduplicated by `x-fc-async-task-id`.
 *
 * Wire contract and sources (protocols.md 2 and 4.5):
 * - The fc3 component (Repo devsapp/fc3 `src/resources/fc/impl/client.ts`) invokes through the FC
 *   3.0 API with `@alicloud/fc20230330` `invokeFunctionWithOptions`, at endpoint
 *   `{accountId}.{region}.fc.aliyuncs.com` (management calls use `fcv3.{region}.aliyuncs.com`).
 * - That generated SDK (Repo aliyun/alibabacloud-typescript-sdk `fc-20230330/src/client.ts`,
 *   `invokeFunctionWithOptions`) calls `callApi` with `{action: 'InvokeFunction', version:
 *   '2023-03-30', protocol: 'HTTPS', pathname: '/2023-03-30/functions/{percentEncode(fn)}/invocations',
 *   method: 'POST', authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'binary'}`, an
 *   optional `qualifier` query, the event as a stream body (openapi-client 0.4.x sends it as
 *   `application/octet-stream`, hashed into `x-acs-content-sha256`), and the headers
 *   `x-fc-invocation-type` (Sync|Async), `x-fc-log-type`, `x-fc-async-task-id`; `x-fc-async-delay`
 *   (seconds) has no typed field and travels in `commonHeaders`.
 * - Signature: ACS3-HMAC-SHA256 as for DAS (`verifyAcs3`); `x-fc-*` headers are not signed,
 *   `content-type` is.
 * - Error body of FC 3.0: JSON `{"Code","Message","RequestId"}` (the SDK's `Error` model,
 *   `fc-20230330/src/models/Error.ts`, whose example RequestId `1-64e70cf1-5cbef92ea8fc8c42899cf5d1`
 *   gives the request id format used here).
 * - Codes and statuses: FC error-code tables (https://www.alibabacloud.com/help/en/functioncompute/error-codes,
 *   https://help.aliyun.com/zh/functioncompute/api-fc-2023-03-30-errorcodes): 400 InvalidArgument,
 *   400 PathNotSupported, 400 EntityTooLarge, 403 SignatureNotMatch (FC's own name, not the POP
 *   gateway's SignatureDoesNotMatch), 403 InvalidAccessKeyID, 404 FunctionNotFound, 500
 *   InternalServerError; 429 ResourceExhausted for throttled invocations (FC 2.0 common-error list,
 *   https://developer.aliyun.com/ask/279119; FC error-handling doc: throttled invocations answer 429).
 *
 * Where no source was found the choice is marked UNCONFIRMED.
 *
 * The emulator never logs, and records neither credentials nor signatures.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerMap, type RunningServer, startServer } from '../http.js';
import { parseWireQuery, verifyAcs3 } from '../signing/acs3.js';
import { type FcHandler, type FunctionSpec, type InvokeResult, invokeFunction } from './runtime.js';

/** The API version served; it is also the first segment of the path (protocols.md 4.5). */
export const FC_API_VERSION = '2023-03-30';

/** An AccessKey pair accepted on the API; with `securityToken` an STS triple. */
export interface FcApiCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface FcApiEmulatorOptions {
  /** The account the functions belong to; handlers see it as `context.accountId`. */
  accountId: string;
  /** Handlers see it as `context.region`. */
  region: string;
  /** Keys accepted on the API. */
  credentials: readonly FcApiCredential[];
  /** The function role's STS credentials, passed to handlers in `context.credentials`. */
  roleCredentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  /** Milliseconds; drives async delays and retries. @default Date.now */
  clock?: () => number;
  /** Retries of a failed async invocation (FC allows 0-8). @default 3 */
  maxAsyncRetryAttempts?: number;
  /** `clock()` milliseconds before each retry. @default 1000 */
  retryDelayMs?: number;
}

export type FcApiFaultKind = 'throttling' | 'internal-error' | 'reset' | 'hang';

/** A failure served instead of the answer to the next authenticated request(s). */
export interface FcApiFaultSpec {
  kind: FcApiFaultKind;
  /** @default 1 */
  times?: number;
  /**
   * For `reset` and `hang` only: the request is processed first (an async invocation is accepted
   * and enqueued, a sync one runs) and then its answer is lost, the ambiguous outcome that task
   * deduplication exists for. Without it the request has no effect. @default false
   */
  afterAccept?: boolean;
}

/** One accepted async invocation. The emulator updates it in place as the task runs. */
export interface AsyncTaskRecord {
  taskId: string;
  functionName: string;
  qualifier?: string;
  payload: Buffer;
  /** `clock()` when the invocation was accepted. */
  acceptedAt: number;
  /** `clock()` at or after which the next attempt runs (acceptedAt + delay, then each retry's due time). */
  runAt: number;
  delayS: number;
  status: 'Enqueued' | 'Running' | 'Succeeded' | 'Failed' | 'Retrying';
  /** Runs started so far (1 + retries). */
  attempts: number;
  /** `<errorType>: <errorMessage>` of the last failed run. */
  lastError?: string;
}

/** One request the emulator received. */
export interface FcApiRequestRecord {
  /** HTTP status answered; 0 when the request was hung or reset. */
  status: number;
  /** Error `Code` of the answer. */
  code?: string;
  /** `Sync` or `Async` as recognised (case-insensitively), the raw header otherwise; absent when not sent. */
  invocationType?: string;
  /** The task id sent, or the one generated for an accepted async invocation. */
  taskId?: string;
  /** The function named by an `InvokeFunction` path (`/2023-03-30/functions/{name}/invocations`). */
  functionName?: string;
}

export interface FcRegisterOptions {
  /** Seconds. @default 60 */
  timeoutS?: number;
  /** @default 256 */
  memoryMB?: number;
}

const INVOCATIONS_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;
/** protocols.md 4.5: letters, digits, `_`, `-`; starts with a letter or `_`; at most 128 characters. */
const TASK_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
/**
 * CONFLICT in the sources, (0,3600) vs [0,3600] (protocols.md 4.5): both 0 and 3600 are accepted;
 * larger or non-integer values are refused with 400 InvalidArgument.
 */
const MAX_ASYNC_DELAY_S = 3600;
/** FC 3.0 payload limits: sync 32 MB, async 128 KB (protocols.md 4.4, FC limits table). */
const MAX_SYNC_PAYLOAD = 32 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 128 * 1024;
/** Real-time period of the scheduler that starts due async tasks. */
const PUMP_INTERVAL_MS = 20;

const FAULT_KINDS: ReadonlySet<string> = new Set<FcApiFaultKind>([
  'throttling',
  'internal-error',
  'reset',
  'hang',
]);
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'accountId',
  'region',
  'credentials',
  'roleCredentials',
  'clock',
  'maxAsyncRetryAttempts',
  'retryDelayMs',
]);
const REGISTER_KEYS: ReadonlySet<string> = new Set(['timeoutS', 'memoryMB']);
const FAULT_KEYS: ReadonlySet<string> = new Set(['kind', 'times', 'afterAccept']);

// Messages of the FC error-code tables cited above.
const MSG = {
  signature:
    'The request signature we calculated does not match the signature you provided. Check your access key and signing method',
  internal: 'an internal error has occurred. Please retry.',
  // UNCONFIRMED text: the tables give only the code and "concurrency exceeded the limit".
  throttled: 'Resource exhausted: the concurrency of the function exceeded the limit.',
  // UNCONFIRMED: no source names the error for a security token that does not match the key.
  token: 'The security token you provided is invalid.',
} as const;

type Outcome =
  | { kind: 'error'; status: number; code: string; message: string; requestId: string }
  | { kind: 'accepted'; requestId: string; taskId: string }
  | { kind: 'sync'; result: InvokeResult; logTail: boolean }
  | { kind: 'hang' }
  | { kind: 'reset' };

interface Registration {
  readonly handler: FcHandler;
  readonly spec: FunctionSpec;
}

interface PendingFault {
  readonly spec: FcApiFaultSpec;
  remaining: number;
}

/** A request id in the FC 3.0 format (`1-<8 hex>-<24 hex>`, the SDK Error model's example). */
function newRequestId(): string {
  const hex = randomBytes(16).toString('hex');
  return `1-${hex.slice(0, 8)}-${hex.slice(8, 32)}`;
}

function error(status: number, code: string, message: string, requestId: string): Outcome {
  return { kind: 'error', status, code, message, requestId };
}

function invalidArgument(message: string, requestId: string): Outcome {
  return error(400, 'InvalidArgument', message, requestId);
}

function entityTooLarge(limit: number, requestId: string): Outcome {
  return error(
    400,
    'EntityTooLarge',
    `payload size exceeds maximum allowed size (${limit} bytes)`,
    requestId,
  );
}

/** `Sync`/`Async`, matched case-insensitively (UNCONFIRMED: the service may be case-sensitive). */
function normaliseInvocationType(value: string): 'Sync' | 'Async' | undefined {
  const lower = value.toLowerCase();
  return lower === 'sync' ? 'Sync' : lower === 'async' ? 'Async' : undefined;
}

/**
 * The handler's value as FC answers it (protocols.md 4.1): a Buffer as-is, an object as JSON,
 * anything else as a string. `invokeFunction` has already JSON round-tripped the value, which
 * turns a Buffer into `{type:'Buffer', data:[…]}`; that shape is turned back into bytes.
 * UNCONFIRMED: an `undefined`/`null` result answers an empty body.
 */
function resultBody(value: unknown): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'object') {
    const candidate = value as { type?: unknown; data?: unknown };
    if (candidate.type === 'Buffer' && Array.isArray(candidate.data)) {
      return Buffer.from(candidate.data as number[]);
    }
    return Buffer.from(JSON.stringify(value), 'utf8');
  }
  return Buffer.from(String(value), 'utf8');
}

/**
 * The body of a failed sync invocation: `{errorMessage, errorType}` as the FC Node.js
 * error-handling doc shows (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-nodejs;
 * `stackTrace` is not available here). `invokeFunction` reports `Name: message` for a thrown Error
 * and `String(value)` otherwise; a value thrown that is not an Error has no errorType, as in FC.
 */
function failureBody(result: Extract<InvokeResult, { ok: false }>): Buffer {
  if (result.errorType === 'UnhandledInvocationError') {
    const match = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(result.errorMessage);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      return Buffer.from(JSON.stringify({ errorMessage: match[2], errorType: match[1] }), 'utf8');
    }
  }
  return Buffer.from(JSON.stringify({ errorMessage: result.errorMessage }), 'utf8');
}

function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function rejectUnknownKeys(where: string, value: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new TypeError(`${where}: unknown option "${key}"`);
  }
}

function validateOptions(options: FcApiEmulatorOptions): void {
  const where = 'FcApiEmulator.start';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options are required`);
  }
  rejectUnknownKeys(where, options, OPTION_KEYS);
  for (const key of ['accountId', 'region'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      throw new TypeError(`${where}: options.${key} must be a non-empty string`);
    }
  }
  if (!Array.isArray(options.credentials) || options.credentials.length === 0) {
    throw new TypeError(`${where}: options.credentials must list at least one key`);
  }
  const role = options.roleCredentials as Partial<FcApiEmulatorOptions['roleCredentials']>;
  if (!role?.accessKeyId || !role.accessKeySecret || !role.securityToken) {
    throw new TypeError(
      `${where}: options.roleCredentials needs accessKeyId, accessKeySecret and securityToken`,
    );
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new TypeError(`${where}: options.clock must be a function`);
  }
  const retries = options.maxAsyncRetryAttempts;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 8)) {
    // 0-8, default 3 (protocols.md 4.5).
    throw new TypeError(`${where}: options.maxAsyncRetryAttempts must be an integer from 0 to 8`);
  }
  const delay = options.retryDelayMs;
  if (delay !== undefined && !(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    throw new TypeError(`${where}: options.retryDelayMs must be a number >= 0`);
  }
}

/**
 * The FC 3.0 invocation API emulator. Start it, `register` handlers, point an openapi-client
 * `Config` at `endpoint` with protocol `http`, and call `InvokeFunction` exactly as the generated
 * SDK does. Async tasks run when `clock() >= runAt`: a scheduler checks every ~20 ms of real
 * time; with a manual clock, advance it and `await drain()`.
 *
 * Async execution is at-least-once; a failed run (function error or timeout) is retried up to
 * `maxAsyncRetryAttempts` times, `retryDelayMs` apart (protocols.md 4.5;
 * https://help.aliyun.com/en/functioncompute/fc/user-guide/error-handling-1-2). Task ids are
 * remembered forever: a repeat is refused even after the first task finished.
 *
 * @example
 * let now = 0;
 * const fc = await FcApiEmulator.start({ accountId: '123', region: 'cn-shanghai', clock: () => now,
 *   credentials: [{ accessKeyId: 'AK', accessKeySecret: 'SK' }], roleCredentials });
 * fc.register('tracker', async (event) => JSON.parse(event.toString()));
 * // … InvokeFunction Async with x-fc-async-delay: 30 …
 * now += 30_000;
 * await fc.drain();
 */
export class FcApiEmulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, what openapi-client `Config.endpoint` takes (with protocol `http`). */
  readonly endpoint: string;

  readonly #server: RunningServer;
  readonly #accountId: string;
  readonly #region: string;
  readonly #credentials: ReadonlyMap<string, FcApiCredential>;
  readonly #role: FunctionSpec['credentials'];
  readonly #clock: () => number;
  readonly #maxRetries: number;
  readonly #retryDelayMs: number;
  readonly #functions = new Map<string, Registration>();
  readonly #tasks: AsyncTaskRecord[] = [];
  readonly #taskIds = new Map<string, AsyncTaskRecord>();
  /** Tasks that are Enqueued or Retrying. */
  readonly #pending = new Set<AsyncTaskRecord>();
  readonly #running = new Set<Promise<void>>();
  readonly #requests: FcApiRequestRecord[] = [];
  readonly #faults: PendingFault[] = [];
  readonly #pump: NodeJS.Timeout;
  #closed = false;

  private constructor(server: RunningServer, options: FcApiEmulatorOptions) {
    this.#server = server;
    this.url = server.url;
    this.endpoint = server.url.replace(/^http:\/\//, '');
    this.#accountId = options.accountId;
    this.#region = options.region;
    const credentials = new Map<string, FcApiCredential>();
    for (const credential of options.credentials)
      credentials.set(credential.accessKeyId, credential);
    this.#credentials = credentials;
    const { accessKeyId, accessKeySecret, securityToken } = options.roleCredentials;
    this.#role = Object.freeze({ accessKeyId, accessKeySecret, securityToken });
    this.#clock = options.clock ?? Date.now;
    this.#maxRetries = options.maxAsyncRetryAttempts ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#pump = setInterval(() => this.#startDue(), PUMP_INTERVAL_MS);
    this.#pump.unref();
  }

  /**
   * Starts an emulator on a free loopback port.
   * @throws TypeError on an unknown option key or an invalid option value.
   */
  static async start(options: FcApiEmulatorOptions): Promise<FcApiEmulator> {
    validateOptions(options);
    const credentials = new Map<string, FcApiCredential>();
    for (const [index, credential] of options.credentials.entries()) {
      if (!credential?.accessKeyId || !credential.accessKeySecret) {
        throw new TypeError(
          `FcApiEmulator.start: options.credentials[${index}]: accessKeyId and accessKeySecret are required`,
        );
      }
      if (credentials.has(credential.accessKeyId)) {
        throw new TypeError(
          `FcApiEmulator.start: options.credentials[${index}]: duplicate accessKeyId ${credential.accessKeyId}`,
        );
      }
      credentials.set(credential.accessKeyId, { ...credential });
    }
    let handle:
      | ((req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>)
      | undefined;
    const server = await startServer((req, body, res) => handle?.(req, body, res));
    const emulator = new FcApiEmulator(server, {
      ...options,
      credentials: [...credentials.values()],
    });
    handle = (req, body, res) => emulator.#handle(req, body, res);
    return emulator;
  }

  /**
   * Registers (or replaces) a function. Its FunctionSpec: handler `index.handler`, the emulator's
   * region, account and role credentials.
   * @throws TypeError on an empty name or an invalid option.
   */
  register(functionName: string, handler: FcHandler, options: FcRegisterOptions = {}): void {
    if (typeof functionName !== 'string' || functionName === '') {
      throw new TypeError('register: functionName must be a non-empty string');
    }
    if (typeof handler !== 'function') throw new TypeError('register: handler must be a function');
    rejectUnknownKeys('register', options, REGISTER_KEYS);
    const timeoutS = options.timeoutS ?? 60;
    const memoryMB = options.memoryMB ?? 256;
    if (!isPositiveNumber(timeoutS)) throw new TypeError('register: timeoutS must be a number > 0');
    if (!(Number.isInteger(memoryMB) && memoryMB > 0)) {
      throw new TypeError('register: memoryMB must be an integer > 0');
    }
    this.#functions.set(functionName, {
      handler,
      spec: {
        name: functionName,
        handler: 'index.handler',
        timeoutS,
        memoryMB,
        region: this.#region,
        accountId: this.#accountId,
        credentials: this.#role,
      },
    });
  }

  /** Every accepted async invocation, in order (live records). */
  get tasks(): readonly AsyncTaskRecord[] {
    return this.#tasks;
  }

  task(taskId: string): AsyncTaskRecord | undefined {
    return this.#taskIds.get(taskId);
  }

  /** Every request received, in order. No header, credential or signature is recorded. */
  get requests(): ReadonlyArray<FcApiRequestRecord> {
    return this.#requests;
  }

  /**
   * Queues a fault, served to the next authenticated request(s) in the order queued.
   * `throttling` answers 429 ResourceExhausted, `internal-error` 500 InternalServerError, `reset`
   * destroys the socket, `hang` never answers (until `close()`).
   * @throws TypeError on an unknown kind, a bad `times`, or `afterAccept` with an answered kind.
   */
  fault(spec: FcApiFaultSpec): void {
    rejectUnknownKeys('fault', spec, FAULT_KEYS);
    if (!FAULT_KINDS.has(spec.kind)) throw new TypeError(`fault: unknown kind "${spec.kind}"`);
    const times = spec.times ?? 1;
    if (!(Number.isInteger(times) && times >= 1)) {
      throw new TypeError('fault: times must be an integer >= 1');
    }
    if (spec.afterAccept === true && spec.kind !== 'reset' && spec.kind !== 'hang') {
      throw new TypeError('fault: afterAccept applies to reset and hang only');
    }
    this.#faults.push({ spec: { ...spec }, remaining: times });
  }

  /** Runs every async task due at clock() (and retries due), and waits until none is running. */
  async drain(): Promise<void> {
    for (;;) {
      this.#startDue();
      if (this.#running.size === 0) return;
      await Promise.all([...this.#running]);
    }
  }

  /** Stops the scheduler and the server; destroys every socket, which releases hung requests. */
  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pump);
    return this.#server.close();
  }

  #startDue(): void {
    if (this.#closed) return;
    const now = this.#clock();
    for (const task of this.#pending) {
      if (now >= task.runAt) this.#start(task);
    }
  }

  #start(task: AsyncTaskRecord): void {
    this.#pending.delete(task);
    task.status = 'Running';
    task.attempts += 1;
    const run: Promise<void> = this.#run(task).finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  async #run(task: AsyncTaskRecord): Promise<void> {
    const registration = this.#functions.get(task.functionName);
    let failure: string | undefined;
    if (registration === undefined) {
      failure = `FunctionNotFound: function '${task.functionName}' does not exist.`;
    } else {
      try {
        const result = await invokeFunction(registration.handler, task.payload, registration.spec);
        if (!result.ok) failure = `${result.errorType}: ${result.errorMessage}`;
      } catch (error) {
        failure = `UnhandledInvocationError: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (failure === undefined) {
      task.status = 'Succeeded';
      return;
    }
    task.lastError = failure;
    // attempts = 1 + retries so far.
    if (task.attempts <= this.#maxRetries) {
      task.status = 'Retrying';
      task.runAt = this.#clock() + this.#retryDelayMs;
      this.#pending.add(task);
    } else {
      task.status = 'Failed';
    }
  }

  #takeFault(): FcApiFaultSpec | undefined {
    const fault = this.#faults[0];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.shift();
    return fault.spec;
  }

  async #handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const headers = headerMap(req);
    const record: FcApiRequestRecord = { status: 0 };
    const rawType = headers['x-fc-invocation-type'];
    if (rawType !== undefined) record.invocationType = normaliseInvocationType(rawType) ?? rawType;
    const sentTaskId = headers['x-fc-async-task-id'];
    if (sentTaskId !== undefined) record.taskId = sentTaskId;
    this.#requests.push(record);

    const outcome = await this.#process(req.method ?? 'GET', path, rawQuery, headers, body, record);
    switch (outcome.kind) {
      case 'hang':
        // Never answered; close() destroys the socket.
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'error': {
        record.status = outcome.status;
        record.code = outcome.code;
        const text = JSON.stringify({
          Code: outcome.code,
          Message: outcome.message,
          RequestId: outcome.requestId,
        });
        res.writeHead(outcome.status, {
          'content-type': 'application/json',
          'x-fc-request-id': outcome.requestId,
        });
        res.end(text);
        return;
      }
      case 'accepted':
        // 202 with the ids and an empty body: UNCONFIRMED (protocols.md 4.5), reported by
        // https://developer.aliyun.com/ask/606066; `s invoke` reads x-fc-async-task-id back.
        record.status = 202;
        res.writeHead(202, {
          'x-fc-request-id': outcome.requestId,
          'x-fc-async-task-id': outcome.taskId,
          'content-length': '0',
        });
        res.end();
        return;
      case 'sync': {
        const { result } = outcome;
        record.status = 200;
        const responseHeaders: Record<string, string> = {
          // UNCONFIRMED content type; the SDK reads the body as binary either way.
          'content-type': 'application/octet-stream',
          'x-fc-request-id': result.requestId,
          'x-fc-invocation-duration': String(result.durationMs),
        };
        if (!result.ok) {
          // A function error still answers 2xx, flagged by X-Fc-Error-Type (FC Node.js
          // error-handling doc). UNCONFIRMED: a timeout is reported as UnhandledInvocationError
          // too; its message keeps "Function timed out after N seconds".
          responseHeaders['x-fc-error-type'] = 'UnhandledInvocationError';
        }
        if (outcome.logTail) {
          // UNCONFIRMED content: the start/end lines FC prints around each invocation.
          responseHeaders['x-fc-log-result'] = Buffer.from(
            `FC Invoke Start RequestId: ${result.requestId}\nFC Invoke End RequestId: ${result.requestId}\n`,
          ).toString('base64');
        }
        res.writeHead(200, responseHeaders);
        res.end(result.ok ? resultBody(result.value) : failureBody(result));
        return;
      }
    }
  }

  async #process(
    method: string,
    path: string,
    rawQuery: string,
    headers: Record<string, string>,
    body: Buffer,
    record: FcApiRequestRecord,
  ): Promise<Outcome> {
    const requestId = newRequestId();

    const verified = verifyAcs3(
      { method, path, rawQuery, headers, body },
      (id) => this.#credentials.get(id)?.accessKeySecret,
    );
    if (!verified.ok) {
      return verified.code === 'InvalidAccessKeyId.NotFound'
        ? error(
            403,
            'InvalidAccessKeyID',
            `invalid access key ID '${verified.accessKeyId ?? ''}'`,
            requestId,
          )
        : error(403, 'SignatureNotMatch', MSG.signature, requestId);
    }
    // STS keys must present their token, other keys none (the SDK sends x-acs-security-token
    // whenever Config has a securityToken, protocols.md 2.3).
    const credential = this.#credentials.get(verified.accessKeyId);
    if (credential?.securityToken !== headers['x-acs-security-token']) {
      return error(403, 'InvalidSecurityToken', MSG.token, requestId);
    }

    const fault = this.#takeFault();
    if (fault !== undefined && fault.afterAccept !== true) {
      switch (fault.kind) {
        case 'throttling':
          return error(429, 'ResourceExhausted', MSG.throttled, requestId);
        case 'internal-error':
          return error(500, 'InternalServerError', MSG.internal, requestId);
        case 'reset':
          return { kind: 'reset' };
        case 'hang':
          return { kind: 'hang' };
      }
    }
    const outcome = await this.#invoke(method, path, rawQuery, headers, body, record, requestId);
    if (fault !== undefined) {
      // The request took effect; only its answer is lost.
      return fault.kind === 'hang' ? { kind: 'hang' } : { kind: 'reset' };
    }
    return outcome;
  }

  async #invoke(
    method: string,
    path: string,
    rawQuery: string,
    headers: Record<string, string>,
    body: Buffer,
    record: FcApiRequestRecord,
    requestId: string,
  ): Promise<Outcome> {
    const match = INVOCATIONS_PATH.exec(path);
    let functionName: string | undefined;
    try {
      functionName = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
    } catch {
      functionName = undefined;
    }
    if (functionName !== undefined) record.functionName = functionName;
    if (method !== 'POST' || functionName === undefined) {
      return error(
        400,
        'PathNotSupported',
        `'${method}' against '${path}' is not supported`,
        requestId,
      );
    }
    if (!this.#functions.has(functionName)) {
      return error(
        404,
        'FunctionNotFound',
        `function '${functionName}' does not exist.`,
        requestId,
      );
    }

    const rawType = headers['x-fc-invocation-type'] ?? 'Sync';
    const invocationType = normaliseInvocationType(rawType);
    if (invocationType === undefined) {
      return invalidArgument(
        `invalid x-fc-invocation-type '${rawType}', expect Sync or Async`,
        requestId,
      );
    }
    // UNCONFIRMED validation: the SDK documents None and Tail.
    const logType = (headers['x-fc-log-type'] ?? 'None').toLowerCase();
    if (logType !== 'none' && logType !== 'tail') {
      return invalidArgument(
        `invalid x-fc-log-type '${headers['x-fc-log-type']}', expect None or Tail`,
        requestId,
      );
    }
    let qualifier: string | undefined;
    for (const [key, value] of parseWireQuery(rawQuery)) {
      if (key === 'qualifier' && value !== '') qualifier = value;
    }

    if (invocationType === 'Sync') {
      if (body.length > MAX_SYNC_PAYLOAD) return entityTooLarge(MAX_SYNC_PAYLOAD, requestId);
      const registration = this.#functions.get(functionName) as Registration;
      const result = await invokeFunction(registration.handler, body, registration.spec);
      return { kind: 'sync', result, logTail: logType === 'tail' };
    }

    const sentTaskId = headers['x-fc-async-task-id'];
    if (sentTaskId !== undefined && !TASK_ID.test(sentTaskId)) {
      return invalidArgument(
        `invalid x-fc-async-task-id '${sentTaskId}': use letters, digits, '_' and '-', start with a letter or '_', at most 128 characters`,
        requestId,
      );
    }
    const rawDelay = headers['x-fc-async-delay'];
    let delayS = 0;
    if (rawDelay !== undefined) {
      if (!/^\d+$/.test(rawDelay) || Number(rawDelay) > MAX_ASYNC_DELAY_S) {
        return invalidArgument(
          `invalid x-fc-async-delay '${rawDelay}': expect an integer number of seconds from 0 to ${MAX_ASYNC_DELAY_S}`,
          requestId,
        );
      }
      delayS = Number(rawDelay);
    }
    if (body.length > MAX_ASYNC_PAYLOAD) return entityTooLarge(MAX_ASYNC_PAYLOAD, requestId);
    // Without a task id, the task id is the request id (FC task-deduplication doc).
    const taskId = sentTaskId ?? requestId;
    if (this.#taskIds.has(taskId)) {
      // 409 per https://www.alibabacloud.com/help/en/fc/task-deduplication; the Code is not
      // published: AsyncTaskAlreadyExists is UNCONFIRMED.
      return error(
        409,
        'AsyncTaskAlreadyExists',
        `async task '${taskId}' already exists`,
        requestId,
      );
    }
    const acceptedAt = this.#clock();
    const task: AsyncTaskRecord = {
      taskId,
      functionName,
      ...(qualifier === undefined ? {} : { qualifier }),
      payload: Buffer.from(body),
      acceptedAt,
      runAt: acceptedAt + delayS * 1000,
      delayS,
      status: 'Enqueued',
      attempts: 0,
    };
    this.#tasks.push(task);
    this.#taskIds.set(taskId, task);
    this.#pending.add(task);
    record.taskId = taskId;
    return { kind: 'accepted', requestId, taskId };
  }
}
