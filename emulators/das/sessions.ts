/**
 * Deterministic, realistic MySQL processlist rows for the DAS emulator's kill tasks.
 * Field names and types follow `Data.Result[]` of GetKillInstanceSessionTaskResult
 * (seed/GetKillInstanceSessionTaskResult.txt; protocols.md 1.4).
 */

/** Every `Reason` a Result row can carry (seed doc, `Reason`). */
export const SESSION_REASONS = [
  'SESSION_KILLED',
  'SESSION_EXPIRED',
  'SESSION_NO_PERMISSION',
  'SESSION_ACCOUNT_ERROR',
  'SESSION_IGNORED_USER',
  'SESSION_INTERNAL_USER_OR_COMMAND',
  'SESSION_KILL_TASK_TIMEOUT',
  'SESSION_OTHER_ERROR',
] as const;

export type SessionReason = (typeof SESSION_REASONS)[number];

/** Reasons of a kill that was attempted and failed: they count in `KillFailCount`. */
export const FAILED_REASONS: ReadonlySet<string> = new Set([
  'SESSION_NO_PERMISSION',
  'SESSION_ACCOUNT_ERROR',
  'SESSION_KILL_TASK_TIMEOUT',
  'SESSION_OTHER_ERROR',
]);

/** Reasons of a session spared on purpose: they count in `IgnoredUserSessionCount`. */
export const IGNORED_REASONS: ReadonlySet<string> = new Set([
  'SESSION_IGNORED_USER',
  'SESSION_INTERNAL_USER_OR_COMMAND',
]);

/** One target session of a kill task, with the final `Reason` DAS will report for it. */
export interface SessionSpec {
  Id: number;
  User: string;
  Host: string;
  Db: string;
  Command: string;
  Time: number;
  State: string;
  Info: string;
  Active: boolean;
  /** Final Reason code, one of `SESSION_REASONS`. */
  Reason: string;
}

/** Default weights: an incident kill that mostly works, with a few of every other outcome. */
const DEFAULT_REASON_WEIGHTS: Readonly<Record<SessionReason, number>> = {
  SESSION_KILLED: 86,
  SESSION_EXPIRED: 4,
  SESSION_NO_PERMISSION: 2,
  SESSION_ACCOUNT_ERROR: 1,
  SESSION_IGNORED_USER: 2,
  SESSION_INTERNAL_USER_OR_COMMAND: 1,
  SESSION_KILL_TASK_TIMEOUT: 2,
  SESSION_OTHER_ERROR: 2,
};

/** mulberry32: small, fast, good enough for test data, and identical on every platform. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rng {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

function rng(seed: number): Rng {
  const next = prng(seed);
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

const APP_USERS = [
  'app_rw',
  'app_rw',
  'app_rw',
  'report_ro',
  'report_ro',
  'etl_batch',
  'order_svc',
];
const DATABASES: Readonly<Record<string, readonly string[]>> = {
  app_rw: ['orders', 'user_center'],
  report_ro: ['report', 'orders'],
  etl_batch: ['etl_stage', 'report'],
  order_svc: ['orders'],
};
const CUSTOMER_NAMES = ['张三', '李四', "O'Brien", 'Zoë Müller', 'Smith & Sons', '王五'];
const REGIONS = ['华东', '华北', 'cn-shanghai', 'us-west-1'];
const SKUS = ['A&B-42', 'SKU<100>', 'X"Y"Z', 'plain-7'];

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** SQL texts with string and numeric literals, some with `&`, `<`, quotes and non-ASCII text. */
const QUERIES: ReadonlyArray<(r: Rng) => { sql: string; state: string; command?: string }> = [
  (r) => ({
    sql: `SELECT * FROM orders WHERE customer_name = ${sqlString(r.pick(CUSTOMER_NAMES))} AND amount > ${r.int(100, 99_999)}`,
    state: 'Sending data',
  }),
  (r) => ({
    sql: `UPDATE inventory SET qty = qty - ${r.int(1, 5)} WHERE sku = ${sqlString(r.pick(SKUS))} AND qty > 0`,
    state: 'executing',
  }),
  (r) => ({
    sql: `SELECT id, note FROM tickets WHERE note LIKE '%<script>%' AND created_at >= '2024-0${r.int(1, 9)}-01' LIMIT ${r.int(10, 500)}`,
    state: 'Sending data',
  }),
  (r) => ({
    sql: `INSERT INTO audit_log (actor, msg) VALUES ('etl_batch', 'O''Brien said "hi" & left <${r.int(1, 99)}>')`,
    state: 'executing',
    command: 'Execute',
  }),
  (r) => ({
    sql: `SELECT COUNT(*) FROM report_daily WHERE region = ${sqlString(r.pick(REGIONS))} AND ds >= ${20240100 + r.int(1, 28)}`,
    state: 'Sending data',
  }),
  (r) => ({
    sql: `SELECT user_id, price FROM cart WHERE user_id = ${r.int(1, 9_999_999)} AND price BETWEEN ${r.int(1, 9)}.99 AND ${r.int(100, 999)}.5`,
    state: 'executing',
  }),
  () => ({
    sql: 'ALTER TABLE orders ADD COLUMN memo varchar(255)',
    state: 'Waiting for table metadata lock',
  }),
  (r) => ({
    sql: `DELETE FROM sessions WHERE expires_at < '2024-01-${String(r.int(10, 28))} 00:00:00' AND uid <> ${r.int(1, 1000)}`,
    state: 'Waiting for table metadata lock',
  }),
  (r) => ({ sql: `SELECT sleep(${r.int(5, 120)})`, state: 'User sleep' }),
];

