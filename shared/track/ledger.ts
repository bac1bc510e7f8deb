/**
 * A bounded, in-memory record of what this warm instance has already done: summaries delivered per
 * sink, and queue messages already handled. MNS delivers at least once and a failed batch is
 * delivered again whole (SPEC 5.4), so a record already finished must not publish twice. There is
 * no database (SPEC 5.2): the ledger covers redeliveries that reach the same instance, which is
 * where a trigger's immediate retry usually lands; the stable summary id lets subscribers drop
 * what still doubles across instances.
 */
export class Ledger {
  readonly #entries = new Map<string, number>();
  readonly #capacity: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { capacity?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#capacity = options.capacity ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 24 * 3600 * 1000;
    this.#now = options.now ?? Date.now;
  }

  has(key: string): boolean {
    const expires = this.#entries.get(key);
    if (expires === undefined) return false;
    if (expires <= this.#now()) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }

  add(key: string): void {
    this.#entries.delete(key);
    this.#entries.set(key, this.#now() + this.#ttlMs);
    // Maps iterate in insertion order: the first key is the oldest.
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
