/**
 * The RAM policies in deploy/ grant exactly what the tracker calls: the tracker runs against the
 * emulators in every mode, the emulators record each operation (DAS action, MNS operation and
 * target, FC function invoked), each operation maps to its RAM action and resource, and the set is
 * compared with the policy file. The dead-letter queue's SendMessage is FC's own (the async
 * `onFailure` destination of s.yaml), so it is compared with s.yaml instead.
 *
 * Operation → RAM action: MNS API-to-RAM table, https://help.aliyun.com/zh/mns/b3asrm
 * (SendMessage/BatchSendMessage → mns:SendMessage, ReceiveMessage/BatchReceiveMessage →
 * mns:ReceiveMessage, DeleteMessage/BatchDeleteMessage → mns:DeleteMessage; resources
 * acs:mns:$region:$accountid:/queues/$queueName/messages, /topics/$topicName/messages). DAS: the API
 * page (hdm:GetKillInstanceSessionTaskResult, all resources). FC 3.0: fc:InvokeFunction on
 * acs:fc:$region:$accountid:functions/$functionName.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCloud, ROLE_CREDENTIALS, startLocalCloud } from '../../emulators/cloud.js';
import { realisticSessions } from '../../emulators/das/index.js';
import { FcApiEmulator } from '../../emulators/fc/api.js';
import { invokeFunction } from '../../emulators/fc/runtime.js';
import { createProductionTracker } from '../../shared/runtime/production.js';
import { POLAR_REQUEST, RDS_REQUEST } from '../helpers/factories.js';
import { fixtureEvent } from '../helpers/fixtures.js';
import { renderSYaml } from '../helpers/s-yaml.js';
import { startHarness } from '../helpers/tracker.js';

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

const readPolicy = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Policy;
const QUEUE_POLICY = readPolicy('deploy/ram-policy.json');
const FC_POLICY = readPolicy('deploy/ram-policy-fc-transport.json');

const MNS_ACTION: Record<string, string> = {
  SendMessage: 'mns:SendMessage',
  BatchSendMessage: 'mns:SendMessage',
  ReceiveMessage: 'mns:ReceiveMessage',
  BatchReceiveMessage: 'mns:ReceiveMessage',
  DeleteMessage: 'mns:DeleteMessage',
  BatchDeleteMessage: 'mns:DeleteMessage',
  ChangeMessageVisibility: 'mns:ChangeMessageVisibility',
  PublishMessage: 'mns:PublishMessage',
};
const TOPIC_OPERATIONS = new Set(['PublishMessage']);

/** `action resource` pairs, with the policy's `<region>` and `<account-id>` placeholders. */
type Grant = string;
const grant = (action: string, resource: string): Grant => `${action} ${resource}`;

function granted(policy: Policy): Set<Grant> {
  const grants = new Set<Grant>();
  for (const statement of policy.Statement) {
    expect(statement.Effect).toBe('Allow');
    for (const action of statement.Action) {
      for (const resource of statement.Resource) grants.add(grant(action, resource));
    }
  }
  return grants;
}

/** The grants the recorded operations need. Unknown operations fail the test: map them first. */
function needed(cloud: LocalCloud, fc?: FcApiEmulator): Set<Grant> {
  const grants = new Set<Grant>();
  for (const call of cloud.das.calls) grants.add(grant(`hdm:${call.action}`, '*'));
  for (const request of cloud.mns.requests) {
    const action = MNS_ACTION[request.operation];
    if (action === undefined) throw new Error(`no RAM action mapped for MNS ${request.operation}`);
    const kind = TOPIC_OPERATIONS.has(request.operation) ? 'topics' : 'queues';
    grants.add(grant(action, `acs:mns:<region>:<account-id>:/${kind}/${request.target}/messages`));
  }
  for (const request of fc?.requests ?? []) {
    if (request.functionName === undefined) throw new Error('an FC request named no function');
    grants.add(
      grant('fc:InvokeFunction', `acs:fc:<region>:<account-id>:functions/${request.functionName}`),
    );
  }
  return grants;
}

/** The dead-letter grant s.yaml's asyncInvokeConfig needs, with placeholders. */
function deadLetterGrant(): Grant {
  const { props } = renderSYaml({ FUNCTION_ROLE_ARN: 'acs:ram::1:role/x', ACCOUNT_ID: 'ACCOUNT' });
  const destination = (
    props.asyncInvokeConfig as { destinationConfig: { onFailure: { destination: string } } }
  ).destinationConfig.onFailure.destination;
  return grant(
    'mns:SendMessage',
    destination.replace(':cn-shanghai:', ':<region>:').replace(':ACCOUNT:', ':<account-id>:'),
  );
}

