/**
 * A local emulator of Alibaba Cloud DAS (Database Autonomy Service), API version 2020-01-16,
 * limited to the session-kill tasks. It speaks the wire format of the real service as the
 * official `@alicloud/openapi-client` uses it (RPC style, params in the query of an empty-body
 * POST, ACS3-HMAC-SHA256 signature, JSON answers) and verifies every signature.
 *
 * Sources: protocols.md section 1 (DAS) and 2 (signatures); seed/GetKillInstanceSessionTaskResult.txt
 * (field shapes). Where a source could not be found the choice is marked UNCONFIRMED.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerMap, type RunningServer, startServer } from '../http.js';
import { parseWireQuery, verifyAcs3 } from '../signing/acs3.js';
import { FAILED_REASONS, IGNORED_REASONS, SESSION_REASONS, type SessionSpec } from './sessions.js';

export { realisticSessions, SESSION_REASONS, type SessionSpec } from './sessions.js';

/** The only API version the emulator serves (protocols.md 1.1). */
export const DAS_API_VERSION = '2020-01-16';

/** `HostId` of error bodies: the product endpoint, as POP gateways answer (protocols.md 1.6). */
const HOST_ID = 'das.cn-shanghai.aliyuncs.com';

/** An AccessKey pair; with `securityToken` it is an STS triple. */
export interface DasCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** One static AccessKey pair and one STS triple (its id starts with `STS.`). Fake values. */
export const DEFAULT_DAS_CREDENTIALS: readonly DasCredential[] = Object.freeze([
  Object.freeze({
    accessKeyId: 'LTAI5tEmuDasStaticKey0001',
    accessKeySecret: 'EmuDasStaticSecret0000000000001',
  }),
  Object.freeze({
    accessKeyId: 'STS.NUEmuDasTemporaryKey0001',
    accessKeySecret: 'EmuDasStsSecret000000000000001',
    securityToken: 'CAISEmuDasSecurityToken+AbCdEf/0123456789==',
  }),
]);

export interface DasEmulatorOptions {
  /** Accepted credentials. @default DEFAULT_DAS_CREDENTIALS */
  credentials?: readonly DasCredential[];
  /** Milliseconds; drives task lifecycles and `calls[].at`. @default Date.now */
  clock?: () => number;
  /**
   * Tolerance of `x-acs-date` against real time (`Date.now()`, not `clock`). The V3 signature
   * doc says the value must be within 15 minutes of the request. @default 900000
   */
  maxClockSkewMs?: number;
}

/** How a task ends. `RUNNING` never finishes. */
export type TaskFate = 'SUCCESS' | 'FAILURE' | 'ERROR' | 'RUNNING';

/**
 * The scripted life of one kill task.
 *
 * It is `RUNNING` until `createdAt + durationMs`, then `finalState`. While it runs, the first
 * floor(fraction × n) sessions are processed, where fraction = elapsed / durationMs, frozen at
 * `stallAfterMs` when set. A `SUCCESS` task ends with every session processed; `FAILURE` and
 * `ERROR` end with the sessions processed by then (use `stallAfterMs` for a partial Result).
 */
export interface TaskScript {
  TaskId: string;
  InstanceId: string;
  /** PolarDB node; returned in answers only for `pc-` instances. */
  NodeId?: string;
  UserId?: string;
  sessions: readonly SessionSpec[];
  /**
   * Sessions spared that appear neither in `Sessions` nor in `Result` (Binlog Dump, O&M accounts
   * filtered before the task). Added to the processed rows whose Reason is SESSION_IGNORED_USER or
   * SESSION_INTERNAL_USER_OR_COMMAND to make `IgnoredUserSessionCount`. @default 0
   */
  ignoredUserSessionCount?: number;
  durationMs: number;
  finalState: TaskFate;
  /** Progress freezes after this many ms while still RUNNING. */
  stallAfterMs?: number;
  /** `clock()` ms at which the task started. @default clock() when defined */
  createdAt?: number;
}

