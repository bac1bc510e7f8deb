import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  DingTalkReceiver,
  LarkReceiver,
  SlackReceiver,
  WeComReceiver,
} from '../../../emulators/chat/index.js';
import { type Env, loadConfig } from '../../../shared/config/index.js';
import { SinkRejectedError, SinkUnavailableError } from '../../../shared/errors.js';
import { ChatSink } from '../../../shared/sinks/chat.js';
import { defaultHttpDeps } from '../../../shared/sinks/http.js';
import { deliveryOf } from '../../../shared/sinks/publish.js';
import type { Budget } from '../../../shared/sinks/types.js';
import { buildSummary } from '../../../shared/summary/build.js';
import { Ledger } from '../../../shared/track/ledger.js';
import { result, session } from '../../helpers/factories.js';
import { failureOf } from '../../helpers/failure.js';
import { ManualClock } from '../../helpers/ports.js';

const DINGTALK_SECRET = 'SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd';
const LARK_SECRET = 'lark-signing-secret-0001';

type Receiver = { url: string; messages: readonly ChatMessage[]; close(): Promise<void> };
let receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

function summary(i: number, outcome: 'SUCCESS' | 'FAILURE' = 'SUCCESS', now = Date.now()) {
  const task = {
    InstanceId: `rm-burst${String(i).padStart(4, '0')}`,
    TaskId: `task${String(i).padStart(28, '0')}`,
  };
  return buildSummary(
    {
      task,
      outcome,
      result: result({ ...task, TaskState: outcome }),
      checks: 2,
      startedAt: now - 5000,
      finishedAt: now,
    },
    { maxFailedSessions: 20, showSqlLiterals: false },
  );
}

function sinkFor(
  platform: 'dingtalk' | 'lark' | 'wecom' | 'slack',
  env: Env,
  clock: () => number,
  ledger = new Ledger({ now: clock }),
) {
  const config = loadConfig({ TRACK_QUEUE: 'q', ...env });
  const robot = config.chat[platform];
  if (robot === undefined) throw new Error(`no ${platform} robot`);
  return new ChatSink({
    platform,
    robot,
    keyword: config.chat.dingtalk?.keyword,
    consoleUrl: config.consoleUrl,
    minSeverity: config.chat.minSeverity,
    timeoutMs: 2000,
    maxAttempts: 2,
    ledger,
    http: { ...defaultHttpDeps, sleep: async () => undefined },
  });
}

const budget = (clock: () => number): Budget => ({ deadline: clock() + 60_000, now: clock });

