/**
 * One record, start to end: check the task (or publish a pending summary), then re-queue or
 * publish (SPEC 5.1-5.4). Every outcome is a report; the only failure is a record that could
 * neither be finished nor re-queued, which the invocation turns into an error so the trigger
 * delivers it again.
 */
import type { AlertConfig, PollPolicy } from '../config/index.js';
import type { CredentialSource, Credentials } from '../credentials.js';
import type { DasApi } from '../das/client.js';
import type { KillTaskResult } from '../das/result.js';
import { asError, InvalidEventError, TrackerError } from '../errors.js';
import type { RecordOrigin, TrackRecord } from '../events/parse.js';
import type { Logger } from '../logger.js';
import type { Publisher } from '../sinks/publish.js';
import { type Budget, remainingMs } from '../sinks/types.js';
import { buildAlert, buildSummary, type SummaryOptions } from '../summary/build.js';
import type { Outcome, SummaryEvent } from '../summary/model.js';
import { type CheckOutcome, decide, errorInfo, nextDelayS, startState } from './decide.js';
import type { Ledger } from './ledger.js';
import type { NamedTask } from './request.js';
import type { TrackState } from './state.js';

/**
 * Re-queues a state to be handled again after `delayS` seconds: MNS `SendMessage` with a delay, an
 * FC asynchronous self-invocation, or (pull mode) the same message hidden until then.
 */
export interface Scheduler {
  readonly name: string;
  schedule(state: TrackState, delayS: number): Promise<void>;
}

/**
 * What becomes of the message a record came in, per record. Push mode: the next check is a new
 * message and the trigger deletes the old one (`ack` does nothing). Pull mode (SPEC 5.3): the same
 * message is hidden until the next check, and deleted once its summary is published.
 */
export interface RecordControl {
  readonly scheduler: Scheduler;
  /** The record is done with (published, undeliverable or rejected). */
  ack(): Promise<void>;
  /**
   * Skip messages this instance already handled (push: a redelivered message is a duplicate).
   * Pull mode turns it off: there the same message comes back on purpose. Default true.
   */
  readonly dedupe?: boolean;
  /** When to stop retrying a publication; default `TRACK_TIMEOUT_S` after the task finished. */
  readonly giveUpAt?: number;
  /**
   * Pull mode: the message cannot remember that an alert fired. The firing notice is raised at every
   * check while the condition holds (its id is stable, and this instance's ledger keeps each sink
   * from getting it twice), and the summary resolves it when the condition held at the end.
   */
  readonly stateless?: boolean;
}

export interface TrackerPorts {
  readonly das: DasApi;
  readonly credentials: CredentialSource;
  readonly scheduler: Scheduler;
  readonly publisher: Publisher;
  readonly ledger: Ledger;
  readonly clock: () => number;
  readonly random: () => number;
  readonly logger: Logger;
  readonly budget: Budget;
}

export interface TrackerSettings {
  readonly poll: PollPolicy;
  readonly summary: SummaryOptions;
  readonly dasTimeoutMs: number;
  readonly alert: AlertConfig;
}

export type RecordAction =
  | 'requeued'
  | 'published'
  | 'pending'
  | 'undeliverable'
  | 'rejected'
  | 'duplicate'
  | 'failed';

export interface RecordReport {
  readonly index: number;
  readonly action: RecordAction;
  readonly TaskId?: string;
  readonly outcome?: Outcome;
  readonly delayS?: number;
  readonly reason?: string;
}

/** A loggable view of an error: type, code, status, request id, message; no cause, no data. */
export function errorView(error: unknown): Record<string, unknown> {
  const e = asError(error);
  if (!(e instanceof TrackerError)) return { type: e.name, message: e.message };
  const view: Record<string, unknown> = {
    type: e.name,
    message: e.message,
    retryable: e.retryable,
  };
  if (e.code !== undefined) view.code = e.code;
  if (e.status !== undefined) view.status = e.status;
  if (e.requestId !== undefined) view.requestId = e.requestId;
  return view;
}

/** Keeps the DAS call and one publication attempt inside the invocation's time budget. */
const MIN_TIME_FOR_CHECK_MS = 1500;