/** What CreateKillInstanceSessionTask does on an instance. */
export interface InstanceProfile {
  InstanceId: string;
  /** PolarDB nodes; a `pc-` task without NodeId and with KillAllSessions=true fans out to each. */
  NodeIds?: readonly string[];
  UserId?: string;
  fate: Omit<TaskScript, 'TaskId' | 'InstanceId' | 'NodeId' | 'createdAt'>;
}

export type FaultKind =
  | 'html-502'
  | 'throttling'
  | 'invalid-params'
  | 'no-permission'
  | 'internal-error'
  | 'service-unavailable'
  | 'success-false'
  | 'hang'
  | 'reset';

/** A failure served instead of the answer to the next matching authenticated request(s). */
export interface FaultSpec {
  kind: FaultKind;
  /** Only requests for this action. */
  action?: string;
  /** Only requests whose `TaskId` parameter is this. */
  taskId?: string;
  /** @default 1 */
  times?: number;
}

/** One request the emulator received. */
export interface DasCall {
  action: string;
  /** Decoded query parameters; `DbUserPassword` is always `***`. */
  params: Record<string, string>;
  /** True when the request passed authentication (signature, key, token, date, nonce). */
  accepted: boolean;
  /** HTTP status answered; 0 for a request that was hung or reset. */
  status: number;
  /** Error `Code` of the answer, for errors and `Success:false` answers. */
  code?: string;
  /** `clock()` when it arrived. */
  at: number;
}

const FAULT_KINDS: ReadonlySet<string> = new Set<FaultKind>([
  'html-502',
  'throttling',
  'invalid-params',
  'no-permission',
  'internal-error',
  'service-unavailable',
  'success-false',
  'hang',
  'reset',
]);
const FATES: ReadonlySet<string> = new Set<TaskFate>(['SUCCESS', 'FAILURE', 'ERROR', 'RUNNING']);
const OPTION_KEYS: ReadonlySet<string> = new Set(['credentials', 'clock', 'maxClockSkewMs']);

const ACTION_GET_RESULT = 'GetKillInstanceSessionTaskResult';
const ACTION_CREATE = 'CreateKillInstanceSessionTask';
const ACTION_CREATE_MAINTAIN = 'CreateKillInstanceSessionTaskWithMaintainUser';
const ACTIONS: ReadonlySet<string> = new Set([
  ACTION_GET_RESULT,
  ACTION_CREATE,
  ACTION_CREATE_MAINTAIN,
]);

const SECRET_PARAMS: ReadonlySet<string> = new Set(['DbUserPassword']);

// Error texts. Sources: protocols.md 1.6 (Throttling.User, InternalError, ServiceUnavailable);
// seed doc error table (InvalidParams, NoPermission); an Alibaba common-error table (faascmd
// doc, found by exact-string search) for InvalidAccessKeyId.NotFound 404 and the
// InvalidSecurityToken.* family, all 400; a captured POP answer for InvalidTimeStamp.Expired
// (https://developer.aliyun.com/ask/11111; status 400 per https://developer.aliyun.com/ask/468189);
// SignatureNonceUsed 400 (a public common-error table, exact-string search); InvalidAction.NotFound
// 404 (public test fixture of a captured gateway answer, exact-string search).
const MSG = {
  invalidParams: 'The request parameters are invalid.',
  noPermission: 'You are not authorized to do this action.',
  throttling: 'Request was denied due to user flow control.',
  internalError: 'The request processing has failed due to some unknown error.',
  serviceUnavailable: 'The request has failed due to a temporary failure of the server.',
  actionNotFound: 'Specified api is not found, please check your url and method.',
  timestampExpired: 'Specified time stamp or date value is expired.',
  timestampFormat: 'Specified time stamp or date value is not well formatted.',
  nonceUsed: 'Specified signature nonce was used already.',
  tokenMismatch: 'Specified SecurityToken mismatch with the AccessKey.',
  tokenMalformed: 'Specified SecurityToken is malformed.',
} as const;

