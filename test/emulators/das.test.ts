import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DasCredential,
  DasEmulator,
  DEFAULT_DAS_CREDENTIALS,
  realisticSessions,
  type SessionSpec,
} from '../../emulators/das/index.js';
import { callDas as callDasSdk, type DasSdkClient, dasSdkClient } from '../../emulators/das/sdk.js';
import { type RunningServer, startServer } from '../../emulators/http.js';
import { authorizationHeader, EMPTY_BODY_SHA256 } from '../../emulators/signing/acs3.js';
import { failureOf as failureOfCall } from '../helpers/failure.js';

const GET_RESULT = 'GetKillInstanceSessionTaskResult';
const CREATE = 'CreateKillInstanceSessionTask';
const [STATIC, STS] = DEFAULT_DAS_CREDENTIALS as readonly [DasCredential, DasCredential];

type Client = DasSdkClient;
const sdkClient = (endpoint: string, credential: DasCredential): Client =>
  dasSdkClient(endpoint, credential);

/** The JSON envelope of DAS answers, success and error alike. */
interface DasBody {
  Code?: unknown;
  Message?: unknown;
  Data?: unknown;
  RequestId?: unknown;
  Success?: unknown;
  HostId?: unknown;
  Recommend?: unknown;
}

interface SdkResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: DasBody;
}

/** What openapi-client throws: a ResponseError with `code` and `data`, or a bare Error. */
interface SdkError extends Error {
  code?: string;
  data?: { statusCode?: number; RequestId?: string; [key: string]: unknown };
}

/** One call exactly as the generated DAS SDK makes it (protocols.md 1.1). */
function callDas(
  client: Client,
  action: string,
  query: Record<string, string>,
  runtime: { readTimeout?: number } = {},
  version = '2020-01-16',
): Promise<SdkResponse> {
  return callDasSdk(client, action, query, runtime, version) as unknown as Promise<SdkResponse>;
}

const failureOf = (promise: Promise<unknown>) => failureOfCall<SdkError>(promise);

interface ResultData {
  TaskId: string;
  TaskState: string;
  Sessions: number[];
  KillSuccessCount: number;
  KillFailCount: number;
  IgnoredUserSessionCount: number;
  Result: Array<Record<string, unknown> & { Id: number; Reason: string; User: string }>;
  NodeId?: string;
}

function dataOf(response: SdkResponse): ResultData {
  return response.body.Data as ResultData;
}

function session(Id: number, Reason: string, User = 'app_rw'): SessionSpec {
  return {
    Id,
    User,
    Host: '10.0.0.1:40000',
    Db: 'orders',
    Command: 'Query',
    Time: 12,
    State: 'Sending data',
    Info: "SELECT * FROM t WHERE name = '张三' AND note = 'a & b < c'",
    Active: true,
    Reason,
  };
}

/** A signed request built by hand, for what the SDK cannot be made to send. */
function rawCall(
  emulator: DasEmulator,
  options: {
    credential: DasCredential;
    query: Record<string, string>;
    date?: string;
    nonce?: string;
    sendToken?: boolean;
  },
): Promise<{ status: number; body: DasBody }> {
  const headers: Record<string, string> = {
    host: emulator.endpoint,
    'x-acs-action': GET_RESULT,
    'x-acs-version': '2020-01-16',
    'x-acs-date': options.date ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': options.nonce ?? crypto.randomUUID().replace(/-/g, ''),
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
  };
  if (options.sendToken && options.credential.securityToken !== undefined) {
    headers['x-acs-accesskey-id'] = options.credential.accessKeyId;
    headers['x-acs-security-token'] = options.credential.securityToken;
  }
  const authorization = authorizationHeader({
    ...options.credential,
    method: 'POST',
    path: '/',
    query: options.query,
    headers,
  });
  const { host: _host, ...sent } = headers;
  return fetch(`${emulator.url}/?${new URLSearchParams(options.query)}`, {
    method: 'POST',
    headers: { ...sent, authorization },
  }).then(async (response) => ({
    status: response.status,
    body: (await response.json()) as DasBody,
  }));
}