describe('ChatSink against each platform receiver', () => {
  it('sends a signed DingTalk markdown message the receiver verifies', async () => {
    const robot = await DingTalkReceiver.start({
      secret: DINGTALK_SECRET,
      keywords: ['das-kill-tracker'],
    });
    receivers.push(robot);
    const sink = sinkFor(
      'dingtalk',
      { DINGTALK_WEBHOOK_URL: robot.url, DINGTALK_SECRET },
      Date.now,
    );
    await sink.publish(deliveryOf(summary(1, 'FAILURE')), budget(Date.now));
    expect(robot.messages).toHaveLength(1);
    expect(robot.messages[0]?.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: expect.stringContaining('FAILURE') },
    });
    expect(robot.messages[0]?.target).toMatch(/&timestamp=\d{13}&sign=/);
  });

  it('is refused by DingTalk when signed with another secret, as a permanent failure', async () => {
    const robot = await DingTalkReceiver.start({ secret: DINGTALK_SECRET });
    receivers.push(robot);
    const sink = sinkFor(
      'dingtalk',
      { DINGTALK_WEBHOOK_URL: robot.url, DINGTALK_SECRET: `${DINGTALK_SECRET.slice(0, -1)}0` },
      Date.now,
    );
    const error = await failureOf(sink.publish(deliveryOf(summary(2)), budget(Date.now)));
    expect(error).toBeInstanceOf(SinkRejectedError);
    expect(error.message).toMatch(/310000/);
    expect(robot.messages).toHaveLength(0);
  });

  it('sends a signed Lark card the receiver verifies, and is refused with a wrong secret', async () => {
    const robot = await LarkReceiver.start({ secret: LARK_SECRET });
    receivers.push(robot);
    await sinkFor('lark', { LARK_WEBHOOK_URL: robot.url, LARK_SECRET }, Date.now).publish(
      deliveryOf(summary(3)),
      budget(Date.now),
    );
    expect(robot.messages[0]?.body).toMatchObject({
      msg_type: 'interactive',
      timestamp: expect.any(String),
      sign: expect.any(String),
    });
    const wrong = sinkFor(
      'lark',
      { LARK_WEBHOOK_URL: robot.url, LARK_SECRET: 'not-the-secret' },
      Date.now,
    );
    expect(await failureOf(wrong.publish(deliveryOf(summary(4)), budget(Date.now)))).toBeInstanceOf(
      SinkRejectedError,
    );
    expect(robot.messages).toHaveLength(1);
  });

  it('sends WeCom markdown, and treats a wrong key (errcode 93000 in an HTTP 200) as a failure', async () => {
    const robot = await WeComReceiver.start({ key: '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa' });
    receivers.push(robot);
    await sinkFor('wecom', { WECOM_WEBHOOK_URL: robot.url }, Date.now).publish(
      deliveryOf(summary(5)),
      budget(Date.now),
    );
    expect(robot.messages[0]?.body).toMatchObject({ msgtype: 'markdown' });
    const wrongUrl = robot.url.replace(/key=[^&]+/, 'key=wrong-key');
    const error = await failureOf(
      sinkFor('wecom', { WECOM_WEBHOOK_URL: wrongUrl }, Date.now).publish(
        deliveryOf(summary(6)),
        budget(Date.now),
      ),
    );
    expect(error).toBeInstanceOf(SinkRejectedError);
    expect(error.message).toMatch(/93000/);
  });

  it('sends Slack blocks, and retries a 429 after its Retry-After', async () => {
    const robot = await SlackReceiver.start();
    receivers.push(robot);
    robot.fail({ status: 429, retryAfter: '1', body: 'rate_limited' });
    const clock = new ManualClock(Date.now());
    const sink = sinkFor('slack', { SLACK_WEBHOOK_URL: robot.url }, clock.read);
    await sink.publish(deliveryOf(summary(7)), {
      deadline: clock.now + 60_000,
      now: () => {
        clock.advance(600);
        return clock.now;
      },
    });
    expect(robot.messages).toHaveLength(1);
    expect(robot.messages[0]?.body).toMatchObject({
      text: expect.any(String),
      blocks: expect.any(Array),
    });
  });

  it('is refused by Slack when the webhook URL is wrong (404 no_service), as a permanent failure', async () => {
    const robot = await SlackReceiver.start();
    receivers.push(robot);
    const wrong = robot.url.replace(/[^/]+$/, 'not-the-secret-path');
    const error = await failureOf(
      sinkFor('slack', { SLACK_WEBHOOK_URL: wrong }, Date.now).publish(
        deliveryOf(summary(10)),
        budget(Date.now),
      ),
    );
    expect(error).toBeInstanceOf(SinkRejectedError);
    expect(robot.messages).toHaveLength(0);
  });

  it('skips notices below CHAT_MIN_SEVERITY without failing', async () => {
    const robot = await WeComReceiver.start();
    receivers.push(robot);
    const sink = sinkFor(
      'wecom',
      { WECOM_WEBHOOK_URL: robot.url, CHAT_MIN_SEVERITY: 'warning' },
      Date.now,
    );
    await sink.publish(deliveryOf(summary(8)), budget(Date.now));
    await sink.publish(deliveryOf(summary(9, 'FAILURE')), budget(Date.now));
    expect(robot.messages).toHaveLength(1);
  });
});