/** The body of the 502 page a Tengine front end answers (content-type text/html). */
const HTML_502 =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html>\n<head><title>502 Bad Gateway</title></head>\n' +
  '<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>Tengine</center>\n</body>\n</html>\n';

type Outcome =
  | { kind: 'json'; status: number; body: unknown; code?: string }
  | { kind: 'html'; status: number; body: string }
  | { kind: 'hang' }
  | { kind: 'reset' };

interface TaskRecord {
  readonly script: TaskScript & { createdAt: number };
  /** Subtask id (`task_<uuid>`) per session, stable across answers. */
  readonly subtaskIds: readonly string[];
}

interface PendingFault {
  readonly spec: FaultSpec;
  remaining: number;
}

class ParamsError extends Error {
  override readonly name = 'ParamsError';
}

function isPolarDb(instanceId: string): boolean {
  return instanceId.startsWith('pc-');
}

function requestId(): string {
  return randomUUID().toUpperCase();
}

function redact(params: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params))
    out[key] = SECRET_PARAMS.has(key) ? '***' : value;
  return out;
}

function errorOutcome(status: number, code: string, message: string): Outcome {
  const id = requestId();
  return {
    kind: 'json',
    status,
    code,
    // POP error envelope (protocols.md 1.6); Recommend as current gateways add it.
    body: {
      RequestId: id,
      HostId: HOST_ID,
      Code: code,
      Message: message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=DAS&requestId=${id}`,
    },
  };
}

function successOutcome(data: unknown): Outcome {
  // Code is a NUMBER in the kill-task models (protocols.md 1.2, Gotcha 8).
  return {
    kind: 'json',
    status: 200,
    body: { Code: 200, Message: 'Successful', Data: data, RequestId: requestId(), Success: true },
  };
}

function faultOutcome(kind: FaultKind): Outcome {
  switch (kind) {
    case 'html-502':
      return { kind: 'html', status: 502, body: HTML_502 };
    case 'throttling':
      // HTTP status of throttling is UNCONFIRMED (protocols.md 1.6); POP commonly answers 400.
      return errorOutcome(400, 'Throttling.User', MSG.throttling);
    case 'invalid-params':
      return errorOutcome(400, 'InvalidParams', MSG.invalidParams);
    case 'no-permission':
      return errorOutcome(403, 'NoPermission', MSG.noPermission);
    case 'internal-error':
      return errorOutcome(500, 'InternalError', MSG.internalError);
    case 'service-unavailable':
      return errorOutcome(503, 'ServiceUnavailable', MSG.serviceUnavailable);
    case 'success-false':
      // UNCONFIRMED path: a business failure as HTTP 200 with Success:false (protocols.md 1.6).
      return {
        kind: 'json',
        status: 200,
        code: 'InvalidParams',
        body: {
          Success: false,
          Code: 'InvalidParams',
          Message: MSG.invalidParams,
          RequestId: requestId(),
        },
      };
    case 'hang':
      return { kind: 'hang' };
    case 'reset':
      return { kind: 'reset' };
  }
}

/** A parameter's value; an empty string counts as absent. */
function optional(params: Readonly<Record<string, string>>, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '')
    throw new ParamsError(`${name} is mandatory for this action.`);
  return value;
}

/** Parses a JSON array string; accepts the single-quoted form of the older doc (protocols.md 1.2). */
function jsonArray(name: string, text: string): unknown[] {
  for (const candidate of [text, text.replace(/'/g, '"')]) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (Array.isArray(value)) return value;
    } catch {
      // try the next form
    }
  }
  throw new ParamsError(`${name} must be a JSON array.`);
}

function validateScript(script: TaskScript, where: string): void {
  if (typeof script.durationMs !== 'number' || !(script.durationMs >= 0)) {
    throw new TypeError(`${where}.durationMs must be a number >= 0`);
  }
  if (!FATES.has(script.finalState)) {
    throw new TypeError(`${where}.finalState must be one of ${[...FATES].join(', ')}`);
  }
  if (script.stallAfterMs !== undefined && !(script.stallAfterMs >= 0)) {
    throw new TypeError(`${where}.stallAfterMs must be a number >= 0`);
  }
  if (
    script.ignoredUserSessionCount !== undefined &&
    !(Number.isInteger(script.ignoredUserSessionCount) && script.ignoredUserSessionCount >= 0)
  ) {
    throw new TypeError(`${where}.ignoredUserSessionCount must be an integer >= 0`);
  }
  const reasons: ReadonlySet<string> = new Set(SESSION_REASONS);
  for (const session of script.sessions) {
    if (!reasons.has(session.Reason)) {
      throw new TypeError(
        `${where}.sessions: session ${session.Id} has unknown Reason "${session.Reason}"`,
      );
    }
  }
}

/**
 * The DAS emulator. Start it with `DasEmulator.start()`, point an openapi-client `Config` at
 * `endpoint` with protocol `http`, script tasks with `defineTask`/`defineInstance`, inject
 * failures with `fault`, and `close()` it.
 *
 * @example
 * const das = await DasEmulator.start({ clock: () => now });
 * das.defineTask({ TaskId: 't1', InstanceId: 'rm-1', sessions: realisticSessions(20, { seed: 1 }),
 *   durationMs: 60_000, finalState: 'SUCCESS' });
 * const client = new OpenApi.default(new OpenApi.Config({ endpoint: das.endpoint, protocol: 'http',
 *   regionId: 'cn-shanghai', ...DEFAULT_DAS_CREDENTIALS[0] }));
 */
export class DasEmulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, what openapi-client `Config.endpoint` takes (with protocol `http`). */
  readonly endpoint: string;

  readonly #server: RunningServer;
  readonly #clock: () => number;
  readonly #maxSkewMs: number;
  readonly #credentials: ReadonlyMap<string, DasCredential>;
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #instances = new Map<string, InstanceProfile>();
  readonly #faults: PendingFault[] = [];
  readonly #calls: DasCall[] = [];
  /** nonce → Date.now() of first use, pruned after twice the skew window. */
  readonly #nonces = new Map<string, number>();

  private constructor(
    server: RunningServer,
    clock: () => number,
    maxSkewMs: number,
    credentials: ReadonlyMap<string, DasCredential>,
  ) {
    this.#server = server;
    this.url = server.url;
    this.endpoint = server.url.replace(/^http:\/\//, '');
    this.#clock = clock;
    this.#maxSkewMs = maxSkewMs;
    this.#credentials = credentials;
  }

  /**
   * Starts an emulator on a free loopback port.
   * @throws TypeError on an unknown option key or an invalid option value.
   */
  static async start(options: DasEmulatorOptions = {}): Promise<DasEmulator> {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw new TypeError(`DasEmulator.start: unknown option "${key}"`);
    }
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') {
      throw new TypeError('DasEmulator.start: options.clock must be a function');
    }
    const maxSkewMs = options.maxClockSkewMs ?? 15 * 60_000;
    if (!(typeof maxSkewMs === 'number' && maxSkewMs >= 0)) {
      throw new TypeError('DasEmulator.start: options.maxClockSkewMs must be a number >= 0');
    }
    const credentials = new Map<string, DasCredential>();
    for (const credential of options.credentials ?? DEFAULT_DAS_CREDENTIALS) {
      if (!credential.accessKeyId || !credential.accessKeySecret) {
        throw new TypeError(
          'DasEmulator.start: options.credentials: accessKeyId and accessKeySecret are required',
        );
      }
      if (credentials.has(credential.accessKeyId)) {
        throw new TypeError(
          `DasEmulator.start: options.credentials: duplicate accessKeyId ${credential.accessKeyId}`,
        );
      }
      credentials.set(credential.accessKeyId, { ...credential });
    }
    let handle: ((req: IncomingMessage, body: Buffer, res: ServerResponse) => void) | undefined;
    const server = await startServer((req, body, res) => handle?.(req, body, res));
    const emulator = new DasEmulator(server, clock, maxSkewMs, credentials);
    handle = (req, body, res) => emulator.#handle(req, body, res);
    return emulator;
  }

  /** Every request received, in order. `DbUserPassword` is never recorded (it reads `***`). */
  get calls(): ReadonlyArray<DasCall> {
    return this.#calls;
  }

  /** Accepted (authenticated) GetKillInstanceSessionTaskResult calls for `taskId`, faults included. */
  checksOf(taskId: string): number {
    return this.#calls.filter(
      (call) =>
        call.accepted &&
        call.action === ACTION_GET_RESULT &&
        optional(call.params, 'TaskId') === taskId,
    ).length;
  }

  /**
   * Scripts a task that GetKillInstanceSessionTaskResult then reports. Defining an existing
   * TaskId replaces it.
   * @throws TypeError on an invalid script.
   */
  defineTask(script: TaskScript): void {
    if (!script.TaskId) throw new TypeError('defineTask: TaskId is required');
    if (!script.InstanceId) throw new TypeError('defineTask: InstanceId is required');
    validateScript(script, 'defineTask');
    const copy: TaskScript & { createdAt: number } = {
      ...script,
      sessions: script.sessions.map((session) => ({ ...session })),
      createdAt: script.createdAt ?? this.#clock(),
    };
    this.#tasks.set(script.TaskId, {
      script: copy,
      subtaskIds: copy.sessions.map(() => `task_${randomUUID()}`),
    });
  }

  /**
   * Scripts what CreateKillInstanceSessionTask does on an instance; without a profile the
   * action answers InvalidParams.
   * @throws TypeError on an invalid profile.
   */
  defineInstance(profile: InstanceProfile): void {
    if (!profile.InstanceId) throw new TypeError('defineInstance: InstanceId is required');
    validateScript(
      { ...profile.fate, TaskId: 'x', InstanceId: profile.InstanceId },
      'defineInstance.fate',
    );
    this.#instances.set(profile.InstanceId, {
      ...profile,
      fate: { ...profile.fate, sessions: profile.fate.sessions.map((session) => ({ ...session })) },
    });
  }

  /**
   * Queues a fault. Faults are matched in the order they were queued against each authenticated
   * request (filtered by `action` and `taskId`); each serves `times` requests.
   * @throws TypeError on an unknown kind or a bad `times`.
   */
  fault(spec: FaultSpec): void {
    if (!FAULT_KINDS.has(spec.kind)) throw new TypeError(`fault: unknown kind "${spec.kind}"`);
    const times = spec.times ?? 1;
    if (!(Number.isInteger(times) && times >= 1))
      throw new TypeError('fault: times must be an integer >= 1');
    this.#faults.push({ spec: { ...spec }, remaining: times });
  }

  /** Stops listening and destroys every socket, which also releases hung requests. */
  close(): Promise<void> {
    return this.#server.close();
  }

  #handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const headers = headerMap(req);
    const params: Record<string, string> = {};
    for (const [key, value] of parseWireQuery(rawQuery)) params[key] = value;
    const action = headers['x-acs-action'] ?? '';
    const call: DasCall = {
      action,
      params: redact(params),
      accepted: false,
      status: 0,
      at: this.#clock(),
    };
    this.#calls.push(call);

    const outcome = this.#process({
      method: req.method ?? 'GET',
      path,
      rawQuery,
      headers,
      body,
      params,
      call,
    });
    switch (outcome.kind) {
      case 'hang':
        // Never answered; close() destroys the socket.
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'html':
        call.status = outcome.status;
        res.writeHead(outcome.status, { 'content-type': 'text/html' });
        res.end(outcome.body);
        return;
      case 'json': {
        call.status = outcome.status;
        if (outcome.code !== undefined) call.code = outcome.code;
        const text = JSON.stringify(outcome.body);
        const id = (outcome.body as { RequestId?: unknown }).RequestId;
        res.writeHead(outcome.status, {
          'content-type': 'application/json;charset=utf-8',
          ...(typeof id === 'string' ? { 'x-acs-request-id': id } : {}),
        });
        res.end(text);
        return;
      }
    }
  }

  #process(req: {
    method: string;
    path: string;
    rawQuery: string;
    headers: Record<string, string>;
    body: Buffer;
    params: Record<string, string>;
    call: DasCall;
  }): Outcome {
    const { headers, params } = req;
    const version = headers['x-acs-version'];
    if (version !== DAS_API_VERSION) {
      return errorOutcome(400, 'InvalidVersion', `Specified parameter Version is not valid.`);
    }
    const action = headers['x-acs-action'] ?? '';
    if (!ACTIONS.has(action) || req.path !== '/') {
      return errorOutcome(404, 'InvalidAction.NotFound', MSG.actionNotFound);
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      // RPC APIs accept GET and POST; the SDK sends POST (protocols.md 1.1).
      return errorOutcome(
        400,
        'UnsupportedHTTPMethod',
        `Specified HTTP method ${req.method} is not supported.`,
      );
    }

    const date = headers['x-acs-date'];
    if (date === undefined) {
      return errorOutcome(
        400,
        'MissingParameter',
        'The input parameter "x-acs-date" that is mandatory for processing this request is not supplied.',
      );
    }
    // ISO 8601 UTC without milliseconds (protocols.md 2.2).
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(date) || Number.isNaN(Date.parse(date))) {
      return errorOutcome(400, 'InvalidTimeStamp.Format', MSG.timestampFormat);
    }
    if (Math.abs(Date.now() - Date.parse(date)) > this.#maxSkewMs) {
      return errorOutcome(400, 'InvalidTimeStamp.Expired', MSG.timestampExpired);
    }
    const nonce = headers['x-acs-signature-nonce'];
    if (nonce === undefined || nonce === '') {
      return errorOutcome(
        400,
        'MissingParameter',
        'The input parameter "x-acs-signature-nonce" that is mandatory for processing this request is not supplied.',
      );
    }

    const verified = verifyAcs3(req, (id) => this.#credentials.get(id)?.accessKeySecret);
    if (!verified.ok) return errorOutcome(verified.status, verified.code, verified.message);

    const tokenFailure = this.#checkToken(verified.accessKeyId, headers);
    if (tokenFailure !== undefined) return tokenFailure;

    // The nonce is spent only by a genuine request, so a forged one cannot burn it.
    const now = Date.now();
    for (const [used, at] of this.#nonces) {
      if (now - at <= 2 * this.#maxSkewMs) break;
      this.#nonces.delete(used);
    }
    if (this.#nonces.has(nonce)) return errorOutcome(400, 'SignatureNonceUsed', MSG.nonceUsed);
    this.#nonces.set(nonce, now);

    req.call.accepted = true;
    const fault = this.#takeFault(action, optional(params, 'TaskId'));
    if (fault !== undefined) return faultOutcome(fault);

    try {
      switch (action) {
        case ACTION_GET_RESULT:
          return successOutcome(this.#getResult(params));
        default:
          return successOutcome(this.#create(params, action === ACTION_CREATE));
      }
    } catch (error) {
      if (error instanceof ParamsError) {
        return errorOutcome(400, 'InvalidParams', `${MSG.invalidParams} ${error.message}`);
      }
      throw error;
    }
  }

  /**
   * STS rules (protocols.md 2.3: the SDK sends x-acs-accesskey-id and x-acs-security-token with
   * STS credentials). Codes from the public-error list of the POP gateway (a HashiCorp
   * `package alicloud` constants file citing https://error-center.alibabacloud.com/status/product/Public,
   * and a Go list citing https://help.aliyun.com/document_detail/53438.html, both found by
   * exact-string search); 400 and messages from the faascmd doc table. Which of Malformed and
   * MismatchWithAccessKey a real gateway picks for a foreign token, and MissingSecurityToken's
   * status and message, are UNCONFIRMED.
   */
  #checkToken(accessKeyId: string, headers: Readonly<Record<string, string>>): Outcome | undefined {
    const credential = this.#credentials.get(accessKeyId);
    const token = headers['x-acs-security-token'];
    const tokenFailure = (presented: string): Outcome => {
      const owner = [...this.#credentials.values()].find((c) => c.securityToken === presented);
      return owner === undefined
        ? errorOutcome(400, 'InvalidSecurityToken.Malformed', MSG.tokenMalformed)
        : errorOutcome(400, 'InvalidSecurityToken.MismatchWithAccessKey', MSG.tokenMismatch);
    };
    if (credential?.securityToken !== undefined) {
      if (token === undefined || token === '') {
        return errorOutcome(
          400,
          'MissingSecurityToken',
          'SecurityToken is mandatory for this AccessKey.',
        );
      }
      if (token !== credential.securityToken) return tokenFailure(token);
      if (headers['x-acs-accesskey-id'] !== accessKeyId) {
        return errorOutcome(400, 'InvalidSecurityToken.MismatchWithAccessKey', MSG.tokenMismatch);
      }
      return undefined;
    }
    if (token !== undefined) return tokenFailure(token);
    return undefined;
  }

  #takeFault(action: string, taskId: string | undefined): FaultKind | undefined {
    const index = this.#faults.findIndex(
      (fault) =>
        (fault.spec.action === undefined || fault.spec.action === action) &&
        (fault.spec.taskId === undefined || fault.spec.taskId === taskId),
    );
    const fault = this.#faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault.spec.kind;
  }

  #getResult(params: Readonly<Record<string, string>>): unknown {
    const instanceId = required(params, 'InstanceId');
    const taskId = required(params, 'TaskId');
    const polar = isPolarDb(instanceId);
    // The doc: NodeId "must" be given for PolarDB for MySQL clusters (seed doc).
    const nodeId = polar ? required(params, 'NodeId') : optional(params, 'NodeId');
    const task = this.#tasks.get(taskId);
    if (task === undefined || task.script.InstanceId !== instanceId) {
      throw new ParamsError(`TaskId ${taskId} does not exist on instance ${instanceId}.`);
    }
    if (polar && task.script.NodeId !== undefined && task.script.NodeId !== nodeId) {
      throw new ParamsError(`TaskId ${taskId} does not exist on node ${nodeId}.`);
    }
    return this.#snapshot(task, this.#clock());
  }

  #snapshot(task: TaskRecord, now: number): unknown {
    const { script, subtaskIds } = task;
    const total = script.sessions.length;
    const elapsed = Math.max(0, now - script.createdAt);
    const finished = script.finalState !== 'RUNNING' && elapsed >= script.durationMs;
    const progressAt = Math.min(
      elapsed,
      script.durationMs,
      script.stallAfterMs ?? Number.POSITIVE_INFINITY,
    );
    let processed =
      script.durationMs > 0 ? Math.floor((progressAt / script.durationMs) * total) : total;
    if (finished && script.finalState === 'SUCCESS') processed = total;

    const rows = script.sessions.slice(0, processed);
    const killed = rows.filter((row) => row.Reason === 'SESSION_KILLED').length;
    const failed = rows.filter((row) => FAILED_REASONS.has(row.Reason)).length;
    const ignored =
      (script.ignoredUserSessionCount ?? 0) +
      rows.filter((row) => IGNORED_REASONS.has(row.Reason)).length;

    // Field order as the seed doc's example answer.
    return {
      TaskId: script.TaskId,
      UserId: script.UserId ?? '1648821913960321',
      InstanceId: script.InstanceId,
      ...(isPolarDb(script.InstanceId) && script.NodeId !== undefined
        ? { NodeId: script.NodeId }
        : {}),
      TaskState: finished ? script.finalState : 'RUNNING',
      Sessions: script.sessions.map((session) => session.Id),
      KillSuccessCount: killed,
      KillFailCount: failed,
      IgnoredUserSessionCount: ignored,
      Result: rows.map((row, index) => ({
        Id: row.Id,
        User: row.User,
        Host: row.Host,
        Db: row.Db,
        Command: row.Command,
        Time: row.Time,
        State: row.State,
        Info: row.Info,
        Active: row.Active,
        TaskId: subtaskIds[index],
        Reason: row.Reason,
      })),
    };
  }

  /**
   * CreateKillInstanceSessionTask (and …WithMaintainUser, which has no DbUser/DbUserPassword):
   * params per protocols.md 1.2/1.3. The password is checked for presence and then forgotten.
   */
  #create(params: Readonly<Record<string, string>>, withDbUser: boolean): string {
    const instanceId = required(params, 'InstanceId');
    if (withDbUser) {
      required(params, 'DbUser');
      required(params, 'DbUserPassword');
    }
    const killAll = required(params, 'KillAllSessions');
    if (killAll !== 'true' && killAll !== 'false') {
      throw new ParamsError('KillAllSessions must be true or false.');
    }
    const profile = this.#instances.get(instanceId);
    if (profile === undefined) throw new ParamsError(`Instance ${instanceId} is not found.`);

    const ignoredText = optional(params, 'IgnoredUsers');
    const ignoredUsers = new Set(
      ignoredText === undefined ? [] : jsonArray('IgnoredUsers', ignoredText).map(String),
    );
    let sessions: SessionSpec[];
    if (killAll === 'true') {
      sessions = profile.fate.sessions.map((session) =>
        ignoredUsers.has(session.User)
          ? { ...session, Reason: 'SESSION_IGNORED_USER' }
          : { ...session },
      );
    } else {
      const raw = optional(params, 'SessionIds');
      if (raw === undefined)
        throw new ParamsError('SessionIds is mandatory when KillAllSessions is false.');
      const ids = new Set(jsonArray('SessionIds', raw).map(Number));
      sessions = profile.fate.sessions
        .filter((session) => ids.has(session.Id))
        .map((s) => ({ ...s }));
    }

    let nodeIds: Array<string | undefined> = [optional(params, 'NodeId')];
    const fanOut = isPolarDb(instanceId) && nodeIds[0] === undefined;
    if (fanOut) {
      // Doc: PolarDB with NodeId empty and KillAllSessions=true walks all nodes and returns a list
      // of task ids; the list's encoding in the string Data is UNCONFIRMED (a JSON array here).
      if (killAll !== 'true') throw new ParamsError('NodeId is mandatory for a PolarDB cluster.');
      if (!profile.NodeIds || profile.NodeIds.length === 0) {
        throw new ParamsError(`Cluster ${instanceId} has no node.`);
      }
      nodeIds = [...profile.NodeIds];
    } else if (
      nodeIds[0] !== undefined &&
      profile.NodeIds !== undefined &&
      !profile.NodeIds.includes(nodeIds[0])
    ) {
      throw new ParamsError(`NodeId ${nodeIds[0]} is not a node of ${instanceId}.`);
    }

    const taskIds = nodeIds.map((nodeId) => {
      const taskId = randomBytes(16).toString('hex');
      const userId = profile.UserId ?? profile.fate.UserId;
      this.defineTask({
        ...profile.fate,
        sessions,
        TaskId: taskId,
        InstanceId: instanceId,
        ...(nodeId !== undefined ? { NodeId: nodeId } : {}),
        ...(userId !== undefined ? { UserId: userId } : {}),
        createdAt: this.#clock(),
      });
      return taskId;
    });
    return fanOut ? JSON.stringify(taskIds) : (taskIds[0] as string);
  }
}
