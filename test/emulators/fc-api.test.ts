import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import OpenApiModule, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import { RuntimeOptions } from '@alicloud/tea-util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type FcApiCredential,
  FcApiEmulator,
  type FcApiEmulatorOptions,
} from '../../emulators/fc/api.js';
import type { FcHandler } from '../../emulators/fc/runtime.js';
import { acs3Encode, authorizationHeader, sha256Hex } from '../../emulators/signing/acs3.js';
import { cjsDefault } from '../../shared/interop.js';
import type { FcContext } from '../../shared/runtime/context.js';
import { failureOf as failureOfCall } from '../helpers/failure.js';

const Client = cjsDefault<typeof OpenApiModule.default>(OpenApiModule);
type SdkClient = InstanceType<typeof OpenApiModule.default>;

// Fake values only.
const STATIC: FcApiCredential = {
  accessKeyId: 'LTAI5tEmuFcStaticKey0001',
  accessKeySecret: 'EmuFcStaticSecret00000000000001',
};
const STS: FcApiCredential = {
  accessKeyId: 'STS.NUEmuFcTemporaryKey0001',
  accessKeySecret: 'EmuFcStsSecret0000000000000001',
  securityToken: 'CAISEmuFcSecurityToken+AbCdEf/0123456789==',
};
const ROLE = {
  accessKeyId: 'STS.NUEmuFcRoleKey0001',
  accessKeySecret: 'EmuFcRoleSecret000000000000001',
  securityToken: 'CAISEmuFcRoleToken+ZyXwVu/9876543210==',
};
const ACCOUNT_ID = '1234567890123456';
const REGION = 'cn-shanghai';
const FN = 'das-kill-tracker';
const T0 = 1_700_000_000_000;

interface SdkResult {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What openapi-client throws: a ResponseError with `code` and `data`, or a transport Error. */
interface SdkError extends Error {
  code?: string;
  data?: { statusCode?: number; Code?: string; Message?: string; RequestId?: string };
}

interface InvokeOptions {
  type?: string;
  taskId?: string;
  delayS?: string;
  logType?: string;
  qualifier?: string;
  readTimeout?: number;
}

/** The Params of `@alicloud/fc20230330` `invokeFunctionWithOptions` (protocols.md 4.5). */
function invokeParams(functionName: string): Params {
  return new Params({
    action: 'InvokeFunction',
    version: '2023-03-30',
    protocol: 'HTTPS',
    pathname: `/2023-03-30/functions/${acs3Encode(functionName)}/invocations`,
    method: 'POST',
    authType: 'AK',
    style: 'ROA',
    reqBodyType: 'json',
    bodyType: 'binary',
  });
}

function sdkClient(emu: FcApiEmulator, credential: FcApiCredential = STATIC): SdkClient {
  return new Client(
    new Config({
      endpoint: emu.endpoint,
      protocol: 'http',
      accessKeyId: credential.accessKeyId,
      accessKeySecret: credential.accessKeySecret,
      securityToken: credential.securityToken,
    }),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** One InvokeFunction call as the generated SDK makes it (commonHeaders carry x-fc-async-delay). */
async function invoke(
  client: SdkClient,
  functionName: string,
  payload: string | Buffer,
  options: InvokeOptions = {},
): Promise<SdkResult> {
  const headers: Record<string, string> = {};
  if (options.delayS !== undefined) headers['x-fc-async-delay'] = options.delayS;
  if (options.taskId !== undefined) headers['x-fc-async-task-id'] = options.taskId;
  if (options.type !== undefined) headers['x-fc-invocation-type'] = options.type;
  if (options.logType !== undefined) headers['x-fc-log-type'] = options.logType;
  const query: Record<string, string> =
    options.qualifier === undefined ? {} : { qualifier: options.qualifier };
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const response = await client.callApi(
    invokeParams(functionName),
    new OpenApiRequest({ headers, query, stream: Readable.from(bytes) }),
    new RuntimeOptions(
      options.readTimeout === undefined ? {} : { readTimeout: options.readTimeout },
    ),
  );
  return {
    statusCode: response.statusCode as number,
    headers: response.headers as Record<string, string>,
    body: await readAll(response.body as Readable),
  };
}

const failureOf = (promise: Promise<unknown>) => failureOfCall<SdkError>(promise);

/** A hand-signed request, for what the SDK cannot be made to send (a body other than the signed one). */
function rawInvoke(
  emu: FcApiEmulator,
  options: { signedBody: Buffer; sentBody: Buffer; hashOfSentBody: boolean },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const path = `/2023-03-30/functions/${FN}/invocations`;
  const headers: Record<string, string> = {
    host: emu.endpoint,
    'x-acs-action': 'InvokeFunction',
    'x-acs-version': '2023-03-30',
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': crypto.randomUUID().replace(/-/g, ''),
    'x-acs-content-sha256': sha256Hex(options.signedBody),
    'content-type': 'application/octet-stream',
    'x-fc-invocation-type': 'Async',
  };
  const authorization = authorizationHeader({
    accessKeyId: STATIC.accessKeyId,
    accessKeySecret: STATIC.accessKeySecret,
    method: 'POST',
    path,
    query: {},
    headers,
    body: options.signedBody,
  });
  if (options.hashOfSentBody) headers['x-acs-content-sha256'] = sha256Hex(options.sentBody);
  const url = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { ...headers, authorization, 'content-length': options.sentBody.length },
      },
      (res) => {
        readAll(res).then(
          (text) =>
            resolve({
              status: res.statusCode ?? 0,
              body: text.length === 0 ? {} : JSON.parse(text.toString()),
            }),
          reject,
        );
      },
    );
    req.on('error', reject);
    req.end(options.sentBody);
  });
}

