/**
 * What every sink (MNS topic, webhook, chat robots) implements. A sink takes one delivery and
 * either succeeds or throws a typed error: `SinkUnavailableError` (worth retrying later) or
 * `SinkRejectedError`. Retries inside one invocation are the sink's own business and must stop
 * before `budget` runs out; retries across invocations are the publisher's (pending publication).
 */
import type { NoticeEvent } from '../summary/model.js';

export interface Delivery {
  /** The CloudEvent id: stable per (TaskId, outcome), the same on every retry of every sink. */
  readonly id: string;
  /** The exact JSON text every sink sends. */
  readonly json: string;
  readonly event: NoticeEvent;
}

/** Time left in this invocation, from the function's own timeout (FC's Node.js context has no remaining-time call). */
export interface Budget {
  readonly deadline: number;
  readonly now: () => number;
}

export function remainingMs(budget: Budget): number {
  return budget.deadline - budget.now();
}

export interface Sink {
  /** Short stable name, recorded in pending publications: `topic`, `webhook`, `dingtalk`, … */
  readonly name: string;
  publish(delivery: Delivery, budget: Budget): Promise<void>;
}
