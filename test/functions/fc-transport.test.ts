import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalCloud, ROLE_CREDENTIALS, startLocalCloud } from '../../emulators/cloud.js';
import { realisticSessions } from '../../emulators/das/index.js';
import { FcApiEmulator } from '../../emulators/fc/api.js';
import { invokeFunction } from '../../emulators/fc/runtime.js';
import { createProductionTracker } from '../../shared/runtime/production.js';
import type { Tracker } from '../../shared/runtime/tracker.js';
import type { TrackState } from '../../shared/track/state.js';
import { RDS_REQUEST } from '../helpers/factories.js';
import { ManualClock } from '../helpers/ports.js';

let clock: ManualClock;
let t0: number;
let cloud: LocalCloud;
let fc: FcApiEmulator;
let tracker: Tracker;

async function start(env: Record<string, string>): Promise<void> {
  // Real now: the webhook receiver checks webhook-timestamp against real time (Standard Webhooks).
  clock = new ManualClock(Date.now());
  t0 = clock.now;
  cloud = await startLocalCloud({ clock: clock.read });
  fc = await FcApiEmulator.start({
    accountId: cloud.functionSpec.accountId,
    region: 'cn-shanghai',
    credentials: [ROLE_CREDENTIALS],
    roleCredentials: ROLE_CREDENTIALS,
    clock: clock.read,
  });
  const { TRACK_QUEUE: _queue, ...withoutQueue } = cloud.env;
  tracker = createProductionTracker(
    { ...withoutQueue, TRACK_TRANSPORT: 'fc', FC_ENDPOINT: fc.url, LOG_LEVEL: 'silent', ...env },
    { clock: clock.read },
  );
  fc.register(cloud.functionSpec.name, (event, context) => tracker.handle(event, context));
  cloud.das.defineTask({
    ...RDS_REQUEST,
    sessions: realisticSessions(4, { seed: 2, reasons: { SESSION_KILLED: 1 } }),
    durationMs: 20_000_000,
    finalState: 'SUCCESS',
    createdAt: t0,
  });
}

afterEach(async () => {
  await fc.close();
  await cloud.close();
});

const payloadOf = (i: number) =>
  JSON.parse(fc.tasks[i]?.payload.toString('utf8') ?? '{}') as TrackState;
const direct = () =>
  invokeFunction((e, c) => tracker.handle(e, c), JSON.stringify(RDS_REQUEST), cloud.functionSpec);

describe('FC self-invocation transport', () => {
  beforeEach(() => start({ POLL_MIN_DELAY_S: '30', POLL_MAX_DELAY_S: '30' }));

  it('re-invokes the function asynchronously after the delay, with a deterministic task id, and checks again', async () => {
    // Act
    const first = await direct();
    // Assess
    expect(first).toMatchObject({
      ok: true,
      value: { records: [{ action: 'requeued', delayS: 30 }] },
    });
    expect(fc.tasks).toHaveLength(1);
    expect(fc.tasks[0]).toMatchObject({
      functionName: 'das-kill-tracker',
      delayS: 30,
      status: 'Enqueued',
    });
    expect(fc.tasks[0]?.taskId).toMatch(/^dkt_[0-9a-f]{24}_c1_p0_h0$/);
    expect(payloadOf(0)).toMatchObject({ request: RDS_REQUEST, checks: 1 });
    clock.advance(29_000);
    await fc.drain();
    expect(cloud.das.checksOf(RDS_REQUEST.TaskId)).toBe(1);
    clock.advance(1000);
    await fc.drain();
    expect(fc.tasks[0]?.status).toBe('Succeeded');
    expect(cloud.das.checksOf(RDS_REQUEST.TaskId)).toBe(2);
    expect(fc.tasks[1]?.taskId).toMatch(/_c2_p0_h0$/);
  });

  it('treats a refused duplicate hop (409) as done, so a doubled event does not double the checks', async () => {
    await direct();
    const event = fc.tasks[0]?.payload ?? Buffer.alloc(0);
    clock.advance(30_000);
    await fc.drain();
    // FC's at-least-once delivery hands the same event to the function again.
    const again = await invokeFunction((e, c) => tracker.handle(e, c), event, cloud.functionSpec);
    expect(again).toMatchObject({ ok: true, value: { records: [{ action: 'requeued' }] } });
    expect(fc.requests.filter((r) => r.status === 409)).toHaveLength(1);
    expect(fc.tasks).toHaveLength(2);
  });

  it('publishes the summary when the task ends, and stops invoking itself', async () => {
    cloud.das.defineTask({
      InstanceId: 'rm-fast',
      TaskId: 'fast0000000000000000000000000001',
      sessions: realisticSessions(2, { seed: 4, reasons: { SESSION_KILLED: 1 } }),
      durationMs: 40_000,
      finalState: 'SUCCESS',
      createdAt: t0,
    });
    await invokeFunction(
      (e, c) => tracker.handle(e, c),
      JSON.stringify({ InstanceId: 'rm-fast', TaskId: 'fast0000000000000000000000000001' }),
      cloud.functionSpec,
    );
    for (let i = 0; i < 3; i += 1) {
      clock.advance(30_000);
      await fc.drain();
    }
    expect(cloud.webhook.deliveries).toHaveLength(1);
    expect(JSON.parse(cloud.webhook.deliveries[0]?.body ?? '{}').data.Outcome).toBe('SUCCESS');
    expect(fc.tasks.at(-1)?.status).toBe('Succeeded');
    expect(fc.tasks).toHaveLength(2);
  });
});

describe('FC self-invocation transport: waits longer than one hop', () => {
  beforeEach(() =>
    start({ POLL_MIN_DELAY_S: '5000', POLL_MAX_DELAY_S: '5000', TRACK_TIMEOUT_S: '86400' }),
  );

  it('chains hops of at most 3599 s and checks only when the whole wait is over', async () => {
    await direct();
    expect(fc.tasks[0]).toMatchObject({ delayS: 3599 });
    expect(payloadOf(0)).toMatchObject({ checks: 1, wakeAt: t0 + 5_000_000, hop: 0 });

    clock.advance(3_599_000);
    await fc.drain();
    expect(cloud.das.checksOf(RDS_REQUEST.TaskId)).toBe(1);
    expect(fc.tasks[1]).toMatchObject({ delayS: 1401 });
    expect(fc.tasks[1]?.taskId).toMatch(/_c1_p0_h1$/);
    expect(payloadOf(1).wakeAt).toBeUndefined();

    clock.advance(1_401_000);
    await fc.drain();
    expect(cloud.das.checksOf(RDS_REQUEST.TaskId)).toBe(2);
    expect(fc.tasks[2]?.taskId).toMatch(/_c2_p0_h0$/);
  });
});