const emulators: FcApiEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emu) => emu.close()));
});

interface Harness {
  emu: FcApiEmulator;
  client: SdkClient;
  /** Events each handler call received, with its context. */
  calls: Array<{ event: string; context: FcContext }>;
  advance(ms: number): void;
}

/** An emulator on a manual clock with one recording function `FN` (or `handler`). */
async function harness(
  options: Partial<FcApiEmulatorOptions> = {},
  handler?: FcHandler,
): Promise<Harness> {
  let now = T0;
  const calls: Harness['calls'] = [];
  const emu = await FcApiEmulator.start({
    accountId: ACCOUNT_ID,
    region: REGION,
    credentials: [STATIC, STS],
    roleCredentials: ROLE,
    clock: () => now,
    ...options,
  });
  emulators.push(emu);
  emu.register(FN, async (event, context) => {
    calls.push({ event: event.toString('utf8'), context });
    return handler === undefined
      ? { received: JSON.parse(event.toString('utf8')) }
      : handler(event, context);
  });
  return {
    emu,
    client: sdkClient(emu),
    calls,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('FcApiEmulator async invocations', () => {
  it('accepts with 202, x-fc-request-id and the task id, and runs only once the delay has elapsed', async () => {
    // Prepare
    const { emu, client, calls, advance } = await harness();

    // Act
    const response = await invoke(client, FN, '{"taskId":"t-1"}', {
      type: 'Async',
      taskId: 'track_t-1_0001',
      delayS: '30',
    });
    await emu.drain();
    const callsBeforeDue = calls.length;
    advance(29_999);
    await emu.drain();
    const callsJustBeforeDue = calls.length;
    advance(1);
    await emu.drain();

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers['x-fc-async-task-id']).toBe('track_t-1_0001');
    expect(response.headers['x-fc-request-id']).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(response.body.length).toBe(0);
    expect(callsBeforeDue).toBe(0);
    expect(callsJustBeforeDue).toBe(0);
    expect(calls.map((call) => call.event)).toStrictEqual(['{"taskId":"t-1"}']);
    expect(emu.task('track_t-1_0001')).toMatchObject({
      functionName: FN,
      acceptedAt: T0,
      runAt: T0 + 30_000,
      delayS: 30,
      status: 'Succeeded',
      attempts: 1,
    });
    expect(emu.task('track_t-1_0001')?.payload.toString()).toBe('{"taskId":"t-1"}');
  });

  it('hands the handler the function role credentials and the function metadata', async () => {
    // Prepare
    const { emu, client, calls } = await harness();

    // Act
    await invoke(client, FN, '{}', { type: 'Async', taskId: 'ctx_1' });
    await emu.drain();

    // Assess
    expect(calls[0]?.context).toMatchObject({
      credentials: ROLE,
      function: { name: FN, handler: 'index.handler', memory: 256, timeout: 60 },
      region: REGION,
      accountId: ACCOUNT_ID,
    });
  });

  it('generates a task id when none is sent and runs the task at once when there is no delay', async () => {
    // Prepare
    const { emu, client, calls } = await harness();

    // Act
    const response = await invoke(client, FN, '{"n":1}', { type: 'Async' });
    await emu.drain();

    // Assess
    const taskId = response.headers['x-fc-async-task-id'];
    expect(taskId).toBe(response.headers['x-fc-request-id']);
    expect(emu.tasks.map((task) => [task.taskId, task.status])).toStrictEqual([
      [taskId, 'Succeeded'],
    ]);
    expect(calls).toHaveLength(1);
    expect(emu.requests.at(-1)).toStrictEqual({
      status: 202,
      invocationType: 'Async',
      taskId,
      functionName: FN,
    });
  });

  it('records the qualifier sent in the query', async () => {
    // Prepare
    const { emu, client } = await harness();

    // Act
    await invoke(client, FN, '{}', { type: 'Async', taskId: 'q_1', qualifier: 'LATEST' });

    // Assess
    expect(emu.task('q_1')?.qualifier).toBe('LATEST');
  });

  it('refuses a repeated task id with 409, even after the first task completed', async () => {
    // Prepare
    const { emu, client, calls } = await harness();
    await invoke(client, FN, '{"a":1}', { type: 'Async', taskId: 'dup_1' });
    await emu.drain();

    // Act
    const error = await failureOf(
      invoke(client, FN, '{"a":2}', { type: 'Async', taskId: 'dup_1' }),
    );
    await emu.drain();

    // Assess
    expect(error.data?.statusCode).toBe(409);
    expect(error.code).toBe('AsyncTaskAlreadyExists');
    expect(error.data?.RequestId).toMatch(/^1-/);
    expect(calls.map((call) => call.event)).toStrictEqual(['{"a":1}']);
    expect(emu.tasks).toHaveLength(1);
    expect(emu.requests.map((r) => r.status)).toStrictEqual([202, 409]);
  });

  it.each([
    { case: 'zero', delayS: '0', runAt: T0 },
    { case: 'the 3600 s maximum', delayS: '3600', runAt: T0 + 3_600_000 },
  ])('accepts an x-fc-async-delay of $case', async ({ delayS, runAt }) => {
    // Prepare
    const { emu, client } = await harness();

    // Act
    const response = await invoke(client, FN, '{}', { type: 'Async', taskId: 'd_1', delayS });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(emu.task('d_1')?.runAt).toBe(runAt);
  });

  it.each([
    { case: 'above 3600', delayS: '3601' },
    { case: 'not an integer', delayS: '1.5' },
    { case: 'negative', delayS: '-1' },
    { case: 'not a number', delayS: 'soon' },
  ])('refuses an x-fc-async-delay $case with 400 InvalidArgument', async ({ delayS }) => {
    // Prepare
    const { emu, client } = await harness();

    // Act
    const error = await failureOf(
      invoke(client, FN, '{}', { type: 'Async', taskId: 'd_1', delayS }),
    );

    // Assess
    expect(error.data?.statusCode).toBe(400);
    expect(error.code).toBe('InvalidArgument');
    expect(emu.tasks).toHaveLength(0);
  });

  it.each([
    { case: 'starts with a digit', taskId: '1abc' },
    { case: 'starts with a hyphen', taskId: '-abc' },
    { case: 'contains a dot', taskId: 'a.b' },
    { case: 'is 129 characters long', taskId: `a${'b'.repeat(128)}` },
  ])('refuses a task id that $case with 400 InvalidArgument', async ({ taskId }) => {
    // Prepare
    const { emu, client } = await harness();

    // Act
    const error = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId }));

    // Assess
    expect(error.data?.statusCode).toBe(400);
    expect(error.code).toBe('InvalidArgument');
    expect(emu.tasks).toHaveLength(0);
    expect(emu.requests[0]).toStrictEqual({
      status: 400,
      code: 'InvalidArgument',
      invocationType: 'Async',
      taskId,
      functionName: FN,
    });
  });

  it('accepts a 128-character task id that starts with an underscore', async () => {
    // Prepare
    const { emu, client } = await harness();
    const taskId = `_${'a-9'.repeat(42)}x`;

    // Act
    const response = await invoke(client, FN, '{}', { type: 'Async', taskId });

    // Assess
    expect(taskId).toHaveLength(128);
    expect(response.headers['x-fc-async-task-id']).toBe(taskId);
    expect(emu.task(taskId)?.status).toBe('Enqueued');
  });

  it('refuses an async payload over 128 KB with 400 EntityTooLarge', async () => {
    // Prepare
    const { emu, client } = await harness();

    // Act
    const error = await failureOf(
      invoke(client, FN, Buffer.alloc(128 * 1024 + 1, 0x61), { type: 'Async', taskId: 'big' }),
    );

    // Assess
    expect(error.data?.statusCode).toBe(400);
    expect(error.code).toBe('EntityTooLarge');
    expect(emu.tasks).toHaveLength(0);
  });

  it('runs due tasks on its own, without drain, on the default clock', async () => {
    // Prepare
    const emu = await FcApiEmulator.start({
      accountId: ACCOUNT_ID,
      region: REGION,
      credentials: [STATIC],
      roleCredentials: ROLE,
    });
    emulators.push(emu);
    const seen: string[] = [];
    emu.register(FN, async (event) => {
      seen.push(event.toString());
    });

    // Act
    await invoke(sdkClient(emu), FN, 'ping', { type: 'Async', taskId: 'auto_1' });

    // Assess
    await vi.waitFor(() => expect(emu.task('auto_1')?.status).toBe('Succeeded'), {
      timeout: 2000,
      interval: 10,
    });
    expect(seen).toStrictEqual(['ping']);
  });
});