function pickReason(
  r: Rng,
  weights: ReadonlyArray<readonly [string, number]>,
  total: number,
): string {
  let roll = r.next() * total;
  for (const [reason, weight] of weights) {
    roll -= weight;
    if (roll < 0) return reason;
  }
  return (weights[weights.length - 1] as readonly [string, number])[0];
}

function reasonWeights(reasons: Partial<Record<string, number>> | undefined): {
  list: Array<readonly [string, number]>;
  total: number;
} {
  const source: Partial<Record<string, number>> = reasons ?? DEFAULT_REASON_WEIGHTS;
  const known: ReadonlySet<string> = new Set(SESSION_REASONS);
  const list: Array<readonly [string, number]> = [];
  for (const [reason, weight] of Object.entries(source)) {
    if (!known.has(reason)) {
      throw new TypeError(`realisticSessions: options.reasons: unknown Reason "${reason}"`);
    }
    if (weight === undefined) continue;
    if (!Number.isFinite(weight) || weight < 0) {
      throw new TypeError(
        `realisticSessions: options.reasons.${reason} must be a finite number >= 0`,
      );
    }
    if (weight > 0) list.push([reason, weight]);
  }
  const total = list.reduce((sum, [, weight]) => sum + weight, 0);
  if (total <= 0) throw new TypeError('realisticSessions: options.reasons needs a positive weight');
  return { list, total };
}

/**
 * `count` realistic processlist rows, the same for the same `seed`.
 *
 * Users such as app_rw / report_ro / etl_batch, hosts `10.x.x.x:port`, Command Query / Sleep /
 * Execute, States such as "Sending data" or "Waiting for table metadata lock", SQL texts with
 * `&`, `<`, quotes and Chinese literals (for escaping and masking tests). Sessions whose Reason is
 * `SESSION_INTERNAL_USER_OR_COMMAND` look like an Alibaba O&M account or a `Binlog Dump`.
 *
 * @param options.reasons weights per Reason code; when given they replace the defaults
 *   (about 86% SESSION_KILLED, the rest spread over the other codes).
 * @throws TypeError on a negative count, an unknown Reason or no positive weight.
 * @example
 * realisticSessions(50, { seed: 7, reasons: { SESSION_KILLED: 9, SESSION_NO_PERMISSION: 1 } })
 */
export function realisticSessions(
  count: number,
  options: { seed: number; reasons?: Partial<Record<string, number>> },
): SessionSpec[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new TypeError('realisticSessions: count must be an integer >= 0');
  }
  if (!Number.isFinite(options.seed)) {
    throw new TypeError('realisticSessions: options.seed must be a finite number');
  }
  const weights = reasonWeights(options.reasons);
  const r = rng(options.seed);
  const sessions: SessionSpec[] = [];
  let id = r.int(100_000, 9_000_000);
  for (let i = 0; i < count; i += 1) {
    id += r.int(1, 400);
    const reason = pickReason(r, weights.list, weights.total);
    const host = `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}:${r.int(1024, 65535)}`;
    if (reason === 'SESSION_INTERNAL_USER_OR_COMMAND') {
      const binlog = r.next() < 0.5;
      sessions.push({
        Id: id,
        User: binlog ? 'aliyun_repl' : 'aliyun_root',
        Host: host,
        Db: '',
        Command: binlog ? 'Binlog Dump' : 'Sleep',
        Time: r.int(1000, 900_000),
        State: binlog ? 'Master has sent all binlog to slave; waiting for more updates' : '',
        Info: '',
        Active: false,
        Reason: reason,
      });
      continue;
    }
    const user = r.pick(APP_USERS);
    const db = r.pick(DATABASES[user] ?? ['orders']);
    const roll = r.next();
    if (roll < 0.2) {
      sessions.push({
        Id: id,
        User: user,
        Host: host,
        Db: db,
        Command: 'Sleep',
        Time: r.int(0, 3600),
        State: '',
        Info: '',
        Active: false,
        Reason: reason,
      });
      continue;
    }
    const query = r.pick(QUERIES)(r);
    const command = query.command ?? (roll < 0.3 ? 'Execute' : 'Query');
    // Long-running statements dominate an incident; a few are a handful of seconds old.
    const time = r.next() < 0.7 ? r.int(30, 1800) : r.int(0, 29);
    sessions.push({
      Id: id,
      User: user,
      Host: host,
      Db: db,
      Command: command,
      Time: time,
      State: r.next() < 0.1 ? '' : query.state,
      Info: query.sql,
      Active: true,
      Reason: reason,
    });
  }
  return sessions;
}
