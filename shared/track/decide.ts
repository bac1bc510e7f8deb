/**
 * The tracker's decision, pure: from the travelling state and one DAS answer (or error), either
 * wait N seconds before the next check, or finish with an outcome (SPEC 5.1, 5.2). No I/O, no
 * clock and no randomness of its own: `now` and `random` come in, so tests pin every branch.
 */
import type { PollPolicy } from '../config/index.js';
import { isFinalState, type KillTaskResult } from '../das/result.js';
import type { TrackerError } from '../errors.js';
import type { Outcome } from '../summary/model.js';
import type { TrackRequest } from './request.js';
import type { ErrorInfo, Progress, TrackState } from './state.js';
import { STATE_VERSION } from './state.js';

export type CheckOutcome =
  | { readonly ok: true; readonly result: KillTaskResult }
  | { readonly ok: false; readonly error: TrackerError };

export type Decision =
  | {
      readonly kind: 'wait';
      readonly delayS: number;
      readonly state: TrackState;
      readonly why: 'running' | 'transient';
    }
  | {
      readonly kind: 'finish';
      readonly outcome: Outcome;
      readonly state: TrackState;
      readonly result?: KillTaskResult;
      readonly error?: ErrorInfo;
    };

/** Each quiet check multiplies the base wait by this (Step Functions' `BackoffRate`). */
export const BACKOFF_RATE = 1.5;
/** Jitter spreads each wait over [0.75, 1.25] x the base, inside the policy bounds. */
export const JITTER = 0.25;

export function startState(request: TrackRequest, now: number, policy: PollPolicy): TrackState {
  return {
    v: STATE_VERSION,
    request,
    checks: 0,
    startedAt: now,
    deadline: now + policy.trackTimeoutS * 1000,
    quiet: 0,
  };
}

/**
 * The wait before the next check: `min x 1.5^quiet`, capped at `max`, with jitter, never below
 * `min`, never above `max`, and never past the deadline (the last check lands on it, so that last
 * wait may be shorter than `min`).
 */
export function nextDelayS(
  quiet: number,
  policy: PollPolicy,
  random: () => number,
  untilDeadlineMs: number,
  atLeastS = 0,
): number {
  const base = Math.min(policy.maxDelayS, policy.minDelayS * BACKOFF_RATE ** Math.min(quiet, 64));
  const lo = Math.max(policy.minDelayS, Math.ceil(base * (1 - JITTER)));
  const hi = Math.max(lo, Math.min(policy.maxDelayS, Math.floor(base * (1 + JITTER))));
  const jittered = lo + Math.floor(random() * (hi - lo + 1));
  const wanted = Math.min(policy.maxDelayS, Math.max(jittered, Math.ceil(atLeastS)));
  const remainingS = Math.max(1, Math.ceil(untilDeadlineMs / 1000));
  return Math.min(wanted, remainingS);
}

export function progressOf(result: KillTaskResult): Progress {
  const base = {
    TaskState: result.TaskState,
    KillSuccessCount: result.KillSuccessCount,
    KillFailCount: result.KillFailCount,
    IgnoredUserSessionCount: result.IgnoredUserSessionCount,
    SessionCount: result.Sessions.length,
    ResultCount: result.Result.length,
  };
  return result.UserId === undefined ? base : { ...base, UserId: result.UserId };
}

function sameProgress(a: Progress | undefined, b: Progress): boolean {
  return (
    a !== undefined &&
    a.TaskState === b.TaskState &&
    a.KillSuccessCount === b.KillSuccessCount &&
    a.KillFailCount === b.KillFailCount &&
    a.IgnoredUserSessionCount === b.IgnoredUserSessionCount &&
    a.SessionCount === b.SessionCount &&
    a.ResultCount === b.ResultCount
  );
}

export function errorInfo(error: TrackerError): ErrorInfo {
  const base = { Code: error.code ?? error.name, Message: error.message };
  return error.requestId === undefined ? base : { ...base, RequestId: error.requestId };
}

/** Drops `lastError` from a state (exactOptionalPropertyTypes forbids setting it to undefined). */
function withoutError(state: TrackState): TrackState {
  const { lastError: _dropped, ...rest } = state;
  return rest;
}

export function decide(
  state: TrackState,
  check: CheckOutcome,
  now: number,
  policy: PollPolicy,
  random: () => number,
): Decision {
  const checks = state.checks + 1;
  const untilDeadline = state.deadline - now;

  if (check.ok) {
    const { result } = check;
    const progress = progressOf(result);
    // With no earlier progress, only the first check counts as movement: a state that has been
    // checked before but carries no progress (pull mode keeps the message body unchanged, or DAS
    // failed until now) has seen nothing change.
    const moved =
      state.progress === undefined ? state.checks === 0 : !sameProgress(state.progress, progress);
    const next: TrackState = {
      ...withoutError(state),
      checks,
      progress,
      quiet: moved ? 0 : state.quiet + 1,
    };
    if (isFinalState(result.TaskState)) {
      return { kind: 'finish', outcome: result.TaskState, state: next, result };
    }
    // RUNNING, or a state this version does not know: keep checking until the deadline.
    if (untilDeadline <= 0) return { kind: 'finish', outcome: 'TIMEOUT', state: next, result };
    const delayS = nextDelayS(next.quiet, policy, random, untilDeadline);
    return { kind: 'wait', delayS, state: next, why: 'running' };
  }

  const { error } = check;
  const info = errorInfo(error);
  if (!error.retryable) {
    return { kind: 'finish', outcome: 'INVALID', state: { ...state, checks }, error: info };
  }
  const next: TrackState = { ...state, checks, quiet: state.quiet + 1, lastError: info };
  if (untilDeadline <= 0) return { kind: 'finish', outcome: 'TIMEOUT', state: next, error: info };
  const delayS = nextDelayS(next.quiet, policy, random, untilDeadline, error.retryAfterS);
  return { kind: 'wait', delayS, state: next, why: 'transient' };
}