describe('FcApiEmulator async retries', () => {
  it('retries a failing task maxAsyncRetryAttempts times, retryDelayMs apart, then marks it Failed', async () => {
    // Prepare
    const { emu, client, calls, advance } = await harness(
      { maxAsyncRetryAttempts: 2, retryDelayMs: 1000 },
      async () => {
        throw new Error('DAS unreachable');
      },
    );
    await invoke(client, FN, '{}', { type: 'Async', taskId: 'fail_1' });

    // Act
    await emu.drain();
    const afterFirst = { ...emu.task('fail_1') };
    advance(999);
    await emu.drain();
    const beforeRetry = calls.length;
    advance(1);
    await emu.drain();
    const afterSecond = { ...emu.task('fail_1') };
    advance(1000);
    await emu.drain();
    advance(60_000);
    await emu.drain();

    // Assess
    expect(afterFirst).toMatchObject({
      status: 'Retrying',
      attempts: 1,
      runAt: T0 + 1000,
      lastError: 'UnhandledInvocationError: Error: DAS unreachable',
    });
    expect(beforeRetry).toBe(1);
    expect(afterSecond).toMatchObject({ status: 'Retrying', attempts: 2 });
    expect(emu.task('fail_1')).toMatchObject({ status: 'Failed', attempts: 3 });
    expect(calls).toHaveLength(3);
  });

  it('retries 3 times by default', async () => {
    // Prepare
    const { emu, client, calls } = await harness({ retryDelayMs: 0 }, async () => {
      throw new Error('boom');
    });

    // Act
    await invoke(client, FN, '{}', { type: 'Async', taskId: 'fail_default' });
    await emu.drain();

    // Assess
    expect(emu.task('fail_default')).toMatchObject({ status: 'Failed', attempts: 4 });
    expect(calls).toHaveLength(4);
  });

  it('ends Succeeded when a retry succeeds', async () => {
    // Prepare
    let failures = 1;
    const { emu, client } = await harness({ retryDelayMs: 0 }, async () => {
      if (failures-- > 0) throw new Error('transient');
      return 'ok';
    });

    // Act
    await invoke(client, FN, '{}', { type: 'Async', taskId: 'flaky_1' });
    await emu.drain();

    // Assess
    expect(emu.task('flaky_1')).toMatchObject({
      status: 'Succeeded',
      attempts: 2,
      lastError: 'UnhandledInvocationError: Error: transient',
    });
  });

  it('counts a run past the function timeout as a failure', async () => {
    // Prepare
    const { emu, client } = await harness({ maxAsyncRetryAttempts: 0 });
    emu.register('slow', () => new Promise(() => {}), { timeoutS: 0.05 });

    // Act
    await invoke(client, 'slow', '{}', { type: 'Async', taskId: 'slow_1' });
    await emu.drain();

    // Assess
    expect(emu.task('slow_1')).toMatchObject({
      status: 'Failed',
      attempts: 1,
      lastError: 'FunctionTimeout: Function timed out after 0.05 seconds',
    });
  });
});

