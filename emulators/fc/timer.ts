/**
 * An FC timer trigger: invokes the function every `intervalMs` with the timer event
 * `{"triggerTime","triggerName","payload"}` (protocols.md 4.2; the payload is the configured
 * string). Runs do not overlap: a tick that finds the previous run still going is skipped.
 */
import type { InvokeResult } from './runtime.js';

export interface TimerTriggerOptions {
  readonly intervalMs: number;
  readonly triggerName?: string;
  readonly payload?: string;
  readonly invoke: (event: Buffer) => Promise<InvokeResult>;
}

export class TimerTrigger {
  readonly #options: TimerTriggerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #ticks = 0;

  constructor(options: TimerTriggerOptions) {
    this.#options = options;
  }

  get ticks(): number {
    return this.#ticks;
  }

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  #tick(): void {
    if (this.#running !== undefined) return;
    this.#ticks += 1;
    const event = {
      triggerTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      triggerName: this.#options.triggerName ?? 'pull',
      payload: this.#options.payload ?? '',
    };
    this.#running = this.#options.invoke(Buffer.from(JSON.stringify(event))).finally(() => {
      this.#running = undefined;
    });
  }
}
