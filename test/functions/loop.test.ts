import { afterEach, describe, expect, it } from 'vitest';
import { TRACK_QUEUE } from '../../emulators/cloud.js';
import { realisticSessions } from '../../emulators/das/index.js';
import type { QueueTrigger } from '../../emulators/fc/queue-trigger.js';
import type { SummaryEvent } from '../../shared/summary/model.js';
import { type Harness, queueLoop, startHarness, until } from '../helpers/tracker.js';

let h: Harness | undefined;
let trigger: QueueTrigger | undefined;

afterEach(async () => {
  await trigger?.stop();
  await h?.close();
});

const TASKS = [
  {
    InstanceId: 'rm-loop00000000000001',
    TaskId: '10000000000000000000000000000001',
    fate: 'SUCCESS',
    ms: 2500,
  },
  {
    InstanceId: 'rm-loop00000000000002',
    TaskId: '10000000000000000000000000000002',
    fate: 'ERROR',
    ms: 800,
  },
  {
    InstanceId: 'rm-loop00000000000003',
    TaskId: '10000000000000000000000000000003',
    fate: 'RUNNING',
    ms: 60_000,
  },
] as const;

describe.each(['event-driven', 'event-streaming'] as const)(
  'the tracking loop through an MNS queue trigger (%s)',
  (mode) => {
    it('follows every task from a producer message to its summary', async () => {
      // Prepare
      h = await startHarness({ TRACK_TIMEOUT_S: '4' });
      const harness = h;
      for (const task of TASKS) {
        harness.cloud.das.defineTask({
          InstanceId: task.InstanceId,
          TaskId: task.TaskId,
          sessions: realisticSessions(5, { seed: 1, reasons: { SESSION_KILLED: 1 } }),
          durationMs: task.ms,
          finalState: task.fate,
        });
      }
      const loop = queueLoop(harness, mode);
      trigger = loop.trigger;
      const producer = loop.producer;
      // Act: a runbook announces each task as raw JSON, another as base64.
      for (const [i, task] of TASKS.entries()) {
        const body = JSON.stringify({ InstanceId: task.InstanceId, TaskId: task.TaskId });
        await producer.sendMessage(TRACK_QUEUE, {
          MessageBody: i === 0 ? Buffer.from(body).toString('base64') : body,
        });
      }
      await until(() => harness.cloud.webhook.deliveries.length >= TASKS.length, 20_000);
      // Assess
      const outcomes = Object.fromEntries(
        harness.cloud.webhook.deliveries.map((d) => {
          const summary = JSON.parse(d.body) as SummaryEvent;
          return [summary.subject, summary.data.Outcome];
        }),
      );
      expect(outcomes).toEqual({
        [TASKS[0].TaskId]: 'SUCCESS',
        [TASKS[1].TaskId]: 'ERROR',
        [TASKS[2].TaskId]: 'TIMEOUT',
      });
      expect(harness.cloud.das.checksOf(TASKS[0].TaskId)).toBeGreaterThan(1);
      expect(loop.trigger.deadLetters).toEqual([]);
      await until(() => harness.cloud.mns.messages(TRACK_QUEUE).length === 0, 5000);
    });
  },
);
