/**
 * The summary (SPEC 6): a CloudEvents 1.0 JSON object (https://github.com/cloudevents/spec,
 * `cloudevents/spec.md` v1.0.2, required attributes `id`, `source`, `specversion`, `type`).
 */

export const OUTCOMES = ['SUCCESS', 'FAILURE', 'ERROR', 'TIMEOUT', 'INVALID'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const SUMMARY_TYPE = 'das-kill-tracker.summary';

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
  /** `GetKillInstanceSessionTaskResult` calls made. */
  readonly Checks: number;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  readonly DurationS: number;
  readonly Error?: SummaryError;
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
