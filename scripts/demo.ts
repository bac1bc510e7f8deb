/**
 * `npm run demo [-- --mode push|pull|fc|topic] [--json]`: the whole loop, offline, in well under a minute.
 *
 * It starts the local cloud (DAS, MNS, a webhook receiver), creates kill tasks with different fates
 * through the real `CreateKillInstanceSessionTask` API (signed by the official SDK), announces them
 * on the tracking queue as a runbook would, and runs the tracker as FC does: an emulated MNS queue
 * trigger turns released messages into CloudEvents and invokes the handler under the FC runtime
 * contract. Time is compressed by configuration only (checks every 1-3 s, a 20 s deadline).
 * Progress is printed from the tracker's own log lines; the summaries at the end are the ones the
 * webhook receiver got, signature verified.
 */
import MNS from '@alicloud/mns/lib/client.js';
import {
  type ChatMessage,
  DingTalkReceiver,
  LarkReceiver,
  SlackReceiver,
  WeComReceiver,
} from '../emulators/chat/index.js';
import {
  type LocalCloud,
  ROLE_CREDENTIALS,
  startLocalCloud,
  TRACK_QUEUE,
  USER_CREDENTIALS,
} from '../emulators/cloud.js';
import { type InstanceProfile, realisticSessions } from '../emulators/das/index.js';
import { callDas, dasSdkClient } from '../emulators/das/sdk.js';
import { FcApiEmulator } from '../emulators/fc/api.js';
import { QueueTrigger } from '../emulators/fc/queue-trigger.js';
import { type InvokeResult, invokeFunction } from '../emulators/fc/runtime.js';
import { TimerTrigger } from '../emulators/fc/timer.js';
import { createProductionTracker } from '../shared/runtime/production.js';
import type { Tracker } from '../shared/runtime/tracker.js';
import { SUMMARY_TYPE, type SummaryEvent } from '../shared/summary/model.js';
import { OpenApiFcInvoker } from '../shared/transport/fc.js';

