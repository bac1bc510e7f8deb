import { describe, expect, it } from 'vitest';
import { decodeBody, parseEvent, type TrackRecord } from '../../../shared/events/parse.js';
import { startState } from '../../../shared/track/decide.js';
import { encodeState } from '../../../shared/track/state.js';
import { POLAR_REQUEST, POLICY, RDS_REQUEST, T0 } from '../../helpers/factories.js';
import { fixtureEvent } from '../../helpers/fixtures.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function records(event: Buffer | string): readonly TrackRecord[] {
  const parsed = parseEvent(typeof event === 'string' ? Buffer.from(event) : event);
  if (parsed.kind !== 'records') throw new Error(`expected records, got ${parsed.kind}`);
  return parsed.records;
}

function queueEvent(body: string, messageId = 'M1'): Record<string, unknown> {
  return {
    id: 'c2g71017',
    source: 'MNS-Function-mnstrigger',
    specversion: '1.0',
    type: 'mns:Queue:SendMessage',
    data: { requestId: 'R', messageId, messageBody: body },
  };
}

describe('parseEvent: accepted shapes', () => {
  it('reads a direct track request (shape 1, fixture)', () => {
    const parsed = parseEvent(fixtureEvent('direct.json'));
    expect(parsed).toMatchObject({ kind: 'records', shape: 'track request' });
    expect(records(fixtureEvent('direct.json'))).toEqual([
      { ok: true, origin: { source: 'direct', index: 0 }, request: RDS_REQUEST },
    ]);
  });

  it('reads a base64-encoded track request (shape 1)', () => {
    const parsed = parseEvent(Buffer.from(b64(JSON.stringify(POLAR_REQUEST))));
    expect(parsed).toMatchObject({ kind: 'records', shape: 'base64 track request' });
    expect(records(b64(JSON.stringify(POLAR_REQUEST)))[0]).toMatchObject({
      ok: true,
      request: POLAR_REQUEST,
    });
  });

  it('reads a queue trigger CloudEvent with a raw JSON body (shape 2, fixture)', () => {
    expect(records(fixtureEvent('queue-eventbridge-single.json'))).toEqual([
      {
        ok: true,
        origin: { source: 'queue', index: 0, messageId: 'C6DB60D1574661357FA227277445****' },
        request: RDS_REQUEST,
      },
    ]);
  });

  it('reads a batch of queue CloudEvents (shape 2 array, fixture), each record on its own', () => {
    const batch = records(fixtureEvent('queue-eventbridge-batch.json'));
    expect(batch.map((r) => r.ok && r.request)).toEqual([RDS_REQUEST, POLAR_REQUEST]);
    expect(batch.map((r) => r.origin.index)).toEqual([0, 1]);
  });

  it('reads a queue CloudEvent whose body is base64 (trigger with IsBase64Decode off)', () => {
    const event = JSON.stringify(queueEvent(b64(JSON.stringify(RDS_REQUEST))));
    expect(records(event)[0]).toMatchObject({ ok: true, request: RDS_REQUEST });
  });

  it('reads a re-queued track state from a queue message', () => {
    const state = { ...startState(POLAR_REQUEST, T0, POLICY), checks: 3, quiet: 1 };
    const [record] = records(JSON.stringify(queueEvent(encodeState(state))));
    expect(record).toMatchObject({
      ok: true,
      request: POLAR_REQUEST,
      state: { checks: 3, quiet: 1, deadline: state.deadline },
    });
  });

  it('reads a JSON array of track requests (shape 5)', () => {
    const batch = records(JSON.stringify([RDS_REQUEST, POLAR_REQUEST]));
    expect(batch.map((r) => r.ok)).toEqual([true, true]);
    expect(parseEvent(Buffer.from(JSON.stringify([RDS_REQUEST])))).toMatchObject({
      shape: 'batch',
    });
  });

  it('reads a timer event (shape 4, fixture)', () => {
    expect(parseEvent(fixtureEvent('timer.json'))).toEqual({
      kind: 'timer',
      tick: {
        triggerTime: '2026-12-04T05:49:00Z',
        triggerName: 'timer-trigger',
        payload: 'awesome-fc',
      },
    });
  });

  it('reads a topic JSON event carrying a track request (shape 3)', () => {
    const event = {
      TopicOwner: '1186',
      Message: JSON.stringify(RDS_REQUEST),
      TopicName: 't',
      MessageId: 'TM1',
      key: 'v',
    };
    expect(records(JSON.stringify(event))[0]).toMatchObject({
      ok: true,
      origin: { source: 'topic', messageId: 'TM1' },
      request: RDS_REQUEST,
    });
  });

  it('reads a topic STREAM event with attributes carrying a base64 track request (shape 3)', () => {
    const event = { body: b64(JSON.stringify(RDS_REQUEST)), attrs: { Extend: '{"key":"value"}' } };
    expect(records(JSON.stringify(event))[0]).toMatchObject({
      ok: true,
      origin: { source: 'topic' },
      request: RDS_REQUEST,
    });
  });
});

