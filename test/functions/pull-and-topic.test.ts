import MNS from '@alicloud/mns/lib/client.js';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFY_TOPIC, TRACK_QUEUE, USER_CREDENTIALS } from '../../emulators/cloud.js';
import { realisticSessions } from '../../emulators/das/index.js';
import type { SummaryEvent } from '../../shared/summary/model.js';
import { POLAR_REQUEST, RDS_REQUEST } from '../helpers/factories.js';
import { fixtureEvent } from '../helpers/fixtures.js';
import { type Harness, startHarness } from '../helpers/tracker.js';

let h: Harness;
afterEach(() => h.close());

function defineTask(
  request: { InstanceId: string; TaskId: string; NodeId?: string },
  durationMs: number,
) {
  h.cloud.das.defineTask({
    ...request,
    sessions: realisticSessions(3, { seed: 9, reasons: { SESSION_KILLED: 1 } }),
    durationMs,
    finalState: 'SUCCESS',
    createdAt: Date.now() - 1,
  });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('pull mode through timer events', () => {
  it('drains the queue on each timer tick, hides running tasks, deletes finished ones after publishing', async () => {
    // Prepare
    h = await startHarness({ TRACK_MODE: 'pull', PULL_WAIT_S: '0' });
    defineTask(RDS_REQUEST, 0);
    defineTask(POLAR_REQUEST, 600_000);
    const producer = new MNS(h.cloud.functionSpec.accountId, {
      ...USER_CREDENTIALS,
      endpoint: h.cloud.mns.url,
    });
    await producer.sendMessage(TRACK_QUEUE, { MessageBody: JSON.stringify(RDS_REQUEST) });
    await producer.sendMessage(TRACK_QUEUE, { MessageBody: b64(POLAR_REQUEST) });
    // Act: the fixture's payload "awesome-fc" is not JSON: reported, defaults used.
    const tick = await h.invoke(fixtureEvent('timer.json'));
    // Assess
    expect(tick).toMatchObject({
      ok: true,
      value: { shape: 'timer', pull: { received: 2, stoppedBy: 'empty' } },
    });
    expect(
      h.cloud.webhook.deliveries.map((d) => (JSON.parse(d.body) as SummaryEvent).subject),
    ).toEqual([RDS_REQUEST.TaskId]);
    const left = h.cloud.mns.messages(TRACK_QUEUE);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ body: b64(POLAR_REQUEST), state: 'Inactive', dequeueCount: 1 });
    expect(h.logs.join('')).toMatch(/payload is not a JSON object/);
    const again = await h.invoke(fixtureEvent('timer.json'));
    expect(again).toMatchObject({ ok: true, value: { pull: { received: 0, stoppedBy: 'empty' } } });
  });

  it('takes a direct request in pull mode, checks it, and leaves the rest to the timer', async () => {
    h = await startHarness({
      TRACK_MODE: 'pull',
      PULL_WAIT_S: '0',
      POLL_MIN_DELAY_S: '1',
      POLL_MAX_DELAY_S: '1',
    });
    defineTask(RDS_REQUEST, 1500);
    await h.invoke(RDS_REQUEST);
    expect(h.cloud.mns.messages(TRACK_QUEUE)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await h.invoke({
      triggerTime: new Date().toISOString(),
      triggerName: 'pull',
      payload: '{"waitSeconds": 0}',
    });
    expect(h.cloud.webhook.deliveries).toHaveLength(1);
    expect(JSON.parse(h.cloud.webhook.deliveries[0]?.body ?? '{}').data).toMatchObject({
      Outcome: 'SUCCESS',
      Checks: 2,
    });
    expect(h.cloud.mns.messages(TRACK_QUEUE)).toEqual([]);
  });

  it('ignores a timer event in push mode, so a leftover timer never competes with the queue trigger', async () => {
    h = await startHarness();
    const producer = new MNS(h.cloud.functionSpec.accountId, {
      ...USER_CREDENTIALS,
      endpoint: h.cloud.mns.url,
    });
    await producer.sendMessage(TRACK_QUEUE, { MessageBody: JSON.stringify(RDS_REQUEST) });
    const tick = await h.invoke(fixtureEvent('timer.json'));
    expect(tick).toMatchObject({ ok: true, value: { shape: 'timer', records: [] } });
    expect(h.cloud.mns.messages(TRACK_QUEUE)[0]?.dequeueCount).toBe(0);
    expect(h.cloud.das.calls).toHaveLength(0);
  });
});

describe('MNS topic trigger events', () => {
  it.each([
    'topic-mns-stream.json',
    'topic-mns-with-MessageAttributes.json',
    'topic-mns-without-MessageAttributes.json',
  ])(
    'rejects the fixture %s, whose message is not a track request, without calling DAS',
    async (name) => {
      h = await startHarness();
      const result = await h.invoke(fixtureEvent(name));
      expect(result).toMatchObject({ ok: true, value: { records: [{ action: 'rejected' }] } });
      expect(h.cloud.das.calls).toHaveLength(0);
    },
  );

  it.each([
    [
      'JSON format with attributes',
      (body: string) => ({
        key: 'value',
        TopicOwner: '1186',
        Message: body,
        TopicName: 't',
        MessageId: 'T1',
      }),
    ],
    [
      'JSON format without attributes',
      (body: string) => ({ TopicOwner: '1186', Message: body, TopicName: 't', MessageId: 'T2' }),
    ],
    [
      'STREAM format with attributes',
      (body: string) => ({ body, attrs: { Extend: '{"key":"value"}' } }),
    ],
  ])('starts tracking a track request announced on a topic (%s)', async (_case, wrap) => {
    h = await startHarness();
    defineTask(RDS_REQUEST, 600_000);
    const result = await h.invoke(wrap(JSON.stringify(RDS_REQUEST)));
    expect(result).toMatchObject({ ok: true, value: { records: [{ action: 'requeued' }] } });
    expect(h.cloud.mns.messages(TRACK_QUEUE)).toHaveLength(1);
  });

  it('starts tracking a request announced in STREAM format without attributes (the raw body, base64)', async () => {
    h = await startHarness();
    defineTask(RDS_REQUEST, 0);
    const result = await h.invoke(b64(RDS_REQUEST));
    expect(result).toMatchObject({
      ok: true,
      value: { records: [{ action: 'published', outcome: 'SUCCESS' }] },
    });
    expect(h.cloud.mns.published(NOTIFY_TOPIC)).toHaveLength(1);
  });
});
