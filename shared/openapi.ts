/**
 * What every call through `@alicloud/openapi-client` 0.4.x shares: one client per endpoint and
 * credential, and turning whatever `callApi` throws into a typed error.
 *
 * openapi-client 0.4.x throws a tea error with `code` and `data.statusCode` for a 4xx/5xx JSON
 * (or `text/xml;charset=utf-8`) body, a bare `SyntaxError` with no `code` for a body that is not
 * JSON (an HTML 502 from a gateway), and Node/tea errors for the network. It never retries by
 * itself (protocols.md 2.3, gotchas 5-7).
 */
import type OpenApiModule from '@alicloud/openapi-client';
import type { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import type { RuntimeOptions } from '@alicloud/tea-util';
import type { Endpoint } from './config/index.js';
import type { Credentials } from './credentials.js';
import type { ErrorDetails, TrackerError } from './errors.js';
import { cjsDefault } from './interop.js';

export type OpenApiClient = InstanceType<typeof OpenApiModule.default>;

/** The parts of `@alicloud/openapi-client` (and `@alicloud/tea-util`) the tracker uses. */
export interface OpenApiSdk {
  readonly Client: typeof OpenApiModule.default;
  readonly Config: typeof Config;
  readonly Params: typeof Params;
  readonly OpenApiRequest: typeof OpenApiRequest;
  readonly RuntimeOptions: typeof RuntimeOptions;
}

let sdk: Promise<OpenApiSdk> | undefined;

/**
 * Loads the SDK on first use, not when the function module loads: with the `node:https` and `tls`
 * modules it requires it is most of the bundle's start-up time, and an invocation that does not
 * call DAS (a rejected event, a pending publication) never needs it.
 */
export function openApiSdk(): Promise<OpenApiSdk> {
  sdk ??= Promise.all([import('@alicloud/openapi-client'), import('@alicloud/tea-util')]).then(
    ([openapi, util]) => ({
      Client: cjsDefault<typeof OpenApiModule.default>(openapi.default),
      Config: openapi.Config,
      Params: openapi.Params,
      OpenApiRequest: openapi.OpenApiRequest,
      RuntimeOptions: util.RuntimeOptions,
    }),
  );
  return sdk;
}

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

/** The first non-empty string (or number) among `names` in `value`. */
export function field(value: unknown, ...names: string[]): string | undefined {
  if (!isObject(value)) return undefined;
  for (const name of names) {
    const v = value[name];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

type ErrorClass = new (
  message: string,
  details?: ErrorDetails,
  options?: ErrorOptions,
) => TrackerError;

export interface Classification {
  readonly service: string;
  readonly transient: ErrorClass;
  readonly permanent: ErrorClass;
  /** Service codes that mean "try again later", whatever the HTTP status. */
  readonly isTransientCode: (code: string) => boolean;
}

/** Maps what `callApi` threw to the service's transient or permanent error type. */
export function classifyOpenApiError(thrown: unknown, c: Classification): TrackerError {
  if (thrown instanceof SyntaxError) {
    return new c.transient(
      `${c.service} answered with a body that is not JSON`,
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
  if (status !== undefined) {
    const message = field(data, 'Message', 'message') ?? `HTTP ${status}`;
    const details = { code: code ?? `HTTP${status}`, status, requestId };
    if (
      (code !== undefined && c.isTransientCode(code)) ||
      status >= 500 ||
      status === 408 ||
      status === 429
    ) {
      return new c.transient(message, details, { cause: thrown });
    }
    return new c.permanent(message, details, { cause: thrown });
  }
  const name = isObject(thrown) && typeof thrown.name === 'string' ? thrown.name : 'Error';
  if ((code !== undefined && NETWORK_CODES.has(code)) || /timeout/i.test(name)) {
    return new c.transient(
      `network error talking to ${c.service} (${code ?? name})`,
      { code: code ?? name },
      {
        cause: thrown,
      },
    );
  }
  // Anything else (an unexpected SDK failure) is retried rather than declared permanent: the
  // caller's deadline bounds the retries, and the error is logged with its type.
  return new c.transient(
    `unexpected failure calling ${c.service} (${name})`,
    { code: 'UnexpectedError' },
    {
      cause: thrown,
    },
  );
}

/**
 * One openapi-client per endpoint and credential, kept while they stay the same (FC hands every
 * invocation the function role's current STS credentials, usually unchanged for hours).
 */
export class OpenApiClients {
  readonly #regionId: string;
  readonly #create: ((config: Config) => OpenApiClient) | undefined;
  #cached: { key: string; client: OpenApiClient } | undefined;

  constructor(regionId: string, create?: (config: Config) => OpenApiClient) {
    this.#regionId = regionId;
    this.#create = create;
  }

  async for(endpoint: Endpoint, credentials: Credentials): Promise<OpenApiClient> {
    const { Client, Config } = await openApiSdk();
    // The whole credential is the key: a rotated secret must never reuse a client signed with the old one.
    const key = [
      endpoint.protocol,
      endpoint.host,
      credentials.accessKeyId,
      credentials.accessKeySecret,
      credentials.securityToken ?? '',
    ].join('\u0000');
    if (this.#cached?.key === key) return this.#cached.client;
    const config = new Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      endpoint: endpoint.host,
      protocol: endpoint.protocol,
      regionId: this.#regionId,
    });
    if (credentials.securityToken !== undefined) config.securityToken = credentials.securityToken;
    const client = this.#create?.(config) ?? new Client(config);
    this.#cached = { key, client };
    return client;
  }
}
