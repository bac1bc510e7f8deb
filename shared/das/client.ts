/**
 * DAS adapter: `GetKillInstanceSessionTaskResult` (version 2020-01-16) through
 * `@alicloud/openapi-client` `callApi`, with every failure turned into a typed error (SPEC 5.1).
 *
 * Wire facts (protocols.md 1.1, 2.1-2.3): RPC style, `POST /`, parameters in the query, no body,
 * ACS3-HMAC-SHA256 signature (the default `callApi` path), region cn-shanghai whatever region the
 * function runs in (every DAS API page). Parameters as in the SDK's generated client
 * (aliyun/alibabacloud-typescript-sdk `das-20200116/src/client.ts`, getKillInstanceSessionTaskResultWithOptions).
 */
import type { Config, Params } from '@alicloud/openapi-client';
import type { Endpoint } from '../config/index.js';
import type { Credentials } from '../credentials.js';
import { DasRejectedError, DasUnavailableError, type TrackerError } from '../errors.js';
import {
  classifyOpenApiError,
  field,
  type OpenApiClient,
  OpenApiClients,
  type OpenApiSdk,
  openApiSdk,
} from '../openapi.js';
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

const DAS_ERRORS = {
  service: 'DAS',
  transient: DasUnavailableError,
  permanent: DasRejectedError,
  isTransientCode,
};

/** Maps whatever `callApi` threw to DasUnavailableError or DasRejectedError (SPEC 5.1). */
export function classifyDasError(thrown: unknown): TrackerError {
  return classifyOpenApiError(thrown, DAS_ERRORS);
}

/** Classifies an HTTP 2xx answer with `Success: false` (protocols.md 1.6: both paths exist). */
function businessFailure(body: Record<string, unknown>): TrackerError {
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

/**
 * How the generated DAS SDK calls every kill-task action (aliyun/alibabacloud-typescript-sdk
 * `das-20200116/src/client.ts`): RPC, `POST /`, parameters in the query, JSON answer. The config's
 * protocol (https by default, http for the emulator) overrides `protocol` here.
 */
export function dasRpcParams(sdk: OpenApiSdk, action: string, version = DAS_VERSION): Params {
  return new sdk.Params({
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
  /** Test seam: builds the openapi-client for a config. */
  readonly createClient?: (config: Config) => OpenApiClient;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The production `DasApi`. */
export class OpenApiDas implements DasApi {
  readonly #endpoint: Endpoint;
  readonly #timeoutMs: number;
  readonly #clients: OpenApiClients;

  constructor(options: OpenApiDasOptions) {
    this.#endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs;
    this.#clients = new OpenApiClients(DAS_REGION, options.createClient);
  }

  async getKillTaskResult(
    request: TrackRequest,
    credentials: Credentials,
    timeoutMs = this.#timeoutMs,
  ): Promise<KillTaskResult> {
    const query: Record<string, string> = {
      InstanceId: request.InstanceId,
      TaskId: request.TaskId,
    };
    if (request.NodeId !== undefined) query.NodeId = request.NodeId;
    let response: { [key: string]: unknown };
    try {
      const sdk = await openApiSdk();
      const runtime = new sdk.RuntimeOptions({
        readTimeout: timeoutMs,
        connectTimeout: Math.min(timeoutMs, 5000),
        autoretry: false,
      });
      const client = await this.#clients.for(this.#endpoint, credentials);
      response = await client.callApi(
        dasRpcParams(sdk, ACTION),
        new sdk.OpenApiRequest({ query }),
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
