import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NOTIFY_TOPIC,
  ROLE_CREDENTIALS,
  SUBSCRIBER_QUEUE,
  TRACK_QUEUE,
  WEBHOOK_SECRET,
} from '../../emulators/cloud.js';
import { realisticSessions } from '../../emulators/das/index.js';
import { invokeFunction } from '../../emulators/fc/runtime.js';
import { createProductionTracker } from '../../shared/runtime/production.js';
import { summaryId } from '../../shared/summary/build.js';
import type { SummaryEvent } from '../../shared/summary/model.js';
import type { TrackState } from '../../shared/track/state.js';
import { POLAR_REQUEST, RDS_REQUEST } from '../helpers/factories.js';
import { fixtureEvent } from '../helpers/fixtures.js';
import { type Harness, queueEvent, startHarness } from '../helpers/tracker.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

function defineTask(
  request: { InstanceId: string; TaskId: string; NodeId?: string },
  finalState: 'SUCCESS' | 'FAILURE' | 'ERROR' | 'RUNNING',
  durationMs = 0,
  reasons: Record<string, number> = { SESSION_KILLED: 1 },
) {
  h.cloud.das.defineTask({
    ...request,
    UserId: '164882191396',
    sessions: realisticSessions(6, { seed: 3, reasons }),
    durationMs,
    finalState,
    createdAt: Date.now() - (durationMs === 0 ? 1 : 0),
  });
}

/** States waiting in the tracking queue (what the next invocations will receive). */
function queuedStates(): TrackState[] {
  return h.cloud.mns
    .messages(TRACK_QUEUE)
    .map((m) => JSON.parse(Buffer.from(m.body, 'base64').toString('utf8')) as TrackState);
}

function topicSummaries(): SummaryEvent[] {
  return h.cloud.mns.published(NOTIFY_TOPIC).map((m) => JSON.parse(m.body) as SummaryEvent);
}

function allLogs(): string {
  return h.logs.join('');
}

describe('tracker handler: one check', () => {
  it('publishes a finished task to the topic and the webhook with one id and the same bytes', async () => {
    // Prepare
    defineTask(RDS_REQUEST, 'SUCCESS');
    // Act
    const result = await h.invoke(fixtureEvent('direct.json'));
    // Assess
    expect(result).toMatchObject({
      ok: true,
      value: {
        shape: 'track request',
        records: [{ action: 'published', outcome: 'SUCCESS', TaskId: RDS_REQUEST.TaskId }],
      },
    });
    const [published] = h.cloud.mns.published(NOTIFY_TOPIC);
    const [hook] = h.cloud.webhook.deliveries;
    expect(hook?.verified).toBe(true);
    expect(hook?.id).toBe(summaryId(RDS_REQUEST.TaskId, 'SUCCESS'));
    expect(published?.body).toBe(hook?.body);
    expect(JSON.parse(published?.body ?? '{}')).toMatchObject({
      id: hook?.id,
      subject: RDS_REQUEST.TaskId,
      data: { Outcome: 'SUCCESS', KillSuccessCount: 6, SessionCount: 6, Checks: 1 },
    });
    expect(h.cloud.mns.messages(TRACK_QUEUE)).toEqual([]);
  });

  it('re-queues a running task with a delay, as base64 of its state, and checks it again from the queue', async () => {
    defineTask(POLAR_REQUEST, 'SUCCESS', 60_000);
    const first = await h.invoke(POLAR_REQUEST);
    expect(first).toMatchObject({
      ok: true,
      value: { records: [{ action: 'requeued', delayS: 1 }] },
    });
    const [queued] = h.cloud.mns.messages(TRACK_QUEUE);
    expect(queued).toMatchObject({ state: 'Delayed', delaySeconds: 1 });
    const [state] = queuedStates();
    expect(state).toMatchObject({
      v: 1,
      request: POLAR_REQUEST,
      checks: 1,
      progress: { TaskState: 'RUNNING' },
    });

    const second = await h.invoke(queueEvent(queued?.body ?? ''));
    expect(second).toMatchObject({ ok: true, value: { records: [{ action: 'requeued' }] } });
    expect(queuedStates().at(-1)?.checks).toBe(2);
    expect(h.cloud.das.checksOf(POLAR_REQUEST.TaskId)).toBe(2);
  });

  it('accepts a batch of queue CloudEvents and tracks each record', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    defineTask(POLAR_REQUEST, 'FAILURE', 0, { SESSION_NO_PERMISSION: 1 });
    const result = await h.invoke(fixtureEvent('queue-eventbridge-batch.json'));
    expect(result).toMatchObject({
      ok: true,
      value: {
        shape: 'queue batch',
        records: [
          { action: 'published', outcome: 'SUCCESS' },
          { action: 'published', outcome: 'FAILURE' },
        ],
      },
    });
    const failure = topicSummaries().find((s) => s.data.Outcome === 'FAILURE');
    expect(failure?.data.FailedSessions).toHaveLength(6);
    expect(failure?.data.FailedSessions[0]?.Reason).toBe('SESSION_NO_PERMISSION');
  });

  it('backs off and re-queues on a transient DAS failure, remembering the error', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    h.cloud.das.fault({ kind: 'throttling' });
    const result = await h.invoke(RDS_REQUEST);
    expect(result).toMatchObject({ ok: true, value: { records: [{ action: 'requeued' }] } });
    expect(queuedStates()[0]).toMatchObject({
      checks: 1,
      quiet: 1,
      lastError: { Code: 'Throttling.User' },
    });
    expect(h.cloud.webhook.deliveries).toHaveLength(0);
  });

  it('publishes INVALID with the DAS error on a permanent failure, without retrying', async () => {
    h.cloud.das.fault({ kind: 'no-permission' });
    const result = await h.invoke(RDS_REQUEST);
    expect(result).toMatchObject({
      ok: true,
      value: { records: [{ action: 'published', outcome: 'INVALID' }] },
    });
    expect(topicSummaries()[0]?.data).toMatchObject({
      Outcome: 'INVALID',
      Error: {
        Code: 'NoPermission',
        Message: 'You are not authorized to do this action.',
        RequestId: expect.any(String),
      },
    });
    expect(h.cloud.mns.messages(TRACK_QUEUE)).toEqual([]);
  });

  it('publishes TIMEOUT with the last counts when the deadline has passed', async () => {
    defineTask(RDS_REQUEST, 'RUNNING', 60_000);
    const state: TrackState = {
      v: 1,
      request: RDS_REQUEST,
      checks: 9,
      startedAt: Date.now() - 3_700_000,
      deadline: Date.now() - 100_000,
      quiet: 4,
    };
    await h.invoke(queueEvent(Buffer.from(JSON.stringify(state)).toString('base64')));
    expect(topicSummaries()[0]?.data).toMatchObject({
      Outcome: 'TIMEOUT',
      TaskState: 'RUNNING',
      Checks: 10,
      SessionCount: 6,
    });
  });
});

