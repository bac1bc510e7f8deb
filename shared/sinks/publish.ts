/**
 * Publishes one summary to every configured sink at once. A sink that already took it (recorded in
 * a pending publication, or in this instance's ledger) is skipped, so retries reach only the sinks
 * that failed (SPEC 5.4). Every sink gets the same JSON text and the same id.
 */
import { asError, SinkUnavailableError, TrackerError } from '../errors.js';
import { summaryJson } from '../summary/build.js';
import type { NoticeEvent } from '../summary/model.js';
import type { Ledger } from '../track/ledger.js';
import type { Budget, Delivery, Sink } from './types.js';

export interface PublishReport {
  /** Every sink that has the summary now, including those that had it before. */
  readonly delivered: readonly string[];
  readonly failed: ReadonlyArray<{ readonly sink: string; readonly error: TrackerError }>;
}

export function deliveryOf(event: NoticeEvent): Delivery {
  return { id: event.id, json: summaryJson(event), event };
}

export class Publisher {
  readonly #sinks: readonly Sink[];
  readonly #ledger: Ledger;

  constructor(sinks: readonly Sink[], ledger: Ledger) {
    this.#sinks = sinks;
    this.#ledger = ledger;
  }

  get sinkNames(): readonly string[] {
    return this.#sinks.map((s) => s.name);
  }

  async publish(
    event: NoticeEvent,
    alreadyDelivered: readonly string[],
    budget: Budget,
  ): Promise<PublishReport> {
    const delivery = deliveryOf(event);
    const done = new Set(alreadyDelivered);
    for (const sink of this.#sinks)
      if (this.#ledger.has(`${event.id}:${sink.name}`)) done.add(sink.name);
    const todo = this.#sinks.filter((sink) => !done.has(sink.name));
    const results = await Promise.all(
      todo.map(async (sink) => {
        try {
          await sink.publish(delivery, budget);
          this.#ledger.add(`${event.id}:${sink.name}`);
          return { sink: sink.name, error: undefined };
        } catch (thrown) {
          // An unexpected throw from a sink is still a failed delivery: keep the summary pending.
          const error =
            thrown instanceof TrackerError
              ? thrown
              : new SinkUnavailableError(
                  `${sink.name}: ${asError(thrown).message}`,
                  {},
                  { cause: thrown },
                );
          return { sink: sink.name, error };
        }
      }),
    );
    for (const r of results) if (r.error === undefined) done.add(r.sink);
    return {
      delivered: this.#sinks.map((s) => s.name).filter((name) => done.has(name)),
      failed: results.flatMap((r) =>
        r.error === undefined ? [] : [{ sink: r.sink, error: r.error }],
      ),
    };
  }
}
