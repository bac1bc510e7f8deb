import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DasEmulator, type FaultKind, realisticSessions } from '../../../emulators/das/index.js';
import { classifyDasError, OpenApiDas } from '../../../shared/das/client.js';
import { DasRejectedError, DasUnavailableError } from '../../../shared/errors.js';
import { POLAR_REQUEST, RDS_REQUEST } from '../../helpers/factories.js';

const STS = {
  accessKeyId: 'STS.NUTestRoleKey0001',
  accessKeySecret: 'TestRoleSecret000000000000001',
  securityToken: 'CAISTestToken+abc/def==',
};
const STATIC = {
  accessKeyId: 'LTAI5tTestStatic0001',
  accessKeySecret: 'TestStaticSecret0000000000001',
};

let now = Date.UTC(2026, 11, 4, 6, 0, 0);
let das: DasEmulator;
let client: OpenApiDas;

beforeAll(async () => {
  das = await DasEmulator.start({ credentials: [STS, STATIC], clock: () => now });
  client = new OpenApiDas({ endpoint: { protocol: 'http', host: das.endpoint }, timeoutMs: 2000 });
  das.defineTask({
    ...RDS_REQUEST,
    UserId: '164882191396',
    sessions: realisticSessions(10, { seed: 7, reasons: { SESSION_KILLED: 1 } }),
    durationMs: 10_000,
    finalState: 'SUCCESS',
    createdAt: now,
  });
  das.defineTask({
    ...POLAR_REQUEST,
    sessions: realisticSessions(4, { seed: 8, reasons: { SESSION_NO_PERMISSION: 1 } }),
    durationMs: 1000,
    finalState: 'FAILURE',
    createdAt: now,
  });
});

afterAll(() => das.close());

describe('OpenApiDas.getKillTaskResult', () => {
  it('reads a running task with STS credentials, then its final answer', async () => {
    // Act
    now += 5000;
    const running = await client.getKillTaskResult(RDS_REQUEST, STS);
    now += 6000;
    const done = await client.getKillTaskResult(RDS_REQUEST, STS);
    // Assess
    expect(running).toMatchObject({
      TaskState: 'RUNNING',
      InstanceId: RDS_REQUEST.InstanceId,
      UserId: '164882191396',
    });
    expect(running.Sessions).toHaveLength(10);
    expect(running.Result.length).toBe(5);
    expect(done.TaskState).toBe('SUCCESS');
    expect(done.Result).toHaveLength(10);
    expect(done.KillSuccessCount).toBe(10);
    expect(done.RequestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('sends NodeId for a PolarDB cluster and reads per-session failures', async () => {
    const done = await client.getKillTaskResult(POLAR_REQUEST, STATIC);
    expect(done).toMatchObject({
      TaskState: 'FAILURE',
      NodeId: POLAR_REQUEST.NodeId,
      KillFailCount: 4,
    });
    expect(done.Result.every((row) => row.Reason === 'SESSION_NO_PERMISSION')).toBe(true);
  });

  it.each<
    [FaultKind, typeof DasUnavailableError | typeof DasRejectedError, string, number | undefined]
  >([
    ['throttling', DasUnavailableError, 'Throttling.User', 400],
    ['internal-error', DasUnavailableError, 'InternalError', 500],
    ['service-unavailable', DasUnavailableError, 'ServiceUnavailable', 503],
    ['html-502', DasUnavailableError, 'InvalidResponse', undefined],
    ['reset', DasUnavailableError, 'ECONNRESET', undefined],
    ['invalid-params', DasRejectedError, 'InvalidParams', 400],
    ['no-permission', DasRejectedError, 'NoPermission', 403],
    ['success-false', DasRejectedError, 'InvalidParams', undefined],
  ])('classifies the %s fault as %s (%s)', async (kind, type, code, status) => {
    das.fault({ kind, taskId: RDS_REQUEST.TaskId });
    const error = await client.getKillTaskResult(RDS_REQUEST, STS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, status, retryable: type === DasUnavailableError });
  });

  it('gives up on a DAS that does not answer within the timeout, as a transient failure', async () => {
    das.fault({ kind: 'hang', taskId: RDS_REQUEST.TaskId });
    const started = Date.now();
    const error = await client.getKillTaskResult(RDS_REQUEST, STS, 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DasUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports an unknown task as a permanent InvalidParams with the request id', async () => {
    const error = await client
      .getKillTaskResult(
        { InstanceId: RDS_REQUEST.InstanceId, TaskId: 'ffffffffffffffffffffffffffffffff' },
        STS,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DasRejectedError);
    expect(error).toMatchObject({
      code: 'InvalidParams',
      status: 400,
      requestId: expect.any(String),
    });
  });

  it('is refused, permanently, with a wrong secret or a wrong STS token', async () => {
    const wrongSecret = await client
      .getKillTaskResult(RDS_REQUEST, { ...STS, accessKeySecret: 'not-the-secret' })
      .catch((e: unknown) => e);
    const wrongToken = await client
      .getKillTaskResult(RDS_REQUEST, { ...STS, securityToken: 'CAISforged' })
      .catch((e: unknown) => e);
    expect(wrongSecret).toMatchObject({ code: 'SignatureDoesNotMatch', retryable: false });
    expect(wrongToken).toBeInstanceOf(DasRejectedError);
  });

  it('classifies a network failure as transient', async () => {
    const closed = new OpenApiDas({
      endpoint: { protocol: 'http', host: '127.0.0.1:9' },
      timeoutMs: 1000,
    });
    const error = await closed.getKillTaskResult(RDS_REQUEST, STS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DasUnavailableError);
  });
});

describe('classifyDasError', () => {
  it('treats a bare SyntaxError (non-JSON body) as transient', () => {
    expect(classifyDasError(new SyntaxError('Unexpected token <'))).toBeInstanceOf(
      DasUnavailableError,
    );
  });

  it('treats throttling as transient whatever the HTTP status', () => {
    const thrown = Object.assign(new Error('x'), {
      code: 'Throttling.Api',
      data: { statusCode: 429 },
    });
    expect(classifyDasError(thrown)).toMatchObject({
      retryable: true,
      code: 'Throttling.Api',
      status: 429,
    });
  });

  it('treats any other 4xx as permanent and any 5xx as transient', () => {
    const e4 = Object.assign(new Error('x'), {
      code: 'Forbidden.RAM',
      data: { statusCode: 403, RequestId: 'R' },
    });
    const e5 = Object.assign(new Error('x'), { code: 'Whatever', data: { statusCode: 504 } });
    expect(classifyDasError(e4)).toMatchObject({ retryable: false, requestId: 'R' });
    expect(classifyDasError(e5)).toMatchObject({ retryable: true });
  });
});
