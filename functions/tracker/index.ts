/**
 * The FC handler of das-kill-tracker (`index.handler`). Thin on purpose: configuration is read
 * and validated once, when FC loads the module (a bad variable fails the instance's
 * initialisation with a message naming it, SPEC 4); everything else lives in `shared/`.
 */
import { loadConfig } from '../../shared/config/index.js';
import { envCredentials } from '../../shared/credentials.js';
import { OpenApiDas } from '../../shared/das/client.js';
import { createLogger } from '../../shared/logger.js';
import { createMnsSdk } from '../../shared/mns/sdk.js';
import type { FcContext } from '../../shared/runtime/context.js';
import { createTracker, type InvocationReport } from '../../shared/runtime/tracker.js';
import { defaultHttpDeps } from '../../shared/sinks/webhook.js';
import { Ledger } from '../../shared/track/ledger.js';

const config = loadConfig(process.env);

const tracker = createTracker({
  config,
  logger: createLogger(config.logLevel),
  das: new OpenApiDas({ endpoint: config.das.endpoint, timeoutMs: config.das.timeoutMs }),
  ledger: new Ledger(),
  clock: Date.now,
  random: Math.random,
  envCredentials: envCredentials(process.env),
  mnsSdk: (endpoint, credentials) => createMnsSdk(endpoint, credentials, 30_000),
  http: defaultHttpDeps,
});

/** FC passes the event as a Buffer (protocols.md 4.1); the returned object is sent back as JSON. */
export const handler = (event: Buffer, context: FcContext): Promise<InvocationReport> =>
  tracker.handle(event, context);
