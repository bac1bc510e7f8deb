/**
 * One FC invocation: recognise the event, then either handle each record (concurrently, with a
 * bound) or, for a timer event in pull mode, drain the tracking queue. The invocation fails only
 * when some record could neither be finished nor re-queued (SPEC 5.4), so that the trigger
 * delivers the event again; malformed events are consumed.
 */
import type { Config, Endpoint } from '../config/index.js';
import type { Secret } from '../config/secret.js';
import { type CredentialSource, type Credentials, credentialSource } from '../credentials.js';
import type { DasApi } from '../das/client.js';
import { ConfigError, RecordsFailedError } from '../errors.js';
import { parseEvent, type TimerTick } from '../events/parse.js';
import type { Logger } from '../logger.js';
import { MnsAdapter, type MnsSdkClient } from '../mns/client.js';
import { mnsEndpoint } from '../mns/sdk.js';
import type { HttpDeps } from '../sinks/http.js';
import { Publisher } from '../sinks/publish.js';
import { TopicSink } from '../sinks/topic.js';
import type { Budget, Sink } from '../sinks/types.js';
import { WebhookSink } from '../sinks/webhook.js';
import type { Ledger } from '../track/ledger.js';
import {
  processRecord,
  type RecordReport,
  type Scheduler,
  type TrackerPorts,
  type TrackerSettings,
} from '../track/process.js';
import { type PullReport, runPull, timerOverrides } from '../track/pull.js';
import { type FcInvoker, FcScheduler, fcEndpoint } from '../transport/fc.js';
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
  readonly mnsSdk: (endpoint: URL, credentials: Credentials) => Promise<MnsSdkClient>;
  /** Builds the FC 3.0 invocation client for an endpoint (FC self-invocation transport). */
  readonly fcInvoker: (endpoint: Endpoint) => FcInvoker;
  readonly http: HttpDeps;
}

export interface InvocationReport {
  readonly requestId?: string;
  readonly shape: string;
  readonly records: readonly RecordReport[];
  readonly rejected?: string;
  /** Timer events in pull mode: how the run went. */
  readonly pull?: Omit<PullReport, 'records'>;
}

export interface Tracker {
  handle(
    event: Buffer | string | Uint8Array | null | undefined,
    context: FcContext,
  ): Promise<InvocationReport>;
}

type Ports = TrackerPorts & { readonly mns: () => Promise<MnsAdapter> };

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

function requestIdOf(context: FcContext): { requestId?: string } {
  return context.requestId === undefined ? {} : { requestId: context.requestId };
}