describe('FcApiEmulator sync invocations', () => {
  it("answers 200 with the handler's object result as JSON and the handler's request id", async () => {
    // Prepare
    const { client, calls } = await harness();

    // Act
    const response = await invoke(client, FN, '{"taskId":"t-9"}', { type: 'Sync' });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body.toString())).toStrictEqual({ received: { taskId: 't-9' } });
    expect(response.headers['x-fc-error-type']).toBeUndefined();
    expect(response.headers['x-fc-request-id']).toBe(calls[0]?.context.requestId);
  });

  it('treats a call without x-fc-invocation-type as sync and answers a string result as is', async () => {
    // Prepare
    const { emu, client } = await harness({}, async (event) => `echo:${event.toString()}`);

    // Act
    const response = await invoke(client, FN, 'héllo & <b>');

    // Assess
    expect(response.body.toString('utf8')).toBe('echo:héllo & <b>');
    expect(emu.tasks).toHaveLength(0);
    expect(emu.requests).toStrictEqual([{ status: 200, functionName: FN }]);
  });

  it('answers a Buffer result byte for byte', async () => {
    // Prepare
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const { client } = await harness({}, async () => bytes);

    // Act
    const response = await invoke(client, FN, '{}', { type: 'Sync' });

    // Assess
    expect(response.body).toStrictEqual(bytes);
  });

  it('answers a throwing handler with 200, x-fc-error-type and a JSON error body', async () => {
    // Prepare
    const { client } = await harness({}, async () => {
      throw new TypeError('bad input');
    });

    // Act
    const response = await invoke(client, FN, '{}', { type: 'Sync' });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(response.body.toString())).toStrictEqual({
      errorMessage: 'bad input',
      errorType: 'TypeError',
    });
  });

  it('returns a base64 log tail when x-fc-log-type is Tail', async () => {
    // Prepare
    const { client } = await harness();

    // Act
    const response = await invoke(client, FN, '{}', { type: 'Sync', logType: 'Tail' });

    // Assess
    const tail = Buffer.from(response.headers['x-fc-log-result'] ?? '', 'base64').toString();
    expect(tail).toContain(`FC Invoke Start RequestId: ${response.headers['x-fc-request-id']}`);
  });

  it.each([
    { case: 'x-fc-invocation-type', options: { type: 'Later' } },
    { case: 'x-fc-log-type', options: { type: 'Sync', logType: 'Verbose' } },
  ])('refuses an unknown $case with 400 InvalidArgument', async ({ options }) => {
    // Prepare
    const { client, calls } = await harness();

    // Act
    const error = await failureOf(invoke(client, FN, '{}', options));

    // Assess
    expect(error.data?.statusCode).toBe(400);
    expect(error.code).toBe('InvalidArgument');
    expect(calls).toHaveLength(0);
  });
});

