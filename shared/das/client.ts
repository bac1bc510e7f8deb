/**
 * DAS adapter: `GetKillInstanceSessionTaskResult` (version 2020-01-16) through
 * `@alicloud/openapi-client` `callApi`, with every failure turned into a typed error (SPEC 5.1).
 *
 * Wire facts (protocols.md 1.1, 2.1-2.3): RPC style, `POST /`, parameters in the query, no body,
 * ACS3-HMAC-SHA256 signature (the default `callApi` path), region cn-shanghai whatever region the
 * function runs in (every DAS API page). Parameters as in the SDK's generated client
 * (aliyun/alibabacloud-typescript-sdk `das-20200116/src/client.ts`, getKillInstanceSessionTaskResultWithOptions).
 */
import OpenApiModule, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import { RuntimeOptions } from '@alicloud/tea-util';
import type { Endpoint } from '../config/index.js';
import type { Credentials } from '../credentials.js';
import { DasRejectedError, DasUnavailableError, type TrackerError } from '../errors.js';
import { cjsDefault } from '../interop.js';
import type { TrackRequest } from '../track/request.js';
import { type KillTaskResult, parseKillTaskResult } from './result.js';

export interface DasApi {
  /** @throws DasUnavailableError (retryable) or DasRejectedError (not retryable); nothing else. */
  getKillTaskResult(
    request: TrackRequest,
    credentials: Credentials,
    timeoutMs?: number,
  ): Promise<KillTaskResult>;
}

export const DAS_VERSION = '2020-01-16';
export const DAS_REGION = 'cn-shanghai';
const ACTION = 'GetKillInstanceSessionTaskResult';

/**
 * Codes that mean "try again later", whatever the HTTP status (SPEC 5.1; protocols.md 1.6: the
 * POP convention returns throttling as 400, so status alone would misclassify it).
 */
const TRANSIENT_CODES = new Set(['ServiceUnavailable', 'InternalError', 'InternalFailure']);
const isTransientCode = (code: string): boolean =>
  code === 'Throttling' || code.startsWith('Throttling.') || TRANSIENT_CODES.has(code);

/** Transport failures of Node's http stack and of tea's request layer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function field(value: unknown, ...names: string[]): string | undefined {
  if (!isObject(value)) return undefined;
  for (const name of names) {
    const v = value[name];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

/**
 * Maps whatever `callApi` threw to a typed error. openapi-client 0.4.x throws a tea error with
 * `code` and `data.statusCode` for a 4xx/5xx JSON (or text/xml;charset=utf-8) body, a bare
 * `SyntaxError` with no `code` for a non-JSON body such as an HTML 502, and Node/tea errors for
 * the network (protocols.md 2.3, gotchas 5-7). It never retries by itself.
 */
export function classifyDasError(thrown: unknown): TrackerError {
  if (thrown instanceof SyntaxError) {
    return new DasUnavailableError(
      'DAS answered with a body that is not JSON',
      { code: 'InvalidResponse' },
      {
        cause: thrown,
      },
    );
  }
  const data = isObject(thrown) ? thrown.data : undefined;
  const status =
    isObject(data) && typeof data.statusCode === 'number' ? data.statusCode : undefined;
  const code = field(thrown, 'code');
  const requestId = field(data, 'RequestId', 'requestId');
  const serviceMessage = field(data, 'Message', 'message');
  if (status !== undefined) {
    const message = serviceMessage ?? `HTTP ${status}`;
    const details = { code: code ?? `HTTP${status}`, status, requestId };
    if ((code !== undefined && isTransientCode(code)) || status >= 500 || status === 408) {
      return new DasUnavailableError(message, details, { cause: thrown });
    }
    return new DasRejectedError(message, details, { cause: thrown });
  }
  const name = isObject(thrown) && typeof thrown.name === 'string' ? thrown.name : 'Error';
  if ((code !== undefined && NETWORK_CODES.has(code)) || /timeout/i.test(name)) {
    return new DasUnavailableError(
      `network error talking to DAS (${code ?? name})`,
      { code: code ?? name },
      {
        cause: thrown,
      },
    );
  }
  // Anything else (an unexpected SDK failure): retried until the deadline rather than declaring
  // the task INVALID, which would be a false statement about the task. Logged with its cause.
  return new DasUnavailableError(
    `unexpected failure calling DAS (${name})`,
    { code: 'UnexpectedError' },
    {
      cause: thrown,
    },
  );
}

