/**
 * FC self-invocation transport (SPEC 5.2), for deployments without a tracking queue: the next check
 * is an asynchronous invocation of the function itself, delayed by `x-fc-async-delay`.
 *
 * Which API: a function deployed by the fc3 component is an FC 3.0 function, and the component
 * itself invokes it through the FC 3.0 API (`@alicloud/fc20230330` invokeFunctionWithOptions) at
 * `{accountId}.{region}.fc.aliyuncs.com` (devsapp/fc3 `src/resources/fc/impl/client.ts`). So does
 * this transport, through `@alicloud/openapi-client` `callApi` with the generated SDK's parameters
 * (`@alicloud/fc20230330` src/client.ts): ROA, `POST /2023-03-30/functions/{name}/invocations`,
 * ACS3-signed, the event as an octet-stream body. Not `@alicloud/fc2`: that is the FC 2.0 API
 * (2016-08-15, services/functions), which does not bundle (bundling.md) and signs differently.
 *
 * - `x-fc-invocation-type: Async`; `x-fc-async-delay` in seconds, documented as (0,3600) in FC 3.0
 *   and [0,3600] in one FC 2.0 page (protocols.md 4.5, CONFLICT): one hop waits at most 3599 s, which
 *   satisfies both; longer waits take several hops (the state's `wakeAt`).
 * - `x-fc-async-task-id` is deterministic per (task, check, pending attempt, hop): a duplicate hop is
 *   refused by FC with HTTP 409 ("Task deduplication", https://www.alibabacloud.com/help/en/fc/task-deduplication),
 *   which here means the hop already exists: success. Rules: letters, digits, `_`, `-`, starting with
 *   a letter or `_`, at most 128 characters (protocols.md 4.5).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Config } from '@alicloud/openapi-client';
import type { Endpoint } from '../config/index.js';
import type { CredentialSource, Credentials } from '../credentials.js';
import { ConfigError, FcRejectedError, FcUnavailableError } from '../errors.js';
import {
  classifyOpenApiError,
  type OpenApiClient,
  OpenApiClients,
  openApiSdk,
} from '../openapi.js';
import type { Scheduler } from '../track/process.js';
import type { TrackState } from '../track/state.js';

export const FC_API_VERSION = '2023-03-30';
/** Longest single hop; see the header comment. */
export const MAX_HOP_S = 3599;

export interface AsyncInvocation {
  readonly functionName: string;
  readonly qualifier?: string | undefined;
  readonly payload: Buffer;
  readonly delayS: number;
  readonly taskId: string;
}

export interface FcInvoker {
  /** Resolves when FC accepted the invocation, or refused it as a duplicate task id (409). */
  invokeAsync(
    invocation: AsyncInvocation,
    credentials: Credentials,
  ): Promise<'accepted' | 'duplicate'>;
}

const FC_ERRORS = {
  service: 'FC',
  transient: FcUnavailableError,
  permanent: FcRejectedError,
  // FC answers throttling with 429 (any code); these codes are transient whatever the status.
  isTransientCode: (code: string) =>
    code === 'ResourceThrottled' || code === 'ServiceUnavailable' || code === 'InternalServerError',
};

/** `fcv3`-style endpoint for invocations: `https://{accountId}.{region}.fc.aliyuncs.com`. */
export function fcEndpoint(
  configured: URL | undefined,
  accountId?: string,
  region?: string,
): Endpoint {
  if (configured !== undefined) {
    return { protocol: configured.protocol === 'http:' ? 'http' : 'https', host: configured.host };
  }
  if (accountId && region)
    return { protocol: 'https', host: `${accountId}.${region}.fc.aliyuncs.com` };
  throw new ConfigError(
    'FC_ENDPOINT',
    'is not set and the invocation context has no accountId and region',
  );
}

export class OpenApiFcInvoker implements FcInvoker {
  readonly #endpoint: Endpoint;
  readonly #timeoutMs: number;
  readonly #clients: OpenApiClients;

  constructor(options: {
    endpoint: Endpoint;
    timeoutMs: number;
    region?: string;
    createClient?: (config: Config) => OpenApiClient;
  }) {
    this.#endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs;
    this.#clients = new OpenApiClients(options.region ?? 'cn-shanghai', options.createClient);
  }

