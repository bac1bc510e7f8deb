/**
 * `npm run invoke -- <event-file> [options]`: runs the built bundle once, the way FC's Node.js 20
 * runtime would (the local FC runner, `emulators/fc/local.ts`), with an event file such as
 * `test/fixtures/events/direct.json`. `s local invoke` needs Docker; this does not.
 *
 * By default it runs against the local emulators: DAS answers every task the event names (found in
 * the event, its message bodies and base64 bodies) with the fate `--fate` (success, running, failure),
 * and the run shows what the tracker did to MNS, the topic and the webhook. A timer event runs in
 * pull mode.
 *
 * Options:
 *   --fate success|running|failure   what DAS says of the named tasks (emulators only; default success)
 *   --env KEY=VALUE                  a function variable (repeatable), e.g. --env POLL_MIN_DELAY_S=10
 *   --timeout S                      the function's timeout (default 60)
 *   --real                           no emulators: the function's variables come from this shell (the
 *                                    variables the README lists), credentials from ALIBABA_CLOUD_*,
 *                                    region and account from --region / --account (or FC_REGION / FC_ACCOUNT_ID)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type LocalCloud,
  SUBSCRIBER_QUEUE,
  startLocalCloud,
  TRACK_QUEUE,
} from '../emulators/cloud.js';
import { realisticSessions, type TaskFate } from '../emulators/das/index.js';
import { invokeLocal, type LocalResult } from '../emulators/fc/local.js';
import type { FunctionSpec } from '../emulators/fc/runtime.js';
import { buildFunctions } from './build.js';

export interface InvokeOptions {
  readonly event: Buffer;
  readonly fate?: 'success' | 'running' | 'failure';
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutS?: number;
  /** Test seam: shape the emulators before the run (faults, extra tasks). */
  readonly prepare?: (cloud: LocalCloud) => void;
}

export interface EmulatedRun {
  readonly result: LocalResult;
  readonly seen: {
    readonly dasCalls: number;
    readonly queued: number;
    readonly published: number;
    readonly webhookDeliveries: number;
  };
}

type Named = { InstanceId: string; TaskId: string; NodeId?: string };

/** Every task an event names: in objects, JSON strings and base64 JSON strings, at any depth. */
export function namedTasks(value: unknown, found: Named[] = []): Named[] {
  if (typeof value === 'string') {
    const text = value.trim();
    const decoded = /^[A-Za-z0-9+/]+=*$/.test(text)
      ? Buffer.from(text, 'base64').toString('utf8')
      : text;
    for (const candidate of [text, decoded]) {
      try {
        namedTasks(JSON.parse(candidate), found);
        break;
      } catch {
        // not JSON: nothing named here
      }
    }
    return found;
  }
  if (Array.isArray(value)) {
    for (const item of value) namedTasks(item, found);
    return found;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record.InstanceId === 'string' && typeof record.TaskId === 'string') {
      found.push({
        InstanceId: record.InstanceId,
        TaskId: record.TaskId,
        ...(typeof record.NodeId === 'string' ? { NodeId: record.NodeId } : {}),
      });
    }
    for (const item of Object.values(record)) namedTasks(item, found);
  }
  return found;
}

const FATES: Record<NonNullable<InvokeOptions['fate']>, TaskFate> = {
  success: 'SUCCESS',
  running: 'RUNNING',
  failure: 'FAILURE',
};