interface Captured {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** A loopback forwarder that records requests as sent, so one can be replayed byte for byte. */
async function startRecordingProxy(
  target: DasEmulator,
): Promise<RunningServer & { endpoint: string; captured: Captured[] }> {
  const captured: Captured[] = [];
  const targetUrl = new URL(target.url);
  const server = await startServer(
    (req, body, res) =>
      new Promise<void>((resolve, reject) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === 'string') headers[name] = value;
        }
        captured.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers });
        const upstream = httpRequest(
          {
            host: targetUrl.hostname,
            port: targetUrl.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('end', resolve);
          },
        );
        upstream.on('error', reject);
        upstream.end(body);
      }),
  );
  return { ...server, endpoint: server.url.replace('http://', ''), captured };
}

function replay(
  proxyUrl: string,
  captured: Captured,
  url: string = captured.url,
): Promise<{ status: number; body: DasBody }> {
  const { host: _h, connection: _c, 'content-length': _l, ...headers } = captured.headers;
  return fetch(`${proxyUrl}${url}`, { method: captured.method, headers }).then(
    async (response) => ({
      status: response.status,
      body: (await response.json()) as DasBody,
    }),
  );
}

describe('DasEmulator', () => {
  let now: number;
  let das: DasEmulator;

  beforeEach(async () => {
    now = 1_700_000_000_000;
    das = await DasEmulator.start({ clock: () => now });
  });

  afterEach(async () => {
    await das.close();
  });

  describe('authentication', () => {
    beforeEach(() => {
      das.defineTask({
        TaskId: 'task-a',
        InstanceId: 'rm-2ze1jdv45i7l6',
        sessions: realisticSessions(3, { seed: 1 }),
        durationMs: 0,
        finalState: 'SUCCESS',
      });
    });

    it('accepts a call signed by the SDK with a static AccessKey', async () => {
      // Act
      const response = await callDas(sdkClient(das.endpoint, STATIC), GET_RESULT, {
        InstanceId: 'rm-2ze1jdv45i7l6',
        TaskId: 'task-a',
      });

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({ 'content-type': 'application/json;charset=utf-8' });
      expect(response.body).toMatchObject({ Code: 200, Message: 'Successful', Success: true });
      expect(das.calls).toStrictEqual([
        {
          action: GET_RESULT,
          params: { InstanceId: 'rm-2ze1jdv45i7l6', TaskId: 'task-a' },
          accepted: true,
          status: 200,
          at: now,
        },
      ]);
    });

    it('accepts a call signed by the SDK with STS credentials and a security token', async () => {
      // Act
      const response = await callDas(sdkClient(das.endpoint, STS), GET_RESULT, {
        InstanceId: 'rm-2ze1jdv45i7l6',
        TaskId: 'task-a',
      });

      // Assess
      expect(STS.accessKeyId.startsWith('STS.')).toBe(true);
      expect(response.body.Success).toBe(true);
      expect(das.checksOf('task-a')).toBe(1);
    });

    it.each([
      {
        case: 'an unknown AccessKey id',
        credential: { accessKeyId: 'LTAI5tNobodyKnowsMe', accessKeySecret: 'x' },
        code: 'InvalidAccessKeyId.NotFound',
        status: 404,
      },
      {
        case: 'a wrong secret',
        credential: { ...STATIC, accessKeySecret: 'not-the-secret' },
        code: 'SignatureDoesNotMatch',
        status: 400,
      },
      {
        case: 'a wrong security token',
        credential: { ...STS, securityToken: 'CAISforged' },
        code: 'InvalidSecurityToken.Malformed',
        status: 400,
      },
      {
        case: 'a static key that presents a security token',
        credential: { ...STATIC, securityToken: 'CAISwhatever' },
        code: 'InvalidSecurityToken.Malformed',
        status: 400,
      },
    ])('refuses $case with $code', async ({ credential, code, status }) => {
      // Act
      const error = await failureOf(
        callDas(sdkClient(das.endpoint, credential), GET_RESULT, {
          InstanceId: 'rm-2ze1jdv45i7l6',
          TaskId: 'task-a',
        }),
      );

      // Assess
      expect(error).toMatchObject({ code, data: { statusCode: status, Code: code } });
      expect(das.calls[0]).toMatchObject({ accepted: false, status, code });
      expect(das.checksOf('task-a')).toBe(0);
    });

    it("refuses a security token that belongs to another key's session", async () => {
      // Prepare
      const other: DasCredential = {
        accessKeyId: 'STS.Other',
        accessKeySecret: 'other-secret',
        securityToken: 'CAISother',
      };
      const emulator = await DasEmulator.start({ credentials: [STS, other] });

      // Act
      const error = await failureOf(
        callDas(sdkClient(emulator.endpoint, { ...STS, securityToken: 'CAISother' }), GET_RESULT, {
          InstanceId: 'rm-1',
          TaskId: 't',
        }),
      ).finally(() => emulator.close());

      // Assess
      expect(error).toMatchObject({ code: 'InvalidSecurityToken.MismatchWithAccessKey' });
    });

    it('refuses STS credentials sent without their security token', async () => {
      // Act
      const response = await rawCall(das, {
        credential: STS,
        query: { InstanceId: 'rm-2ze1jdv45i7l6', TaskId: 'task-a' },
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.Code).toBe('MissingSecurityToken');
    });

    it('answers a hand-signed request and refuses one whose x-acs-date is 20 minutes old', async () => {
      // Prepare
      const query = { InstanceId: 'rm-2ze1jdv45i7l6', TaskId: 'task-a' };
      const stale = new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

      // Act
      const fresh = await rawCall(das, { credential: STS, query, sendToken: true });
      const old = await rawCall(das, { credential: STS, query, sendToken: true, date: stale });

      // Assess
      expect(fresh.status).toBe(200);
      expect(old.status).toBe(400);
      expect(old.body).toMatchObject({
        Code: 'InvalidTimeStamp.Expired',
        Message: 'Specified time stamp or date value is expired.',
        HostId: 'das.cn-shanghai.aliyuncs.com',
      });
      expect(Object.keys(old.body)).toStrictEqual([
        'RequestId',
        'HostId',
        'Code',
        'Message',
        'Recommend',
      ]);
    });

    it('refuses a request whose query was changed after signing', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'task-b',
        InstanceId: 'rm-2ze1jdv45i7l6',
        sessions: [],
        durationMs: 0,
        finalState: 'SUCCESS',
      });
      const proxy = await startRecordingProxy(das);
      await callDas(sdkClient(proxy.endpoint, STATIC), GET_RESULT, {
        InstanceId: 'rm-2ze1jdv45i7l6',
        TaskId: 'task-a',
      });
      const captured = proxy.captured[0] as Captured;
      const changed = captured.url.replace('TaskId=task-a', 'TaskId=task-b');

      // Act
      const response = await replay(proxy.url, captured, changed).finally(() => proxy.close());

      // Assess
      expect(changed).not.toBe(captured.url);
      expect(response.status).toBe(400);
      expect(response.body.Code).toBe('SignatureDoesNotMatch');
      expect(das.checksOf('task-b')).toBe(0);
    });

    it('refuses the exact replay of a request it already answered (nonce reuse)', async () => {
      // Prepare
      const proxy = await startRecordingProxy(das);
      await callDas(sdkClient(proxy.endpoint, STS), GET_RESULT, {
        InstanceId: 'rm-2ze1jdv45i7l6',
        TaskId: 'task-a',
      });

      // Act
      const response = await replay(proxy.url, proxy.captured[0] as Captured).finally(() =>
        proxy.close(),
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.Code).toBe('SignatureNonceUsed');
      expect(das.checksOf('task-a')).toBe(1);
    });

    it('answers an unknown action with InvalidAction.NotFound and another version with InvalidVersion', async () => {
      // Prepare
      const client = sdkClient(das.endpoint, STATIC);

      // Act
      const unknown = await failureOf(callDas(client, 'DescribeKillTasks', {}));
      const version = await failureOf(
        callDas(client, GET_RESULT, { InstanceId: 'rm-1', TaskId: 't' }, {}, '2018-01-01'),
      );

      // Assess
      expect(unknown).toMatchObject({
        code: 'InvalidAction.NotFound',
        data: { statusCode: 404 },
      });
      expect(version).toMatchObject({ code: 'InvalidVersion', data: { statusCode: 400 } });
    });
  });

  describe('GetKillInstanceSessionTaskResult', () => {
    const instance = 'rm-2ze1jdv45i7l6';
    const get = (query: Record<string, string>) =>
      callDas(sdkClient(das.endpoint, STATIC), GET_RESULT, query);

    it('answers with the field shapes of the seed document', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'f77d535b45405bd462b21caa3ee8abcd',
        InstanceId: instance,
        UserId: '1648821913960000',
        sessions: [session(8357518, 'SESSION_KILLED')],
        ignoredUserSessionCount: 9,
        durationMs: 1000,
        finalState: 'SUCCESS',
      });
      now += 1000;

      // Act
      const response = await get({
        InstanceId: instance,
        TaskId: 'f77d535b45405bd462b21caa3ee8abcd',
      });

      // Assess
      expect(Object.keys(response.body)).toStrictEqual([
        'Code',
        'Message',
        'Data',
        'RequestId',
        'Success',
      ]);
      expect(response.body.RequestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-/);
      const data = dataOf(response);
      expect(data).toStrictEqual({
        TaskId: 'f77d535b45405bd462b21caa3ee8abcd',
        UserId: '1648821913960000',
        InstanceId: instance,
        TaskState: 'SUCCESS',
        Sessions: [8357518],
        KillSuccessCount: 1,
        KillFailCount: 0,
        IgnoredUserSessionCount: 9,
        Result: [
          {
            ...session(8357518, 'SESSION_KILLED'),
            TaskId: expect.stringMatching(/^task_[0-9a-f-]{36}$/),
          },
        ],
      });
      expect(Object.keys(data.Result[0] ?? {})).toStrictEqual([
        'Id',
        'User',
        'Host',
        'Db',
        'Command',
        'Time',
        'State',
        'Info',
        'Active',
        'TaskId',
        'Reason',
      ]);
    });

    it('reports RUNNING with growing counts, then SUCCESS, as the clock advances', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'life',
        InstanceId: instance,
        sessions: realisticSessions(10, { seed: 3, reasons: { SESSION_KILLED: 1 } }),
        durationMs: 10_000,
        finalState: 'SUCCESS',
      });
      const seen: Array<[string, number, number]> = [];

      // Act
      for (const step of [0, 3_000, 4_000, 2_999, 1]) {
        now += step;
        const data = dataOf(await get({ InstanceId: instance, TaskId: 'life' }));
        seen.push([data.TaskState, data.KillSuccessCount, data.Result.length]);
      }

      // Assess
      expect(seen).toStrictEqual([
        ['RUNNING', 0, 0],
        ['RUNNING', 3, 3],
        ['RUNNING', 7, 7],
        ['RUNNING', 9, 9],
        ['SUCCESS', 10, 10],
      ]);
      expect(das.checksOf('life')).toBe(5);
    });

    it('counts kills, failures and ignored sessions by Reason', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'mixed',
        InstanceId: instance,
        sessions: [
          session(1, 'SESSION_KILLED'),
          session(2, 'SESSION_KILLED'),
          session(3, 'SESSION_EXPIRED'),
          session(4, 'SESSION_NO_PERMISSION'),
          session(5, 'SESSION_ACCOUNT_ERROR'),
          session(6, 'SESSION_KILL_TASK_TIMEOUT'),
          session(7, 'SESSION_OTHER_ERROR'),
          session(8, 'SESSION_IGNORED_USER'),
          session(9, 'SESSION_INTERNAL_USER_OR_COMMAND'),
        ],
        ignoredUserSessionCount: 2,
        durationMs: 100,
        finalState: 'FAILURE',
      });
      now += 100;

      // Act
      const data = dataOf(await get({ InstanceId: instance, TaskId: 'mixed' }));

      // Assess
      expect(data).toMatchObject({
        TaskState: 'FAILURE',
        KillSuccessCount: 2,
        KillFailCount: 4,
        IgnoredUserSessionCount: 4,
      });
      expect(data.Sessions).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(data.Result).toHaveLength(9);
    });

    it('freezes progress after stallAfterMs and ends ERROR with a partial Result', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'stall',
        InstanceId: instance,
        sessions: realisticSessions(10, { seed: 4, reasons: { SESSION_KILLED: 1 } }),
        durationMs: 10_000,
        stallAfterMs: 4_000,
        finalState: 'ERROR',
      });

      // Act
      now += 8_000;
      const stalled = dataOf(await get({ InstanceId: instance, TaskId: 'stall' }));
      now += 2_000;
      const ended = dataOf(await get({ InstanceId: instance, TaskId: 'stall' }));

      // Assess
      expect([stalled.TaskState, stalled.KillSuccessCount]).toStrictEqual(['RUNNING', 4]);
      expect([ended.TaskState, ended.KillSuccessCount, ended.Result.length]).toStrictEqual([
        'ERROR',
        4,
        4,
      ]);
      expect(ended.Sessions).toHaveLength(10);
    });

    it('keeps a RUNNING-fated task running forever', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'forever',
        InstanceId: instance,
        sessions: realisticSessions(5, { seed: 5, reasons: { SESSION_KILLED: 1 } }),
        durationMs: 1_000,
        finalState: 'RUNNING',
      });
      now += 365 * 24 * 3_600_000;

      // Act
      const data = dataOf(await get({ InstanceId: instance, TaskId: 'forever' }));

      // Assess
      expect([data.TaskState, data.KillSuccessCount]).toStrictEqual(['RUNNING', 5]);
    });

    it('requires NodeId for a PolarDB cluster and returns it only there', async () => {
      // Prepare
      for (const [TaskId, InstanceId, NodeId] of [
        ['polar', 'pc-bp1h12rv501cv', 'pi-bp1h12rv501cv'],
        ['rds', instance, 'pi-ignored'],
      ] as const) {
        das.defineTask({
          TaskId,
          InstanceId,
          NodeId,
          sessions: [],
          durationMs: 0,
          finalState: 'SUCCESS',
        });
      }

      // Act
      const missing = await failureOf(get({ InstanceId: 'pc-bp1h12rv501cv', TaskId: 'polar' }));
      const polar = dataOf(
        await get({ InstanceId: 'pc-bp1h12rv501cv', TaskId: 'polar', NodeId: 'pi-bp1h12rv501cv' }),
      );
      const rds = dataOf(await get({ InstanceId: instance, TaskId: 'rds' }));

      // Assess
      expect(missing).toMatchObject({ code: 'InvalidParams', data: { statusCode: 400 } });
      expect(polar.NodeId).toBe('pi-bp1h12rv501cv');
      expect(rds).not.toHaveProperty('NodeId');
    });

    it.each([
      { case: 'an unknown TaskId', query: { InstanceId: instance, TaskId: 'nope' } },
      { case: 'the TaskId of another instance', query: { InstanceId: 'rm-other', TaskId: 'mine' } },
      { case: 'no TaskId', query: { InstanceId: instance } },
      { case: 'no InstanceId', query: { TaskId: 'mine' } },
    ])('answers $case with 400 InvalidParams', async ({ query }) => {
      // Prepare
      das.defineTask({
        TaskId: 'mine',
        InstanceId: instance,
        sessions: [],
        durationMs: 0,
        finalState: 'SUCCESS',
      });

      // Act
      const error = await failureOf(get(query));

      // Assess
      expect(error).toMatchObject({ code: 'InvalidParams', data: { statusCode: 400 } });
      expect(error.message).toMatch(
        /^InvalidParams: code: 400, The request parameters are invalid\./,
      );
    });
  });

  describe('CreateKillInstanceSessionTask', () => {
    const instance = 'rm-2zecreate01';
    const password = "S3cr*t!(pa ss)&'='";
    const sessions = [
      session(101, 'SESSION_KILLED', 'app_rw'),
      session(102, 'SESSION_KILLED', 'report_ro'),
      session(103, 'SESSION_NO_PERMISSION', 'etl_batch'),
    ];
    const create = (query: Record<string, string>) =>
      callDas(sdkClient(das.endpoint, STS), CREATE, query);

    beforeEach(() => {
      das.defineInstance({
        InstanceId: instance,
        UserId: '1648821913960999',
        fate: { sessions, durationMs: 5_000, finalState: 'SUCCESS' },
      });
      das.defineInstance({
        InstanceId: 'pc-2zecluster',
        NodeIds: ['pi-node1', 'pi-node2'],
        fate: { sessions, durationMs: 5_000, finalState: 'SUCCESS' },
      });
    });

    it('starts a task from the instance profile and answers its 32-hex TaskId', async () => {
      // Act
      const created = await create({
        InstanceId: instance,
        DbUser: 'dba',
        DbUserPassword: password,
        KillAllSessions: 'true',
      });
      const taskId = created.body.Data as string;
      const running = dataOf(
        await callDas(sdkClient(das.endpoint, STS), GET_RESULT, {
          InstanceId: instance,
          TaskId: taskId,
        }),
      );
      now += 5_000;
      const done = dataOf(
        await callDas(sdkClient(das.endpoint, STS), GET_RESULT, {
          InstanceId: instance,
          TaskId: taskId,
        }),
      );

      // Assess
      expect(created.body).toMatchObject({ Code: 200, Success: true, Message: 'Successful' });
      expect(taskId).toMatch(/^[0-9a-f]{32}$/);
      expect(running.TaskState).toBe('RUNNING');
      expect(done).toMatchObject({
        TaskState: 'SUCCESS',
        UserId: '1648821913960999',
        KillSuccessCount: 2,
        KillFailCount: 1,
        Sessions: [101, 102, 103],
      });
    });

    it('never records the DbUserPassword, on success or on error', async () => {
      // Act
      await create({
        InstanceId: instance,
        DbUser: 'dba',
        DbUserPassword: password,
        KillAllSessions: 'true',
      });
      await failureOf(
        create({
          InstanceId: 'rm-unknown',
          DbUser: 'dba',
          DbUserPassword: password,
          KillAllSessions: 'true',
        }),
      );

      // Assess
      expect(das.calls.map((call) => call.params)).toMatchObject([
        { DbUser: 'dba', DbUserPassword: '***' },
        { DbUser: 'dba', DbUserPassword: '***' },
      ]);
      expect(JSON.stringify(das.calls)).not.toContain('S3cr');
    });

    it('restricts the task to SessionIds when KillAllSessions is false', async () => {
      // Act
      const created = await create({
        InstanceId: instance,
        DbUser: 'dba',
        DbUserPassword: password,
        KillAllSessions: 'false',
        SessionIds: '[101,103]',
      });
      now += 5_000;
      const data = dataOf(
        await callDas(sdkClient(das.endpoint, STS), GET_RESULT, {
          InstanceId: instance,
          TaskId: created.body.Data as string,
        }),
      );

      // Assess
      expect(data.Sessions).toStrictEqual([101, 103]);
      expect([data.KillSuccessCount, data.KillFailCount]).toStrictEqual([1, 1]);
    });

    it('spares the sessions of IgnoredUsers when killing all sessions', async () => {
      // Act
      const created = await create({
        InstanceId: instance,
        DbUser: 'dba',
        DbUserPassword: password,
        KillAllSessions: 'true',
        IgnoredUsers: '["report_ro"]',
      });
      now += 5_000;
      const data = dataOf(
        await callDas(sdkClient(das.endpoint, STS), GET_RESULT, {
          InstanceId: instance,
          TaskId: created.body.Data as string,
        }),
      );

      // Assess
      expect(data.Result.map((row) => [row.User, row.Reason])).toStrictEqual([
        ['app_rw', 'SESSION_KILLED'],
        ['report_ro', 'SESSION_IGNORED_USER'],
        ['etl_batch', 'SESSION_NO_PERMISSION'],
      ]);
      expect(data.IgnoredUserSessionCount).toBe(1);
    });

    it('fans a PolarDB kill without NodeId out to every node and answers a JSON list', async () => {
      // Act
      const created = await create({
        InstanceId: 'pc-2zecluster',
        DbUser: 'dba',
        DbUserPassword: password,
        KillAllSessions: 'true',
      });
      const ids = JSON.parse(created.body.Data as string) as string[];
      const second = dataOf(
        await callDas(sdkClient(das.endpoint, STS), GET_RESULT, {
          InstanceId: 'pc-2zecluster',
          NodeId: 'pi-node2',
          TaskId: ids[1] as string,
        }),
      );

      // Assess
      expect(ids).toHaveLength(2);
      expect(second.NodeId).toBe('pi-node2');
    });

    it.each([
      { case: 'no instance profile', query: { InstanceId: 'rm-unknown', KillAllSessions: 'true' } },
      { case: 'no KillAllSessions', query: { InstanceId: instance } },
      {
        case: 'a KillAllSessions that is not a boolean',
        query: { InstanceId: instance, KillAllSessions: 'yes' },
      },
      {
        case: 'KillAllSessions=false without SessionIds',
        query: { InstanceId: instance, KillAllSessions: 'false' },
      },
    ])('answers $case with 400 InvalidParams', async ({ query }) => {
      // Act
      const error = await failureOf(create({ DbUser: 'dba', DbUserPassword: password, ...query }));

      // Assess
      expect(error).toMatchObject({ code: 'InvalidParams', data: { statusCode: 400 } });
    });
  });

  describe('faults', () => {
    const query = { InstanceId: 'rm-faulty', TaskId: 'ft' };
    const get = (runtime: { readTimeout?: number } = {}) =>
      callDas(sdkClient(das.endpoint, STATIC), GET_RESULT, query, runtime);

    beforeEach(() => {
      das.defineTask({
        TaskId: 'ft',
        InstanceId: 'rm-faulty',
        sessions: [],
        durationMs: 0,
        finalState: 'SUCCESS',
      });
    });

    it.each([
      {
        kind: 'throttling',
        code: 'Throttling.User',
        status: 400,
        message: 'Request was denied due to user flow control.',
      },
      {
        kind: 'invalid-params',
        code: 'InvalidParams',
        status: 400,
        message: 'The request parameters are invalid.',
      },
      {
        kind: 'no-permission',
        code: 'NoPermission',
        status: 403,
        message: 'You are not authorized to do this action.',
      },
      {
        kind: 'internal-error',
        code: 'InternalError',
        status: 500,
        message: 'The request processing has failed due to some unknown error.',
      },
      {
        kind: 'service-unavailable',
        code: 'ServiceUnavailable',
        status: 503,
        message: 'The request has failed due to a temporary failure of the server.',
      },
    ] as const)(
      'serves $kind once as HTTP $status $code',
      async ({ kind, code, status, message }) => {
        // Prepare
        das.fault({ kind });

        // Act
        const error = await failureOf(get());
        const next = await get();

        // Assess
        expect(error).toMatchObject({
          code,
          data: {
            statusCode: status,
            Code: code,
            Message: message,
            HostId: 'das.cn-shanghai.aliyuncs.com',
          },
        });
        expect(error.message).toBe(
          `${code}: code: ${status}, ${message} request id: ${String(error.data?.RequestId)}`,
        );
        expect(next.body.Success).toBe(true);
        expect(das.calls.map((call) => [call.status, call.code, call.accepted])).toStrictEqual([
          [status, code, true],
          [200, undefined, true],
        ]);
      },
    );

    it('serves html-502 as an HTML page that makes the SDK throw a bare SyntaxError', async () => {
      // Prepare
      das.fault({ kind: 'html-502' });

      // Act
      const error = await failureOf(get());

      // Assess
      expect(error).toBeInstanceOf(SyntaxError);
      expect(error.code).toBeUndefined();
      expect(das.calls[0]).toMatchObject({ status: 502, accepted: true });
    });

    it('serves success-false as HTTP 200 with Success false, which the SDK resolves', async () => {
      // Prepare
      das.fault({ kind: 'success-false' });

      // Act
      const response = await get();

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.body).toMatchObject({
        Success: false,
        Code: 'InvalidParams',
        Message: 'The request parameters are invalid.',
      });
      expect(response.body).not.toHaveProperty('Data');
    });

    it('hangs until the SDK read timeout gives up', async () => {
      // Prepare
      das.fault({ kind: 'hang' });

      // Act
      const error = await failureOf(get({ readTimeout: 200 }));

      // Assess
      expect(error.name).toBe('RequestTimeoutError');
      expect(error.message).toMatch(/^ReadTimeout\(200\)\./);
      expect(das.calls[0]).toMatchObject({ status: 0, accepted: true });
    });

    it('releases a hung request when the emulator closes', async () => {
      // Prepare
      das.fault({ kind: 'hang' });
      const pending = failureOf(get({ readTimeout: 10_000 }));
      while (das.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

      // Act
      const started = Date.now();
      await das.close();
      const error = await pending;

      // Assess
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error.code).toBe('ECONNRESET');
      expect(error.message).toMatch(/^socket hang up/);
    });

    it('resets the connection for reset', async () => {
      // Prepare
      das.fault({ kind: 'reset' });

      // Act
      const error = await failureOf(get());

      // Assess
      expect(error.code).toBe('ECONNRESET');
      expect(das.calls[0]).toMatchObject({ status: 0, accepted: true });
    });

    it('consumes faults in order, `times` each, only for the matching action and task', async () => {
      // Prepare
      das.defineTask({
        TaskId: 'other',
        InstanceId: 'rm-faulty',
        sessions: [],
        durationMs: 0,
        finalState: 'SUCCESS',
      });
      das.fault({ kind: 'throttling', action: GET_RESULT, taskId: 'ft', times: 2 });
      das.fault({ kind: 'internal-error', action: CREATE });
      das.fault({ kind: 'service-unavailable' });
      // Act
      const other = await failureOf(
        callDas(sdkClient(das.endpoint, STATIC), GET_RESULT, {
          InstanceId: 'rm-faulty',
          TaskId: 'other',
        }),
      );
      const first = await failureOf(get());
      const second = await failureOf(get());
      const third = await get();
      const created = await failureOf(
        callDas(sdkClient(das.endpoint, STATIC), CREATE, {
          InstanceId: 'rm-faulty',
          KillAllSessions: 'true',
        }),
      );

      // Assess
      expect([other.code, first.code, second.code]).toStrictEqual([
        'ServiceUnavailable',
        'Throttling.User',
        'Throttling.User',
      ]);
      expect(third.body.Success).toBe(true);
      expect(created.code).toBe('InternalError');
      expect(das.checksOf('ft')).toBe(3);
    });
  });
});

