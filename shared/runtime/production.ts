/**
 * The production composition of the tracker: real DAS and MNS adapters over the official SDKs,
 * real HTTP, the real clock. The FC handler, the demo and the end-to-end tests all build the
 * tracker here, so what they run is what FC runs.
 */
import type { DestinationStream } from 'pino';
import { type Env, loadConfig } from '../config/index.js';
import { envCredentials } from '../credentials.js';
import { OpenApiDas } from '../das/client.js';
import { createLogger } from '../logger.js';
import { createMnsSdk } from '../mns/sdk.js';
import { defaultHttpDeps, type HttpDeps } from '../sinks/http.js';
import { Ledger } from '../track/ledger.js';
import { OpenApiFcInvoker } from '../transport/fc.js';
import { createTracker, type Tracker } from './tracker.js';

export interface ProductionOptions {
  /** Where log lines go (default: stdout, synchronously). */
  readonly logDestination?: DestinationStream;
  readonly http?: HttpDeps;
  /** Test seam: the clock (default Date.now), for emulators that run on a manual clock. */
  readonly clock?: () => number;
}

/** MNS calls are short; the SDK's own defaults (40 s read) would outlive most function timeouts. */
export const MNS_TIMEOUT_MS = 10_000;

/** @throws ConfigError naming the variable, when the environment is invalid (SPEC 4). */
export function createProductionTracker(env: Env, options: ProductionOptions = {}): Tracker {
  const config = loadConfig(env);
  return createTracker({
    config,
    logger: createLogger(config.logLevel, options.logDestination),
    das: new OpenApiDas({ endpoint: config.das.endpoint, timeoutMs: config.das.timeoutMs }),
    ledger: new Ledger(options.clock === undefined ? {} : { now: options.clock }),
    clock: options.clock ?? Date.now,
    random: Math.random,
    envCredentials: envCredentials(env),
    mnsSdk: (endpoint, credentials) => createMnsSdk(endpoint, credentials, MNS_TIMEOUT_MS),
    fcInvoker: (endpoint) => new OpenApiFcInvoker({ endpoint, timeoutMs: MNS_TIMEOUT_MS }),
    http: options.http ?? defaultHttpDeps,
  });
}
