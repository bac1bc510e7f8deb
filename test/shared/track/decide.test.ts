import { describe, expect, it } from 'vitest';
import { DasRejectedError, DasUnavailableError } from '../../../shared/errors.js';
import { decide, nextDelayS, startState } from '../../../shared/track/decide.js';
import { fixedRandom, POLICY, RDS_REQUEST, result, T0 } from '../../helpers/factories.js';

const running = (success: number) => result({ TaskState: 'RUNNING', KillSuccessCount: success });

describe('nextDelayS', () => {
  it.each([0, 1, 2, 3, 5, 8, 20])(
    'stays within [min, max] after %i quiet checks, whatever the jitter',
    (quiet) => {
      for (const r of [0, 0.25, 0.5, 0.999]) {
        const delay = nextDelayS(quiet, POLICY, fixedRandom(r), 10_000_000);
        expect(delay).toBeGreaterThanOrEqual(POLICY.minDelayS);
        expect(delay).toBeLessThanOrEqual(POLICY.maxDelayS);
        expect(Number.isInteger(delay)).toBe(true);
      }
    },
  );

  it('grows while nothing changes until it reaches the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((q) =>
      nextDelayS(q, POLICY, fixedRandom(0.5), 1e9),
    );
    for (let i = 1; i < delays.length; i += 1)
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] as number);
    expect(delays[0]).toBeLessThan(10);
    expect(delays.at(-1)).toBeGreaterThanOrEqual(45);
  });

  it('spreads waits with jitter so that tasks started together do not check together', () => {
    const spread = new Set(
      [0, 0.2, 0.4, 0.6, 0.8, 0.99].map((r) => nextDelayS(4, POLICY, fixedRandom(r), 1e9)),
    );
    expect(spread.size).toBeGreaterThan(3);
  });

  it('never waits past the deadline: the last wait lands on it', () => {
    expect(nextDelayS(8, POLICY, fixedRandom(0.9), 12_300)).toBe(13);
    expect(nextDelayS(0, POLICY, fixedRandom(0.9), 2_000)).toBe(2);
  });

  it('honours a service-requested wait, within the maximum', () => {
    expect(nextDelayS(0, POLICY, fixedRandom(0), 1e9, 30)).toBe(30);
    expect(nextDelayS(0, POLICY, fixedRandom(0), 1e9, 600)).toBe(POLICY.maxDelayS);
  });

  it('keeps min = max waits exact', () => {
    const fixed = { ...POLICY, minDelayS: 7, maxDelayS: 7 };
    expect(nextDelayS(3, fixed, fixedRandom(0.9), 1e9)).toBe(7);
  });
});