  async invokeAsync(
    invocation: AsyncInvocation,
    credentials: Credentials,
  ): Promise<'accepted' | 'duplicate'> {
    let response: { [key: string]: unknown };
    try {
      const sdk = await openApiSdk();
      const params = new sdk.Params({
        action: 'InvokeFunction',
        version: FC_API_VERSION,
        protocol: 'HTTPS',
        pathname: `/${FC_API_VERSION}/functions/${encodeURIComponent(invocation.functionName)}/invocations`,
        method: 'POST',
        authType: 'AK',
        style: 'ROA',
        reqBodyType: 'json',
        bodyType: 'binary',
      });
      const headers: Record<string, string> = {
        'x-fc-invocation-type': 'Async',
        'x-fc-async-task-id': invocation.taskId,
      };
      if (invocation.delayS > 0)
        headers['x-fc-async-delay'] = String(Math.round(invocation.delayS));
      const request = new sdk.OpenApiRequest({
        headers,
        query: invocation.qualifier === undefined ? {} : { qualifier: invocation.qualifier },
        stream: Readable.from([invocation.payload]),
      });
      const runtime = new sdk.RuntimeOptions({
        readTimeout: this.#timeoutMs,
        connectTimeout: Math.min(this.#timeoutMs, 5000),
        autoretry: false,
      });
      const client = await this.#clients.for(this.#endpoint, credentials);
      response = await client.callApi(params, request, runtime);
    } catch (thrown) {
      const error = classifyOpenApiError(thrown, FC_ERRORS);
      if (error.status === 409) return 'duplicate';
      throw error;
    }
    // bodyType binary answers a stream; drain it so the socket is released.
    const body = response.body;
    if (body instanceof Readable) body.resume();
    return 'accepted';
  }
}

/** Deterministic FC async task id for the message that carries `state` (see the header comment). */
export function fcTaskId(state: TrackState): string {
  const { InstanceId, NodeId, TaskId } = state.request;
  const task = createHash('sha1')
    .update(`${InstanceId}/${NodeId ?? ''}/${TaskId}`)
    .digest('hex')
    .slice(0, 24);
  return `dkt_${task}_c${state.checks}_p${state.pending?.attempts ?? 0}_h${state.hop ?? 0}`;
}

function withoutWake(state: TrackState): TrackState {
  const { wakeAt: _w, hop: _h, ...rest } = state;
  return rest;
}

export interface FcTarget {
  readonly functionName: string;
  readonly qualifier?: string | undefined;
}

export class FcScheduler implements Scheduler {
  readonly name = 'fc';
  readonly #invoker: FcInvoker;
  readonly #target: () => FcTarget;
  readonly #credentials: CredentialSource;
  readonly #clock: () => number;

  constructor(
    invoker: FcInvoker,
    target: () => FcTarget,
    credentials: CredentialSource,
    clock: () => number,
  ) {
    this.#invoker = invoker;
    this.#target = target;
    this.#credentials = credentials;
    this.#clock = clock;
  }

  /** Sends `state` to the function itself, to arrive in `delayS` seconds (in several hops if longer than MAX_HOP_S). */
  async schedule(state: TrackState, delayS: number): Promise<void> {
    const now = this.#clock();
    const continuing = state.wakeAt !== undefined && state.wakeAt > now + 1000;
    const hop = continuing ? (state.hop ?? 0) + 1 : 0;
    const wakeAt = continuing ? (state.wakeAt as number) : now + delayS * 1000;
    const sent: TrackState =
      delayS > MAX_HOP_S ? { ...withoutWake(state), wakeAt, hop } : { ...withoutWake(state), hop };
    const target = this.#target();
    await this.#invoker.invokeAsync(
      {
        functionName: target.functionName,
        qualifier: target.qualifier,
        payload: Buffer.from(JSON.stringify(sent), 'utf8'),
        delayS: Math.max(0, Math.min(MAX_HOP_S, Math.round(delayS))),
        taskId: fcTaskId(sent),
      },
      await this.#credentials(),
    );
  }
}
