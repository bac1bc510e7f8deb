import { describe, expect, it } from 'vitest';
import {
  buildSummary,
  MAX_SUMMARY_BYTES,
  summaryId,
  summaryJson,
  toWireJson,
} from '../../../shared/summary/build.js';
import { POLAR_REQUEST, RDS_REQUEST, result, session, T0 } from '../../helpers/factories.js';

const OPTIONS = { maxFailedSessions: 20, showSqlLiterals: false };

const finished = result({
  TaskState: 'SUCCESS',
  Sessions: [1, 2, 3, 4, 5, 6],
  KillSuccessCount: 2,
  KillFailCount: 2,
  IgnoredUserSessionCount: 1,
  Result: [
    session({ Id: 1, Reason: 'SESSION_KILLED' }),
    session({ Id: 2, Reason: 'SESSION_KILLED' }),
    session({ Id: 3, Reason: 'SESSION_NO_PERMISSION', User: 'root' }),
    session({ Id: 4, Reason: 'SESSION_KILL_TASK_TIMEOUT' }),
    session({ Id: 5, Reason: 'SESSION_EXPIRED' }),
    session({ Id: 6, Reason: 'SESSION_IGNORED_USER' }),
    session({ Id: 7, Reason: 'SESSION_INTERNAL_USER_OR_COMMAND' }),
  ],
});

describe('summaryId', () => {
  it('is a stable version-5 UUID per (TaskId, outcome)', () => {
    const id = summaryId('f77d535b45405bd462b21caa3ee8abcd', 'SUCCESS');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(summaryId('f77d535b45405bd462b21caa3ee8abcd', 'SUCCESS')).toBe(id);
    expect(summaryId('f77d535b45405bd462b21caa3ee8abcd', 'TIMEOUT')).not.toBe(id);
    expect(summaryId('f77d535b45405bd462b21caa3ee8abce', 'SUCCESS')).not.toBe(id);
  });
});