describe('decide', () => {
  const fresh = startState(RDS_REQUEST, T0, POLICY);

  it('waits the minimum after the first check of a running task and records its progress', () => {
    // Act
    const decision = decide(fresh, { ok: true, result: running(1) }, T0, POLICY, fixedRandom(0));
    // Assess
    expect(decision.kind).toBe('wait');
    if (decision.kind !== 'wait') return;
    expect(decision.delayS).toBe(POLICY.minDelayS);
    expect(decision.state.checks).toBe(1);
    expect(decision.state.quiet).toBe(0);
    expect(decision.state.progress?.KillSuccessCount).toBe(1);
    expect(decision.state.deadline).toBe(T0 + 3600_000);
  });

  it('counts quiet checks while progress stands still and resets them when it moves', () => {
    const first = decide(fresh, { ok: true, result: running(1) }, T0, POLICY, fixedRandom(0));
    const still = decide(
      first.state,
      { ok: true, result: running(1) },
      T0 + 5000,
      POLICY,
      fixedRandom(0),
    );
    const still2 = decide(
      still.state,
      { ok: true, result: running(1) },
      T0 + 12000,
      POLICY,
      fixedRandom(0),
    );
    const moved = decide(
      still2.state,
      { ok: true, result: running(3) },
      T0 + 30000,
      POLICY,
      fixedRandom(0),
    );
    expect([first.state.quiet, still.state.quiet, still2.state.quiet, moved.state.quiet]).toEqual([
      0, 1, 2, 0,
    ]);
    if (still2.kind !== 'wait' || moved.kind !== 'wait') throw new Error('expected waits');
    expect(still2.delayS).toBeGreaterThan(moved.delayS);
  });

  it('does not count an answer as progress when earlier checks left no progress (pull mode, or DAS failing until now)', () => {
    const checkedBefore = { ...fresh, checks: 3, quiet: 2 };
    const decision = decide(
      checkedBefore,
      { ok: true, result: running(1) },
      T0,
      POLICY,
      fixedRandom(0),
    );
    expect(decision.state.quiet).toBe(3);
  });

  it.each(['SUCCESS', 'FAILURE', 'ERROR'] as const)(
    'finishes with outcome %s when DAS reports it',
    (state) => {
      const decision = decide(
        fresh,
        { ok: true, result: result({ TaskState: state }) },
        T0,
        POLICY,
        fixedRandom(0),
      );
      expect(decision).toMatchObject({ kind: 'finish', outcome: state, state: { checks: 1 } });
    },
  );

  it('keeps checking a TaskState it does not know rather than guessing an outcome', () => {
    const decision = decide(
      fresh,
      { ok: true, result: result({ TaskState: 'QUEUED' }) },
      T0,
      POLICY,
      fixedRandom(0),
    );
    expect(decision.kind).toBe('wait');
  });

  it('finishes with TIMEOUT and the last counts when the task still runs at the deadline', () => {
    const late = { ...fresh, checks: 40 };
    const decision = decide(
      late,
      { ok: true, result: running(3) },
      fresh.deadline,
      POLICY,
      fixedRandom(0),
    );
    expect(decision).toMatchObject({ kind: 'finish', outcome: 'TIMEOUT', state: { checks: 41 } });
    if (decision.kind === 'finish') expect(decision.result?.KillSuccessCount).toBe(3);
  });

  it('backs off on a transient failure and remembers the error', () => {
    const error = new DasUnavailableError('Request was denied due to user flow control.', {
      code: 'Throttling.User',
      requestId: 'R1',
    });
    const decision = decide(fresh, { ok: false, error }, T0, POLICY, fixedRandom(0));
    expect(decision).toMatchObject({
      kind: 'wait',
      why: 'transient',
      state: { checks: 1, quiet: 1, lastError: { Code: 'Throttling.User', RequestId: 'R1' } },
    });
  });

  it('finishes with TIMEOUT carrying the last error when DAS keeps failing until the deadline', () => {
    const error = new DasUnavailableError('HTTP 502', { code: 'HTTP502', status: 502 });
    const decision = decide(
      fresh,
      { ok: false, error },
      fresh.deadline + 1,
      POLICY,
      fixedRandom(0),
    );
    expect(decision).toMatchObject({
      kind: 'finish',
      outcome: 'TIMEOUT',
      error: { Code: 'HTTP502' },
    });
  });

  it('finishes with INVALID and the error on a permanent failure, without retrying', () => {
    const error = new DasRejectedError('The request parameters are invalid.', {
      code: 'InvalidParams',
      status: 400,
      requestId: 'R2',
    });
    const decision = decide(fresh, { ok: false, error }, T0, POLICY, fixedRandom(0));
    expect(decision).toMatchObject({
      kind: 'finish',
      outcome: 'INVALID',
      error: {
        Code: 'InvalidParams',
        Message: 'The request parameters are invalid.',
        RequestId: 'R2',
      },
    });
  });

  it('clears a remembered error once DAS answers again', () => {
    const error = new DasUnavailableError('HTTP 503', { code: 'ServiceUnavailable' });
    const failed = decide(fresh, { ok: false, error }, T0, POLICY, fixedRandom(0));
    const answered = decide(
      failed.state,
      { ok: true, result: running(1) },
      T0 + 5000,
      POLICY,
      fixedRandom(0),
    );
    expect(answered.state.lastError).toBeUndefined();
  });
});
