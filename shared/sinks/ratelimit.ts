/**
 * A sliding-window rate limiter over several windows at once (Lark: 5 per second and 100 per
 * minute). It lives as long as the FC instance, so consecutive invocations share it.
 */
export interface Window {
  readonly limit: number;
  readonly ms: number;
}

export class SlidingWindowLimiter {
  readonly #windows: readonly Window[];
  readonly #sent: number[] = [];

  constructor(windows: readonly Window[]) {
    this.#windows = windows;
  }

  /** Milliseconds until one more message is allowed in every window; 0 means now. */
  waitMs(now: number): number {
    let wait = 0;
    for (const { limit, ms } of this.#windows) {
      const inWindow = this.#sent.filter((t) => t > now - ms);
      if (inWindow.length >= limit) {
        const oldest = inWindow[inWindow.length - limit] as number;
        wait = Math.max(wait, oldest + ms - now);
      }
    }
    return wait;
  }

  take(now: number): void {
    this.#sent.push(now);
    const longest = Math.max(...this.#windows.map((w) => w.ms));
    while (this.#sent.length > 0 && (this.#sent[0] as number) <= now - longest) this.#sent.shift();
  }
}
