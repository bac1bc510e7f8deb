/**
 * One content model for every chat platform: what a DBA must read in five seconds, in order.
 * Outcome first with a severity; counts; failed sessions first, grouped by Reason with what to do
 * about each; top users, client hosts and databases; duration; the instance, node and task; a link
 * to the DAS console. Renderers (`render/*.ts`) only lay this out within each platform's limits.
 */
import type { Severity } from '../config/index.js';
import { REASONS } from '../das/result.js';
import {
  type FailedSession,
  isAlertEvent,
  type NoticeEvent,
  type Outcome,
  type SummaryError,
  type TopEntry,
} from '../summary/model.js';

export type { Severity } from '../config/index.js';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  info: 0,
  warning: 1,
  critical: 2,
};

/** What to do about each failure Reason (DAS API page for the meanings; anchors.md 4.6). */
export const REASON_ADVICE: Readonly<Record<string, string>> = {
  [REASONS.SESSION_NO_PERMISSION]:
    'the kill account may not kill these sessions: use a privileged account (MySQL 8.0: CONNECTION_ADMIN), or create the task with CreateKillInstanceSessionTaskWithMaintainUser',
  [REASONS.SESSION_ACCOUNT_ERROR]:
    'DAS could not log in with the kill account: check DbUser and DbUserPassword (rotated password?), then kill again',
  [REASONS.SESSION_KILL_TASK_TIMEOUT]:
    'the kill timed out (long rollback or busy instance): check whether the sessions are still there before killing again',
  [REASONS.SESSION_OTHER_ERROR]:
    'DAS could not kill them: look at these sessions in the DAS console and kill again',
};

/** The Reasons that are not failures, as a reader would say them. */
export const REASON_LABEL: Readonly<Record<string, string>> = {
  [REASONS.SESSION_KILLED]: 'killed',
  [REASONS.SESSION_EXPIRED]: 'gone before the kill',
  [REASONS.SESSION_IGNORED_USER]: 'spared: ignored user',
  [REASONS.SESSION_INTERNAL_USER_OR_COMMAND]: 'spared: Alibaba Cloud O&M',
  [REASONS.SESSION_NO_PERMISSION]: 'no permission',
  [REASONS.SESSION_ACCOUNT_ERROR]: 'kill account error',
  [REASONS.SESSION_KILL_TASK_TIMEOUT]: 'kill timed out',
  [REASONS.SESSION_OTHER_ERROR]: 'other error',
};

export interface FailureGroup {
  readonly reason: string;
  readonly label: string;
  readonly count: number;
  readonly advice: string;
  /** Some of the sessions, as listed in the summary (SQL masked unless configured otherwise). */
  readonly examples: readonly FailedSession[];
}

export interface Notice {
  readonly id: string;
  /** Alert key: the same for a task's firing notice and its final summary. */
  readonly key: string;
  readonly kind: 'summary' | 'firing';
  /** Lifecycle status: `firing`, `resolved` (a summary after a firing notice), or none. */
  readonly status: 'firing' | 'resolved' | undefined;
  readonly severity: Severity;
  /** The outcome, or `RUNNING` for a firing notice. */
  readonly outcome: Outcome | 'RUNNING';
  /** One line: outcome and where, e.g. `FAILURE · kill task on pc-xxx/pi-yyy`. */
  readonly title: string;
  /** One line of counts and time, e.g. `0/6 killed · 6 failed · 5 s · 6 checks`. */
  readonly headline: string;
  /** What to do first, when there is something to do. */
  readonly advice: string | undefined;
  readonly counts: {
    readonly killed: number;
    readonly failed: number;
    readonly ignored: number;
    readonly targeted: number;
  };
  readonly failures: readonly FailureGroup[];
  /** Non-failure reasons with their counts, e.g. `gone before the kill 3`. */
  readonly otherReasons: ReadonlyArray<{ readonly label: string; readonly count: number }>;
  readonly top: {
    readonly users: readonly TopEntry[];
    readonly hosts: readonly TopEntry[];
    readonly dbs: readonly TopEntry[];
  };
  readonly task: { readonly TaskId: string; readonly InstanceId: string; readonly NodeId?: string };
  readonly consoleUrl: string;
  readonly error: SummaryError | undefined;
  readonly sqlMasked: boolean;
  readonly time: string;
  readonly durationS: number;
  readonly checks: number;
}

const EXAMPLES_PER_REASON = 3;

export function severityOf(event: NoticeEvent): Severity {
  if (isAlertEvent(event)) return 'warning';
  const { Outcome: outcome, KillFailCount, FailedSessions, FailedSessionsOmitted } = event.data;
  if (outcome !== 'SUCCESS') return 'critical';
  return KillFailCount > 0 || FailedSessions.length + FailedSessionsOmitted > 0
    ? 'warning'
    : 'info';
}

