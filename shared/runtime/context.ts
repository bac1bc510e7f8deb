/**
 * The FC 3.0 Node.js `context` (protocols.md 4.1; https://www.alibabacloud.com/help/en/functioncompute/user-guide/context).
 * Every field is optional here: the tracker also runs under the local runner and in tests.
 */
import type { ContextCredentials } from '../credentials.js';

export interface FcContext {
  readonly requestId?: string;
  readonly credentials?: ContextCredentials;
  readonly function?: {
    readonly name?: string;
    readonly handler?: string;
    readonly memory?: number;
    /** Seconds. FC's Node.js context has no remaining-time call: the budget is derived from this. */
    readonly timeout?: number;
  };
  readonly region?: string;
  readonly accountId?: string;
}

/** Used when the context does not say (direct local calls): FC's own default is 3 s, far too short. */
export const DEFAULT_TIMEOUT_S = 60;

/**
 * The invocation's deadline: start + function timeout, minus a margin to log and return
 * (10 % of the timeout, at least 1 s, at most 5 s).
 */
export function invocationDeadline(context: FcContext, startedAt: number): number {
  const timeoutMs = (context.function?.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const margin = Math.min(5000, Math.max(1000, timeoutMs * 0.1));
  return startedAt + timeoutMs - margin;
}
