import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Holds a value that must never reach a log line: a webhook secret, a URL with a key in it,
 * an access key secret. `JSON.stringify`, `String()`, template literals and `util.inspect` all
 * print `[redacted]`; only `reveal()` gives the value, so every use of it is greppable.
 */
export class Secret<T> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