describe('tracker handler: byte-exact delivery', () => {
  it('delivers a summary whose Info holds &, <, quotes and non-ASCII text byte-exact to a topic subscriber', async () => {
    // Prepare: show literals, so the awkward characters survive into the summary.
    await h.close();
    h = await startHarness({ SUMMARY_SHOW_SQL_LITERALS: 'true' });
    const info = `SELECT * FROM t WHERE a < 5 && b > 'x' AND c = "y" /* 张三 😀 ]]> &amp; */`;
    h.cloud.das.defineTask({
      ...RDS_REQUEST,
      sessions: realisticSessions(2, { seed: 5, reasons: { SESSION_OTHER_ERROR: 1 } }).map((s) => ({
        ...s,
        Info: info,
      })),
      durationMs: 0,
      finalState: 'FAILURE',
      createdAt: Date.now() - 1,
    });
    // Act
    await h.invoke(RDS_REQUEST);
    // Assess: the subscriber's queue got the topic message; compare bytes with the webhook's.
    const [subscribed] = h.cloud.mns.messages(SUBSCRIBER_QUEUE);
    const [hook] = h.cloud.webhook.deliveries;
    expect(Buffer.from(subscribed?.body ?? '').equals(Buffer.from(hook?.body ?? 'x'))).toBe(true);
    expect(
      (JSON.parse(subscribed?.body ?? '{}') as SummaryEvent).data.FailedSessions[0]?.Info,
    ).toBe(info);
  });
});

describe('tracker handler: bad input', () => {
  it.each([
    ['plain text', 'hello topic'],
    ['an empty event', ''],
    ['a topic STREAM fixture that is not a track request', fixtureEvent('topic-mns-stream.json')],
    ['a record without ids', { Instance: 'rm-1' }],
  ])('consumes %s without throwing or calling DAS', async (_case, event) => {
    const result = await h.invoke(event);
    expect(result.ok).toBe(true);
    expect(h.cloud.das.calls).toHaveLength(0);
    expect(h.cloud.mns.published(NOTIFY_TOPIC)).toHaveLength(0);
    expect(allLogs()).toMatch(/rejected/);
  });

  it('answers a record that names a task but is invalid with an INVALID summary, without calling DAS', async () => {
    const result = await h.invoke({
      InstanceId: 'pc-bp1h12rv501cvxyz1',
      TaskId: 'a11d535b45405bd462b21caa3ee8ef01',
    });
    expect(result).toMatchObject({
      ok: true,
      value: { records: [{ action: 'published', outcome: 'INVALID' }] },
    });
    expect(h.cloud.das.calls).toHaveLength(0);
    expect(topicSummaries()[0]?.data).toMatchObject({
      Outcome: 'INVALID',
      Checks: 0,
      Error: { Code: 'InvalidTrackRequest', Message: expect.stringMatching(/NodeId is required/) },
    });
  });

  it('lets one bad record never stop the others in a batch', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    const result = await h.invoke([
      queueEvent('%%% not json'),
      queueEvent(JSON.stringify(RDS_REQUEST)),
    ]);
    expect(result).toMatchObject({
      ok: true,
      value: { records: [{ action: 'rejected' }, { action: 'published', outcome: 'SUCCESS' }] },
    });
  });
});

