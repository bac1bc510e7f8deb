/**
 * The one error hierarchy of das-kill-tracker.
 *
 * Whether a failure is worth retrying is a property of the error's *type*: every class below
 * answers `retryable` the same way for all of its instances, and callers decide by type, never by
 * parsing messages. Unknown throws (programming bugs, `TypeError`) are not `TrackerError`s and are
 * therefore not retryable (`isRetryable` answers false), as p-retry and ky do.
 */

export interface ErrorDetails {
  /** Service error code, e.g. `Throttling.User`, `InvalidParams`, `MessageNotExist`. */
  readonly code?: string | undefined;
  /** HTTP status of the failed call, when there was one. */
  readonly status?: number | undefined;
  /** The service's request id, kept for support tickets. */
  readonly requestId?: string | undefined;
  /** Seconds the service asked us to wait (Retry-After, DAS rate-limit headers). */
  readonly retryAfterS?: number | undefined;
}

export abstract class TrackerError extends Error {
  /** Whether trying the same thing again later may succeed. Fixed per class. */
  abstract readonly retryable: boolean;
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterS: number | undefined;

  constructor(message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = details.code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterS = details.retryAfterS;
  }
}

/** A failure that may go away by itself: network, timeout, 5xx, throttling. */
export abstract class TransientError extends TrackerError {
  override readonly retryable = true;
}

/** A failure that will happen again for the same input: bad parameters, no permission. */
export abstract class PermanentError extends TrackerError {
  override readonly retryable = false;
}

/** Invalid environment configuration. The message names the variable. */
export class ConfigError extends PermanentError {
  override readonly name = 'ConfigError';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

/** An event or record that does not have any shape the tracker accepts. */
export class InvalidEventError extends PermanentError {
  override readonly name = 'InvalidEventError';
}

/** DAS answered, but not now: throttled, 5xx, non-JSON body, network error, timeout. */
export class DasUnavailableError extends TransientError {
  override readonly name = 'DasUnavailableError';
}

/** DAS refused the request for good: `InvalidParams`, `NoPermission`, other 4xx. */
export class DasRejectedError extends PermanentError {
  override readonly name = 'DasRejectedError';
}

/** An MNS call failed in a way that may pass (5xx, network, throttling, no answer). */
export class MnsUnavailableError extends TransientError {
  override readonly name = 'MnsUnavailableError';
}

/** MNS refused the call (queue or topic missing, access denied, malformed request). */
export class MnsRejectedError extends PermanentError {
  override readonly name = 'MnsRejectedError';
}

/** A sink (webhook, topic, chat robot) could not take the summary now. */
export class SinkUnavailableError extends TransientError {
  override readonly name = 'SinkUnavailableError';
}

/** A sink refused the summary (4xx other than 408/429, platform error code). */
export class SinkRejectedError extends PermanentError {
  override readonly name = 'SinkRejectedError';
}

/** FC refused or could not take an asynchronous self-invocation. */
export class FcUnavailableError extends TransientError {
  override readonly name = 'FcUnavailableError';
}

export class FcRejectedError extends PermanentError {
  override readonly name = 'FcRejectedError';
}

/**
 * Some records of an invocation could neither be finished nor re-queued. Thrown by the handler
 * so that the trigger delivers the event again; retryable by definition.
 */
export class RecordsFailedError extends TransientError {
  override readonly name = 'RecordsFailedError';
  readonly failed: readonly string[];
  constructor(failed: readonly string[], options?: ErrorOptions) {
    super(
      `${failed.length} record(s) could neither be finished nor re-queued: ${failed.join(', ')}`,
      {},
      options,
    );
    this.failed = failed;
  }
}

/** True only for known transient failures; unknown errors are bugs and are not retried. */
export function isRetryable(error: unknown): boolean {
  return error instanceof TrackerError && error.retryable;
}

/** Normalises anything thrown into an `Error`, keeping the original as `cause`. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`non-error thrown: ${String(thrown)}`, { cause: thrown });
}