describe('FcApiEmulator routing and authentication', () => {
  it('answers an unknown function with 404 FunctionNotFound', async () => {
    // Prepare
    const { emu, client } = await harness();

    // Act
    const error = await failureOf(invoke(client, 'no-such-fn', '{}', { type: 'Async' }));

    // Assess
    expect(error.data?.statusCode).toBe(404);
    expect(error.code).toBe('FunctionNotFound');
    expect(error.message).toContain("function 'no-such-fn' does not exist.");
    expect(emu.tasks).toHaveLength(0);
  });

  it('refuses a wrong secret with 403 SignatureNotMatch and enqueues nothing', async () => {
    // Prepare
    const { emu, calls } = await harness();
    const client = sdkClient(emu, { ...STATIC, accessKeySecret: 'not-the-secret' });

    // Act
    const error = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'x_1' }));
    await emu.drain();

    // Assess
    expect(error.data?.statusCode).toBe(403);
    expect(error.code).toBe('SignatureNotMatch');
    expect(emu.tasks).toHaveLength(0);
    expect(calls).toHaveLength(0);
  });

  it('refuses an unknown AccessKey id with 403 InvalidAccessKeyID', async () => {
    // Prepare
    const { emu } = await harness();
    const client = sdkClient(emu, { accessKeyId: 'LTAI5tUnknown', accessKeySecret: 'x' });

    // Act
    const error = await failureOf(invoke(client, FN, '{}', { type: 'Async' }));

    // Assess
    expect(error.data?.statusCode).toBe(403);
    expect(error.code).toBe('InvalidAccessKeyID');
  });

  it.each([
    { case: 'the signed hash', hashOfSentBody: false },
    { case: 'a hash recomputed for the new body', hashOfSentBody: true },
  ])('refuses a body changed after signing, sent with $case', async ({ hashOfSentBody }) => {
    // Prepare
    const { emu } = await harness();

    // Act
    const answer = await rawInvoke(emu, {
      signedBody: Buffer.from('{"taskId":"t-1"}'),
      sentBody: Buffer.from('{"taskId":"t-2"}'),
      hashOfSentBody,
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ Code: 'SignatureNotMatch' });
    expect(answer.body.RequestId).toEqual(expect.any(String));
    expect(emu.tasks).toHaveLength(0);
  });

  it('accepts a hand-signed request whose body is the signed one', async () => {
    // Prepare
    const { emu } = await harness();
    const body = Buffer.from('{"taskId":"t-1"}');

    // Act
    const answer = await rawInvoke(emu, {
      signedBody: body,
      sentBody: body,
      hashOfSentBody: false,
    });

    // Assess
    expect(answer).toStrictEqual({ status: 202, body: {} });
    expect(emu.tasks.map((task) => task.payload.toString())).toStrictEqual(['{"taskId":"t-1"}']);
  });

  it('accepts STS credentials with their token and refuses a wrong token', async () => {
    // Prepare
    const { emu } = await harness();

    // Act
    const accepted = await invoke(sdkClient(emu, STS), FN, '{}', {
      type: 'Async',
      taskId: 'sts_1',
    });
    const error = await failureOf(
      invoke(sdkClient(emu, { ...STS, securityToken: 'CAISforged' }), FN, '{}', {
        type: 'Async',
        taskId: 'sts_2',
      }),
    );

    // Assess
    expect(accepted.statusCode).toBe(202);
    expect(error.data?.statusCode).toBe(403);
    expect(error.code).toBe('InvalidSecurityToken');
    expect(emu.tasks.map((task) => task.taskId)).toStrictEqual(['sts_1']);
  });

  it('never records credentials, tokens or signatures', async () => {
    // Prepare
    const { emu, client } = await harness();
    await invoke(client, FN, '{}', { type: 'Async', taskId: 's_1' });
    await invoke(sdkClient(emu, STS), FN, '{}', { type: 'Sync' });
    await failureOf(invoke(sdkClient(emu, { ...STATIC, accessKeySecret: 'wrong' }), FN, '{}'));
    await emu.drain();

    // Act
    const recorded = JSON.stringify({ emu, requests: emu.requests, tasks: emu.tasks });

    // Assess
    for (const secret of [
      STATIC.accessKeySecret,
      STS.accessKeySecret,
      STS.securityToken as string,
      ROLE.accessKeySecret,
      ROLE.securityToken,
      'wrong',
      'Signature=',
    ]) {
      expect(recorded).not.toContain(secret);
    }
  });
});