describe('tracker handler: nothing lost, nothing doubled', () => {
  it('re-queues a summary a sink refused as a pending publication, then delivers it only to that sink', async () => {
    // Prepare
    defineTask(RDS_REQUEST, 'SUCCESS');
    h.cloud.webhook.fail({ status: 503 }, { status: 503 }, { status: 503 });
    // Act
    const first = await h.invoke(RDS_REQUEST);
    const [pending] = h.cloud.mns.messages(TRACK_QUEUE);
    const second = await h.invoke(queueEvent(pending?.body ?? ''));
    // Assess
    expect(first).toMatchObject({
      ok: true,
      value: { records: [{ action: 'pending', outcome: 'SUCCESS' }] },
    });
    expect(second).toMatchObject({
      ok: true,
      value: { records: [{ action: 'published', outcome: 'SUCCESS' }] },
    });
    expect(h.cloud.mns.published(NOTIFY_TOPIC)).toHaveLength(1);
    expect(h.cloud.webhook.deliveries).toHaveLength(1);
    expect(JSON.parse(h.cloud.webhook.deliveries[0]?.body ?? '{}')).toEqual(topicSummaries()[0]);
    expect(h.cloud.das.checksOf(RDS_REQUEST.TaskId)).toBe(1);
  });

  it('fails the invocation only when a record could neither be published nor re-queued, and does not publish twice on the retry', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    defineTask(POLAR_REQUEST, 'SUCCESS', 60_000);
    h.cloud.mns.fault({ kind: 'internal-error', operation: 'SendMessage', times: 1 });
    const batch = [
      queueEvent(JSON.stringify(RDS_REQUEST), 'MSG-A'),
      queueEvent(JSON.stringify(POLAR_REQUEST), 'MSG-B'),
    ];

    const failed = await h.invoke(batch);
    const retried = await h.invoke(batch);

    expect(failed).toMatchObject({ ok: false, errorType: 'UnhandledInvocationError' });
    if (!failed.ok) expect(failed.errorMessage).toMatch(/RecordsFailedError: 1 record/);
    expect(retried).toMatchObject({
      ok: true,
      value: { records: [{ action: 'duplicate' }, { action: 'requeued' }] },
    });
    expect(h.cloud.mns.published(NOTIFY_TOPIC)).toHaveLength(1);
    expect(h.cloud.webhook.deliveries).toHaveLength(1);
    expect(h.cloud.mns.messages(TRACK_QUEUE)).toHaveLength(1);
  });

  it('skips a duplicate delivery of a queue message it already handled', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    const event = queueEvent(JSON.stringify(RDS_REQUEST), 'MSG-DUP');
    await h.invoke(event);
    const again = await h.invoke(event);
    expect(again).toMatchObject({ ok: true, value: { records: [{ action: 'duplicate' }] } });
    expect(h.cloud.webhook.deliveries).toHaveLength(1);
  });

  it('gives a summary published twice by two instances the same id, so a subscriber can drop the double', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    const otherInstance = createProductionTracker(
      { ...h.cloud.env, LOG_LEVEL: 'silent' },
      { logDestination: { write: () => undefined } },
    );
    await h.invoke(RDS_REQUEST);
    await invokeFunction(
      (e, c) => otherInstance.handle(e, c),
      JSON.stringify(RDS_REQUEST),
      h.cloud.functionSpec,
    );
    const [first, second] = h.cloud.webhook.deliveries;
    expect(second?.id).toBe(first?.id);
    expect(second?.duplicate).toBe(true);
    const topic = h.cloud.mns.published(NOTIFY_TOPIC);
    expect(JSON.parse(topic[1]?.body ?? '{}').id).toBe(JSON.parse(topic[0]?.body ?? '{}').id);
  });
});

describe('tracker handler: secrets', () => {
  it('never writes a credential, token, webhook secret or webhook key to the log', async () => {
    defineTask(RDS_REQUEST, 'SUCCESS');
    defineTask(POLAR_REQUEST, 'RUNNING', 60_000);
    h.cloud.webhook.fail({ status: 500 }, { reset: true });
    h.cloud.das.fault({ kind: 'html-502' });
    await h.invoke(RDS_REQUEST);
    await h.invoke(POLAR_REQUEST);
    await h.invoke(POLAR_REQUEST);
    await h.invoke({ InstanceId: 'rm-1', TaskId: 'x y', DbUserPassword: 'Pa55word!' });
    await h.invoke('not json DbUserPassword=Pa55word!');
    const logs = allLogs();
    expect(logs.length).toBeGreaterThan(500);
    for (const secret of [
      ROLE_CREDENTIALS.accessKeySecret,
      ROLE_CREDENTIALS.securityToken,
      WEBHOOK_SECRET,
      WEBHOOK_SECRET.slice(6),
      'receiver-key-0001',
      'Pa55word!',
    ]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).toContain(RDS_REQUEST.TaskId);
    expect(h.cloud.mns.published(NOTIFY_TOPIC).length).toBeGreaterThan(0);
    expect(h.cloud.mns.messages(SUBSCRIBER_QUEUE).length).toBeGreaterThan(0);
  });
});