describe('ChatSink with an oversized summary', () => {
  it.each(['dingtalk', 'lark', 'wecom', 'slack'] as const)(
    'stays within what the %s receiver accepts',
    async (platform) => {
      const robot =
        platform === 'dingtalk'
          ? await DingTalkReceiver.start()
          : platform === 'lark'
            ? await LarkReceiver.start()
            : platform === 'wecom'
              ? await WeComReceiver.start()
              : await SlackReceiver.start();
      receivers.push(robot);
      const now = Date.now();
      const task = { InstanceId: 'rm-huge', TaskId: 'huge0000000000000000000000000001' };
      const rows = Array.from({ length: 200 }, (_, i) =>
        session({
          Id: i,
          User: `用户_${i}`,
          Reason: 'SESSION_OTHER_ERROR',
          Info: `SELECT '${'数据'.repeat(300)}' FROM t${i}`,
        }),
      );
      const huge = buildSummary(
        {
          task,
          outcome: 'FAILURE',
          result: result({ ...task, TaskState: 'FAILURE', Result: rows }),
          checks: 3,
          startedAt: now,
          finishedAt: now,
        },
        { maxFailedSessions: 200, showSqlLiterals: true },
      );
      const env = {
        dingtalk: 'DINGTALK_WEBHOOK_URL',
        lark: 'LARK_WEBHOOK_URL',
        wecom: 'WECOM_WEBHOOK_URL',
        slack: 'SLACK_WEBHOOK_URL',
      }[platform];
      await sinkFor(platform, { [env]: robot.url }, Date.now).publish(
        deliveryOf(huge),
        budget(Date.now),
      );
      expect(robot.messages).toHaveLength(1);
    },
  );
});

describe('ChatSink rate limit', () => {
  it('brings a burst of 50 finished tasks to a 20-per-minute robot with nothing lost, merged into digests', async () => {
    // Prepare: one DingTalk robot that enforces 20 messages a minute (and bans for 10 minutes after).
    const clock = new ManualClock(Date.now());
    const robot = await DingTalkReceiver.start({ clock: clock.read });
    receivers.push(robot);
    const ledger = new Ledger({ now: clock.read });
    const sink = sinkFor('dingtalk', { DINGTALK_WEBHOOK_URL: robot.url }, clock.read, ledger);
    const summaries = Array.from({ length: 50 }, (_, i) =>
      summary(i, i % 5 === 0 ? 'FAILURE' : 'SUCCESS', clock.now),
    );
    // Act: publish all 50 at once; what the sink defers comes back later, as the tracker's pending
    // publications do (skipping what the ledger says a digest already carried).
    let pending = summaries;
    for (let round = 0; round < 10 && pending.length > 0; round += 1) {
      const deferred: typeof pending = [];
      let wait = 0;
      for (const s of pending) {
        if (ledger.has(`${s.id}:dingtalk`)) continue;
        try {
          await sink.publish(deliveryOf(s), budget(clock.read));
          ledger.add(`${s.id}:dingtalk`);
        } catch (error) {
          expect(error).toBeInstanceOf(SinkUnavailableError);
          wait = Math.max(wait, (error as SinkUnavailableError).retryAfterS ?? 1);
          deferred.push(s);
        }
      }
      pending = deferred.filter((s) => !ledger.has(`${s.id}:dingtalk`));
      clock.advance(wait * 1000);
    }
    // Assess: every task reached the robot, never more than 20 messages in any minute, no refusal.
    expect(pending).toEqual([]);
    const texts = robot.messages.map((m) => JSON.stringify(m.body));
    for (const s of summaries) expect(texts.some((t) => t.includes(s.subject))).toBe(true);
    const times = robot.messages.map((m) => m.at);
    for (const t of times)
      expect(times.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(20);
    expect(robot.attempts.filter((a) => a.outcome !== 'accepted')).toEqual([]);
    expect(robot.messages.length).toBeLessThan(50);
    expect(texts.some((t) => t.includes('digest'))).toBe(true);
  });
});