describe('FcApiEmulator faults', () => {
  it('answers throttling with 429 ResourceExhausted for `times` requests, then serves normally', async () => {
    // Prepare
    const { emu, client } = await harness();
    emu.fault({ kind: 'throttling', times: 2 });

    // Act
    const first = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'th_1' }));
    const second = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'th_1' }));
    const third = await invoke(client, FN, '{}', { type: 'Async', taskId: 'th_1' });

    // Assess
    expect([first.data?.statusCode, first.code]).toStrictEqual([429, 'ResourceExhausted']);
    expect([second.data?.statusCode, second.code]).toStrictEqual([429, 'ResourceExhausted']);
    expect(third.statusCode).toBe(202);
    expect(emu.requests.map((r) => r.status)).toStrictEqual([429, 429, 202]);
  });

  it('answers internal-error with 500 InternalServerError and enqueues nothing', async () => {
    // Prepare
    const { emu, client } = await harness();
    emu.fault({ kind: 'internal-error' });

    // Act
    const error = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'ie_1' }));

    // Assess
    expect(error.data?.statusCode).toBe(500);
    expect(error.code).toBe('InternalServerError');
    expect(emu.tasks).toHaveLength(0);
  });

  it('resets the connection without effect, and a retry with the same task id is accepted', async () => {
    // Prepare
    const { emu, client } = await harness();
    emu.fault({ kind: 'reset' });

    // Act
    const error = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'rs_1' }));
    const retry = await invoke(client, FN, '{}', { type: 'Async', taskId: 'rs_1' });

    // Assess
    expect(error.data).toBeUndefined();
    expect(retry.statusCode).toBe(202);
    expect(emu.requests.map((r) => r.status)).toStrictEqual([0, 202]);
    expect(emu.tasks).toHaveLength(1);
  });

  it('loses the answer of an accepted invocation with afterAccept, so a retry gets 409', async () => {
    // Prepare
    const { emu, client } = await harness();
    emu.fault({ kind: 'reset', afterAccept: true });

    // Act
    await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'lost_1' }));
    const retry = await failureOf(invoke(client, FN, '{}', { type: 'Async', taskId: 'lost_1' }));

    // Assess
    expect(emu.task('lost_1')?.status).toBe('Enqueued');
    expect(retry.data?.statusCode).toBe(409);
    expect(emu.requests).toStrictEqual([
      { status: 0, invocationType: 'Async', taskId: 'lost_1', functionName: FN },
      {
        status: 409,
        code: 'AsyncTaskAlreadyExists',
        invocationType: 'Async',
        taskId: 'lost_1',
        functionName: FN,
      },
    ]);
  });

  it('hangs a request until the client times out, and close() releases it', async () => {
    // Prepare
    const { emu, client } = await harness();
    emu.fault({ kind: 'hang' });

    // Act
    const error = await failureOf(
      invoke(client, FN, '{}', { type: 'Async', taskId: 'hang_1', readTimeout: 200 }),
    );
    await emu.close();

    // Assess
    expect(error.data).toBeUndefined();
    expect(error.message).toMatch(/timeout/i);
    expect(emu.requests).toStrictEqual([{ status: 0, invocationType: 'Async', taskId: 'hang_1' }]);
    expect(emu.tasks).toHaveLength(0);
  });
});

