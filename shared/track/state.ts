/**
 * The track state: everything the tracker needs between two checks of one task (SPEC 5.2). It
 * travels in the re-queued message (base64 of its JSON), so there is no database. Version it,
 * validate it like any other input, and keep it small: an MNS message holds at most 64 KiB.
 */
import type { SummaryEvent } from '../summary/model.js';
import { checkTrackRequest, type TrackRequest } from './request.js';

/** Last known progress of a task, compared between checks to tell "nothing changed". */
export interface Progress {
  readonly TaskState: string;
  readonly KillSuccessCount: number;
  readonly KillFailCount: number;
  readonly IgnoredUserSessionCount: number;
  readonly SessionCount: number;
  readonly ResultCount: number;
  readonly UserId?: string;
}

/** The DAS error behind a transient failure or an INVALID outcome (SPEC 6 `Error`). */
export interface ErrorInfo {
  readonly Code: string;
  readonly Message: string;
  readonly RequestId?: string;
}

/** A summary that some sink has not taken yet (SPEC 5.4: re-queued, published later). */
export interface PendingPublication {
  readonly summary: SummaryEvent;
  /** Sinks that already took it: a retry publishes only to the others. */
  readonly delivered: readonly string[];
  readonly attempts: number;
  /** Give up (log the summary as undeliverable) after this time, epoch ms. */
  readonly giveUpAt: number;
}

export interface TrackState {
  readonly v: 1;
  readonly request: TrackRequest;
  /** `GetKillInstanceSessionTaskResult` calls made so far. */
  readonly checks: number;
  /** Epoch ms of the first check; the deadline counts from it (SPEC 5.1). */
  readonly startedAt: number;
  /** Epoch ms after which a task still RUNNING is reported as TIMEOUT. */
  readonly deadline: number;
  /** Consecutive checks in which nothing changed (no progress, or transient failures). */
  readonly quiet: number;
  readonly progress?: Progress;
  readonly lastError?: ErrorInfo;
  readonly pending?: PendingPublication;
  /**
   * Epoch ms at which the wait for the next check ends, when a transport cannot wait that long in
   * one hop (FC asynchronous invocations wait at most 3600 s): intermediate hops re-schedule the rest.
   */
  readonly wakeAt?: number;
  /** Hops taken in the current wait; part of the FC task id, so duplicate hops are refused. */
  readonly hop?: number;
  /** The firing notice raised for this task, if any (the alert lifecycle). */
  readonly alert?: RaisedAlert;
}

export interface RaisedAlert {
  readonly firedAt: number;
  readonly reason: 'slow' | 'stalled';
  /** Sinks that took the firing notice; the others get it at the next check. */
  readonly delivered: readonly string[];
}

export const STATE_VERSION = 1;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** True when a decoded message body claims to be a track state rather than a plain request. */
export function looksLikeState(value: Json): boolean {
  return 'v' in value && 'request' in value;
}

function parseProgress(value: unknown): Progress | undefined | 'bad' {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.TaskState !== 'string') return 'bad';
  const counts = [
    value.KillSuccessCount,
    value.KillFailCount,
    value.IgnoredUserSessionCount,
    value.SessionCount,
    value.ResultCount,
  ];
  if (!counts.every(isCount)) return 'bad';
  const base = {
    TaskState: value.TaskState,
    KillSuccessCount: value.KillSuccessCount as number,
    KillFailCount: value.KillFailCount as number,
    IgnoredUserSessionCount: value.IgnoredUserSessionCount as number,
    SessionCount: value.SessionCount as number,
    ResultCount: value.ResultCount as number,
  };
  return typeof value.UserId === 'string' ? { ...base, UserId: value.UserId } : base;
}

function parseError(value: unknown): ErrorInfo | undefined | 'bad' {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.Code !== 'string' || typeof value.Message !== 'string') {
    return 'bad';
  }
  return typeof value.RequestId === 'string'
    ? { Code: value.Code, Message: value.Message, RequestId: value.RequestId }
    : { Code: value.Code, Message: value.Message };
}