function originFields(origin: RecordOrigin): Record<string, unknown> {
  return origin.messageId === undefined
    ? { source: origin.source, index: origin.index }
    : { source: origin.source, index: origin.index, messageId: origin.messageId };
}

function taskFields(task: NamedTask): Record<string, unknown> {
  return task.NodeId === undefined
    ? { TaskId: task.TaskId, InstanceId: task.InstanceId }
    : { TaskId: task.TaskId, InstanceId: task.InstanceId, NodeId: task.NodeId };
}

const DONE: ReadonlySet<RecordAction> = new Set(['published', 'undeliverable', 'rejected']);

class RecordRun {
  readonly #ports: TrackerPorts;
  readonly #settings: TrackerSettings;
  readonly #control: RecordControl;
  readonly #index: number;
  #log: Logger;

  constructor(
    ports: TrackerPorts,
    settings: TrackerSettings,
    origin: RecordOrigin,
    control: RecordControl,
  ) {
    this.#ports = ports;
    this.#settings = settings;
    this.#control = control;
    this.#index = origin.index;
    this.#log = ports.logger.child(originFields(origin));
  }

  async run(record: TrackRecord): Promise<RecordReport> {
    const report = await this.#handle(record);
    if (DONE.has(report.action)) {
      try {
        await this.#control.ack();
      } catch (thrown) {
        // The message comes back and is handled again; the summary id lets subscribers drop the double.
        this.#log.warn({ err: errorView(thrown) }, 'could not delete the handled message');
      }
    }
    return report;
  }