describe('FcApiEmulator options', () => {
  const base: FcApiEmulatorOptions = {
    accountId: ACCOUNT_ID,
    region: REGION,
    credentials: [STATIC],
    roleCredentials: ROLE,
  };

  it.each([
    {
      case: 'an unknown key',
      options: { ...base, retries: 2 },
      message: 'unknown option "retries"',
    },
    {
      case: 'maxAsyncRetryAttempts above 8',
      options: { ...base, maxAsyncRetryAttempts: 9 },
      message: 'maxAsyncRetryAttempts must be an integer from 0 to 8',
    },
    {
      case: 'a negative retryDelayMs',
      options: { ...base, retryDelayMs: -1 },
      message: 'retryDelayMs must be a number >= 0',
    },
    {
      case: 'no credentials',
      options: { ...base, credentials: [] },
      message: 'options.credentials must list at least one key',
    },
  ])('throws a TypeError naming the field for $case', async ({ options, message }) => {
    // Act
    const error = await FcApiEmulator.start(options as FcApiEmulatorOptions).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(message);
  });

  it('refuses an unknown fault kind and afterAccept on an answered fault', async () => {
    // Prepare
    const { emu } = await harness();

    // Act / Assess
    expect(() => emu.fault({ kind: 'explode' as 'hang' })).toThrow('fault: unknown kind "explode"');
    expect(() => emu.fault({ kind: 'throttling', afterAccept: true })).toThrow(
      'afterAccept applies to reset and hang only',
    );
  });
});