function parseAlert(value: unknown): RaisedAlert | undefined | 'bad' {
  if (value === undefined) return undefined;
  if (!isObject(value) || !isTime(value.firedAt)) return 'bad';
  const { reason, delivered } = value;
  if (
    (reason !== 'slow' && reason !== 'stalled') ||
    !Array.isArray(delivered) ||
    !delivered.every((d) => typeof d === 'string')
  ) {
    return 'bad';
  }
  return { firedAt: value.firedAt, reason, delivered: delivered as string[] };
}

function parsePending(value: unknown): PendingPublication | undefined | 'bad' {
  if (value === undefined) return undefined;
  if (!isObject(value)) return 'bad';
  const { summary, delivered, attempts, giveUpAt } = value;
  if (
    !isObject(summary) ||
    summary.specversion !== '1.0' ||
    typeof summary.id !== 'string' ||
    !isObject(summary.data) ||
    !Array.isArray(delivered) ||
    !delivered.every((d) => typeof d === 'string') ||
    !isCount(attempts) ||
    !isTime(giveUpAt)
  ) {
    return 'bad';
  }
  return {
    summary: summary as unknown as SummaryEvent,
    delivered: delivered as string[],
    attempts,
    giveUpAt,
  };
}

export type StateCheck =
  | { readonly ok: true; readonly state: TrackState }
  | { readonly ok: false; readonly reason: string; readonly request?: TrackRequest };

/**
 * Validates a decoded state. A state whose request is valid but whose bookkeeping is damaged
 * comes back with `request`, so the caller can restart tracking instead of dropping the task.
 */
export function checkTrackState(value: Json): StateCheck {
  if (value.v !== STATE_VERSION) {
    return { ok: false, reason: `unsupported track state version ${JSON.stringify(value.v)}` };
  }
  if (!isObject(value.request)) return { ok: false, reason: 'track state has no request object' };
  const pending = parsePending(value.pending);
  const requestCheck = checkTrackRequest(value.request);
  // A pending publication may be the INVALID summary of a request that failed validation: it only
  // needs to name its task, since it will not be checked again.
  const request: TrackRequest | undefined = requestCheck.ok
    ? requestCheck.request
    : pending !== undefined && pending !== 'bad'
      ? requestCheck.named
      : undefined;
  if (request === undefined) {
    return {
      ok: false,
      reason: `track state request: ${requestCheck.ok ? 'invalid' : requestCheck.reason}`,
    };
  }
  const progress = parseProgress(value.progress);
  const lastError = parseError(value.lastError);
  const alert = parseAlert(value.alert);
  if (
    !isCount(value.checks) ||
    !isTime(value.startedAt) ||
    !isTime(value.deadline) ||
    !isCount(value.quiet) ||
    (value.wakeAt !== undefined && !isTime(value.wakeAt)) ||
    (value.hop !== undefined && !isCount(value.hop)) ||
    progress === 'bad' ||
    lastError === 'bad' ||
    alert === 'bad' ||
    pending === 'bad'
  ) {
    return { ok: false, reason: 'track state bookkeeping is damaged', request };
  }
  const state: TrackState = {
    v: STATE_VERSION,
    request,
    checks: value.checks,
    startedAt: value.startedAt,
    deadline: value.deadline,
    quiet: value.quiet,
    ...(progress === undefined ? {} : { progress }),
    ...(lastError === undefined ? {} : { lastError }),
    ...(pending === undefined ? {} : { pending }),
    ...(value.wakeAt === undefined ? {} : { wakeAt: value.wakeAt as number }),
    ...(value.hop === undefined ? {} : { hop: value.hop as number }),
    ...(alert === undefined ? {} : { alert }),
  };
  return { ok: true, state };
}

/** The message body of a re-queued check: base64 of the state's JSON (SPEC 5.2). */
export function encodeState(state: TrackState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64');
}
