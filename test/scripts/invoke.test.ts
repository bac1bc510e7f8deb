import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { invokeLocal } from '../../emulators/fc/local.js';
import { buildFunctions } from '../../scripts/build.js';
import { invokeAgainstEmulators, namedTasks } from '../../scripts/invoke.js';
import { fixtureEvent, fixturePath } from '../helpers/fixtures.js';

const CODE_DIR = resolve('dist/tracker');

beforeAll(async () => {
  await buildFunctions();
}, 60_000);

const EXPECTED: Record<string, { actions: string[]; shape?: string }> = {
  'direct.json': { actions: ['published'] },
  'queue-eventbridge-single.json': { actions: ['published'] },
  'queue-eventbridge-batch.json': { actions: ['published', 'published'] },
  'timer.json': { actions: [], shape: 'timer' },
  'topic-mns-stream.json': { actions: ['rejected'] },
  'topic-mns-with-MessageAttributes.json': { actions: ['rejected'] },
  'topic-mns-without-MessageAttributes.json': { actions: ['rejected'] },
};

describe('npm run invoke: the built bundle under the local FC runner', () => {
  it('covers every fixture event', () => {
    expect(readdirSync(fixturePath('events')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('runs %s against the emulators', async (name) => {
    const run = await invokeAgainstEmulators(CODE_DIR, { event: fixtureEvent(name) });
    expect(run.result.ok).toBe(true);
    const value = run.result.value as { shape: string; records: Array<{ action: string }> };
    expect(value.records.map((r) => r.action)).toEqual(EXPECTED[name]?.actions);
    if (EXPECTED[name]?.shape) expect(value.shape).toBe(EXPECTED[name]?.shape);
    expect(run.result.maxRssKb).toBeGreaterThan(0);
    expect(run.seen.webhookDeliveries).toBe(
      EXPECTED[name]?.actions.filter((a) => a === 'published').length,
    );
  });

  it('re-queues a task that is still running', async () => {
    const run = await invokeAgainstEmulators(CODE_DIR, {
      event: fixtureEvent('direct.json'),
      fate: 'running',
    });
    expect(run.result.value).toMatchObject({ records: [{ action: 'requeued' }] });
    expect(run.seen.queued).toBe(1);
  });

  it('finishes inside a short function timeout when DAS hangs, re-queuing the check', async () => {
    const run = await invokeAgainstEmulators(CODE_DIR, {
      event: fixtureEvent('direct.json'),
      timeoutS: 5,
      env: { DAS_TIMEOUT_S: '30' },
      prepare: (cloud) => cloud.das.fault({ kind: 'hang' }),
    });
    expect(run.result).toMatchObject({ ok: true, value: { records: [{ action: 'requeued' }] } });
    expect(run.result.coldStartMs).toBeLessThan(5000);
  });

  it('kills a handler that outlives the function timeout and reports FunctionTimeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-hang-'));
    writeFileSync(
      join(dir, 'index.js'),
      'exports.handler = () => new Promise(() => setInterval(() => {}, 1000));\n',
    );
    const result = await invokeLocal({
      codeDir: dir,
      event: Buffer.from('{}'),
      env: {},
      spec: {
        name: 'hang',
        handler: 'index.handler',
        timeoutS: 1,
        memoryMB: 128,
        region: 'cn-shanghai',
        accountId: '1',
        credentials: { accessKeyId: 'a', accessKeySecret: 'b', securityToken: 'c' },
      },
    });
    expect(result).toMatchObject({
      ok: false,
      errorType: 'FunctionTimeout',
      errorMessage: 'Function timed out after 1 seconds',
    });
  });

  it('reports an invalid variable as an initialisation error naming it', async () => {
    const run = await invokeAgainstEmulators(CODE_DIR, {
      event: fixtureEvent('direct.json'),
      env: { POLL_MIN_DELAY_S: 'soon' },
    });
    expect(run.result).toMatchObject({ ok: false, errorType: 'InitializationError' });
    expect(run.result.errorMessage).toMatch(/POLL_MIN_DELAY_S/);
  });
});

describe('namedTasks', () => {
  it('finds the tasks named in objects, JSON strings and base64 bodies', () => {
    const body = Buffer.from(JSON.stringify({ InstanceId: 'rm-b', TaskId: 't2' })).toString(
      'base64',
    );
    expect(
      namedTasks([{ InstanceId: 'rm-a', TaskId: 't1' }, { data: { messageBody: body } }]),
    ).toEqual([
      { InstanceId: 'rm-a', TaskId: 't1' },
      { InstanceId: 'rm-b', TaskId: 't2' },
    ]);
  });
});
