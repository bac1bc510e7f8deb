/**
 * One FC invocation: recognise the event, handle each record (concurrently, with a bound), and
 * report. The invocation fails only when some record could neither be finished nor re-queued
 * (SPEC 5.4), so that the trigger delivers the event again; malformed events are consumed.
 */
import type { Config } from '../config/index.js';
import type { Secret } from '../config/secret.js';
import { type CredentialSource, type Credentials, credentialSource } from '../credentials.js';
import type { DasApi } from '../das/client.js';
import { RecordsFailedError } from '../errors.js';
import { parseEvent } from '../events/parse.js';
import type { Logger } from '../logger.js';
import { MnsAdapter, type MnsSdkClient } from '../mns/client.js';
import { mnsEndpoint } from '../mns/sdk.js';
import { Publisher } from '../sinks/publish.js';
import { TopicSink } from '../sinks/topic.js';
import type { Budget, Sink } from '../sinks/types.js';
import { type HttpDeps, WebhookSink } from '../sinks/webhook.js';
import type { Ledger } from '../track/ledger.js';
import {
  processRecord,
  type RecordReport,
  type TrackerPorts,
  type TrackerSettings,
} from '../track/process.js';
import { QueueScheduler } from '../transport/queue.js';
import { mapLimit } from './concurrency.js';
import { type FcContext, invocationDeadline } from './context.js';

export interface TrackerDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly das: DasApi;
  /** Lives as long as the instance: duplicate detection across invocations. */
  readonly ledger: Ledger;
  readonly clock: () => number;
  readonly random: () => number;
  readonly envCredentials: Secret<Credentials> | undefined;
  readonly mnsSdk: (endpoint: URL, credentials: Credentials) => MnsSdkClient;
  readonly http: HttpDeps;
}

export interface InvocationReport {
  readonly requestId?: string;
  readonly shape: string;
  readonly records: readonly RecordReport[];
  readonly rejected?: string;
}

export interface Tracker {
  handle(
    event: Buffer | string | Uint8Array | null | undefined,
    context: FcContext,
  ): Promise<InvocationReport>;
}

function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

export function createTracker(deps: TrackerDeps): Tracker {
  const { config } = deps;
  const settings: TrackerSettings = {
    poll: config.poll,
    summary: config.summary,
    dasTimeoutMs: config.das.timeoutMs,
  };
  const webhook =
    config.webhook === undefined ? undefined : new WebhookSink(config.webhook, deps.http);
  let coldStart = true;

  function portsFor(context: FcContext, logger: Logger, budget: Budget): TrackerPorts {
    const credentials: CredentialSource = memo(
      credentialSource(context.credentials, deps.envCredentials),
    );
    const mns = memo(async () => {
      const endpoint = mnsEndpoint({
        configured: config.mns.endpoint,
        accountId: context.accountId,
        region: context.region,
      });
      return new MnsAdapter(deps.mnsSdk(endpoint, await credentials()));
    });
    const sinks: Sink[] = [];
    if (config.notifyTopic !== undefined) sinks.push(new TopicSink(config.notifyTopic, mns));
    if (webhook !== undefined) sinks.push(webhook);
    return {
      das: deps.das,
      credentials,
      scheduler: new QueueScheduler(config.trackQueue as string, mns),
      publisher: new Publisher(sinks, deps.ledger),
      ledger: deps.ledger,
      clock: deps.clock,
      random: deps.random,
      logger,
      budget,
    };
  }

  return {
    async handle(event, context) {
      const startedAt = deps.clock();
      const logger = deps.logger.child(
        context.requestId === undefined ? {} : { requestId: context.requestId },
      );
      const wasCold = coldStart;
      coldStart = false;
      const parsed = parseEvent(event);
      if (parsed.kind === 'rejected') {
        logger.warn(
          { shape: parsed.shape, reason: parsed.reason, coldStart: wasCold },
          'event rejected',
        );
        return {
          ...requestIdOf(context),
          shape: parsed.shape,
          records: [],
          rejected: parsed.reason,
        };
      }
      if (parsed.kind === 'timer') {
        logger.warn(
          { triggerName: parsed.tick.triggerName },
          'timer event: pull mode is not enabled',
        );
        return { ...requestIdOf(context), shape: 'timer', records: [] };
      }
      logger.info(
        { shape: parsed.shape, records: parsed.records.length, coldStart: wasCold },
        'invocation',
      );
      const budget: Budget = { deadline: invocationDeadline(context, startedAt), now: deps.clock };
      const ports = portsFor(context, logger, budget);
      const reports = await mapLimit(parsed.records, config.batchConcurrency, (record) =>
        processRecord(record, ports, settings),
      );
      const failed = reports.filter((r) => r.action === 'failed');
      if (failed.length > 0) {
        throw new RecordsFailedError(failed.map((r) => r.TaskId ?? `record ${r.index}`));
      }
      return { ...requestIdOf(context), shape: parsed.shape, records: reports };
    },
  };
}

function requestIdOf(context: FcContext): { requestId?: string } {
  return context.requestId === undefined ? {} : { requestId: context.requestId };
}
