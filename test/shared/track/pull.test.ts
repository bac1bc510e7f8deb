import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MnsEmulator } from '../../../emulators/mns/index.js';
import { DasRejectedError } from '../../../shared/errors.js';
import { MnsAdapter } from '../../../shared/mns/client.js';
import { createMnsSdk } from '../../../shared/mns/sdk.js';
import {
  type PullOptions,
  pulledRecord,
  runPull,
  timerOverrides,
} from '../../../shared/track/pull.js';
import { POLAR_REQUEST, RDS_REQUEST, result, T0 } from '../../helpers/factories.js';
import {
  CREDENTIALS,
  ManualClock,
  RecordingSink,
  ScriptedDas,
  SETTINGS,
  testPorts,
} from '../../helpers/ports.js';

const QUEUE = 'das-kill-tracker';
const OPTIONS: PullOptions = { maxMessages: 100, waitSeconds: 0, concurrency: 4 };

let clock: ManualClock;
let mns: MnsEmulator;
let adapter: MnsAdapter;

beforeEach(async () => {
  clock = new ManualClock(T0);
  mns = await MnsEmulator.start({ credentials: [CREDENTIALS], clock: clock.read });
  mns.createQueue(QUEUE, { VisibilityTimeout: 60 });
  adapter = new MnsAdapter(await createMnsSdk(new URL(mns.url), CREDENTIALS, 2000));
});
afterEach(() => mns.close());

async function send(body: unknown, delayS = 0): Promise<void> {
  await adapter.sendMessage(QUEUE, JSON.stringify(body), delayS);
}

function pull(das: ScriptedDas, sink: RecordingSink, deadline = clock.now + 55_000) {
  const ports = testPorts({ das, sinks: [sink], clock: clock.read, deadline });
  return { ports, run: runPull(ports, SETTINGS, async () => adapter, QUEUE, OPTIONS) };
}

describe('runPull', () => {
  it('hides a running task until its next check, keeping the body, and deletes a finished one after publishing', async () => {
    // Prepare
    await send(RDS_REQUEST);
    await send(POLAR_REQUEST);
    const das = new ScriptedDas((request) =>
      result({
        TaskState: request.TaskId === RDS_REQUEST.TaskId ? 'RUNNING' : 'SUCCESS',
        TaskId: request.TaskId,
      }),
    );
    const sink = new RecordingSink();
    // Act
    const report = await pull(das, sink).run;
    // Assess
    expect(report).toMatchObject({ received: 2, stoppedBy: 'empty' });
    expect(report.records.map((r) => r.action).sort()).toEqual(['published', 'requeued']);
    const left = mns.messages(QUEUE);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({
      body: JSON.stringify(RDS_REQUEST),
      state: 'Inactive',
      dequeueCount: 1,
    });
    expect(left[0]?.nextVisibleTime).toBe(T0 + SETTINGS.poll.minDelayS * 1000);
    expect(sink.deliveries.map((d) => d.event.subject)).toEqual([POLAR_REQUEST.TaskId]);
  });

  it('checks a message again when it comes back, growing the wait, and times it out at its deadline', async () => {
    await send(RDS_REQUEST);
    const das = new ScriptedDas(() => result({ TaskState: 'RUNNING' }));
    const sink = new RecordingSink();
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await pull(das, sink).run;
      const [message] = mns.messages(QUEUE);
      waits.push(((message?.nextVisibleTime ?? 0) - clock.now) / 1000);
      clock.advance((message?.nextVisibleTime ?? 0) - clock.now + 1);
    }
    expect(waits[0]).toBe(SETTINGS.poll.minDelayS);
    expect(waits[3]).toBeGreaterThan(waits[0] as number);
    expect(mns.messages(QUEUE)[0]?.dequeueCount).toBe(4);
    clock.advance(SETTINGS.poll.trackTimeoutS * 1000);
    await pull(das, sink).run;
    expect(sink.deliveries.map((d) => d.event.data)).toMatchObject([
      { Outcome: 'TIMEOUT', Checks: 5 },
    ]);
    expect(mns.messages(QUEUE)).toEqual([]);
  });

  it('leaves a finished task in the queue when publication fails, and publishes it when it comes back', async () => {
    await send(RDS_REQUEST);
    const das = new ScriptedDas(() => result({ TaskState: 'SUCCESS' }));
    const sink = new RecordingSink();
    sink.failing = true;
    const first = await pull(das, sink).run;
    expect(first.records[0]).toMatchObject({ action: 'pending', outcome: 'SUCCESS' });
    expect(mns.messages(QUEUE)).toHaveLength(1);
    sink.failing = false;
    clock.advance(SETTINGS.poll.maxDelayS * 1000);
    const second = await pull(das, sink).run;
    expect(second.records[0]).toMatchObject({ action: 'published' });
    expect(sink.deliveries).toHaveLength(1);
    expect(mns.messages(QUEUE)).toEqual([]);
  });

  it('ends quietly on an empty queue', async () => {
    const das = new ScriptedDas(() => result());
    const report = await pull(das, new RecordingSink()).run;
    expect(report).toEqual({ received: 0, stoppedBy: 'empty', records: [] });
    expect(das.calls).toBe(0);
  });

  it('stops receiving while there is still time to finish, leaving the rest for the next run', async () => {
    // Prepare: 40 running tasks; every DAS call takes 2 s of (fake) time; the run has 20 s.
    for (let i = 0; i < 40; i += 1) await send({ InstanceId: `rm-${i}`, TaskId: `t${i}` });
    const das = new ScriptedDas(
      () => result({ TaskState: 'RUNNING' }),
      () => clock.advance(2000),
    );
    // Act
    const report = await pull(das, new RecordingSink(), clock.now + 20_000).run;
    // Assess
    expect(report.stoppedBy).toBe('time');
    expect(report.received).toBeLessThan(40);
    expect(report.received).toBeGreaterThan(0);
    expect(clock.now).toBeLessThanOrEqual(T0 + 20_000 + 2000);
    const untouched = mns.messages(QUEUE).filter((m) => m.dequeueCount === 0);
    expect(untouched).toHaveLength(40 - report.received);
    expect(mns.messages(QUEUE)).toHaveLength(40);
  });

  it('publishes INVALID and deletes the message when DAS refuses the task', async () => {
    await send(RDS_REQUEST);
    const das = new ScriptedDas(
      () => new DasRejectedError('The request parameters are invalid.', { code: 'InvalidParams' }),
    );
    const sink = new RecordingSink();
    await pull(das, sink).run;
    expect(sink.deliveries[0]?.event.data).toMatchObject({
      Outcome: 'INVALID',
      Error: { Code: 'InvalidParams' },
    });
    expect(mns.messages(QUEUE)).toEqual([]);
  });

  it('deletes a message that is not a track request instead of receiving it forever', async () => {
    await adapter.sendMessage(QUEUE, 'hello queue', 0);
    const das = new ScriptedDas(() => result());
    const report = await pull(das, new RecordingSink()).run;
    expect(report.records[0]).toMatchObject({ action: 'rejected' });
    expect(mns.messages(QUEUE)).toEqual([]);
    expect(das.calls).toBe(0);
  });
});