function defineTask(
  cloud: LocalCloud,
  request: { InstanceId: string; TaskId: string; NodeId?: string },
  durationMs: number,
) {
  cloud.das.defineTask({
    ...request,
    sessions: realisticSessions(3, { seed: 4, reasons: { SESSION_KILLED: 1 } }),
    durationMs,
    finalState: 'SUCCESS',
    createdAt: Date.now() - 1,
  });
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** One-second waits between checks, a timer run that does not long-poll. */
const FAST = { POLL_MIN_DELAY_S: '1', POLL_MAX_DELAY_S: '1', PULL_WAIT_S: '0' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Push mode: a running check is re-queued, a finished one published. */
async function pushRun(): Promise<Set<Grant>> {
  const { cloud, invoke, close } = await startHarness(FAST);
  closers.push(close);
  defineTask(cloud, RDS_REQUEST, 1200);
  expect(await invoke(RDS_REQUEST)).toMatchObject({ value: { records: [{ action: 'requeued' }] } });
  await sleep(1300);
  expect(await invoke(RDS_REQUEST)).toMatchObject({
    value: { records: [{ action: 'published' }] },
  });
  return needed(cloud);
}

/** Pull mode: direct requests queued, then a timer receives, hides the running one, deletes the finished one. */
async function pullRun(): Promise<Set<Grant>> {
  const { cloud, invoke, close } = await startHarness({ ...FAST, TRACK_MODE: 'pull' });
  closers.push(close);
  defineTask(cloud, RDS_REQUEST, 1200);
  defineTask(cloud, POLAR_REQUEST, 600_000);
  await invoke(RDS_REQUEST);
  await invoke(POLAR_REQUEST);
  await sleep(1300);
  const tick = await invoke(fixtureEvent('timer.json'));
  expect(tick).toMatchObject({ ok: true, value: { pull: { received: 2 } } });
  expect(cloud.webhook.deliveries).toHaveLength(1);
  return needed(cloud);
}

/** FC transport: the running check re-invokes the function asynchronously; the next hop publishes. */
async function fcRun(): Promise<Set<Grant>> {
  const cloud = await startLocalCloud();
  closers.push(() => cloud.close());
  const fc = await FcApiEmulator.start({
    accountId: cloud.functionSpec.accountId,
    region: cloud.functionSpec.region,
    credentials: [ROLE_CREDENTIALS],
    roleCredentials: ROLE_CREDENTIALS,
  });
  closers.push(() => fc.close());
  const { TRACK_QUEUE: _queue, ...withoutQueue } = cloud.env;
  const tracker = createProductionTracker({
    ...withoutQueue,
    TRACK_TRANSPORT: 'fc',
    FC_ENDPOINT: fc.url,
    POLL_MIN_DELAY_S: '1',
    POLL_MAX_DELAY_S: '1',
    LOG_LEVEL: 'silent',
  });
  fc.register(cloud.functionSpec.name, (event, context) => tracker.handle(event, context));
  defineTask(cloud, RDS_REQUEST, 500);
  await invokeFunction(
    (e, c) => tracker.handle(e, c),
    JSON.stringify(RDS_REQUEST),
    cloud.functionSpec,
  );
  await sleep(1200);
  await fc.drain();
  expect(cloud.webhook.deliveries).toHaveLength(1);
  return needed(cloud, fc);
}

describe('deploy/ram-policy.json (MNS queue transport)', () => {
  it('grants exactly what push and pull modes call, plus the dead-letter queue FC sends to', async () => {
    const used = new Set([...(await pushRun()), ...(await pullRun())]);
    expect([...used].sort()).toEqual(
      [
        'hdm:GetKillInstanceSessionTaskResult *',
        'mns:ChangeMessageVisibility acs:mns:<region>:<account-id>:/queues/das-kill-tracker/messages',
        'mns:DeleteMessage acs:mns:<region>:<account-id>:/queues/das-kill-tracker/messages',
        'mns:PublishMessage acs:mns:<region>:<account-id>:/topics/das-kill-summaries/messages',
        'mns:ReceiveMessage acs:mns:<region>:<account-id>:/queues/das-kill-tracker/messages',
        'mns:SendMessage acs:mns:<region>:<account-id>:/queues/das-kill-tracker/messages',
      ].sort(),
    );
    expect([...granted(QUEUE_POLICY)].sort()).toEqual([...used, deadLetterGrant()].sort());
  }, 30_000);
});

describe('deploy/ram-policy-fc-transport.json (FC self-invocation)', () => {
  it('grants exactly what the FC transport calls, plus the dead-letter queue, and nothing on the queue', async () => {
    const used = await fcRun();
    expect([...used].sort()).toEqual(
      [
        'fc:InvokeFunction acs:fc:<region>:<account-id>:functions/das-kill-tracker',
        'hdm:GetKillInstanceSessionTaskResult *',
        'mns:PublishMessage acs:mns:<region>:<account-id>:/topics/das-kill-summaries/messages',
      ].sort(),
    );
    expect([...granted(FC_POLICY)].sort()).toEqual([...used, deadLetterGrant()].sort());
  }, 30_000);
});

describe('policy resources and s.yaml defaults', () => {
  it('names the queue, topic and function s.yaml deploys by default', () => {
    const { props } = renderSYaml({ FUNCTION_ROLE_ARN: 'acs:ram::1:role/x' });
    const names = [
      props.functionName,
      props.environmentVariables.TRACK_QUEUE,
      props.environmentVariables.NOTIFY_TOPIC,
    ];
    expect(names).toEqual(['das-kill-tracker', 'das-kill-tracker', 'das-kill-summaries']);
    const resources = [...granted(QUEUE_POLICY), ...granted(FC_POLICY)].join('\n');
    expect(resources).toContain(`functions/${props.functionName}`);
    expect(resources).toContain(`/queues/${props.environmentVariables.TRACK_QUEUE}/messages`);
    expect(resources).toContain(`/topics/${props.environmentVariables.NOTIFY_TOPIC}/messages`);
  });
});