const started = Date.now();
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
const dim = (t: string) => paint(2, t);
const bold = (t: string) => paint(1, t);
const elapsed = () => dim(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`);

interface DemoTask {
  readonly label: string;
  readonly story: string;
  readonly profile: InstanceProfile;
  readonly nodeId?: string;
}

const KILLED = { SESSION_KILLED: 1 };
const TASKS: DemoTask[] = [
  {
    label: 'rm-demo-clean',
    story: 'clean success after ~6 s',
    profile: {
      InstanceId: 'rm-demo-clean',
      UserId: '164882191396',
      fate: {
        sessions: realisticSessions(12, { seed: 11, reasons: KILLED }),
        durationMs: 6000,
        finalState: 'SUCCESS',
        ignoredUserSessionCount: 2,
      },
    },
  },
  {
    label: 'rm-demo-partial',
    story: 'success with failed sessions after ~9 s (DAS throttles the first check)',
    profile: {
      InstanceId: 'rm-demo-partial',
      UserId: '164882191396',
      fate: {
        sessions: realisticSessions(16, {
          seed: 12,
          reasons: {
            SESSION_KILLED: 10,
            SESSION_NO_PERMISSION: 2,
            SESSION_KILL_TASK_TIMEOUT: 1,
            SESSION_EXPIRED: 1,
          },
        }),
        durationMs: 9000,
        finalState: 'SUCCESS',
      },
    },
  },
  {
    label: 'pc-demo-cluster',
    story: 'PolarDB node, FAILURE after ~5 s (wrong kill account)',
    nodeId: 'pi-demo-node-1',
    profile: {
      InstanceId: 'pc-demo-cluster',
      NodeIds: ['pi-demo-node-1', 'pi-demo-node-2'],
      UserId: '164882191396',
      fate: {
        sessions: realisticSessions(6, { seed: 13, reasons: { SESSION_ACCOUNT_ERROR: 1 } }),
        durationMs: 5000,
        finalState: 'FAILURE',
      },
    },
  },
  {
    label: 'rm-demo-error',
    story: 'ERROR after ~4 s, part of the sessions processed',
    profile: {
      InstanceId: 'rm-demo-error',
      UserId: '164882191396',
      fate: {
        sessions: realisticSessions(8, { seed: 14, reasons: KILLED }),
        durationMs: 4000,
        stallAfterMs: 2000,
        finalState: 'ERROR',
      },
    },
  },
  {
    label: 'rm-demo-stuck',
    story: 'still RUNNING at its 20 s deadline (progress stalls)',
    profile: {
      InstanceId: 'rm-demo-stuck',
      UserId: '164882191396',
      fate: {
        sessions: realisticSessions(10, { seed: 15, reasons: KILLED }),
        durationMs: 30_000,
        stallAfterMs: 6000,
        finalState: 'RUNNING',
      },
    },
  },
];

const labels = new Map<string, string>();
const label = (taskId: unknown) =>
  typeof taskId === 'string' ? (labels.get(taskId) ?? taskId.slice(0, 10)) : '?';

/** Turns the tracker's JSON log lines into one readable progress line each. */
function progress(line: string): void {
  let log: Record<string, unknown>;
  try {
    log = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const who = bold(label(log.TaskId).padEnd(16));
  const counts = () => `${log.KillSuccessCount ?? 0}/${log.SessionCount ?? 0} killed`;
  switch (log.msg) {
    case 'task still running':
      console.log(
        `${elapsed()} ${who} check ${log.checks}: RUNNING, ${counts()}, next check in ${log.delayS} s`,
      );
      break;
    case 'DAS check failed':
      console.log(
        `${elapsed()} ${who} ${paint(33, `DAS answered ${(log.err as { code?: string })?.code}`)}: will retry`,
      );
      break;
    case 'check failed transiently; will retry':
      console.log(`${elapsed()} ${who} backing off, next check in ${log.delayS} s`);
      break;
    case 'task finished':
      console.log(
        `${elapsed()} ${who} ${paint(36, `finished: ${log.Outcome}`)} after ${log.checks} checks`,
      );
      break;
    case 'summary published':
      console.log(
        `${elapsed()} ${who} ${paint(32, 'summary published')} to ${(log.sinks as string[]).join(' + ')}`,
      );
      break;
    case 'summary not delivered to every sink; re-queued as a pending publication':
      console.log(
        `${elapsed()} ${who} ${paint(33, 'a sink failed')}: delivered to [${(log.delivered as string[]).join(', ')}], retrying the rest in ${log.delayS} s`,
      );
      break;
    case 'alert firing':
      console.log(
        `${elapsed()} ${who} ${paint(35, `alert firing (${log.reason})`)}: notices sent to [${(log.delivered as string[]).join(', ')}]`,
      );
      break;
    case 'record rejected: invalid track request; publishing INVALID':
      console.log(`${elapsed()} ${who} ${paint(31, 'invalid request')}: ${log.reason}`);
      break;
    default:
      if (log.level === 'error') console.log(`${elapsed()} ${paint(31, String(log.msg))}`);
  }
}

function printSummary(summary: SummaryEvent, verified: boolean): void {
  const d = summary.data;
  const failed = d.FailedSessions.length + d.FailedSessionsOmitted;
  const headline =
    d.Outcome === 'SUCCESS' && failed > 0 ? `SUCCESS with ${failed} failed session(s)` : d.Outcome;
  const lifecycle =
    d.Alert === undefined
      ? ''
      : `  (resolves the ${d.Alert.Reason} alert raised at ${d.Alert.FiredAt})`;
  console.log(`\n${bold(`${label(d.TaskId)}  ${headline}`)}${dim(lifecycle)}`);
  console.log(`  task ${d.TaskId} on ${d.InstanceId}${d.NodeId ? `/${d.NodeId}` : ''}`);
  console.log(
    `  killed ${d.KillSuccessCount} · failed ${d.KillFailCount} · ignored ${d.IgnoredUserSessionCount} · targeted ${d.SessionCount} · ${d.Checks} checks · ${d.DurationS} s`,
  );
  const reasons = Object.entries(d.ReasonCounts).map(([r, n]) => `${r} ${n}`);
  if (reasons.length > 0) console.log(`  reasons: ${reasons.join(', ')}`);
  for (const s of d.FailedSessions.slice(0, 3)) {
    console.log(`  failed: #${s.Id} ${s.User}@${s.Host} ${s.Db} ${s.Reason}  ${s.Info ?? ''}`);
  }
  if (d.Error)
    console.log(
      `  error: ${d.Error.Code}: ${d.Error.Message}${d.Error.RequestId ? ` (request ${d.Error.RequestId})` : ''}`,
    );
  console.log(
    dim(`  id ${summary.id} · webhook signature ${verified ? 'verified' : 'NOT verified'}`),
  );
}