/** Runs the bundle once against a fresh local cloud; the bundle must be built. */
export async function invokeAgainstEmulators(
  codeDir: string,
  options: InvokeOptions,
): Promise<EmulatedRun> {
  const cloud: LocalCloud = await startLocalCloud();
  try {
    const text = options.event.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a raw or base64 event: scanned as a string
    }
    for (const task of namedTasks(parsed)) {
      cloud.das.defineTask({
        ...task,
        UserId: '164882191396',
        sessions: realisticSessions(8, { seed: 1 }),
        durationMs: options.fate === 'running' ? 1e9 : 0,
        finalState: FATES[options.fate ?? 'success'],
        createdAt: Date.now() - 1,
      });
    }
    options.prepare?.(cloud);
    const isTimer = typeof parsed === 'object' && parsed !== null && 'triggerTime' in parsed;
    const spec: FunctionSpec = {
      ...cloud.functionSpec,
      timeoutS: options.timeoutS ?? cloud.functionSpec.timeoutS,
    };
    const result = await invokeLocal({
      codeDir,
      event: options.event,
      env: {
        ...cloud.env,
        ...(isTimer ? { TRACK_MODE: 'pull', PULL_WAIT_S: '0' } : {}),
        ...options.env,
      },
      spec,
    });
    return {
      result,
      seen: {
        dasCalls: cloud.das.calls.length,
        queued: cloud.mns.messages(TRACK_QUEUE).length,
        published: cloud.mns.messages(SUBSCRIBER_QUEUE).length,
        webhookDeliveries: cloud.webhook.deliveries.length,
      },
    };
  } finally {
    await cloud.close();
  }
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function print(result: LocalResult): void {
  for (const line of result.stdout.split('\n').filter((l) => l.trim() !== ''))
    console.log(`log  ${line}`);
  if (result.stderr.trim() !== '') console.log(`stderr ${result.stderr.trim()}`);
  console.log(
    result.ok
      ? `\nresult ${JSON.stringify(result.value, null, 2)}`
      : `\nerror ${result.errorType}: ${result.errorMessage}`,
  );
  const t = result.timings;
  console.log(
    `\ncold start ${result.coldStartMs.toFixed(1)} ms (load ${t.loadMs?.toFixed(1) ?? '?'} ms, invocation ${t.invokeMs?.toFixed(1) ?? '?'} ms), peak RSS ${((result.maxRssKb ?? 0) / 1024).toFixed(1)} MiB`,
  );
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined || file.startsWith('--')) {
    console.error(
      'usage: npm run invoke -- <event-file> [--fate success|running|failure] [--env KEY=VALUE]... [--timeout S] [--real]',
    );
    process.exit(2);
  }
  const event = readFileSync(file);
  const env: Record<string, string> = {};
  process.argv.forEach((arg, i) => {
    if (arg === '--env') {
      const [key, ...rest] = (process.argv[i + 1] ?? '').split('=');
      if (key) env[key] = rest.join('=');
    }
  });
  const timeoutS = Number(argument('--timeout') ?? 60);
  const [bundle] = await buildFunctions();
  const codeDir = resolve('dist', bundle?.name ?? 'tracker');
  if (process.argv.includes('--real')) {
    const fromShell = Object.fromEntries(
      Object.entries(process.env).filter(([k]) =>
        /^(DAS_|MNS_|TRACK_|NOTIFY_|WEBHOOK_|POLL_|SUMMARY_|DINGTALK_|LARK_|WECOM_|SLACK_|CHAT_|ALERT_|FC_|PULL_|BATCH_|LOG_LEVEL$)/.test(
          k,
        ),
      ),
    ) as Record<string, string>;
    const {
      ALIBABA_CLOUD_ACCESS_KEY_ID: id,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret,
      ALIBABA_CLOUD_SECURITY_TOKEN: token,
    } = process.env;
    if (!id || !secret)
      throw new Error(
        '--real needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      );
    const result = await invokeLocal({
      codeDir,
      event,
      env: { ...fromShell, ...env },
      spec: {
        name: argument('--function') ?? 'das-kill-tracker',
        handler: 'index.handler',
        timeoutS,
        memoryMB: 256,
        region: argument('--region') ?? process.env.FC_REGION ?? 'cn-shanghai',
        accountId: argument('--account') ?? process.env.FC_ACCOUNT_ID ?? '',
        credentials: { accessKeyId: id, accessKeySecret: secret, securityToken: token ?? '' },
      },
    });
    print(result);
    process.exitCode = result.ok ? 0 : 1;
    return;
  }
  const fate = (argument('--fate') ?? 'success') as NonNullable<InvokeOptions['fate']>;
  const run = await invokeAgainstEmulators(codeDir, { event, fate, env, timeoutS });
  print(run.result);
  console.log(
    `emulators saw: ${run.seen.dasCalls} DAS calls, ${run.seen.queued} message(s) left in ${TRACK_QUEUE}, ` +
      `${run.seen.published} summary(ies) on the topic, ${run.seen.webhookDeliveries} webhook delivery(ies)`,
  );
  process.exitCode = run.result.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