describe('runPull: the alert lifecycle without state in the message', () => {
  it('fires once per sink while a task stalls, and the final summary resolves it', async () => {
    await send(RDS_REQUEST);
    let state = 'RUNNING';
    const das = new ScriptedDas(() => result({ TaskState: state, KillSuccessCount: 1 }));
    const sink = new RecordingSink();
    const ports = testPorts({
      das,
      sinks: [sink],
      clock: clock.read,
      deadline: Number.MAX_SAFE_INTEGER,
    });
    const settings = { ...SETTINGS, alert: { afterS: 0, stallChecks: 2 } };
    for (let i = 0; i < 6; i += 1) {
      if (i === 5) state = 'SUCCESS';
      await runPull(ports, settings, async () => adapter, QUEUE, OPTIONS);
      clock.advance(SETTINGS.poll.maxDelayS * 1000 + 1);
    }
    expect(sink.deliveries.map((d) => [d.event.type, d.event.data.Alert?.Status])).toEqual([
      ['das-kill-tracker.alert', 'firing'],
      ['das-kill-tracker.summary', 'resolved'],
    ]);
  });
});

describe('pulledRecord', () => {
  it('takes checks and the deadline from DequeueCount and FirstDequeueTime', () => {
    const record = pulledRecord(
      {
        messageId: 'M',
        receiptHandle: 'H',
        body: JSON.stringify(RDS_REQUEST),
        enqueueTime: T0 - 10_000,
        firstDequeueTime: T0 - 5000,
        nextVisibleTime: T0,
        dequeueCount: 3,
      },
      0,
      3600,
      T0,
    );
    expect(record).toMatchObject({
      ok: true,
      state: { checks: 2, quiet: 1, startedAt: T0 - 5000, deadline: T0 - 5000 + 3_600_000 },
    });
  });
});

describe('timerOverrides', () => {
  it.each([
    ['', {}, []],
    ['{"maxMessages": 50, "waitSeconds": 5}', { maxMessages: 50, waitSeconds: 5 }, []],
    ['awesome-fc', {}, ['payload is not a JSON object; using the defaults']],
    ['{"maxMesages": 5}', {}, [expect.stringMatching(/unknown key "maxMesages"/)]],
    ['{"concurrency": 99}', {}, ['concurrency must be a whole number from 1 to 16; ignored']],
  ])('reads %j', (payload, overrides, problems) => {
    expect(timerOverrides(payload, OPTIONS)).toEqual({
      options: { ...OPTIONS, ...overrides },
      problems,
    });
  });
});