export function consoleLink(
  template: string,
  task: { InstanceId: string; NodeId?: string; TaskId: string },
): string {
  return template
    .replaceAll('{InstanceId}', encodeURIComponent(task.InstanceId))
    .replaceAll('{NodeId}', encodeURIComponent(task.NodeId ?? ''))
    .replaceAll('{TaskId}', encodeURIComponent(task.TaskId));
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function invalidAdvice(error: SummaryError | undefined): string {
  switch (error?.Code) {
    case 'InvalidTrackRequest':
      return `the track request was malformed: ${error.Message}`;
    case 'InvalidParams':
      return 'DAS refused the request: check InstanceId, TaskId and NodeId (a PolarDB cluster needs NodeId)';
    case 'NoPermission':
      return "the function's role may not read kill tasks: grant it hdm:GetKillInstanceSessionTaskResult";
    default:
      return `DAS refused the request (${error?.Code ?? 'unknown error'}): the task was not tracked`;
  }
}

function outcomeAdvice(
  outcome: Outcome,
  failed: number,
  durationS: number,
  error: SummaryError | undefined,
): string | undefined {
  switch (outcome) {
    case 'SUCCESS':
      return failed > 0 ? `${failed} session(s) survived the kill: see why below` : undefined;
    case 'FAILURE':
      return 'DAS reports the task failed: see the failures below and the task in the DAS console';
    case 'ERROR':
      return 'DAS reports an error: the results may be partial; check the sessions in the DAS console';
    case 'TIMEOUT':
      return `still RUNNING after ${duration(durationS)}: check the task in the DAS console before killing again`;
    case 'INVALID':
      return invalidAdvice(error);
  }
}

function groupFailures(
  sessions: readonly FailedSession[],
  reasonCounts: Readonly<Record<string, number>>,
): FailureGroup[] {
  return Object.entries(reasonCounts)
    .filter(([reason]) => REASON_ADVICE[reason] !== undefined)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => ({
      reason,
      label: REASON_LABEL[reason] ?? reason,
      count,
      advice: REASON_ADVICE[reason] as string,
      examples: sessions.filter((s) => s.Reason === reason).slice(0, EXAMPLES_PER_REASON),
    }));
}

export function noticeOf(event: NoticeEvent, consoleUrlTemplate: string): Notice {
  const d = event.data;
  const task =
    d.NodeId === undefined
      ? { TaskId: d.TaskId, InstanceId: d.InstanceId }
      : { TaskId: d.TaskId, InstanceId: d.InstanceId, NodeId: d.NodeId };
  const where = `${d.InstanceId}${d.NodeId === undefined ? '' : `/${d.NodeId}`}`;
  const failures = groupFailures(d.FailedSessions, d.ReasonCounts);
  const failed = Math.max(
    d.KillFailCount,
    failures.reduce((n, g) => n + g.count, 0),
  );
  const otherReasons = Object.entries(d.ReasonCounts)
    .filter(([reason]) => REASON_ADVICE[reason] === undefined && reason !== REASONS.SESSION_KILLED)
    .map(([reason, count]) => ({ label: REASON_LABEL[reason] ?? reason, count }));
  const common = {
    id: event.id,
    severity: severityOf(event),
    counts: {
      killed: d.KillSuccessCount,
      failed,
      ignored: d.IgnoredUserSessionCount,
      targeted: d.SessionCount,
    },
    failures,
    otherReasons,
    top: { users: d.TopUsers, hosts: d.TopHosts, dbs: d.TopDbs },
    task,
    consoleUrl: consoleLink(consoleUrlTemplate, task),
    sqlMasked: d.SqlLiteralsMasked,
    time: event.time,
    checks: d.Checks,
  };
  const killed = `${d.KillSuccessCount}/${d.SessionCount} killed`;
  if (isAlertEvent(event)) {
    const { Alert, RunningForS, QuietChecks } = event.data;
    const why =
      Alert.Reason === 'stalled'
        ? `no progress for ${QuietChecks} checks`
        : `still RUNNING after ${duration(RunningForS)}`;
    return {
      ...common,
      key: Alert.Key,
      kind: 'firing',
      status: 'firing',
      outcome: 'RUNNING',
      title: `RUNNING too long · kill task on ${where}`,
      headline: `${killed} so far · ${failed} failed · ${duration(RunningForS)} · ${d.Checks} checks`,
      advice: `${why}: check the task in the DAS console; this alert resolves when the task ends`,
      error: undefined,
      durationS: RunningForS,
    };
  }
  const data = event.data;
  const failedPart = `${failed > 0 ? ` · ${failed} failed` : ''}${d.IgnoredUserSessionCount > 0 ? ` · ${d.IgnoredUserSessionCount} ignored` : ''}`;
  return {
    ...common,
    key: data.Alert?.Key ?? `das-kill-tracker/${data.InstanceId}/${data.TaskId}`,
    kind: 'summary',
    status: data.Alert === undefined ? undefined : 'resolved',
    outcome: data.Outcome,
    title: `${data.Outcome}${data.Outcome === 'SUCCESS' && failed > 0 ? ' with failures' : ''} · kill task on ${where}`,
    headline:
      data.Outcome === 'INVALID'
        ? `not tracked · ${data.Error?.Code ?? 'error'}`
        : `${killed}${failedPart} · ${duration(data.DurationS)} · ${data.Checks} checks`,
    advice: outcomeAdvice(data.Outcome, failed, data.DurationS, data.Error),
    error: data.Error,
    durationS: data.DurationS,
  };
}

/**
 * Whether a chat robot configured for `min` gets this notice. A resolved notice goes wherever its
 * firing notice went (firing notices are warnings), so every firing message is closed.
 */
export function passesSeverity(notice: Notice, min: Severity): boolean {
  const rank = SEVERITY_RANK[notice.severity];
  const firingRank = notice.status === 'resolved' ? SEVERITY_RANK.warning : rank;
  return Math.max(rank, firingRank) >= SEVERITY_RANK[min];
}
