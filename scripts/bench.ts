/**
 * `npm run bench`: start-up and memory figures of the built bundle, measured against the local
 * emulators, as ratios to baselines measured in the same run (these machines are shared and noisy).
 *
 * - Cold start: process start to the first invocation answered, in a fresh Node.js process with a
 *   clean environment as FC's runtime has (the local FC runner), against a bare `node -e ""` under
 *   the same environment. Runs alternate so that both see the same machine load; medians.
 * - Bundle bytes of every function.
 * - Peak RSS of one invocation and of a 16-record batch (realistic tasks of 200 sessions each).
 *
 * Options: `--runs N` (default 15), `--json` (machine-readable output).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startLocalCloud } from '../emulators/cloud.js';
import { realisticSessions } from '../emulators/das/index.js';
import { bareNodeMs, invokeLocal, type LocalResult } from '../emulators/fc/local.js';
import { BUNDLE_BUDGET_BYTES, buildFunctions } from './build.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 15 : Number(process.argv[runsArg + 1]);
const CODE_DIR = resolve('dist/tracker');

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main(): Promise<void> {
  const bundles = await buildFunctions();
  const cloud = await startLocalCloud();
  try {
    const task = (n: number) => ({
      InstanceId: `rm-bench${n}`,
      TaskId: `bench${String(n).padStart(27, '0')}`,
    });
    const define = (n: number, finished: boolean, sessions: number) =>
      cloud.das.defineTask({
        ...task(n),
        UserId: '164882191396',
        sessions: realisticSessions(sessions, { seed: n }),
        durationMs: finished ? 0 : 1e9,
        finalState: 'SUCCESS',
        createdAt: Date.now() - 1,
      });
    define(0, true, 20);
    define(1, false, 20);
    for (let n = 100; n < 116; n += 1) define(n, true, 200);
    const env = { ...cloud.env, LOG_LEVEL: 'info' };
    const invoke = (event: unknown) =>
      invokeLocal({
        codeDir: CODE_DIR,
        event: Buffer.from(JSON.stringify(event)),
        env,
        spec: cloud.functionSpec,
      });
    const check = (result: LocalResult, what: string) => {
      if (!result.ok) throw new Error(`${what} failed: ${result.errorType} ${result.errorMessage}`);
      return result;
    };

    const scenarios = {
      rejected: {
        event: 'not a track request',
        label: 'rejected event (no I/O: module load + handler)',
      },
      requeue: {
        event: task(1),
        label: 'check a running task + re-queue it (DAS, MNS SendMessage)',
      },
      publish: {
        event: task(0),
        label: 'check a finished task + publish (DAS, MNS topic, webhook)',
      },
    } as const;
    const cold: Record<keyof typeof scenarios, number[]> = {
      rejected: [],
      requeue: [],
      publish: [],
    };
    const loads: number[] = [];
    const bare: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      bare.push(await bareNodeMs());
      for (const name of Object.keys(scenarios) as Array<keyof typeof scenarios>) {
        const result = check(await invoke(scenarios[name].event), name);
        cold[name].push(result.coldStartMs);
        if (name === 'publish') loads.push(result.timings.loadMs ?? 0);
      }
    }
    const one = check(await invoke(task(0)), 'one invocation');
    const batch = check(
      await invoke(Array.from({ length: 16 }, (_, i) => task(100 + i))),
      '16-record batch',
    );

    const bareMs = median(bare);
    const rows: Array<[string, string, string]> = [
      ['bare `node -e ""` (baseline)', `${bareMs.toFixed(1)} ms`, '1.00x'],
      ...(Object.keys(scenarios) as Array<keyof typeof scenarios>).map(
        (name): [string, string, string] => [
          `cold start: ${scenarios[name].label}`,
          `${median(cold[name]).toFixed(1)} ms`,
          `${(median(cold[name]) / bareMs).toFixed(2)}x`,
        ],
      ),
      [
        'of which: loading the bundle (require)',
        `${median(loads).toFixed(1)} ms`,
        `${(median(loads) / bareMs).toFixed(2)}x`,
      ],
      ...bundles.map(({ name, bytes }): [string, string, string] => [
        `bundle dist/${name}/index.js`,
        `${(bytes / 1024).toFixed(1)} KiB`,
        `${((bytes / BUNDLE_BUDGET_BYTES) * 100).toFixed(0)}% of the 400 KB budget`,
      ]),
      [
        'peak RSS: one invocation',
        `${((one.maxRssKb ?? 0) / 1024).toFixed(1)} MiB`,
        `${(((one.maxRssKb ?? 0) / 1024 / 100) * 100).toFixed(0)}% of 100 MB`,
      ],
      [
        'peak RSS: a 16-record batch (200 sessions each)',
        `${((batch.maxRssKb ?? 0) / 1024).toFixed(1)} MiB`,
        `${(((batch.maxRssKb ?? 0) / 1024 / 100) * 100).toFixed(0)}% of 100 MB`,
      ],
    ];
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({ runs: RUNS, node: process.version, rows }, null, 2));
      return;
    }
    console.log(
      `npm run bench (${RUNS} runs each, medians; Node ${process.version}; ${new Date().toISOString().slice(0, 10)})\n`,
    );
    console.log('| measure | value | ratio |');
    console.log('| --- | --- | --- |');
    for (const [measure, value, ratio] of rows) console.log(`| ${measure} | ${value} | ${ratio} |`);
    const statBundle = await stat(`${CODE_DIR}/index.js`);
    if (statBundle.size > BUNDLE_BUDGET_BYTES)
      console.log('\nthe bundle is over its 400 KB budget');
  } finally {
    await cloud.close();
  }
}

await main();