describe('buildSummary', () => {
  it('builds a CloudEvent with counts, reasons and only attempted-and-failed sessions', () => {
    // Act
    const event = buildSummary(
      {
        task: RDS_REQUEST,
        outcome: 'SUCCESS',
        result: finished,
        checks: 4,
        startedAt: T0,
        finishedAt: T0 + 95_400,
      },
      OPTIONS,
    );
    // Assess
    expect(event).toMatchObject({
      specversion: '1.0',
      id: summaryId(RDS_REQUEST.TaskId, 'SUCCESS'),
      subject: RDS_REQUEST.TaskId,
      type: 'das-kill-tracker.summary',
      datacontenttype: 'application/json',
      time: '2026-12-04T06:01:35.400Z',
    });
    expect(event.data).toMatchObject({
      TaskId: RDS_REQUEST.TaskId,
      InstanceId: RDS_REQUEST.InstanceId,
      UserId: '164882191396',
      Outcome: 'SUCCESS',
      TaskState: 'SUCCESS',
      KillSuccessCount: 2,
      KillFailCount: 2,
      IgnoredUserSessionCount: 1,
      SessionCount: 6,
      ResultCount: 7,
      Checks: 4,
      StartedAt: '2026-12-04T06:00:00.000Z',
      FinishedAt: '2026-12-04T06:01:35.400Z',
      DurationS: 95,
      FailedSessionsOmitted: 0,
      SqlLiteralsMasked: true,
    });
    expect(event.data.ReasonCounts).toEqual({
      SESSION_KILLED: 2,
      SESSION_NO_PERMISSION: 1,
      SESSION_KILL_TASK_TIMEOUT: 1,
      SESSION_EXPIRED: 1,
      SESSION_IGNORED_USER: 1,
      SESSION_INTERNAL_USER_OR_COMMAND: 1,
    });
    expect(event.data.FailedSessions.map((s) => [s.Id, s.Reason])).toEqual([
      [3, 'SESSION_NO_PERMISSION'],
      [4, 'SESSION_KILL_TASK_TIMEOUT'],
    ]);
    expect(event.data.FailedSessions[0]?.Info).toBe(
      'SELECT * FROM orders WHERE customer = ? AND id = ?',
    );
    expect(event.data.Error).toBeUndefined();
  });

  it('shows SQL literals only when asked to', () => {
    const event = buildSummary(
      {
        task: RDS_REQUEST,
        outcome: 'SUCCESS',
        result: finished,
        checks: 1,
        startedAt: T0,
        finishedAt: T0,
      },
      { ...OPTIONS, showSqlLiterals: true },
    );
    expect(event.data.FailedSessions[0]?.Info).toContain("'Zhang San'");
    expect(event.data.SqlLiteralsMasked).toBe(false);
  });

  it('caps failed sessions and says how many it left out', () => {
    const many = result({
      TaskState: 'FAILURE',
      Result: Array.from({ length: 30 }, (_, i) =>
        session({ Id: i, Reason: 'SESSION_OTHER_ERROR' }),
      ),
    });
    const event = buildSummary(
      {
        task: RDS_REQUEST,
        outcome: 'FAILURE',
        result: many,
        checks: 1,
        startedAt: T0,
        finishedAt: T0,
      },
      { ...OPTIONS, maxFailedSessions: 5 },
    );
    expect(event.data.FailedSessions).toHaveLength(5);
    expect(event.data.FailedSessionsOmitted).toBe(25);
  });

  it('stays within the byte budget even with the largest cap and long statements', () => {
    const huge = result({
      TaskState: 'FAILURE',
      Result: Array.from({ length: 200 }, (_, i) =>
        session({
          Id: i,
          Reason: 'SESSION_OTHER_ERROR',
          Info: `SELECT ${'c, '.repeat(400)}x FROM t`,
          User: 'u'.repeat(200),
        }),
      ),
    });
    const event = buildSummary(
      {
        task: RDS_REQUEST,
        outcome: 'FAILURE',
        result: huge,
        checks: 1,
        startedAt: T0,
        finishedAt: T0,
      },
      { ...OPTIONS, maxFailedSessions: 200 },
    );
    expect(Buffer.byteLength(summaryJson(event))).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(event.data.FailedSessions.length + event.data.FailedSessionsOmitted).toBe(200);
    expect(event.data.FailedSessions.length).toBeGreaterThan(0);
  });

  it('carries the last known counts for a TIMEOUT without a final answer, and the error', () => {
    const event = buildSummary(
      {
        task: POLAR_REQUEST,
        outcome: 'TIMEOUT',
        progress: {
          TaskState: 'RUNNING',
          KillSuccessCount: 7,
          KillFailCount: 1,
          IgnoredUserSessionCount: 2,
          SessionCount: 12,
          ResultCount: 10,
          UserId: '1648',
        },
        error: { Code: 'ServiceUnavailable', Message: 'temporary', RequestId: 'R9' },
        checks: 60,
        startedAt: T0,
        finishedAt: T0 + 3600_000,
      },
      OPTIONS,
    );
    expect(event.data).toMatchObject({
      Outcome: 'TIMEOUT',
      NodeId: POLAR_REQUEST.NodeId,
      TaskState: 'RUNNING',
      KillSuccessCount: 7,
      SessionCount: 12,
      UserId: '1648',
      Error: { Code: 'ServiceUnavailable', RequestId: 'R9' },
      DurationS: 3600,
    });
  });
});

describe('toWireJson', () => {
  it('keeps the JSON value and escapes the characters XML 1.0 forbids', () => {
    const value = { Info: 'a\uFFFEb\uFFFF & < > \' " 张三 😀 \u0001 \uD800' };
    const text = toWireJson(value);
    const forbidden = [...text].filter((c) => c < ' ' || c === '\uFFFE' || c === '\uFFFF');
    expect(forbidden).toEqual([]);
    expect(JSON.parse(text)).toEqual(value);
  });
});
