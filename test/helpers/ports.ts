/** In-memory ports for testing the record processor and pull mode without FC around them. */
import { Writable } from 'node:stream';
import type { Credentials } from '../../shared/credentials.js';
import type { DasApi } from '../../shared/das/client.js';
import type { KillTaskResult } from '../../shared/das/result.js';
import { SinkUnavailableError, type TrackerError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { Publisher } from '../../shared/sinks/publish.js';
import type { Delivery, Sink } from '../../shared/sinks/types.js';
import { Ledger } from '../../shared/track/ledger.js';
import type { Scheduler, TrackerPorts, TrackerSettings } from '../../shared/track/process.js';
import type { TrackRequest } from '../../shared/track/request.js';
import type { TrackState } from '../../shared/track/state.js';
import { POLICY } from './factories.js';

export const CREDENTIALS: Credentials = {
  accessKeyId: 'STS.test',
  accessKeySecret: 'secret',
  securityToken: 'token',
};

export const SETTINGS: TrackerSettings = {
  poll: POLICY,
  summary: { maxFailedSessions: 20, showSqlLiterals: false },
  dasTimeoutMs: 5000,
  alert: { afterS: 0, stallChecks: 0 },
};

/** A clock tests move by hand. */
export class ManualClock {
  now: number;
  constructor(start: number) {
    this.now = start;
  }
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** A sink that records deliveries and fails while `failing` is set. */
export class RecordingSink implements Sink {
  readonly name: string;
  readonly deliveries: Delivery[] = [];
  failing = false;
  constructor(name = 'recording') {
    this.name = name;
  }
  async publish(delivery: Delivery): Promise<void> {
    if (this.failing)
      throw new SinkUnavailableError(`${this.name}: down`, { code: 'HTTP503', status: 503 });
    this.deliveries.push(delivery);
  }
}

/** A DAS that answers from a function of the request, and lets each call take (fake) time. */
export class ScriptedDas implements DasApi {
  calls = 0;
  readonly #answer: (request: TrackRequest) => KillTaskResult | TrackerError;
  readonly #onCall: () => void;
  constructor(
    answer: (request: TrackRequest) => KillTaskResult | TrackerError,
    onCall: () => void = () => {},
  ) {
    this.#answer = answer;
    this.#onCall = onCall;
  }
  async getKillTaskResult(request: TrackRequest): Promise<KillTaskResult> {
    this.calls += 1;
    this.#onCall();
    const answer = this.#answer(request);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

/** A scheduler that records what it was asked to re-queue. */
export class RecordingScheduler implements Scheduler {
  readonly name = 'recording';
  readonly scheduled: Array<{ state: TrackState; delayS: number }> = [];
  async schedule(state: TrackState, delayS: number): Promise<void> {
    this.scheduled.push({ state, delayS });
  }
}

export interface TestPorts extends TrackerPorts {
  readonly logs: string[];
}

export function testPorts(options: {
  das: DasApi;
  sinks: readonly Sink[];
  clock: () => number;
  deadline: number;
  scheduler?: Scheduler;
}): TestPorts {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const ledger = new Ledger({ now: options.clock });
  return {
    das: options.das,
    credentials: async () => CREDENTIALS,
    scheduler: options.scheduler ?? new RecordingScheduler(),
    publisher: new Publisher(options.sinks, ledger),
    ledger,
    clock: options.clock,
    random: () => 0,
    logger: createLogger('debug', stream),
    budget: { deadline: options.deadline, now: options.clock },
    logs,
  };
}
