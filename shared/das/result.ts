/**
 * The `GetKillInstanceSessionTaskResult` answer (DAS API 2020-01-16), typed and validated.
 *
 * Field names, types and value sets follow the API page (`../shared/seed/`,
 * https://www.alibabacloud.com/help/en/das/developer-reference/api-das-2020-01-16-getkillinstancesessiontaskresult)
 * and the TypeScript SDK model `das-20200116/src/models/GetKillInstanceSessionTaskResultResponseBody.ts`.
 * DAS omits fields freely (`NodeId` only for PolarDB) and the SDK models every field as optional,
 * so parsing tolerates missing or `null` fields: counts default to 0, lists to empty. Only a
 * value of the wrong *type* for a field we act on (`TaskState`) makes the answer unusable.
 */

export const TASK_STATES = ['RUNNING', 'SUCCESS', 'FAILURE', 'ERROR'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const FINAL_TASK_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'ERROR']);

/** Reason codes of `Result[].Reason`, from the API page. */
export const REASONS = {
  SESSION_KILLED: 'SESSION_KILLED',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  SESSION_NO_PERMISSION: 'SESSION_NO_PERMISSION',
  SESSION_ACCOUNT_ERROR: 'SESSION_ACCOUNT_ERROR',
  SESSION_IGNORED_USER: 'SESSION_IGNORED_USER',
  SESSION_INTERNAL_USER_OR_COMMAND: 'SESSION_INTERNAL_USER_OR_COMMAND',
  SESSION_KILL_TASK_TIMEOUT: 'SESSION_KILL_TASK_TIMEOUT',
  SESSION_OTHER_ERROR: 'SESSION_OTHER_ERROR',
} as const;

/** Rows whose kill was attempted and failed (SPEC 6). Expired, ignored and internal are not failures. */
export const FAILURE_REASONS: ReadonlySet<string> = new Set([
  REASONS.SESSION_NO_PERMISSION,
  REASONS.SESSION_ACCOUNT_ERROR,
  REASONS.SESSION_KILL_TASK_TIMEOUT,
  REASONS.SESSION_OTHER_ERROR,
]);

export interface SessionResult {
  readonly Id?: number;
  readonly User?: string;
  readonly Host?: string;
  readonly Db?: string;
  readonly Command?: string;
  readonly Time?: number;
  readonly State?: string;
  readonly Info?: string;
  readonly Active?: boolean;
  readonly TaskId?: string;
  readonly Reason?: string;
}

export interface KillTaskResult {
  readonly TaskId?: string;
  readonly UserId?: string;
  readonly InstanceId?: string;
  readonly NodeId?: string;
  /** One of TASK_STATES, or whatever new state DAS may add (kept as text, treated as not final). */
  readonly TaskState: string;
  readonly Sessions: readonly number[];
  readonly KillSuccessCount: number;
  readonly KillFailCount: number;
  readonly IgnoredUserSessionCount: number;
  readonly Result: readonly SessionResult[];
  readonly RequestId?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // DAS ids are documented as strings; a numeric UserId would still be meaningful.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return undefined;
}

function count(value: unknown): number {
  const n = num(value);
  return n !== undefined && n >= 0 ? Math.floor(n) : 0;
}

/** Copies only defined values, so optional properties stay absent (exactOptionalPropertyTypes). */
function compact<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as T;
}

function parseSession(row: unknown): SessionResult | undefined {
  if (!isObject(row)) return undefined;
  return compact<SessionResult>({
    Id: num(row.Id),
    User: str(row.User),
    Host: str(row.Host),
    Db: str(row.Db),
    Command: str(row.Command),
    Time: num(row.Time),
    State: str(row.State),
    Info: str(row.Info),
    Active: typeof row.Active === 'boolean' ? row.Active : undefined,
    TaskId: str(row.TaskId),
    Reason: str(row.Reason),
  });
}

/**
 * Reads `Data` of a successful answer. Returns `undefined` when there is nothing to act on:
 * no `Data` object, or no `TaskState` string. Callers treat that as a malformed (transient) answer.
 */
export function parseKillTaskResult(data: unknown, requestId?: string): KillTaskResult | undefined {
  if (!isObject(data)) return undefined;
  const taskState = str(data.TaskState);
  if (taskState === undefined || taskState === '') return undefined;
  const sessions = Array.isArray(data.Sessions)
    ? data.Sessions.map(num).filter((id): id is number => id !== undefined)
    : [];
  const rows = Array.isArray(data.Result)
    ? data.Result.map(parseSession).filter((row): row is SessionResult => row !== undefined)
    : [];
  return compact<KillTaskResult>({
    TaskId: str(data.TaskId),
    UserId: str(data.UserId),
    InstanceId: str(data.InstanceId),
    NodeId: str(data.NodeId),
    TaskState: taskState.toUpperCase(),
    Sessions: sessions,
    KillSuccessCount: count(data.KillSuccessCount),
    KillFailCount: count(data.KillFailCount),
    IgnoredUserSessionCount: count(data.IgnoredUserSessionCount),
    Result: rows,
    RequestId: requestId,
  });
}

export function isFinalState(state: string): state is 'SUCCESS' | 'FAILURE' | 'ERROR' {
  return FINAL_TASK_STATES.has(state);
}
