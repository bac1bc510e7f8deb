/**
 * The tracker's configuration, read once from the environment (SPEC 4) and validated. Every
 * variable is listed here, with its default, and documented in the README.
 */
import { ConfigError } from '../errors.js';
import { type Env, readBool, readEnum, readInt, readMnsName, readString, readUrl } from './env.js';
import { Secret } from './secret.js';

export type { Env } from './env.js';
export { Secret } from './secret.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Endpoint {
  readonly protocol: 'http' | 'https';
  /** host, or host:port */
  readonly host: string;
}

export interface WebhookConfig {
  /** The URL may carry a token in its query: kept secret, logged by host only. */
  readonly url: Secret<URL>;
  readonly host: string;
  /** Standard Webhooks secret bytes (from `whsec_<base64>`), or unsigned when absent. */
  readonly secret: Secret<Buffer> | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface PollPolicy {
  readonly minDelayS: number;
  readonly maxDelayS: number;
  /** Give up on a task still RUNNING this long after its first check. */
  readonly trackTimeoutS: number;
}

export const TRACK_MODES = ['push', 'pull'] as const;
export type TrackMode = (typeof TRACK_MODES)[number];
export const TRANSPORTS = ['queue', 'fc'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface PullConfig {
  /** Most messages one timer run takes from the queue. */
  readonly maxMessages: number;
  /** Long-poll wait of the first receive of a run (0 to 30 s, MNS `waitseconds`). */
  readonly waitSeconds: number;
}

export interface FcConfig {
  /** FC 3.0 API endpoint; else `https://{accountId}.{region}.fc.aliyuncs.com` from the context. */
  readonly endpoint: URL | undefined;
  /** Function to invoke; else the function's own name from the context. */
  readonly functionName: string | undefined;
  readonly qualifier: string | undefined;
}

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface ChatRobot {
  /** The robot URL; its token or key is the credential (WeCom, Slack: the only one). */
  readonly url: Secret<URL>;
  readonly host: string;
  /** DingTalk `SEC…` / Lark signing secret, when the robot has signing enabled. */
  readonly secret: Secret<string> | undefined;
}

export interface ChatConfig {
  readonly dingtalk: (ChatRobot & { readonly keyword: string | undefined }) | undefined;
  readonly lark: ChatRobot | undefined;
  readonly wecom: ChatRobot | undefined;
  readonly slack: ChatRobot | undefined;
  /** Chat robots get notices of this severity and above (resolved notices always). */
  readonly minSeverity: Severity;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface AlertConfig {
  /** Raise a firing notice when a task is still RUNNING this long after its first check; 0 = never. */
  readonly afterS: number;
  /** Raise it when the counts have not moved for this many checks in a row; 0 = never. */
  readonly stallChecks: number;
}

export interface Config {
  readonly das: { readonly endpoint: Endpoint; readonly timeoutMs: number };
  readonly mns: { readonly endpoint: URL | undefined };
  /** `push`: a queue trigger delivers messages; `pull`: a timer drains the queue (SPEC 5.3). */
  readonly mode: TrackMode;
  /** How a check is re-queued: MNS `SendMessage` with a delay, or FC asynchronous self-invocation. */
  readonly transport: Transport;
  readonly fc: FcConfig;
  readonly pull: PullConfig;
  readonly trackQueue: string | undefined;
  readonly notifyTopic: string | undefined;
  readonly webhook: WebhookConfig | undefined;
  readonly poll: PollPolicy;
  readonly summary: { readonly maxFailedSessions: number; readonly showSqlLiterals: boolean };
  readonly chat: ChatConfig;
  readonly alert: AlertConfig;
  /** Link to the DAS console for an instance; `{InstanceId}`, `{NodeId}`, `{TaskId}` are filled in. */
  readonly consoleUrl: string;
  readonly batchConcurrency: number;
  readonly logLevel: LogLevel;
}

export const DEFAULT_DAS_ENDPOINT = 'das.cn-shanghai.aliyuncs.com';

/** Bounds and defaults in one place, so the README table and the code cannot drift apart. */
export const DEFAULTS = {
  DAS_TIMEOUT_S: 10,
  POLL_MIN_DELAY_S: 5,
  POLL_MAX_DELAY_S: 60,
  TRACK_TIMEOUT_S: 3600,
  WEBHOOK_TIMEOUT_S: 10,
  WEBHOOK_MAX_ATTEMPTS: 3,
  SUMMARY_MAX_FAILED_SESSIONS: 20,
  BATCH_CONCURRENCY: 4,
  PULL_MAX_MESSAGES: 100,
  PULL_WAIT_S: 1,
  CHAT_TIMEOUT_S: 10,
  CHAT_MAX_ATTEMPTS: 3,
  ALERT_AFTER_S: 600,
  ALERT_STALL_CHECKS: 10,
  /**
   * The DAS console's MySQL instance monitor page. A per-instance deep link is not documented (no
   * public source gives one), so the instance goes in as a query the console may or may not use;
   * set DAS_CONSOLE_URL to your console's exact link.
   */
  DAS_CONSOLE_URL: 'https://hdm.console.aliyun.com/#/dbMonitor/MySQL?instanceId={InstanceId}',
} as const;

/** MNS DelaySeconds upper bound: 604800 s (SendMessage doc, protocols.md 3.4). */
export const MNS_MAX_DELAY_S = 604_800;

/**
 * FC names: a function name starts with a letter or `_` (then letters, digits, `_`, `-`); a
 * qualifier is an alias, a version number or LATEST (FC 3.0 CreateFunction / PublishFunctionVersion docs).
 */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const QUALIFIER = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;

function readName(env: Env, name: string, pattern: RegExp): string | undefined {
  const value = readString(env, name);
  if (value !== undefined && !pattern.test(value)) {
    throw new ConfigError(name, `"${value}" is not a valid name (letters, digits, _ or -)`);
  }
  return value;
}

function parseEndpoint(name: string, raw: string): Endpoint {
  if (/^https?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(name, `"${raw}" is not a valid URL`);
    }
    if (url.pathname !== '/' || url.search !== '') {
      throw new ConfigError(name, `must be a host or a URL without path or query, got "${raw}"`);
    }
    return { protocol: url.protocol === 'http:' ? 'http' : 'https', host: url.host };
  }
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(raw)) {
    throw new ConfigError(name, `must be a host name or an http(s) URL, got "${raw}"`);
  }
  return { protocol: 'https', host: raw };
}

/** Standard Webhooks secrets are `whsec_` + base64 of 24 to 64 random bytes (spec, "Signature scheme"). */
function parseWebhookSecret(env: Env): Secret<Buffer> | undefined {
  const raw = readString(env, 'WEBHOOK_SECRET');
  if (raw === undefined) return undefined;
  const encoded = raw.startsWith('whsec_') ? raw.slice('whsec_'.length) : raw;
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
  if (bytes === undefined || bytes.length < 24 || bytes.length > 64) {
    throw new ConfigError(
      'WEBHOOK_SECRET',
      'must be whsec_ followed by base64 of 24 to 64 bytes (value not shown)',
    );
  }
  return new Secret(bytes);
}

function parseWebhook(env: Env): WebhookConfig | undefined {
  const url = readUrl(env, 'WEBHOOK_URL');
  const secret = parseWebhookSecret(env);
  if (url === undefined) {
    if (secret !== undefined)
      throw new ConfigError('WEBHOOK_SECRET', 'is set but WEBHOOK_URL is not');
    return undefined;
  }
  return {
    url: new Secret(url),
    host: url.host,
    secret,
    timeoutMs:
      readInt(env, 'WEBHOOK_TIMEOUT_S', DEFAULTS.WEBHOOK_TIMEOUT_S, { min: 1, max: 120 }) * 1000,
    maxAttempts: readInt(env, 'WEBHOOK_MAX_ATTEMPTS', DEFAULTS.WEBHOOK_MAX_ATTEMPTS, {
      min: 1,
      max: 10,
    }),
  };
}

function robot(env: Env, urlName: string, secretName?: string): ChatRobot | undefined {
  const url = readUrl(env, urlName);
  const secret = secretName === undefined ? undefined : readString(env, secretName);
  if (url === undefined) {
    if (secret !== undefined && secretName !== undefined) {
      throw new ConfigError(secretName, `is set but ${urlName} is not`);
    }
    return undefined;
  }
  return {
    url: new Secret(url),
    host: url.host,
    secret: secret === undefined ? undefined : new Secret(secret),
  };
}

function parseChat(env: Env): ChatConfig {
  const dingtalk = robot(env, 'DINGTALK_WEBHOOK_URL', 'DINGTALK_SECRET');
  // DingTalk robot secrets start with SEC (custom robot doc, anchors.md 3.2).
  if (dingtalk?.secret !== undefined && !dingtalk.secret.reveal().startsWith('SEC')) {
    throw new ConfigError(
      'DINGTALK_SECRET',
      "must be the robot's signing secret, which starts with SEC (value not shown)",
    );
  }
  return {
    dingtalk:
      dingtalk === undefined
        ? undefined
        : { ...dingtalk, keyword: readString(env, 'DINGTALK_KEYWORD') },
    lark: robot(env, 'LARK_WEBHOOK_URL', 'LARK_SECRET'),
    wecom: robot(env, 'WECOM_WEBHOOK_URL'),
    slack: robot(env, 'SLACK_WEBHOOK_URL'),
    minSeverity: readEnum(env, 'CHAT_MIN_SEVERITY', SEVERITIES, 'info'),
    timeoutMs: readInt(env, 'CHAT_TIMEOUT_S', DEFAULTS.CHAT_TIMEOUT_S, { min: 1, max: 60 }) * 1000,
    maxAttempts: readInt(env, 'CHAT_MAX_ATTEMPTS', DEFAULTS.CHAT_MAX_ATTEMPTS, { min: 1, max: 10 }),
  };
}

function parseConsoleUrl(env: Env): string {
  const raw = readString(env, 'DAS_CONSOLE_URL') ?? DEFAULTS.DAS_CONSOLE_URL;
  const probe = raw.replace(/\{(InstanceId|NodeId|TaskId)\}/g, 'x');
  if (!/^https?:\/\//.test(probe) || /[{}]/.test(probe)) {
    throw new ConfigError(
      'DAS_CONSOLE_URL',
      'must be an http(s) URL; only {InstanceId}, {NodeId} and {TaskId} are filled in',
    );
  }
  return raw;
}

function parsePoll(env: Env): PollPolicy {
  const minDelayS = readInt(env, 'POLL_MIN_DELAY_S', DEFAULTS.POLL_MIN_DELAY_S, {
    min: 1,
    max: MNS_MAX_DELAY_S,
  });
  const maxDelayS = readInt(
    env,
    'POLL_MAX_DELAY_S',
    Math.max(DEFAULTS.POLL_MAX_DELAY_S, minDelayS),
    {
      min: 1,
      max: MNS_MAX_DELAY_S,
    },
  );
  if (maxDelayS < minDelayS) {
    throw new ConfigError(
      'POLL_MAX_DELAY_S',
      `must be at least POLL_MIN_DELAY_S (${minDelayS}), got ${maxDelayS}`,
    );
  }
  const trackTimeoutS = readInt(env, 'TRACK_TIMEOUT_S', DEFAULTS.TRACK_TIMEOUT_S, {
    min: 1,
    max: 30 * 86_400,
  });
  return { minDelayS, maxDelayS, trackTimeoutS };
}

/**
 * Reads and validates the whole configuration.
 * @throws ConfigError naming the first variable that is wrong.
 */
export function loadConfig(env: Env): Config {
  const dasRaw = readString(env, 'DAS_ENDPOINT') ?? DEFAULT_DAS_ENDPOINT;
  const mnsEndpoint = readUrl(env, 'MNS_ENDPOINT');
  const trackQueue = readMnsName(env, 'TRACK_QUEUE');
  const notifyTopic = readMnsName(env, 'NOTIFY_TOPIC');
  const webhook = parseWebhook(env);
  const config: Config = {
    das: {
      endpoint: parseEndpoint('DAS_ENDPOINT', dasRaw),
      timeoutMs: readInt(env, 'DAS_TIMEOUT_S', DEFAULTS.DAS_TIMEOUT_S, { min: 1, max: 120 }) * 1000,
    },
    mns: { endpoint: mnsEndpoint },
    mode: readEnum(env, 'TRACK_MODE', TRACK_MODES, 'push'),
    transport: readEnum(env, 'TRACK_TRANSPORT', TRANSPORTS, 'queue'),
    fc: {
      endpoint: readUrl(env, 'FC_ENDPOINT'),
      functionName: readName(env, 'FC_FUNCTION_NAME', FUNCTION_NAME),
      qualifier: readName(env, 'FC_QUALIFIER', QUALIFIER),
    },
    pull: {
      maxMessages: readInt(env, 'PULL_MAX_MESSAGES', DEFAULTS.PULL_MAX_MESSAGES, {
        min: 1,
        max: 10_000,
      }),
      waitSeconds: readInt(env, 'PULL_WAIT_S', DEFAULTS.PULL_WAIT_S, { min: 0, max: 30 }),
    },
    trackQueue,
    notifyTopic,
    webhook,
    poll: parsePoll(env),
    summary: {
      maxFailedSessions: readInt(
        env,
        'SUMMARY_MAX_FAILED_SESSIONS',
        DEFAULTS.SUMMARY_MAX_FAILED_SESSIONS,
        { min: 0, max: 200 },
      ),
      showSqlLiterals: readBool(env, 'SUMMARY_SHOW_SQL_LITERALS', false),
    },
    chat: parseChat(env),
    alert: {
      afterS: readInt(env, 'ALERT_AFTER_S', DEFAULTS.ALERT_AFTER_S, { min: 0, max: 30 * 86_400 }),
      stallChecks: readInt(env, 'ALERT_STALL_CHECKS', DEFAULTS.ALERT_STALL_CHECKS, {
        min: 0,
        max: 10_000,
      }),
    },
    consoleUrl: parseConsoleUrl(env),
    batchConcurrency: readInt(env, 'BATCH_CONCURRENCY', DEFAULTS.BATCH_CONCURRENCY, {
      min: 1,
      max: 16,
    }),
    logLevel: readEnum(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  if (config.trackQueue === undefined && (config.transport === 'queue' || config.mode === 'pull')) {
    throw new ConfigError(
      'TRACK_QUEUE',
      config.mode === 'pull'
        ? 'is required in pull mode: the timer drains it'
        : 'is required with TRACK_TRANSPORT=queue: it carries the checks of tasks that are still RUNNING',
    );
  }
  if (config.mode === 'pull' && config.transport !== 'queue') {
    throw new ConfigError(
      'TRACK_TRANSPORT',
      'must be queue in pull mode (TRACK_MODE=pull): new requests must land in TRACK_QUEUE for the timer',
    );
  }
  const { dingtalk, lark, wecom, slack } = config.chat;
  const chats = [dingtalk, lark, wecom, slack].filter((robotConfig) => robotConfig !== undefined);
  if (config.notifyTopic === undefined && config.webhook === undefined && chats.length === 0) {
    throw new ConfigError(
      'NOTIFY_TOPIC',
      'no sink is configured: set NOTIFY_TOPIC, WEBHOOK_URL or a chat robot (DINGTALK_WEBHOOK_URL, LARK_WEBHOOK_URL, WECOM_WEBHOOK_URL, SLACK_WEBHOOK_URL), or nobody hears how a task ended',
    );
  }
  return config;
}
