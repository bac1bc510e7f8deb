/**
 * A track request (SPEC 3 shape 1): `{"InstanceId", "TaskId", "NodeId"?}`, field names as in
 * the DAS API, and its validation rules (SPEC 3).
 */

export interface TrackRequest {
  readonly InstanceId: string;
  readonly TaskId: string;
  readonly NodeId?: string;
}

/** The ids of a record that failed validation but still names a task (it gets an INVALID summary). */
export interface NamedTask {
  readonly InstanceId: string;
  readonly TaskId: string;
  readonly NodeId?: string;
}

export type RequestCheck =
  | { readonly ok: true; readonly request: TrackRequest }
  | { readonly ok: false; readonly reason: string; readonly named?: NamedTask };

const ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Longest id still echoed back in an INVALID summary; longer values are not "names". */
const MAX_NAMED_LENGTH = 256;

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return value === '' ? 'empty' : `a string of ${value.length} characters`;
  return `a ${Array.isArray(value) ? 'list' : typeof value}`;
}

/**
 * Explains why an id is invalid without repeating it (SPEC 3: log the event's shape, never its
 * content). `undefined` when valid.
 */
function idProblem(field: string, value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value === 'string' && ID.test(value)) return undefined;
  if (typeof value === 'string' && value.length > 0 && value.length <= 128) {
    return `${field} has characters outside [A-Za-z0-9_-]`;
  }
  return `${field} must be a non-empty string of at most 128 characters from [A-Za-z0-9_-], got ${describe(value)}`;
}

function named(value: Record<string, unknown>): NamedTask | undefined {
  const { InstanceId, TaskId, NodeId } = value;
  const ok = (v: unknown): v is string =>
    typeof v === 'string' && v.length > 0 && v.length <= MAX_NAMED_LENGTH;
  if (!ok(InstanceId) || !ok(TaskId)) return undefined;
  return ok(NodeId) ? { InstanceId, TaskId, NodeId } : { InstanceId, TaskId };
}

/** Validates the id fields of a parsed JSON object (SPEC 3 validation rules). */
export function checkTrackRequest(value: Record<string, unknown>): RequestCheck {
  const problems = [
    idProblem('InstanceId', value.InstanceId, true),
    idProblem('TaskId', value.TaskId, true),
    idProblem('NodeId', value.NodeId, false),
  ].filter((p): p is string => p !== undefined);
  if (
    problems.length === 0 &&
    typeof value.InstanceId === 'string' &&
    value.InstanceId.startsWith('pc-') &&
    value.NodeId === undefined
  ) {
    // The DAS API page: NodeId "must be specified if your database instance is a PolarDB for MySQL cluster".
    problems.push('NodeId is required for a PolarDB cluster (InstanceId starting with pc-)');
  }
  if (problems.length > 0) {
    const namedTask = named(value);
    return namedTask === undefined
      ? { ok: false, reason: problems.join('; ') }
      : { ok: false, reason: problems.join('; '), named: namedTask };
  }
  const request: TrackRequest =
    typeof value.NodeId === 'string'
      ? {
          InstanceId: value.InstanceId as string,
          TaskId: value.TaskId as string,
          NodeId: value.NodeId,
        }
      : { InstanceId: value.InstanceId as string, TaskId: value.TaskId as string };
  return { ok: true, request };
}

/** Short, non-secret label for logs: `TaskId@InstanceId[/NodeId]`. */
export function taskLabel(request: NamedTask): string {
  return `${request.TaskId}@${request.InstanceId}${request.NodeId === undefined ? '' : `/${request.NodeId}`}`;
}
