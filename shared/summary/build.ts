/**
 * Builds the summary of a finished task (SPEC 6) from what the tracker knows at the end: the last
 * DAS answer (if any), the last known progress, the error behind an INVALID or TIMEOUT outcome.
 */
import { createHash } from 'node:crypto';
import { FAILURE_REASONS, type KillTaskResult, type SessionResult } from '../das/result.js';
import type { NamedTask } from '../track/request.js';
import type { Progress } from '../track/state.js';
import { maskSqlLiterals, truncate } from './mask.js';
import {
  ALERT_TYPE,
  type AlertEvent,
  type AlertInfo,
  type FailedSession,
  type NoticeEvent,
  type Outcome,
  type ProgressData,
  SUMMARY_TYPE,
  type SummaryData,
  type SummaryError,
  type SummaryEvent,
  type TopEntry,
} from './model.js';

export interface SummaryOptions {
  readonly maxFailedSessions: number;
  readonly showSqlLiterals: boolean;
}

export interface SummaryInput {
  readonly task: NamedTask;
  readonly outcome: Outcome;
  readonly result?: KillTaskResult | undefined;
  /** Used for the counts when there is no `result` (a TIMEOUT while DAS kept failing). */
  readonly progress?: Progress | undefined;
  readonly error?: SummaryError | undefined;
  readonly checks: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** The firing notice this summary resolves, if one was raised. */
  readonly alert?: Omit<AlertInfo, 'Status' | 'Key'> | undefined;
}

/** Longest `Info` kept per failed session, after masking. */
export const MAX_INFO_CHARS = 512;
/**
 * Byte budget of the summary JSON. The summary may travel inside a re-queued state (base64,
 * x4/3) in an MNS message of at most 64 KiB, and Standard Webhooks advises payloads under 20 KB;
 * 32 KiB leaves room for both and is rarely reached with the default cap of 20 failed sessions.
 */
export const MAX_SUMMARY_BYTES = 32 * 1024;

// A fixed namespace makes ids reproducible across deployments and languages (RFC 9562 UUIDv5).
const ID_NAMESPACE = Buffer.from('6f1c8a52f0d94c0e9b1e4b7f6a3d2c10', 'hex');

/**
 * The summary id: a name-based UUID (RFC 9562 version 5) of `TaskId` and `Outcome`, so that every
 * retry, every sink and every duplicate delivery carries the same id (SPEC 5.4).
 */