describe('parseEvent: rejected input', () => {
  it.each([
    ['an empty event', ''],
    ['plain text', 'hello topic'],
    ['a number', '42'],
    ['binary that is not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x81])],
    ['base64 of text that is not JSON', b64('hello')],
  ])('rejects %s without throwing', (_case, event) => {
    expect(parseEvent(typeof event === 'string' ? Buffer.from(event) : event).kind).toBe(
      'rejected',
    );
  });

  it.each([
    ['a missing TaskId', { InstanceId: 'rm-1' }, /TaskId must be a non-empty string/],
    ['an empty InstanceId', { InstanceId: '', TaskId: 't' }, /InstanceId .* got empty/],
    ['a numeric TaskId', { InstanceId: 'rm-1', TaskId: 42 }, /TaskId .* got a number/],
    [
      'an id with forbidden characters',
      { InstanceId: 'rm-1', TaskId: 'a b' },
      /TaskId has characters outside/,
    ],
    [
      'an id longer than 128 characters',
      { InstanceId: 'rm-1', TaskId: 'a'.repeat(129) },
      /at most 128/,
    ],
    ['a NodeId that is not a string', { InstanceId: 'rm-1', TaskId: 't', NodeId: ['x'] }, /NodeId/],
  ])('turns a record with %s into an invalid record with a reason', (_case, value, reason) => {
    const [record] = records(JSON.stringify(value));
    expect(record?.ok).toBe(false);
    if (record?.ok === false) expect(record.reason).toMatch(reason);
  });

  it('names the task of an invalid record that has an InstanceId and a TaskId (it gets an INVALID summary)', () => {
    const [record] = records(
      JSON.stringify({ InstanceId: 'pc-bp1h12rv501cvxyz1', TaskId: 'a11d' }),
    );
    expect(record).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/NodeId is required for a PolarDB cluster/),
      named: { InstanceId: 'pc-bp1h12rv501cvxyz1', TaskId: 'a11d' },
    });
  });

  it('keeps the good records of a batch that has bad ones', () => {
    const batch = records(
      JSON.stringify([
        queueEvent('not json at all'),
        queueEvent(JSON.stringify(RDS_REQUEST), 'M2'),
        { type: 'x' },
        7,
      ]),
    );
    expect(batch.map((r) => r.ok)).toEqual([false, true, false, false]);
  });

  it('rejects a CloudEvent of another type', () => {
    const [record] = records(
      JSON.stringify({ ...queueEvent('{}'), type: 'oss:ObjectCreated:PutObject' }),
    );
    expect(record).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/unsupported CloudEvent type/),
    });
  });

  it('never repeats the content of a rejected body in its reason', () => {
    const secret = 'password=hunter2-and-more-text';
    const parsed = parseEvent(Buffer.from(secret));
    expect(JSON.stringify(parsed)).not.toContain('hunter2');
    const [record] = records(JSON.stringify({ InstanceId: 'rm-1', TaskId: 'has space hunter2' }));
    if (record?.ok === false) expect(record.reason).not.toContain('hunter2');
  });

  it('restarts tracking from a damaged state whose request is still valid', () => {
    const damaged = { v: 1, request: RDS_REQUEST, checks: 'three' };
    const [record] = records(JSON.stringify(queueEvent(b64(JSON.stringify(damaged)))));
    expect(record).toEqual({ ok: true, origin: expect.any(Object), request: RDS_REQUEST });
  });

  it('refuses a state of an unknown version', () => {
    const [record] = records(JSON.stringify({ v: 99, request: RDS_REQUEST }));
    expect(record).toMatchObject({ ok: false, reason: expect.stringMatching(/version/) });
  });
});

describe('decodeBody', () => {
  it('decodes base64 with line breaks (as some producers wrap it)', () => {
    const wrapped = b64(JSON.stringify(RDS_REQUEST)).replace(/(.{20})/g, '$1\n');
    expect(decodeBody(wrapped)).toEqual({ ok: true, value: RDS_REQUEST });
  });
});
