import { describe, expect, it } from 'vitest';
import {
  consoleLink,
  noticeOf,
  passesSeverity,
  REASON_ADVICE,
} from '../../../shared/notify/content.js';
import { CONSOLE, sampleEvents } from '../../helpers/notices.js';

const events = sampleEvents();
const notice = (name: string) => noticeOf(events[name] as never, CONSOLE);

describe('noticeOf', () => {
  it.each([
    ['success', 'info', 'SUCCESS'],
    ['partial', 'warning', 'SUCCESS'],
    ['failure', 'critical', 'FAILURE'],
    ['timeout', 'critical', 'TIMEOUT'],
    ['invalid', 'critical', 'INVALID'],
    ['firing', 'warning', 'RUNNING'],
  ])('gives the %s notice severity %s and outcome %s', (name, severity, outcome) => {
    expect(notice(name)).toMatchObject({ severity, outcome });
  });

  it('lists failed sessions first, grouped by Reason, each with what to do', () => {
    const partial = notice('partial');
    expect(partial.failures.map((f) => [f.reason, f.count, f.advice])).toEqual([
      ['SESSION_NO_PERMISSION', 1, REASON_ADVICE.SESSION_NO_PERMISSION],
      ['SESSION_KILL_TASK_TIMEOUT', 1, REASON_ADVICE.SESSION_KILL_TASK_TIMEOUT],
    ]);
    expect(partial.failures[0]?.examples[0]?.Info).toBe(
      'UPDATE stock SET qty = qty - ? WHERE sku = ? AND qty > ?',
    );
    expect(partial.otherReasons).toEqual([{ label: 'gone before the kill', count: 1 }]);
    expect(partial.headline).toBe('3/6 killed · 2 failed · 1 ignored · 95 s · 6 checks');
  });

  it('names the top users, client hosts without ports, and databases', () => {
    expect(notice('partial').top).toEqual({
      users: [
        { Name: 'app_rw', Sessions: 3 },
        { Name: 'etl_batch', Sessions: 1 },
        { Name: 'report_ro', Sessions: 1 },
        { Name: 'root', Sessions: 1 },
      ],
      hosts: [
        { Name: '10.1.2.3', Sessions: 3 },
        { Name: '10.1.2.4', Sessions: 1 },
        { Name: '10.1.3.3', Sessions: 1 },
        { Name: '10.1.9.9', Sessions: 1 },
      ],
      dbs: [
        { Name: 'orders', Sessions: 4 },
        { Name: 'dw', Sessions: 2 },
      ],
    });
  });

  it('reads the lifecycle: a firing notice and the summary that resolves it share one key', () => {
    const firing = notice('firing');
    const resolved = notice('timeout');
    expect(firing).toMatchObject({ kind: 'firing', status: 'firing' });
    expect(resolved).toMatchObject({ kind: 'summary', status: 'resolved' });
    expect(resolved.key).toBe(firing.key);
    expect(notice('success').status).toBeUndefined();
  });

  it('says what to do for a refused request', () => {
    expect(notice('invalid').advice).toMatch(/grant it hdm:GetKillInstanceSessionTaskResult/);
    expect(notice('invalid').error?.RequestId).toBe('B6D17591-B48B-4D31-9CD6-9B9796B20001');
  });

  it('links to the DAS console for the instance', () => {
    expect(notice('failure').consoleUrl).toBe(
      'https://hdm.console.aliyun.com/#/dbMonitor/MySQL?instanceId=pc-bp1h12rv501cvxyz1',
    );
    expect(
      consoleLink('https://x/{InstanceId}/{NodeId}/{TaskId}', { InstanceId: 'rm 1', TaskId: 't' }),
    ).toBe('https://x/rm%201//t');
  });
});

describe('passesSeverity', () => {
  it('sends what is at or above the minimum, and a resolved notice wherever its firing went', () => {
    expect(passesSeverity(notice('success'), 'warning')).toBe(false);
    expect(passesSeverity(notice('partial'), 'warning')).toBe(true);
    expect(passesSeverity(notice('firing'), 'critical')).toBe(false);
    expect(passesSeverity(notice('timeout'), 'warning')).toBe(true);
  });
});
