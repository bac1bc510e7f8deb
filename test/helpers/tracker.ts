/** Runs the production tracker against a local cloud, as FC would, with its log lines captured. */
import MNS from '@alicloud/mns/lib/client.js';
import {
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
  TRACK_QUEUE,
  USER_CREDENTIALS,
} from '../../emulators/cloud.js';
import { QueueTrigger } from '../../emulators/fc/queue-trigger.js';
import { type InvokeResult, invokeFunction } from '../../emulators/fc/runtime.js';
import { createProductionTracker } from '../../shared/runtime/production.js';
import type { Tracker } from '../../shared/runtime/tracker.js';

export interface Harness {
  readonly cloud: LocalCloud;
  readonly tracker: Tracker;
  /** Every log line written so far, raw. */
  readonly logs: string[];
  invoke(event: Buffer | string | object): Promise<InvokeResult>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  options: LocalCloudOptions = {},
): Promise<Harness> {
  const cloud = await startLocalCloud(options);
  const logs: string[] = [];
  const tracker = createProductionTracker(
    { POLL_MIN_DELAY_S: '1', POLL_MAX_DELAY_S: '2', LOG_LEVEL: 'debug', ...cloud.env, ...env },
    { logDestination: { write: (line: string) => void logs.push(line) } },
  );
  return {
    cloud,
    tracker,
    logs,
    invoke: (event) =>
      invokeFunction(
        (payload, context) => tracker.handle(payload, context),
        Buffer.isBuffer(event) || typeof event === 'string' ? event : JSON.stringify(event),
        cloud.functionSpec,
      ),
    close: () => cloud.close(),
  };
}

/** A queue trigger CloudEvent (event-driven mode) carrying `body` as `data.messageBody`. */
export function queueEvent(
  body: string,
  messageId = `M${Math.random().toString(16).slice(2, 14).toUpperCase()}`,
) {
  return {
    id: 'c2g71017-6f65-fhcf-a814-a396fc8d0001',
    source: 'MNS-das-kill-tracker-mnstrigger',
    specversion: '1.0',
    type: 'mns:Queue:SendMessage',
    datacontenttype: 'application/json; charset=utf-8',
    subject: 'acs:mns:cn-shanghai:1648821913960001:queues/das-kill-tracker',
    time: new Date().toISOString(),
    data: { requestId: 'R0001', messageId, messageBody: body },
  };
}

export async function until(
  predicate: () => boolean,
  timeoutMs = 15_000,
  stepMs = 50,
): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/**
 * The harness's tracking queue with an MNS queue trigger on it (started), and a producer that
 * announces track requests with a user's key, as a runbook would.
 */
export function queueLoop(h: Harness, mode: 'event-driven' | 'event-streaming' = 'event-driven') {
  const trigger = new QueueTrigger({
    mnsUrl: h.cloud.mns.url,
    accountId: h.cloud.functionSpec.accountId,
    credentials: USER_CREDENTIALS,
    queue: TRACK_QUEUE,
    mode,
    isBase64Decode: false,
    invoke: (event) =>
      invokeFunction((e, c) => h.tracker.handle(e, c), event, h.cloud.functionSpec),
  });
  trigger.start();
  const producer = new MNS(h.cloud.functionSpec.accountId, {
    ...USER_CREDENTIALS,
    endpoint: h.cloud.mns.url,
  });
  return { trigger, producer };
}
