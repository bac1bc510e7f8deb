/**
 * Pull mode (SPEC 5.3): a timer event drains TRACK_QUEUE with `BatchReceiveMessage` (up to 16 a
 * call), checks the received tasks concurrently with a bound, then for each: still RUNNING →
 * `ChangeMessageVisibility` to the next check time; final → publish, then `DeleteMessage`;
 * publication failed → the message stays hidden until the retry time and comes back.
 *
 * The message body does not change between checks: what the tracker needs beyond it comes from the
 * message's own MNS fields: `DequeueCount` (checks so far, and how far the wait has grown) and
 * `FirstDequeueTime` (the first check, from which the deadline counts). A body that is a push-mode
 * track state is honoured too (its deadline and counts), so nothing is lost if the modes are mixed.
 *
 * FC's Node.js context has no remaining-time call: the run keeps its own deadline from
 * `context.function.timeout` and stops receiving while there is still time to finish.
 */
import type { PullConfig } from '../config/index.js';
import { recordFromBody, type TrackRecord } from '../events/parse.js';
import type { MnsAdapter, ReceivedMessage } from '../mns/client.js';
import { mapLimit } from '../runtime/concurrency.js';
import { remainingMs } from '../sinks/types.js';
import {
  processRecord,
  type RecordReport,
  type Scheduler,
  type TrackerPorts,
  type TrackerSettings,
} from './process.js';
import { STATE_VERSION, type TrackState } from './state.js';

export interface PullOptions extends PullConfig {
  readonly concurrency: number;
}

export interface PullReport {
  readonly received: number;
  readonly stoppedBy: 'empty' | 'max' | 'time';
  readonly records: readonly RecordReport[];
}

/** ChangeMessageVisibility accepts 1 to 43200 s (ChangeMessageVisibility doc, protocols.md 3.4). */
export const MAX_VISIBILITY_S = 43_200;
/** Time a received message needs at least: a DAS call (capped at 5 s here) and a publication. */
const RESERVE_MS = 8000;

const OVERRIDE_BOUNDS = {
  maxMessages: { min: 1, max: 10_000 },
  waitSeconds: { min: 0, max: 30 },
  concurrency: { min: 1, max: 16 },
} as const;

/**
 * The timer's `payload` may be empty or a JSON object of overrides: `maxMessages`, `waitSeconds`,
 * `concurrency`. Anything else is reported as a problem and ignored: a typo in a trigger's payload
 * must not stop the only thing that tracks tasks in pull mode.
 */
export function timerOverrides(
  payload: string,
  defaults: PullOptions,
): { options: PullOptions; problems: string[] } {
  const trimmed = payload.trim();
  if (trimmed === '') return { options: defaults, problems: [] };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { options: defaults, problems: ['payload is not a JSON object; using the defaults'] };
  }
  const problems: string[] = [];
  const options: { -readonly [K in keyof PullOptions]: PullOptions[K] } = { ...defaults };
  for (const [key, raw] of Object.entries(value)) {
    if (!(key in OVERRIDE_BOUNDS)) {
      problems.push(
        `unknown key "${key.slice(0, 40)}" ignored (known: ${Object.keys(OVERRIDE_BOUNDS).join(', ')})`,
      );
      continue;
    }
    const name = key as keyof typeof OVERRIDE_BOUNDS;
    const { min, max } = OVERRIDE_BOUNDS[name];
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}; ignored`);
      continue;
    }
    options[name] = raw;
  }
  return { options, problems };
}

/** The record of a received message, with its state taken from the body and the MNS fields. */
export function pulledRecord(
  message: ReceivedMessage,
  index: number,
  trackTimeoutS: number,
  now: number,
): TrackRecord {
  const record = recordFromBody(message.body, {
    source: 'queue',
    index,
    messageId: message.messageId,
  });
  if (!record.ok) return record;
  const earlier = Math.max(0, message.dequeueCount - 1);
  const first = message.firstDequeueTime > 0 ? message.firstDequeueTime : now;
  const base: TrackState = record.state ?? {
    v: STATE_VERSION,
    request: record.request,
    checks: 0,
    startedAt: first,
    deadline: first + trackTimeoutS * 1000,
    quiet: 0,
  };
  // Each earlier receive was a check whose outcome the unchanged body does not record.
  const state: TrackState = {
    ...base,
    checks: base.checks + earlier,
    quiet: base.quiet + Math.max(0, earlier - 1),
  };
  return { ...record, state };
}

/** Pull mode's "re-queue": hide the same message until the next check. */
class VisibilityScheduler implements Scheduler {
  readonly name = 'visibility';
  readonly #mns: MnsAdapter;
  readonly #queue: string;
  readonly #handle: string;

  constructor(mns: MnsAdapter, queue: string, handle: string) {
    this.#mns = mns;
    this.#queue = queue;
    this.#handle = handle;
  }

  async schedule(_state: TrackState, delayS: number): Promise<void> {
    const timeout = Math.min(MAX_VISIBILITY_S, Math.max(1, Math.round(delayS)));
    await this.#mns.changeVisibility(this.#queue, this.#handle, timeout);
  }
}

export async function runPull(
  ports: TrackerPorts,
  settings: TrackerSettings,
  mnsFor: () => Promise<MnsAdapter>,
  queue: string,
  options: PullOptions,
): Promise<PullReport> {
  const mns = await mnsFor();
  const reports: RecordReport[] = [];
  let received = 0;
  let stoppedBy: PullReport['stoppedBy'] = 'max';
  while (received < options.maxMessages) {
    if (remainingMs(ports.budget) < RESERVE_MS) {
      stoppedBy = 'time';
      break;
    }
    const wait = received === 0 ? options.waitSeconds : 0;
    const batch = await mns.batchReceive(queue, Math.min(16, options.maxMessages - received), wait);
    if (batch.length === 0) {
      stoppedBy = 'empty';
      break;
    }
    const offset = received;
    received += batch.length;
    const batchReports = await mapLimit(batch, options.concurrency, async (message, i) => {
      const now = ports.clock();
      const record = pulledRecord(message, offset + i, settings.poll.trackTimeoutS, now);
      const state = record.ok ? record.state : undefined;
      return processRecord(record, ports, settings, {
        scheduler: new VisibilityScheduler(mns, queue, message.receiptHandle),
        ack: () => mns.deleteMessage(queue, message.receiptHandle),
        dedupe: false,
        stateless: true,
        // The body cannot carry a pending publication: give up a task's window after its deadline.
        ...(state === undefined
          ? {}
          : { giveUpAt: state.deadline + settings.poll.trackTimeoutS * 1000 }),
      });
    });
    reports.push(...batchReports);
  }
  for (const report of reports) {
    if (report.action === 'failed') {
      // No trigger redelivers in pull mode: the message simply comes back after its visibility timeout.
      ports.logger.warn(
        { TaskId: report.TaskId, reason: report.reason },
        'message left in the queue; it will come back',
      );
    }
  }
  return { received, stoppedBy, records: reports };
}