/** Classifies an HTTP 2xx answer with `Success: false` (protocols.md 1.6: both paths exist). */
function businessFailure(body: Json): TrackerError {
  const code = field(body, 'Code') ?? 'UnknownError';
  const message = field(body, 'Message') ?? 'DAS reported Success: false';
  const requestId = field(body, 'RequestId');
  const numeric = Number(code);
  const details = { code, requestId };
  if (isTransientCode(code) || (Number.isInteger(numeric) && numeric >= 500)) {
    return new DasUnavailableError(message, details);
  }
  return new DasRejectedError(message, details);
}

const OpenApiClient = cjsDefault<typeof OpenApiModule.default>(OpenApiModule);
type OpenApiClient = InstanceType<typeof OpenApiModule.default>;

/**
 * How the generated DAS SDK calls every kill-task action (aliyun/alibabacloud-typescript-sdk
 * `das-20200116/src/client.ts`): RPC, `POST /`, parameters in the query, JSON answer. The config's
 * protocol (https by default, http for the emulator) overrides `protocol` here.
 */
export function dasRpcParams(action: string, version = DAS_VERSION): Params {
  return new Params({
    action,
    version,
    protocol: 'HTTPS',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
}

export interface OpenApiDasOptions {
  readonly endpoint: Endpoint;
  readonly timeoutMs: number;
  /** Test seam: builds the openapi-client for a set of credentials. */
  readonly createClient?: (config: Config) => OpenApiClient;
}

/**
 * The production `DasApi`. One openapi-client per set of credentials, kept while the credentials
 * stay the same (FC hands every invocation the function role's current STS credentials).
 */
export class OpenApiDas implements DasApi {
  readonly #options: OpenApiDasOptions;
  #cached: { key: string; client: OpenApiClient } | undefined;

  constructor(options: OpenApiDasOptions) {
    this.#options = options;
  }

  #client(credentials: Credentials): OpenApiClient {
    // The whole credential is the key: a rotated secret must never reuse a client signed with the old one.
    const key = `${credentials.accessKeyId}\u0000${credentials.accessKeySecret}\u0000${credentials.securityToken ?? ''}`;
    if (this.#cached?.key === key) return this.#cached.client;
    const config = new Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      endpoint: this.#options.endpoint.host,
      protocol: this.#options.endpoint.protocol,
      regionId: DAS_REGION,
    });
    if (credentials.securityToken !== undefined) config.securityToken = credentials.securityToken;
    const client = this.#options.createClient?.(config) ?? new OpenApiClient(config);
    this.#cached = { key, client };
    return client;
  }

  async getKillTaskResult(
    request: TrackRequest,
    credentials: Credentials,
    timeoutMs = this.#options.timeoutMs,
  ): Promise<KillTaskResult> {
    const query: Record<string, string> = {
      InstanceId: request.InstanceId,
      TaskId: request.TaskId,
    };
    if (request.NodeId !== undefined) query.NodeId = request.NodeId;
    const params = dasRpcParams(ACTION);
    const runtime = new RuntimeOptions({
      readTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 5000),
      autoretry: false,
    });
    let response: { [key: string]: unknown };
    try {
      response = await this.#client(credentials).callApi(
        params,
        new OpenApiRequest({ query }),
        runtime,
      );
    } catch (thrown) {
      throw classifyDasError(thrown);
    }
    const body = response.body;
    if (!isObject(body)) {
      throw new DasUnavailableError('DAS answered without a JSON object', {
        code: 'InvalidResponse',
      });
    }
    if (body.Success === false || body.Success === 'false') throw businessFailure(body);
    const result = parseKillTaskResult(body.Data, field(body, 'RequestId'));
    if (result === undefined) {
      throw new DasUnavailableError('DAS answered without Data.TaskState', {
        code: 'InvalidResponse',
        requestId: field(body, 'RequestId'),
      });
    }
    return result;
  }
}
