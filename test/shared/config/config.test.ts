import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/index.js';
import { ConfigError } from '../../../shared/errors.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const BASE = { TRACK_QUEUE: 'das-kill-tracker', NOTIFY_TOPIC: 'das-kill-summaries' };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(BASE);
    expect(config.das).toEqual({
      endpoint: { protocol: 'https', host: 'das.cn-shanghai.aliyuncs.com' },
      timeoutMs: 10_000,
    });
    expect(config.poll).toEqual({ minDelayS: 5, maxDelayS: 60, trackTimeoutS: 3600 });
    expect(config.summary).toEqual({ maxFailedSessions: 20, showSqlLiterals: false });
    expect(config.logLevel).toBe('info');
    expect(config.batchConcurrency).toBe(4);
    expect(config.webhook).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:8123', { protocol: 'http', host: '127.0.0.1:8123' }],
    ['https://das.example.com', { protocol: 'https', host: 'das.example.com' }],
    ['das.cn-shanghai.aliyuncs.com', { protocol: 'https', host: 'das.cn-shanghai.aliyuncs.com' }],
  ])('reads DAS_ENDPOINT %s', (value, endpoint) => {
    expect(loadConfig({ ...BASE, DAS_ENDPOINT: value }).das.endpoint).toEqual(endpoint);
  });

  it.each([
    [{ DAS_ENDPOINT: 'ftp://x' }, 'DAS_ENDPOINT'],
    [{ DAS_ENDPOINT: 'http://x/path' }, 'DAS_ENDPOINT'],
    [{ POLL_MIN_DELAY_S: 'soon' }, 'POLL_MIN_DELAY_S'],
    [{ POLL_MIN_DELAY_S: '0' }, 'POLL_MIN_DELAY_S'],
    [{ POLL_MIN_DELAY_S: '30', POLL_MAX_DELAY_S: '10' }, 'POLL_MAX_DELAY_S'],
    [{ POLL_MAX_DELAY_S: '604801' }, 'POLL_MAX_DELAY_S'],
    [{ TRACK_TIMEOUT_S: '-1' }, 'TRACK_TIMEOUT_S'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TRACK_QUEUE: 'bad_name!' }, 'TRACK_QUEUE'],
    [{ WEBHOOK_URL: 'not a url' }, 'WEBHOOK_URL'],
    [{ WEBHOOK_URL: 'https://h.example/x', WEBHOOK_SECRET: 'whsec_short' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_SECRET: SECRET }, 'WEBHOOK_SECRET'],
    [{ SUMMARY_SHOW_SQL_LITERALS: 'maybe' }, 'SUMMARY_SHOW_SQL_LITERALS'],
    [{ MNS_ENDPOINT: 'mns.example' }, 'MNS_ENDPOINT'],
  ])('fails with a message naming the variable for %j', (overrides, variable) => {
    const error = configError({ ...BASE, ...overrides });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('reads the modes and transports, with push and queue as defaults', () => {
    expect(loadConfig(BASE)).toMatchObject({
      mode: 'push',
      transport: 'queue',
      pull: { maxMessages: 100, waitSeconds: 1 },
    });
    const fc = loadConfig({
      NOTIFY_TOPIC: 't',
      TRACK_TRANSPORT: 'fc',
      FC_QUALIFIER: '3',
      FC_FUNCTION_NAME: 'tracker',
    });
    expect(fc).toMatchObject({
      transport: 'fc',
      trackQueue: undefined,
      fc: { qualifier: '3', functionName: 'tracker' },
    });
    expect(loadConfig({ ...BASE, TRACK_MODE: 'PULL', PULL_MAX_MESSAGES: '500' })).toMatchObject({
      mode: 'pull',
      pull: { maxMessages: 500 },
    });
  });

  it.each([
    [{ TRACK_MODE: 'poll' }, 'TRACK_MODE'],
    [{ TRACK_TRANSPORT: 'sqs' }, 'TRACK_TRANSPORT'],
    [{ TRACK_MODE: 'pull', TRACK_TRANSPORT: 'fc' }, 'TRACK_TRANSPORT'],
    [{ FC_FUNCTION_NAME: '9lives' }, 'FC_FUNCTION_NAME'],
    [{ FC_ENDPOINT: 'fc.example' }, 'FC_ENDPOINT'],
    [{ PULL_WAIT_S: '31' }, 'PULL_WAIT_S'],
  ])('refuses transport settings %j, naming the variable', (overrides, variable) => {
    expect(configError({ ...BASE, ...overrides }).variable).toBe(variable);
  });

  it('needs TRACK_QUEUE for the queue transport and for pull mode, not for the FC transport', () => {
    expect(configError({ NOTIFY_TOPIC: 't', TRACK_MODE: 'pull' }).message).toMatch(
      /required in pull mode/,
    );
    expect(loadConfig({ NOTIFY_TOPIC: 't', TRACK_TRANSPORT: 'fc' }).trackQueue).toBeUndefined();
  });

  it('requires a tracking queue and at least one sink', () => {
    expect(configError({ NOTIFY_TOPIC: 't' }).variable).toBe('TRACK_QUEUE');
    expect(configError({ TRACK_QUEUE: 'q' }).message).toMatch(
      /set NOTIFY_TOPIC, WEBHOOK_URL or a chat robot/,
    );
  });

  it('never prints a webhook URL or secret, in messages or when the config is logged', () => {
    const url = 'https://hooks.example.com/in?token=tok-123456';
    const config = loadConfig({ ...BASE, WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET });
    const printed = `${JSON.stringify(config)} ${inspect(config, { depth: 10 })} ${String(config.webhook?.url)}`;
    expect(printed).not.toContain('tok-123456');
    expect(printed).not.toContain(SECRET.slice(6, 20));
    expect(config.webhook?.host).toBe('hooks.example.com');
    expect(config.webhook?.url.reveal().toString()).toBe(url);
    const bad = configError({
      ...BASE,
      WEBHOOK_URL: 'https://h.example/?token=tok-123456',
      WEBHOOK_SECRET: 'whsec_tok-123456',
    });
    expect(bad.message).not.toContain('tok-123456');
  });
});