async function createTask(das: { endpoint: string }, task: DemoTask): Promise<string> {
  const query: Record<string, string> = {
    InstanceId: task.profile.InstanceId,
    DbUser: 'kill_admin',
    DbUserPassword: 'demo-password-never-logged',
    KillAllSessions: 'true',
    IgnoredUsers: '["repl","monitor"]',
  };
  if (task.nodeId) query.NodeId = task.nodeId;
  const response = await callDas(
    dasSdkClient(das.endpoint, USER_CREDENTIALS),
    'CreateKillInstanceSessionTask',
    query,
  );
  return String((response.body as { Data: unknown }).Data);
}

const DINGTALK_SECRET = 'SEC7d5c0a1f0b2e4c6d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f';
const LARK_SECRET = 'demo-lark-signing-secret';

interface Robots {
  readonly dingtalk: DingTalkReceiver;
  readonly lark: LarkReceiver;
  readonly wecom: WeComReceiver;
  readonly slack: SlackReceiver;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** One robot of each chat platform, verifying signatures and limits as the platform would. */
async function startRobots(): Promise<Robots> {
  const dingtalk = await DingTalkReceiver.start({ secret: DINGTALK_SECRET });
  const lark = await LarkReceiver.start({ secret: LARK_SECRET });
  const wecom = await WeComReceiver.start();
  const slack = await SlackReceiver.start();
  return {
    dingtalk,
    lark,
    wecom,
    slack,
    env: {
      DINGTALK_WEBHOOK_URL: dingtalk.url,
      DINGTALK_SECRET,
      LARK_WEBHOOK_URL: lark.url,
      LARK_SECRET,
      WECOM_WEBHOOK_URL: wecom.url,
      SLACK_WEBHOOK_URL: slack.url,
    },
    close: async () => {
      await Promise.all([dingtalk.close(), lark.close(), wecom.close(), slack.close()]);
    },
  };
}

type Json = Record<string, unknown>;

/** What each robot received for the task with failed sessions, as its platform would show it. */
function printRenders(robots: Robots): void {
  const partial = [...labels.entries()].find(([, name]) => name === 'rm-demo-partial')?.[0] ?? '';
  const find = (messages: readonly ChatMessage[]) =>
    messages.find((m) => m.raw.includes(partial) && !m.raw.includes('digest'))?.body;
  const line = (title: string) =>
    console.log(bold(`\n${'-'.repeat(12)} ${title} ${'-'.repeat(Math.max(0, 56 - title.length))}`));
  console.log(
    dim(
      `\nchat robots: DingTalk ${robots.dingtalk.messages.length}, Lark ${robots.lark.messages.length}, ` +
        `WeCom ${robots.wecom.messages.length}, Slack ${robots.slack.messages.length} messages (every signature verified)`,
    ),
  );
  const ding = find(robots.dingtalk.messages)?.markdown as
    | { title: string; text: string }
    | undefined;
  if (ding) {
    line('DingTalk (markdown)');
    console.log(ding.text);
  }
  const lark = find(robots.lark.messages)?.card as
    | { header: { title: { content: string }; template: string }; elements: Json[] }
    | undefined;
  if (lark) {
    line(`Lark/Feishu (interactive card, ${lark.header.template} header)`);
    console.log(`# ${lark.header.title.content}`);
    for (const element of lark.elements) {
      if (element.tag === 'div') console.log((element.text as { content: string }).content);
      if (element.tag === 'action')
        console.log(
          `[button] ${((element.actions as Json[])[0]?.text as { content?: string } | undefined)?.content ?? ''}`,
        );
    }
  }
  const wecom = find(robots.wecom.messages)?.markdown as { content: string } | undefined;
  if (wecom) {
    line('WeCom (markdown)');
    console.log(wecom.content);
  }
  const slack = find(robots.slack.messages) as { blocks: Json[] } | undefined;
  if (slack) {
    line('Slack (blocks)');
    for (const block of slack.blocks) {
      const text = (block.text as { text?: string } | undefined)?.text;
      if (text) console.log(block.type === 'header' ? `# ${text}` : text);
      if (block.type === 'context')
        console.log(((block.elements as Json[])[0] as { text: string }).text);
      if (block.type === 'actions')
        console.log(
          `[button] ${(((block.elements as Json[])[0] as Json).text as { text: string }).text}`,
        );
    }
  }
}

const MODES = ['push', 'pull', 'fc', 'topic'] as const;
type Mode = (typeof MODES)[number];
const REQUEST_TOPIC = 'das-kill-requests';
const REQUEST_SUBSCRIPTION = 'das-kill-requests-to-tracker';

function modeArgument(): Mode {
  const index = process.argv.indexOf('--mode');
  const value = index === -1 ? 'push' : process.argv[index + 1];
  if (!MODES.includes(value as Mode)) {
    console.error(`--mode must be one of ${MODES.join(', ')}, got ${value}`);
    process.exit(2);
  }
  return value as Mode;
}

const MODE_STORY: Record<Mode, string> = {
  push: 'push mode: an MNS queue trigger delivers each message; re-checks are delayed SendMessage',
  pull: 'pull mode: a timer drains the queue each second; re-checks are ChangeMessageVisibility',
  fc: 'FC transport: no queue; re-checks are delayed asynchronous self-invocations (FC 3.0 API)',
  topic:
    'topic trigger: requests are announced on an MNS topic; re-checks go through the queue trigger',
};

/** The drivers of one mode: how requests are announced and what invokes the function. */
interface Drivers {
  readonly env: Record<string, string>;
  announce(request: Record<string, string>): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  readonly invocations: () => number;
}

async function driversFor(
  mode: Mode,
  cloud: LocalCloud,
  invoke: (event: Buffer) => Promise<InvokeResult>,
  tracker: () => Tracker,
): Promise<Drivers> {
  const producer = new MNS(cloud.functionSpec.accountId, {
    ...USER_CREDENTIALS,
    endpoint: cloud.mns.url,
  });
  const queueTrigger = (queue: string, shape?: 'topic-json') =>
    new QueueTrigger({
      mnsUrl: cloud.mns.url,
      accountId: cloud.functionSpec.accountId,
      credentials: USER_CREDENTIALS,
      queue,
      mode: 'event-driven',
      isBase64Decode: false,
      invoke,
      ...(shape === undefined ? {} : { shape, topic: REQUEST_TOPIC }),
    });
  const toQueue = async (request: Record<string, string>) => {
    await producer.sendMessage(TRACK_QUEUE, { MessageBody: JSON.stringify(request) });
  };
  if (mode === 'push') {
    const trigger = queueTrigger(TRACK_QUEUE);
    return {
      env: {},
      announce: toQueue,
      start: () => trigger.start(),
      stop: () => trigger.stop(),
      invocations: () => trigger.invocations,
    };
  }
  if (mode === 'pull') {
    const timer = new TimerTrigger({ intervalMs: 1000, payload: '{"waitSeconds": 0}', invoke });
    return {
      env: { TRACK_MODE: 'pull', PULL_WAIT_S: '0' },
      announce: toQueue,
      start: () => timer.start(),
      stop: () => timer.stop(),
      invocations: () => timer.ticks,
    };
  }
  if (mode === 'topic') {
    cloud.mns.createTopic(REQUEST_TOPIC);
    cloud.mns.createQueue(REQUEST_SUBSCRIPTION);
    cloud.mns.subscribeQueue(REQUEST_TOPIC, REQUEST_SUBSCRIPTION);
    const topicTrigger = queueTrigger(REQUEST_SUBSCRIPTION, 'topic-json');
    const trigger = queueTrigger(TRACK_QUEUE);
    return {
      env: {},
      // A track request holds no XML special characters; a body that could would need escaping.
      announce: async (request) => {
        await producer.publishMessage(REQUEST_TOPIC, { MessageBody: JSON.stringify(request) });
      },
      start: () => {
        topicTrigger.start();
        trigger.start();
      },
      stop: async () => {
        await Promise.all([topicTrigger.stop(), trigger.stop()]);
      },
      invocations: () => topicTrigger.invocations + trigger.invocations,
    };
  }
  const fc = await FcApiEmulator.start({
    accountId: cloud.functionSpec.accountId,
    region: cloud.functionSpec.region,
    credentials: [ROLE_CREDENTIALS, USER_CREDENTIALS],
    roleCredentials: ROLE_CREDENTIALS,
  });
  fc.register(cloud.functionSpec.name, (event, context) => tracker().handle(event, context), {
    timeoutS: cloud.functionSpec.timeoutS,
  });
  // The runbook starts tracking with an asynchronous invocation (what `s invoke --invocation-type Async` does).
  const runbook = new OpenApiFcInvoker({
    endpoint: { protocol: 'http', host: fc.endpoint },
    timeoutMs: 5000,
  });
  let started = 0;
  return {
    env: { TRACK_TRANSPORT: 'fc', FC_ENDPOINT: fc.url },
    announce: async (request) => {
      started += 1;
      await runbook.invokeAsync(
        {
          functionName: cloud.functionSpec.name,
          payload: Buffer.from(JSON.stringify(request)),
          delayS: 0,
          taskId: `runbook_${started}`,
        },
        USER_CREDENTIALS,
      );
    },
    start: () => undefined,
    stop: () => fc.close(),
    invocations: () => fc.tasks.length,
  };
}

async function main(): Promise<void> {
  const mode = modeArgument();
  const cloud = await startLocalCloud();
  const robots = await startRobots();
  let tracker: Tracker | undefined;
  const invoke = (event: Buffer) =>
    invokeFunction((e, c) => (tracker as Tracker).handle(e, c), event, cloud.functionSpec);
  const drivers = await driversFor(mode, cloud, invoke, () => tracker as Tracker);
  const { TRACK_QUEUE: queue, ...withoutQueue } = cloud.env;
  tracker = createProductionTracker(
    {
      ...(mode === 'fc' ? withoutQueue : { ...withoutQueue, TRACK_QUEUE: queue as string }),
      POLL_MIN_DELAY_S: '1',
      POLL_MAX_DELAY_S: '3',
      TRACK_TIMEOUT_S: '20',
      LOG_LEVEL: 'info',
      // The stuck task stops progressing: alert after 4 checks without progress.
      ALERT_STALL_CHECKS: '4',
      ...robots.env,
      ...drivers.env,
    },
    { logDestination: { write: (line: string) => void progress(line) } },
  );
  try {
    console.log(
      bold('das-kill-tracker demo: DAS, MNS and a webhook receiver are emulated on 127.0.0.1'),
    );
    console.log(`${dim(MODE_STORY[mode])}\n`);
    drivers.start();
    for (const task of TASKS) {
      cloud.das.defineInstance(task.profile);
      const taskId = await createTask(cloud.das, task);
      labels.set(taskId, task.label);
      if (task.label === 'rm-demo-partial') cloud.das.fault({ kind: 'throttling', taskId });
      await drivers.announce({
        InstanceId: task.profile.InstanceId,
        TaskId: taskId,
        ...(task.nodeId ? { NodeId: task.nodeId } : {}),
      });
      console.log(
        `${elapsed()} ${bold(task.label.padEnd(16))} created task ${taskId}: ${task.story}`,
      );
    }
    // A request that can never be tracked: a PolarDB cluster without NodeId.
    labels.set('0000000000000000000000000000dead', 'pc-demo-no-node');
    await drivers.announce({
      InstanceId: 'pc-demo-cluster',
      TaskId: '0000000000000000000000000000dead',
    });
    console.log(
      `${elapsed()} ${bold('pc-demo-no-node'.padEnd(16))} announced without NodeId: will be answered INVALID`,
    );
    // The webhook receiver has a bad moment: its first four answers are errors, more than one
    // delivery's three attempts, so one summary goes back as a pending publication.
    cloud.webhook.fail({ status: 503 }, { status: 502 }, { status: 503 }, { status: 504 });
    console.log(
      `${elapsed()} ${dim('the webhook receiver will fail its next four requests (503, 502, 503, 504)')}\n`,
    );

    const expected = TASKS.length + 1;
    const deadline = Date.now() + 55_000;
    // Firing notices arrive on the same webhook; the demo waits for one summary per task.
    const summaries = () =>
      cloud.webhook.deliveries.filter(
        (d) => (JSON.parse(d.body) as { type: string }).type === SUMMARY_TYPE,
      );
    while (new Set(summaries().map((d) => d.id)).size < expected) {
      if (Date.now() > deadline) throw new Error('the demo did not finish within 55 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await drivers.stop();

    console.log(bold(`\n${'='.repeat(30)} summaries ${'='.repeat(30)}`));
    const seen = new Set<string>();
    for (const delivery of summaries()) {
      if (seen.has(delivery.id)) continue;
      seen.add(delivery.id);
      printSummary(JSON.parse(delivery.body) as SummaryEvent, delivery.verified);
    }
    const partial = summaries()
      .map((d) => JSON.parse(d.body) as SummaryEvent)
      .find((s) => label(s.subject) === 'rm-demo-partial');
    if (process.argv.includes('--json') && partial)
      console.log(`\n${JSON.stringify(partial, null, 2)}`);
    const topic = cloud.mns.published('das-kill-summaries').length;
    console.log(
      dim(
        `\n${topic} messages on the MNS topic and ${cloud.webhook.deliveries.length} webhook deliveries ` +
          `(${seen.size} summaries, the rest firing notices), ${cloud.das.calls.length} DAS calls, ` +
          `${drivers.invocations()} invocations (${mode} mode), ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ),
    );
    printRenders(robots);
  } finally {
    await drivers.stop();
    await cloud.close();
    await robots.close();
  }
}

await main();