describe('realisticSessions', () => {
  it('returns the same rows for the same seed and different rows for another', () => {
    // Act
    const a = realisticSessions(30, { seed: 42 });
    const b = realisticSessions(30, { seed: 42 });
    const c = realisticSessions(30, { seed: 43 });

    // Assess
    expect(a).toStrictEqual(b);
    expect(a).not.toStrictEqual(c);
    expect(new Set(a.map((row) => row.Id)).size).toBe(30);
  });

  it('produces processlist-like rows with literals that need escaping', () => {
    // Act
    const rows = realisticSessions(300, { seed: 7 });
    const infos = rows.map((row) => row.Info).join('\n');

    // Assess
    for (const row of rows) {
      expect(row.Host).toMatch(/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+$/);
      expect(typeof row.Time).toBe('number');
      expect(row.Active).toBe(row.Command === 'Query' || row.Command === 'Execute');
    }
    expect(new Set(rows.map((row) => row.Command))).toEqual(
      new Set(['Query', 'Sleep', 'Execute', 'Binlog Dump']),
    );
    expect(infos).toContain('&');
    expect(infos).toContain('<');
    expect(infos).toContain("''");
    expect(infos).toMatch(/[\u4e00-\u9fff]/);
    expect(rows.map((row) => row.User)).toEqual(
      expect.arrayContaining(['app_rw', 'report_ro', 'etl_batch']),
    );
    expect(rows.map((row) => row.State)).toEqual(
      expect.arrayContaining(['Sending data', 'executing', 'Waiting for table metadata lock', '']),
    );
  });

  it('draws Reasons from the given weights, mostly SESSION_KILLED by default', () => {
    // Act
    const byDefault = realisticSessions(1000, { seed: 9 });
    const weighted = realisticSessions(1000, {
      seed: 9,
      reasons: { SESSION_KILLED: 1, SESSION_NO_PERMISSION: 1 },
    });

    // Assess
    const killed = byDefault.filter((row) => row.Reason === 'SESSION_KILLED').length;
    expect(killed).toBeGreaterThan(750);
    expect(new Set(weighted.map((row) => row.Reason))).toEqual(
      new Set(['SESSION_KILLED', 'SESSION_NO_PERMISSION']),
    );
  });

  it('refuses an unknown Reason code', () => {
    // Act / Assess
    expect(() => realisticSessions(1, { seed: 1, reasons: { SESSION_KILED: 1 } })).toThrow(
      new TypeError('realisticSessions: options.reasons: unknown Reason "SESSION_KILED"'),
    );
  });
});
