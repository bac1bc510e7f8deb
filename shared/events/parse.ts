/**
 * Recognises the FC event (a Buffer, SPEC 3) and turns it into records to track, or a timer tick.
 *
 * Shapes (examples in `../shared/fixtures/events/`):
 * 1. a track request `{"InstanceId","TaskId","NodeId"?}`, raw JSON or base64 of it;
 * 2. an MNS queue trigger CloudEvent (`type` `mns:Queue:SendMessage`, body in `data.messageBody`),
 *    one object (event-driven) or a JSON array of them (event-streaming) (protocols.md 4.4);
 * 3. an MNS topic trigger event: `JSON` format `{"Message", "TopicName", …}` (attributes merged at the
 *    top level), or `STREAM` format: the raw body, or `{"body","attrs"}` with attributes (protocols.md 4.3);
 * 4. a timer event `{"triggerTime","triggerName","payload"}` (protocols.md 4.2);
 * 5. a JSON array of track requests.
 * A message body may also hold a track state (a re-queued check, `track/state.ts`).
 *
 * Nothing here throws on bad input: whatever is not understood becomes a rejected event or an
 * invalid record with a reason that describes the shape, never the content (SPEC 3).
 */
import { checkTrackRequest, type NamedTask, type TrackRequest } from '../track/request.js';
import { checkTrackState, looksLikeState, type TrackState } from '../track/state.js';

export type RecordSource = 'direct' | 'queue' | 'topic';

export interface RecordOrigin {
  readonly source: RecordSource;
  /** Position in the event (0 for a single record). */
  readonly index: number;
  /** MNS message id, when the record came from a queue or topic: the key for duplicate detection. */
  readonly messageId?: string;
}

export type TrackRecord =
  | {
      readonly ok: true;
      readonly origin: RecordOrigin;
      readonly request: TrackRequest;
      /** Present for a re-queued check; absent for a new request. */
      readonly state?: TrackState;
    }
  | {
      readonly ok: false;
      readonly origin: RecordOrigin;
      readonly reason: string;
      /** Present when the record names a task: it then gets an INVALID summary (SPEC 3). */
      readonly named?: NamedTask;
    };

export interface TimerTick {
  readonly triggerTime: string;
  readonly triggerName: string;
  /** The trigger's configured message, a string (protocols.md 4.2); may be empty. */
  readonly payload: string;
}

export type ParsedEvent =
  | { readonly kind: 'records'; readonly shape: string; readonly records: readonly TrackRecord[] }
  | { readonly kind: 'timer'; readonly tick: TimerTick }
  | { readonly kind: 'rejected'; readonly shape: string; readonly reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Decodes a message body: JSON text, or base64 of JSON text (the MNS queue trigger decodes base64
 * only when `IsBase64Decode` is on, protocols.md 3.7, so both arrive here).
 */
export function decodeBody(
  text: string,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'empty body' };
  const direct = tryJson(trimmed);
  if (direct.ok) return direct;
  const compact = trimmed.replace(/\s+/g, '');
  if (BASE64.test(compact)) {
    let decoded: string;
    try {
      decoded = utf8.decode(Buffer.from(compact, 'base64'));
    } catch {
      return { ok: false, reason: 'base64 body that is not UTF-8 text' };
    }
    const inner = tryJson(decoded.trim());
    if (inner.ok) return inner;
    return { ok: false, reason: 'base64 body that is not JSON' };
  }
  return { ok: false, reason: `body is neither JSON nor base64 (${trimmed.length} characters)` };
}

function shapeOf(value: unknown): string {
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (isObject(value)) {
    const keys = Object.keys(value).slice(0, 8);
    return `object with keys [${keys.join(', ')}${Object.keys(value).length > 8 ? ', …' : ''}]`;
  }
  return value === null ? 'null' : typeof value;
}

/** A decoded body value → a record (track request or track state). */
function recordFromValue(value: unknown, origin: RecordOrigin): TrackRecord {
  if (!isObject(value)) {
    return { ok: false, origin, reason: `expected a track request object, got ${shapeOf(value)}` };
  }
  if (looksLikeState(value)) {
    const checked = checkTrackState(value);
    if (checked.ok)
      return { ok: true, origin, request: checked.state.request, state: checked.state };
    // A damaged state whose request is still valid restarts tracking rather than losing the task.
    if (checked.request !== undefined) return { ok: true, origin, request: checked.request };
    return { ok: false, origin, reason: checked.reason };
  }
  const checked = checkTrackRequest(value);
  if (checked.ok) return { ok: true, origin, request: checked.request };
  return checked.named === undefined
    ? { ok: false, origin, reason: checked.reason }
    : { ok: false, origin, reason: checked.reason, named: checked.named };
}

