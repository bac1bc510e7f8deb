/**
 * The summary (SPEC 6): a CloudEvents 1.0 JSON object (https://github.com/cloudevents/spec,
 * `cloudevents/spec.md` v1.0.2, required attributes `id`, `source`, `specversion`, `type`).
 */

export const OUTCOMES = ['SUCCESS', 'FAILURE', 'ERROR', 'TIMEOUT', 'INVALID'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const SUMMARY_TYPE = 'das-kill-tracker.summary';
/** CloudEvent type of a `firing` notice: a task running too long, or stalled (the alert lifecycle). */
export const ALERT_TYPE = 'das-kill-tracker.alert';

export interface FailedSession {
  readonly Id?: number;
  readonly User?: string;
  readonly Host?: string;
  readonly Db?: string;
  readonly Command?: string;
  readonly Time?: number;
  readonly State?: string;
  readonly Info?: string;
  readonly Reason: string;
}

/** One of the most frequent values among the sessions DAS reported on. */
export interface TopEntry {
  readonly Name: string;
  readonly Sessions: number;
}

/**
 * The alert lifecycle of a task (Alertmanager-style): `Key` is the same on the `firing` notice and
 * on the summary that resolves it, so routing and dedup can pair them.
 */
export interface AlertInfo {
  readonly Key: string;
  readonly Status: 'firing' | 'resolved';
  /** `slow`: still RUNNING after ALERT_AFTER_S; `stalled`: counts unchanged for ALERT_STALL_CHECKS checks. */
  readonly Reason: 'slow' | 'stalled';
  readonly FiredAt: string;
}

export interface SummaryError {
  readonly Code: string;
  readonly Message: string;
  readonly RequestId?: string;
}

export interface SummaryData {
  readonly TaskId: string;
  readonly InstanceId: string;
  readonly NodeId?: string;
  readonly UserId?: string;
  readonly Outcome: Outcome;
  /** The last `TaskState` DAS reported (RUNNING for a TIMEOUT), absent if DAS never answered. */
  readonly TaskState?: string;
  readonly KillSuccessCount: number;
  readonly KillFailCount: number;
  readonly IgnoredUserSessionCount: number;
  /** Length of `Sessions`, the targeted sessions; `Result` may list a different number. */
  readonly SessionCount: number;
  /** Length of `Result`, the sessions DAS reported on. */
  readonly ResultCount: number;
  readonly ReasonCounts: Readonly<Record<string, number>>;
  readonly FailedSessions: readonly FailedSession[];
  /** Failed sessions left out by the cap (`SUMMARY_MAX_FAILED_SESSIONS`) or the size budget. */
  readonly FailedSessionsOmitted: number;
  /** Whether SQL literals in `Info` are masked (`SUMMARY_SHOW_SQL_LITERALS` unset). */
  readonly SqlLiteralsMasked: boolean;
  /** Most frequent users, client hosts (port stripped) and databases in `Result`, at most 5 each. */
  readonly TopUsers: readonly TopEntry[];
  readonly TopHosts: readonly TopEntry[];
  readonly TopDbs: readonly TopEntry[];
  /** `GetKillInstanceSessionTaskResult` calls made. */
  readonly Checks: number;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  readonly DurationS: number;
  readonly Error?: SummaryError;
  /** Present when a `firing` notice was raised for this task: the summary resolves it. */
  readonly Alert?: AlertInfo;
}

export interface SummaryEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: SummaryData;
}

/** The progress part shared by summaries and firing notices. */
export type ProgressData = Pick<
  SummaryData,
  | 'TaskId'
  | 'InstanceId'
  | 'NodeId'
  | 'UserId'
  | 'TaskState'
  | 'KillSuccessCount'
  | 'KillFailCount'
  | 'IgnoredUserSessionCount'
  | 'SessionCount'
  | 'ResultCount'
  | 'ReasonCounts'
  | 'FailedSessions'
  | 'FailedSessionsOmitted'
  | 'SqlLiteralsMasked'
  | 'TopUsers'
  | 'TopHosts'
  | 'TopDbs'
  | 'Checks'
  | 'StartedAt'
>;

export interface AlertData extends ProgressData {
  readonly Alert: AlertInfo & { readonly Status: 'firing' };
  /** Seconds the task has been tracked when the notice fired. */
  readonly RunningForS: number;
  /** Consecutive checks without progress when the notice fired. */
  readonly QuietChecks: number;
}

/** A `firing` notice (CloudEvent type `das-kill-tracker.alert`). */
export interface AlertEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: typeof ALERT_TYPE;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: AlertData;
}

/** Everything a sink publishes. */
export type NoticeEvent = SummaryEvent | AlertEvent;

export function isAlertEvent(event: NoticeEvent): event is AlertEvent {
  return event.type === ALERT_TYPE;
}