  async #handle(record: TrackRecord): Promise<RecordReport> {
    if (!record.ok) return this.#invalid(record.reason, record.named);
    this.#log = this.#log.child(taskFields(record.request));
    const now = this.#ports.clock();
    const state = record.state ?? startState(record.request, now, this.#settings.poll);
    if (state.wakeAt !== undefined && state.wakeAt - now > 1000) {
      // An intermediate hop of a wait longer than the transport's longest delay.
      const restS = Math.ceil((state.wakeAt - now) / 1000);
      this.#log.debug({ restS, hop: state.hop }, 'waiting: next hop');
      return this.#schedule(state, restS, undefined);
    }
    if (state.pending !== undefined) {
      return this.#publish(
        state.pending.summary,
        state,
        state.pending.delivered,
        state.pending.attempts,
        state.pending.giveUpAt,
      );
    }
    if (
      remainingMs(this.#ports.budget) <
      Math.min(this.#settings.dasTimeoutMs, 5000) + MIN_TIME_FOR_CHECK_MS
    ) {
      // Not enough time left in this invocation to check and act: hand the check to the next one.
      this.#log.warn(
        { remainingMs: remainingMs(this.#ports.budget) },
        'no time left to check; re-queued unchanged',
      );
      return this.#schedule(state, this.#settings.poll.minDelayS, undefined);
    }
    let credentials: Credentials;
    try {
      credentials = await this.#ports.credentials();
    } catch (thrown) {
      // Not the task's fault: never an INVALID summary. Fail the record so it is delivered again.
      this.#log.error({ err: errorView(thrown) }, 'no credentials to call DAS');
      return {
        index: this.#index,
        action: 'failed',
        TaskId: state.request.TaskId,
        reason: 'no credentials',
      };
    }
    const check = await this.#check(state, credentials);
    const decision = decide(
      state,
      check,
      this.#ports.clock(),
      this.#settings.poll,
      this.#ports.random,
    );
    const progress = decision.state.progress;
    if (decision.kind === 'wait') {
      this.#log.info(
        {
          checks: decision.state.checks,
          TaskState: progress?.TaskState,
          KillSuccessCount: progress?.KillSuccessCount,
          KillFailCount: progress?.KillFailCount,
          SessionCount: progress?.SessionCount,
          why: decision.why,
          delayS: decision.delayS,
        },
        decision.why === 'running' ? 'task still running' : 'check failed transiently; will retry',
      );
      const next = check.ok ? await this.#alertIfDue(decision.state, check.result) : decision.state;
      return this.#schedule(next, decision.delayS, undefined);
    }
    const finishedAt = this.#ports.clock();
    const raised = decision.state.alert ?? this.#derivedAlert(decision.state, finishedAt);
    const summary = buildSummary(
      {
        task: record.request,
        outcome: decision.outcome,
        result: decision.result,
        progress,
        error: decision.error,
        checks: decision.state.checks,
        startedAt: decision.state.startedAt,
        finishedAt,
        alert:
          raised === undefined
            ? undefined
            : { Reason: raised.reason, FiredAt: new Date(raised.firedAt).toISOString() },
      },
      this.#settings.summary,
    );
    this.#log.info(
      { checks: decision.state.checks, Outcome: decision.outcome, id: summary.id },
      'task finished',
    );
    return this.#publish(
      summary,
      decision.state,
      [],
      0,
      this.#control.giveUpAt ?? finishedAt + this.#settings.poll.trackTimeoutS * 1000,
    );
  }

  /** Which alert condition holds for a running task, if any (ALERT_AFTER_S, ALERT_STALL_CHECKS). */
  #alertCondition(state: TrackState, now: number): 'slow' | 'stalled' | undefined {
    const { afterS, stallChecks } = this.#settings.alert;
    if (stallChecks > 0 && state.quiet >= stallChecks) return 'stalled';
    if (afterS > 0 && now - state.startedAt >= afterS * 1000) return 'slow';
    return undefined;
  }

  /** Raises the firing notice once (or again, to the sinks that missed it) while a task runs. */
  async #alertIfDue(state: TrackState, result: KillTaskResult): Promise<TrackState> {
    const now = this.#ports.clock();
    const raised = state.alert;
    const reason = raised?.reason ?? this.#alertCondition(state, now);
    if (reason === undefined) return state;
    const sinks = this.#ports.publisher.sinkNames;
    if (
      raised !== undefined &&
      !this.#control.stateless &&
      sinks.every((s) => raised.delivered.includes(s))
    )
      return state;
    const firedAt = raised?.firedAt ?? now;
    const event = buildAlert(
      {
        task: state.request,
        result,
        checks: state.checks,
        startedAt: state.startedAt,
        firedAt,
        reason,
        quietChecks: state.quiet,
      },
      this.#settings.summary,
    );
    const report = await this.#ports.publisher.publish(
      event,
      raised?.delivered ?? [],
      this.#ports.budget,
    );
    const failures = report.failed.map((f) => ({ sink: f.sink, err: errorView(f.error) }));
    this.#log.warn(
      { id: event.id, key: event.data.Alert.Key, reason, delivered: report.delivered, failures },
      raised === undefined ? 'alert firing' : 'alert firing: delivered to the sinks that missed it',
    );
    return { ...state, alert: { firedAt, reason, delivered: report.delivered } };
  }

  /** Pull mode: the alert a task would have raised, judged from its state at the end. */
  #derivedAlert(
    state: TrackState,
    now: number,
  ): { reason: 'slow' | 'stalled'; firedAt: number } | undefined {
    if (!this.#control.stateless) return undefined;
    const reason = this.#alertCondition(state, now);
    if (reason === undefined) return undefined;
    const firedAt = reason === 'slow' ? state.startedAt + this.#settings.alert.afterS * 1000 : now;
    return { reason, firedAt };
  }

  async #check(state: TrackState, credentials: Credentials): Promise<CheckOutcome> {
    const timeoutMs = Math.min(
      this.#settings.dasTimeoutMs,
      remainingMs(this.#ports.budget) - MIN_TIME_FOR_CHECK_MS,
    );
    try {
      const result = await this.#ports.das.getKillTaskResult(state.request, credentials, timeoutMs);
      return { ok: true, result };
    } catch (thrown) {
      if (thrown instanceof TrackerError) {
        this.#log.warn({ err: errorView(thrown), checks: state.checks + 1 }, 'DAS check failed');
        return { ok: false, error: thrown };
      }
      throw thrown;
    }
  }

  async #invalid(reason: string, named: NamedTask | undefined): Promise<RecordReport> {
    if (named === undefined) {
      this.#log.warn({ reason }, 'record rejected: not a track request');
      return { index: this.#index, action: 'rejected', reason };
    }
    this.#log = this.#log.child(taskFields(named));
    this.#log.warn({ reason }, 'record rejected: invalid track request; publishing INVALID');
    const now = this.#ports.clock();
    const state = startState(named, now, this.#settings.poll);
    const error = errorInfo(new InvalidEventError(reason, { code: 'InvalidTrackRequest' }));
    const summary = buildSummary(
      { task: named, outcome: 'INVALID', error, checks: 0, startedAt: now, finishedAt: now },
      this.#settings.summary,
    );
    return this.#publish(summary, state, [], 0, now + this.#settings.poll.trackTimeoutS * 1000);
  }

  async #publish(
    summary: SummaryEvent,
    state: TrackState,
    delivered: readonly string[],
    attempts: number,
    giveUpAt: number,
  ): Promise<RecordReport> {
    const outcome = summary.data.Outcome;
    const report = await this.#ports.publisher.publish(summary, delivered, this.#ports.budget);
    if (report.failed.length === 0) {
      this.#log.info(
        { id: summary.id, Outcome: outcome, sinks: report.delivered },
        'summary published',
      );
      return { index: this.#index, action: 'published', TaskId: summary.subject, outcome };
    }
    const failures = report.failed.map((f) => ({ sink: f.sink, err: errorView(f.error) }));
    const now = this.#ports.clock();
    if (now >= giveUpAt) {
      // Never silently lost: the whole summary goes to the log, where SLS keeps it.
      this.#log.error(
        { id: summary.id, Outcome: outcome, delivered: report.delivered, failures, summary },
        'summary undeliverable: giving up after retrying for TRACK_TIMEOUT_S',
      );
      return { index: this.#index, action: 'undeliverable', TaskId: summary.subject, outcome };
    }
    const retryAfterS = Math.max(0, ...report.failed.map((f) => f.error.retryAfterS ?? 0));
    const delayS = nextDelayS(
      attempts,
      this.#settings.poll,
      this.#ports.random,
      giveUpAt - now,
      retryAfterS,
    );
    this.#log.warn(
      { id: summary.id, Outcome: outcome, delivered: report.delivered, failures, delayS },
      'summary not delivered to every sink; re-queued as a pending publication',
    );
    const pending = { summary, delivered: report.delivered, attempts: attempts + 1, giveUpAt };
    return this.#schedule({ ...state, pending }, delayS, outcome);
  }

  async #schedule(
    state: TrackState,
    delayS: number,
    outcome: Outcome | undefined,
  ): Promise<RecordReport> {
    const base = { index: this.#index, TaskId: state.request.TaskId, delayS };
    try {
      await this.#control.scheduler.schedule(state, delayS);
    } catch (thrown) {
      this.#log.error(
        { err: errorView(thrown), transport: this.#control.scheduler.name },
        'could not re-queue: the invocation will fail so the trigger delivers this record again',
      );
      return { ...base, action: 'failed', reason: asError(thrown).message };
    }
    if (state.pending !== undefined && outcome !== undefined)
      return { ...base, action: 'pending', outcome };
    return { ...base, action: 'requeued' };
  }
}

/**
 * Handles one record; duplicates of a queue message already handled in this instance are skipped.
 * `control` defaults to push mode: re-queue through `ports.scheduler`, nothing to delete.
 */
export async function processRecord(
  record: TrackRecord,
  ports: TrackerPorts,
  settings: TrackerSettings,
  control: RecordControl = { scheduler: ports.scheduler, ack: async () => undefined },
): Promise<RecordReport> {
  const key =
    control.dedupe === false || record.origin.messageId === undefined
      ? undefined
      : `message:${record.origin.messageId}`;
  if (key !== undefined && ports.ledger.has(key)) {
    ports.logger.info(
      originFields(record.origin),
      'duplicate delivery of a handled message; skipped',
    );
    return { index: record.origin.index, action: 'duplicate' };
  }
  const report = await new RecordRun(ports, settings, record.origin, control).run(record);
  if (key !== undefined && report.action !== 'failed') ports.ledger.add(key);
  return report;
}