export function createTracker(deps: TrackerDeps): Tracker {
  const { config } = deps;
  const settings: TrackerSettings = {
    poll: config.poll,
    summary: config.summary,
    dasTimeoutMs: config.das.timeoutMs,
    alert: config.alert,
  };
  const webhook =
    config.webhook === undefined ? undefined : new WebhookSink(config.webhook, deps.http);
  let coldStart = true;

  function schedulerFor(
    context: FcContext,
    credentials: CredentialSource,
    mns: () => Promise<MnsAdapter>,
  ): Scheduler {
    if (config.transport === 'queue') return new QueueScheduler(config.trackQueue as string, mns);
    const target = () => {
      const functionName = config.fc.functionName ?? context.function?.name;
      if (functionName === undefined) {
        throw new ConfigError(
          'FC_FUNCTION_NAME',
          'is not set and the context does not name the function',
        );
      }
      return { functionName, qualifier: config.fc.qualifier };
    };
    const invoker: FcInvoker = {
      invokeAsync: (invocation, credentials) =>
        deps
          .fcInvoker(fcEndpoint(config.fc.endpoint, context.accountId, context.region))
          .invokeAsync(invocation, credentials),
    };
    return new FcScheduler(invoker, target, credentials, deps.clock);
  }

  /**
   * Chat sinks live as long as the instance (their rate limiters and digests span invocations),
   * and their module is loaded only when a robot is configured.
   */
  let chatSinks: Promise<Sink[]> | undefined;
  function chats(): Promise<Sink[]> {
    const { dingtalk, lark, wecom, slack } = config.chat;
    const robots = (
      [
        ['dingtalk', dingtalk],
        ['lark', lark],
        ['wecom', wecom],
        ['slack', slack],
      ] as const
    ).filter(([, robot]) => robot !== undefined);
    if (robots.length === 0) return Promise.resolve([]);
    chatSinks ??= import('../sinks/chat.js').then(({ ChatSink }) =>
      robots.map(
        ([platform, robot]) =>
          new ChatSink({
            platform,
            robot: robot as NonNullable<typeof robot>,
            keyword: platform === 'dingtalk' ? dingtalk?.keyword : undefined,
            consoleUrl: config.consoleUrl,
            minSeverity: config.chat.minSeverity,
            timeoutMs: config.chat.timeoutMs,
            maxAttempts: config.chat.maxAttempts,
            ledger: deps.ledger,
            http: deps.http,
          }),
      ),
    );
    return chatSinks;
  }

  function portsFor(
    context: FcContext,
    logger: Logger,
    budget: Budget,
    chatSinkList: readonly Sink[],
  ): Ports {
    const credentials: CredentialSource = memo(
      credentialSource(context.credentials, deps.envCredentials),
    );
    const mns = memo(async () => {
      const endpoint = mnsEndpoint({
        configured: config.mns.endpoint,
        accountId: context.accountId,
        region: context.region,
      });
      return new MnsAdapter(await deps.mnsSdk(endpoint, await credentials()));
    });
    const sinks: Sink[] = [];
    if (config.notifyTopic !== undefined) sinks.push(new TopicSink(config.notifyTopic, mns));
    if (webhook !== undefined) sinks.push(webhook);
    sinks.push(...chatSinkList);
    return {
      das: deps.das,
      credentials,
      scheduler: schedulerFor(context, credentials, mns),
      publisher: new Publisher(sinks, deps.ledger),
      ledger: deps.ledger,
      clock: deps.clock,
      random: deps.random,
      logger,
      budget,
      mns,
    };
  }

  async function pull(tick: TimerTick, ports: Ports, logger: Logger, cold: boolean) {
    const { options, problems } = timerOverrides(tick.payload, {
      ...config.pull,
      concurrency: config.batchConcurrency,
    });
    if (problems.length > 0) logger.warn({ problems }, 'timer payload');
    logger.info({ triggerName: tick.triggerName, coldStart: cold, ...options }, 'pull run');
    const run = await runPull(ports, settings, ports.mns, config.trackQueue as string, options);
    logger.info({ received: run.received, stoppedBy: run.stoppedBy }, 'pull run done');
    return run;
  }

  return {
    async handle(event, context) {
      const startedAt = deps.clock();
      const logger = deps.logger.child(requestIdOf(context));
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
      const budget: Budget = { deadline: invocationDeadline(context, startedAt), now: deps.clock };
      if (parsed.kind === 'timer') {
        if (config.mode !== 'pull') {
          // A leftover timer must not compete with a queue trigger for the same messages (SPEC 5.3).
          logger.warn(
            { triggerName: parsed.tick.triggerName },
            'timer event ignored: TRACK_MODE is not pull',
          );
          return { ...requestIdOf(context), shape: 'timer', records: [] };
        }
        const run = await pull(
          parsed.tick,
          portsFor(context, logger, budget, await chats()),
          logger,
          wasCold,
        );
        return {
          ...requestIdOf(context),
          shape: 'timer',
          records: run.records,
          pull: { received: run.received, stoppedBy: run.stoppedBy },
        };
      }
      logger.info(
        { shape: parsed.shape, records: parsed.records.length, coldStart: wasCold },
        'invocation',
      );
      const ports = portsFor(context, logger, budget, await chats());
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
