/** Fixed summaries and notices for render tests: deterministic ids, times and content. */
import { buildAlert, buildSummary } from '../../shared/summary/build.js';
import type { NoticeEvent } from '../../shared/summary/model.js';
import { POLAR_REQUEST, RDS_REQUEST, result, session, T0 } from './factories.js';

const OPTIONS = { maxFailedSessions: 20, showSqlLiterals: false };

const rows = [
  session({
    Id: 101,
    User: 'app_rw',
    Host: '10.1.2.3:40001',
    Db: 'orders',
    Reason: 'SESSION_KILLED',
  }),
  session({
    Id: 102,
    User: 'app_rw',
    Host: '10.1.2.3:40002',
    Db: 'orders',
    Reason: 'SESSION_KILLED',
  }),
  session({
    Id: 103,
    User: 'report_ro',
    Host: '10.1.9.9:50001',
    Db: 'dw',
    Reason: 'SESSION_KILLED',
  }),
  session({
    Id: 104,
    User: 'root',
    Host: '10.1.2.4:40003',
    Db: 'orders',
    Reason: 'SESSION_NO_PERMISSION',
    Time: 3600,
    Info: "UPDATE stock SET qty = qty - 1 WHERE sku = 'A-1' AND qty > 0",
  }),
  session({
    Id: 105,
    User: 'etl_batch',
    Host: '10.1.3.3:40004',
    Db: 'dw',
    Reason: 'SESSION_KILL_TASK_TIMEOUT',
    Time: 912,
    Command: 'Execute',
    Info: 'INSERT INTO dw.fact SELECT * FROM ods.raw WHERE dt = 20261203',
  }),
  session({
    Id: 106,
    User: 'app_rw',
    Host: '10.1.2.3:40005',
    Db: 'orders',
    Reason: 'SESSION_EXPIRED',
  }),
];

export function sampleEvents(): Record<string, NoticeEvent> {
  const success = buildSummary(
    {
      task: RDS_REQUEST,
      outcome: 'SUCCESS',
      result: result({
        TaskState: 'SUCCESS',
        Sessions: [101, 102, 103],
        KillSuccessCount: 3,
        KillFailCount: 0,
        Result: rows.slice(0, 3),
      }),
      checks: 4,
      startedAt: T0,
      finishedAt: T0 + 42_000,
    },
    OPTIONS,
  );
  const partial = buildSummary(
    {
      task: RDS_REQUEST,
      outcome: 'SUCCESS',
      result: result({
        TaskState: 'SUCCESS',
        Sessions: [101, 102, 103, 104, 105, 106],
        KillSuccessCount: 3,
        KillFailCount: 2,
        IgnoredUserSessionCount: 1,
        Result: rows,
      }),
      checks: 6,
      startedAt: T0,
      finishedAt: T0 + 95_000,
    },
    OPTIONS,
  );
  const failure = buildSummary(
    {
      task: POLAR_REQUEST,
      outcome: 'FAILURE',
      result: result({
        ...POLAR_REQUEST,
        TaskState: 'FAILURE',
        Sessions: [104, 105],
        KillSuccessCount: 0,
        KillFailCount: 2,
        Result: rows.slice(3, 5),
      }),
      checks: 3,
      startedAt: T0,
      finishedAt: T0 + 20_000,
    },
    OPTIONS,
  );
  const timeout = buildSummary(
    {
      task: RDS_REQUEST,
      outcome: 'TIMEOUT',
      result: result({
        TaskState: 'RUNNING',
        Sessions: [101, 102, 103, 104],
        KillSuccessCount: 2,
        Result: rows.slice(0, 2),
      }),
      checks: 61,
      startedAt: T0,
      finishedAt: T0 + 3_600_000,
      alert: { Reason: 'stalled', FiredAt: new Date(T0 + 600_000).toISOString() },
    },
    OPTIONS,
  );
  const invalid = buildSummary(
    {
      task: RDS_REQUEST,
      outcome: 'INVALID',
      error: {
        Code: 'NoPermission',
        Message: 'You are not authorized to do this action.',
        RequestId: 'B6D17591-B48B-4D31-9CD6-9B9796B20001',
      },
      checks: 1,
      startedAt: T0,
      finishedAt: T0,
    },
    OPTIONS,
  );
  const firing = buildAlert(
    {
      task: RDS_REQUEST,
      result: result({
        TaskState: 'RUNNING',
        Sessions: [101, 102, 103, 104],
        KillSuccessCount: 2,
        Result: rows.slice(0, 2),
      }),
      checks: 12,
      startedAt: T0,
      firedAt: T0 + 600_000,
      reason: 'stalled',
      quietChecks: 10,
    },
    OPTIONS,
  );
  return { success, partial, failure, timeout, invalid, firing };
}

export const CONSOLE = 'https://hdm.console.aliyun.com/#/dbMonitor/MySQL?instanceId={InstanceId}';
