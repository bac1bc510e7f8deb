import { afterEach, describe, expect, it } from 'vitest';
import { DingTalkReceiver } from '../../emulators/chat/index.js';
import { TRACK_QUEUE } from '../../emulators/cloud.js';
import { realisticSessions } from '../../emulators/das/index.js';
import type { QueueTrigger } from '../../emulators/fc/queue-trigger.js';
import { type Harness, queueLoop, startHarness, until } from '../helpers/tracker.js';

let h: Harness | undefined;
let robot: DingTalkReceiver | undefined;
let trigger: QueueTrigger | undefined;
afterEach(async () => {
  await trigger?.stop();
  await h?.close();
  await robot?.close();
});

const STALLED = { InstanceId: 'rm-stalled00000000001', TaskId: 'a0000000000000000000000000000001' };
const QUICK = { InstanceId: 'rm-quick0000000000001', TaskId: 'b0000000000000000000000000000002' };

describe('the alert lifecycle', () => {
  it('raises exactly one firing notice and one resolved notice for a stalled task, and none for a quick one', async () => {
    // Prepare: a robot, a tracker that alerts after 2 checks without progress, and two tasks.
    robot = await DingTalkReceiver.start();
    h = await startHarness({
      DINGTALK_WEBHOOK_URL: robot.url,
      ALERT_STALL_CHECKS: '2',
      TRACK_TIMEOUT_S: '6',
    });
    const harness = h;
    harness.cloud.das.defineTask({
      ...STALLED,
      sessions: realisticSessions(6, { seed: 1, reasons: { SESSION_KILLED: 1 } }),
      durationMs: 60_000,
      stallAfterMs: 500,
      finalState: 'RUNNING',
    });
    harness.cloud.das.defineTask({
      ...QUICK,
      sessions: realisticSessions(3, { seed: 2, reasons: { SESSION_KILLED: 1 } }),
      durationMs: 800,
      finalState: 'SUCCESS',
    });
    const loop = queueLoop(harness);
    trigger = loop.trigger;
    const producer = loop.producer;
    // Act
    for (const task of [STALLED, QUICK])
      await producer.sendMessage(TRACK_QUEUE, { MessageBody: JSON.stringify(task) });
    await until(
      () =>
        harness.cloud.webhook.deliveries.filter(
          (d) => JSON.parse(d.body).type === 'das-kill-tracker.summary',
        ).length === 2,
      20_000,
    );
    // Assess: the chat robot
    const titles = (robot as DingTalkReceiver).messages.map(
      (m) => (m.body.markdown as { title: string }).title,
    );
    const about = (instance: string) => titles.filter((t) => t.includes(instance));
    expect(about(STALLED.InstanceId)).toEqual([
      expect.stringContaining('[FIRING] RUNNING too long'),
      expect.stringContaining('[RESOLVED] TIMEOUT'),
    ]);
    expect(about(QUICK.InstanceId)).toEqual([expect.not.stringMatching(/FIRING|RESOLVED/)]);
    // Assess: the generic webhook carries the lifecycle in the same CloudEvent format
    const events = harness.cloud.webhook.deliveries.map((d) => JSON.parse(d.body));
    const forStalled = events.filter((e) => e.subject === STALLED.TaskId);
    expect(forStalled.map((e) => [e.type, e.data.Alert?.Status])).toEqual([
      ['das-kill-tracker.alert', 'firing'],
      ['das-kill-tracker.summary', 'resolved'],
    ]);
    expect(forStalled[0].data.Alert.Key).toBe(forStalled[1].data.Alert.Key);
    expect(events.filter((e) => e.subject === QUICK.TaskId).map((e) => e.data.Alert)).toEqual([
      undefined,
    ]);
  });
});

describe('chat robot secrets', () => {
  it('never writes a robot token, key, hook id or signing secret to the log, even when robots fail', async () => {
    const secrets = {
      dingtalkToken: 'd1n9t4lk70k3n0000000000000000000000000000000000000000000000000001',
      dingtalkSecret: 'SECd1n9s3cr3t000000000000000000000000000000000000000000000000000001',
      larkHook: 'la7k-h00k-0000-0000-000000000001',
      larkSecret: 'la7k-s3cr3t-0001',
      wecomKey: 'w3c0m-k3y0-0000-0000-000000000001',
      slackPath: '/services/T0SECRET/B0SECRET/s1ackS3cr3tP4th0001',
    };
    const { LarkReceiver, SlackReceiver, WeComReceiver } = await import(
      '../../emulators/chat/index.js'
    );
    const ding = await DingTalkReceiver.start({
      accessToken: secrets.dingtalkToken,
      secret: secrets.dingtalkSecret,
    });
    const lark = await LarkReceiver.start({ hookId: secrets.larkHook, secret: secrets.larkSecret });
    const wecom = await WeComReceiver.start({ key: secrets.wecomKey });
    const slack = await SlackReceiver.start({ path: secrets.slackPath });
    try {
      h = await startHarness({
        DINGTALK_WEBHOOK_URL: ding.url,
        DINGTALK_SECRET: secrets.dingtalkSecret,
        LARK_WEBHOOK_URL: lark.url,
        LARK_SECRET: 'la7k-wrong-s3cr3t',
        WECOM_WEBHOOK_URL: wecom.url,
        SLACK_WEBHOOK_URL: slack.url,
      });
      ding.fail({ status: 500 }, { reset: true }, { status: 502 });
      slack.fail({ status: 404, body: 'no_service' });
      h.cloud.das.defineTask({
        ...QUICK,
        sessions: realisticSessions(2, { seed: 3 }),
        durationMs: 0,
        finalState: 'SUCCESS',
        createdAt: Date.now() - 1,
      });
      await h.invoke(QUICK);
      const logs = h.logs.join('');
      expect(logs).toMatch(/summary not delivered to every sink/);
      for (const secret of Object.values(secrets)) expect(logs).not.toContain(secret);
      expect(logs).not.toContain('la7k-wrong-s3cr3t');
    } finally {
      await Promise.all([ding.close(), lark.close(), wecom.close(), slack.close()]);
    }
  });
});