/** A message body (raw or base64 JSON of a track request or state) → a record. */
export function recordFromBody(body: unknown, origin: RecordOrigin): TrackRecord {
  if (typeof body !== 'string') {
    return { ok: false, origin, reason: `message body is ${shapeOf(body)}, not text` };
  }
  const decoded = decodeBody(body);
  if (!decoded.ok) return { ok: false, origin, reason: decoded.reason };
  return recordFromValue(decoded.value, origin);
}

function isQueueCloudEvent(value: Json): boolean {
  return typeof value.specversion === 'string' && typeof value.type === 'string';
}

function recordFromCloudEvent(event: Json, index: number): TrackRecord {
  const data = isObject(event.data) ? event.data : undefined;
  const messageId = typeof data?.messageId === 'string' ? data.messageId : undefined;
  const origin: RecordOrigin =
    messageId === undefined ? { source: 'queue', index } : { source: 'queue', index, messageId };
  if (event.type !== 'mns:Queue:SendMessage') {
    return {
      ok: false,
      origin,
      reason: `unsupported CloudEvent type ${JSON.stringify(String(event.type).slice(0, 64))}`,
    };
  }
  if (data === undefined) return { ok: false, origin, reason: 'CloudEvent without a data object' };
  return recordFromBody(data.messageBody, origin);
}

function isTopicJson(value: Json): boolean {
  return typeof value.TopicName === 'string' && 'Message' in value;
}

function isTopicStream(value: Json): boolean {
  return 'body' in value && isObject(value.attrs);
}

function isTimer(value: Json): boolean {
  return typeof value.triggerTime === 'string' && typeof value.triggerName === 'string';
}

function element(value: unknown, index: number): TrackRecord {
  if (isObject(value) && isQueueCloudEvent(value)) return recordFromCloudEvent(value, index);
  return recordFromValue(value, { source: 'direct', index });
}

function fromValue(value: unknown, encoded: boolean): ParsedEvent {
  if (Array.isArray(value)) {
    const records = value.map(element);
    const queue = records.some((r) => r.origin.source === 'queue');
    return { kind: 'records', shape: queue ? 'queue batch' : 'batch', records };
  }
  if (!isObject(value)) {
    return { kind: 'rejected', shape: shapeOf(value), reason: 'event is not an object or a list' };
  }
  if (isTimer(value)) {
    const payload = typeof value.payload === 'string' ? value.payload : '';
    return {
      kind: 'timer',
      tick: {
        triggerTime: value.triggerTime as string,
        triggerName: value.triggerName as string,
        payload,
      },
    };
  }
  if (isQueueCloudEvent(value)) {
    return { kind: 'records', shape: 'queue event', records: [recordFromCloudEvent(value, 0)] };
  }
  if (isTopicJson(value)) {
    const messageId = typeof value.MessageId === 'string' ? value.MessageId : undefined;
    const origin: RecordOrigin =
      messageId === undefined
        ? { source: 'topic', index: 0 }
        : { source: 'topic', index: 0, messageId };
    return {
      kind: 'records',
      shape: 'topic JSON',
      records: [recordFromBody(value.Message, origin)],
    };
  }
  if (isTopicStream(value)) {
    const origin: RecordOrigin = { source: 'topic', index: 0 };
    return {
      kind: 'records',
      shape: 'topic STREAM',
      records: [recordFromBody(value.body, origin)],
    };
  }
  return {
    kind: 'records',
    shape: encoded ? 'base64 track request' : 'track request',
    records: [recordFromValue(value, { source: 'direct', index: 0 })],
  };
}

export function parseEvent(event: Buffer | string | Uint8Array | null | undefined): ParsedEvent {
  if (event === null || event === undefined) {
    return { kind: 'rejected', shape: 'empty', reason: 'no event' };
  }
  let text: string;
  try {
    text = typeof event === 'string' ? event : utf8.decode(event);
  } catch {
    return { kind: 'rejected', shape: 'binary', reason: 'event is not UTF-8 text' };
  }
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'rejected', shape: 'empty', reason: 'event is empty' };
  const direct = tryJson(trimmed);
  if (direct.ok) return fromValue(direct.value, false);
  const decoded = decodeBody(trimmed);
  if (decoded.ok) return fromValue(decoded.value, true);
  return {
    kind: 'rejected',
    shape: `text of ${trimmed.length} characters`,
    reason: decoded.reason,
  };
}