export function summaryId(taskId: string, outcome: string): string {
  const hash = createHash('sha1').update(ID_NAMESPACE).update(`${taskId}\n${outcome}`).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function failedSession(row: SessionResult, options: SummaryOptions): FailedSession {
  const info =
    row.Info === undefined
      ? undefined
      : truncate(options.showSqlLiterals ? row.Info : maskSqlLiterals(row.Info), MAX_INFO_CHARS);
  const out: Record<string, unknown> = {
    Id: row.Id,
    User: row.User,
    Host: row.Host,
    Db: row.Db,
    Command: row.Command,
    Time: row.Time,
    State: row.State,
    Info: info,
    Reason: row.Reason,
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as unknown as FailedSession;
}

function reasonCounts(rows: readonly SessionResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const reason = row.Reason ?? 'UNKNOWN';
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

/** Serialises a summary or notice exactly as every sink sends it (see `toWireJson`). */
export function summaryJson(summary: NoticeEvent): string {
  return toWireJson(summary);
}

/**
 * `JSON.stringify`, plus escapes for U+FFFE and U+FFFF: valid in JSON but not in XML 1.0, and the
 * MNS topic carries the text inside XML. Escaping keeps the JSON value identical and the text
 * byte-exact across MNS, webhooks and logs. (JSON.stringify already escapes control characters
 * and lone surrogates, the other characters XML forbids.)
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\uFFFE\uFFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** How many top values each of TopUsers, TopHosts and TopDbs lists. */
export const TOP_N = 5;

/** `10.1.2.3:23428` → `10.1.2.3`; `[fe80::1]:3306` → `fe80::1`; a bare IPv6 address stays whole. */
export function hostWithoutPort(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1] as string;
  return (host.match(/:/g) ?? []).length === 1 ? host.replace(/:\d*$/, '') : host;
}

function top(
  rows: readonly SessionResult[],
  pick: (row: SessionResult) => string | undefined,
): TopEntry[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const value = pick(row);
    if (value !== undefined && value !== '') counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return (
    [...counts.entries()]
      // Code-unit order, not localeCompare: its first call builds ICU's collator (about 10 ms of a cold start).
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, TOP_N)
      .map(([Name, Sessions]) => ({ Name, Sessions }))
  );
}

/** The progress part shared by summaries and firing notices. */
function progressData(
  input: Pick<SummaryInput, 'task' | 'result' | 'progress' | 'checks' | 'startedAt'>,
  options: SummaryOptions,
): ProgressData {
  const { task, result, progress } = input;
  const rows = result?.Result ?? [];
  const failedRows = rows.filter(
    (row) => row.Reason !== undefined && FAILURE_REASONS.has(row.Reason),
  );
  const kept = failedRows.slice(0, options.maxFailedSessions).map((r) => failedSession(r, options));
  const userId = result?.UserId ?? progress?.UserId;
  const nodeId = task.NodeId ?? result?.NodeId;
  const taskState = result?.TaskState ?? progress?.TaskState;
  return {
    TaskId: task.TaskId,
    InstanceId: task.InstanceId,
    ...(nodeId === undefined ? {} : { NodeId: nodeId }),
    ...(userId === undefined ? {} : { UserId: userId }),
    ...(taskState === undefined ? {} : { TaskState: taskState }),
    KillSuccessCount: result?.KillSuccessCount ?? progress?.KillSuccessCount ?? 0,
    KillFailCount: result?.KillFailCount ?? progress?.KillFailCount ?? 0,
    IgnoredUserSessionCount:
      result?.IgnoredUserSessionCount ?? progress?.IgnoredUserSessionCount ?? 0,
    SessionCount: result?.Sessions.length ?? progress?.SessionCount ?? 0,
    ResultCount: result?.Result.length ?? progress?.ResultCount ?? 0,
    ReasonCounts: reasonCounts(rows),
    FailedSessions: kept,
    FailedSessionsOmitted: failedRows.length - kept.length,
    SqlLiteralsMasked: !options.showSqlLiterals,
    TopUsers: top(rows, (row) => row.User),
    TopHosts: top(rows, (row) => (row.Host === undefined ? undefined : hostWithoutPort(row.Host))),
    TopDbs: top(rows, (row) => row.Db),
    Checks: input.checks,
    StartedAt: iso(input.startedAt),
  };
}

/** The alert key of a task: the same on its firing notice and on the summary that resolves it. */
export function alertKey(task: NamedTask): string {
  return `das-kill-tracker/${task.InstanceId}/${task.TaskId}`;
}

function sourceOf(task: NamedTask): string {
  return `/das-kill-tracker/instances/${task.InstanceId}`;
}

export function buildSummary(input: SummaryInput, options: SummaryOptions): SummaryEvent {
  const { task, outcome } = input;
  const { TaskId, InstanceId, NodeId, UserId, StartedAt, Checks, ...progress } = progressData(
    input,
    options,
  );
  const data: SummaryData = {
    TaskId,
    InstanceId,
    ...(NodeId === undefined ? {} : { NodeId }),
    ...(UserId === undefined ? {} : { UserId }),
    Outcome: outcome,
    ...progress,
    Checks,
    StartedAt,
    FinishedAt: iso(input.finishedAt),
    DurationS: Math.max(0, Math.round((input.finishedAt - input.startedAt) / 1000)),
    ...(input.error === undefined ? {} : { Error: input.error }),
    ...(input.alert === undefined
      ? {}
      : { Alert: { Key: alertKey(task), Status: 'resolved' as const, ...input.alert } }),
  };
  return fitBudget({
    specversion: '1.0',
    id: summaryId(task.TaskId, outcome),
    source: sourceOf(task),
    type: SUMMARY_TYPE,
    subject: task.TaskId,
    time: iso(input.finishedAt),
    datacontenttype: 'application/json',
    data,
  });
}

export interface AlertInput {
  readonly task: NamedTask;
  readonly result: KillTaskResult;
  readonly checks: number;
  readonly startedAt: number;
  readonly firedAt: number;
  readonly reason: 'slow' | 'stalled';
  readonly quietChecks: number;
}

/** A `firing` notice with the task's progress so far; its id is stable per task (one per task). */
export function buildAlert(input: AlertInput, options: SummaryOptions): AlertEvent {
  const { task } = input;
  return fitBudget({
    specversion: '1.0',
    id: summaryId(task.TaskId, 'FIRING'),
    source: sourceOf(task),
    type: ALERT_TYPE,
    subject: task.TaskId,
    time: iso(input.firedAt),
    datacontenttype: 'application/json',
    data: {
      ...progressData(input, options),
      Alert: {
        Key: alertKey(task),
        Status: 'firing',
        Reason: input.reason,
        FiredAt: iso(input.firedAt),
      },
      RunningForS: Math.max(0, Math.round((input.firedAt - input.startedAt) / 1000)),
      QuietChecks: input.quietChecks,
    },
  });
}

/** Drops failed sessions from the end until the JSON fits MAX_SUMMARY_BYTES. */
function fitBudget<E extends NoticeEvent>(event: E): E {
  let current = event;
  while (
    Buffer.byteLength(summaryJson(current)) > MAX_SUMMARY_BYTES &&
    current.data.FailedSessions.length > 0
  ) {
    const sessions = current.data.FailedSessions;
    const drop = Math.max(1, Math.ceil(sessions.length / 4));
    current = {
      ...current,
      data: {
        ...current.data,
        FailedSessions: sessions.slice(0, sessions.length - drop),
        FailedSessionsOmitted: current.data.FailedSessionsOmitted + drop,
      },
    };
  }
  return current;
}
