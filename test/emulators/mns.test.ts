import { createHash } from 'node:crypto';
import { request } from 'node:http';
import MNS from '@alicloud/mns/lib/client.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../emulators/http.js';
import {
  DEFAULT_MNS_CREDENTIALS,
  type MnsCredential,
  MnsEmulator,
  type MnsEmulatorOptions,
} from '../../emulators/mns/index.js';
import { mnsAuthorization } from '../../emulators/signing/mns.js';

// ---- helpers ------------------------------------------------------------------------------

const START = Date.UTC(2024, 0, 1);

function credential(index: number): MnsCredential {
  const found = DEFAULT_MNS_CREDENTIALS[index];
  if (!found) throw new Error(`no default credential ${index}`);
  return found;
}
const STATIC = credential(0);
const STS = credential(1);

function clientFor(
  emu: MnsEmulator,
  cred: MnsCredential = STATIC,
  extra: Partial<MNS.Options> = {},
): MNS {
  return new MNS(emu.accountId, {
    accessKeyId: cred.accessKeyId,
    accessKeySecret: cred.accessKeySecret,
    ...(cred.securityToken === undefined ? {} : { securityToken: cred.securityToken }),
    endpoint: emu.url,
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function md5Upper(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with exactly these bytes in the request line and headers. */
function raw(
  url: string,
  method: string,
  target: string,
  headers: Record<string, string>,
  body = '',
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        method,
        path: target,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface SignOptions {
  cred?: MnsCredential;
  date?: string;
  /** 'hex' is what the SDKs send, 'digest' is RFC 1864, 'none' leaves the header out. */
  md5?: 'hex' | 'digest' | 'none';
  extraHeaders?: Record<string, string>;
}

/** Signs a request the way the SDKs do, for requests the Node SDK cannot make. */
function signed(
  method: string,
  target: string,
  body = '',
  {
    cred = STATIC,
    date = new Date().toUTCString(),
    md5 = 'hex',
    extraHeaders = {},
  }: SignOptions = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    date,
    'x-mns-date': date,
    'x-mns-version': '2015-06-06',
    ...extraHeaders,
  };
  if (body !== '') headers['content-type'] = 'text/xml';
  const digest = createHash('md5').update(body, 'utf8').digest();
  if (md5 === 'hex')
    headers['content-md5'] = Buffer.from(digest.toString('hex')).toString('base64');
  if (md5 === 'digest') headers['content-md5'] = digest.toString('base64');
  headers.authorization = mnsAuthorization(cred.accessKeyId, cred.accessKeySecret, {
    method,
    contentMd5: headers['content-md5'],
    contentType: headers['content-type'],
    date,
    headers,
    resource: target,
  });
  return headers;
}

const sendBody = (body: string, namespace = ' xmlns="http://mns.aliyuncs.com/doc/v1/"'): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Message${namespace}><MessageBody>${body}</MessageBody></Message>`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- fixture ------------------------------------------------------------------------------

let now = START;
let emu: MnsEmulator;
let mns: MNS;

async function startEmulator(options: MnsEmulatorOptions = {}): Promise<void> {
  emu = await MnsEmulator.start({ clock: () => now, ...options });
  mns = clientFor(emu);
}

beforeEach(async () => {
  now = START;
  await startEmulator();
  emu.createQueue('q');
});

afterEach(async () => {
  await emu.close();
});

// ---- tests --------------------------------------------------------------------------------

describe('MnsEmulator with @alicloud/mns', () => {
  describe('send, receive, delete', () => {
    it('delivers a sent message with its MD5, millisecond times and a receipt handle that deletes it', async () => {
      // Act
      const sent = await mns.sendMessage('q', { MessageBody: 'aGVsbG8=' });
      now += 5;
      const received = await mns.receiveMessage('q');
      const deleted = await mns.deleteMessage('q', must(received.body).ReceiptHandle);

      // Assess
      expect(sent.code).toBe(201);
      expect(sent.body).toStrictEqual({
        MessageId: expect.stringMatching(/^[0-9A-F]{16}-1-[0-9A-F]+-\d+$/),
        MessageBodyMD5: md5Upper('aGVsbG8='),
      });
      expect(received.code).toBe(200);
      expect(received.body).toStrictEqual({
        MessageId: must(sent.body).MessageId,
        ReceiptHandle: expect.stringMatching(/^1-/),
        MessageBodyMD5: md5Upper('aGVsbG8='),
        MessageBody: 'aGVsbG8=',
        EnqueueTime: String(START),
        NextVisibleTime: String(START + 5 + 30_000),
        FirstDequeueTime: String(START + 5),
        DequeueCount: '1',
        Priority: '8',
      });
      expect(deleted.code).toBe(204);
      expect(emu.messages('q')).toStrictEqual([]);
    });

    it('answers MessageNotExist when the queue is empty after the wait', async () => {
      // Prepare
      const started = Date.now();

      // Act
      const error = await failure(mns.receiveMessage('q', 1));

      // Assess
      expect(error.name).toBe('MNSMessageNotExistError');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(emu.requests.at(-1)).toStrictEqual({
        operation: 'ReceiveMessage',
        target: 'q',
        status: 404,
        code: 'MessageNotExist',
      });
    });

    it('answers QueueNotExist and TopicNotExist for unknown names', async () => {
      // Act
      const queue = await failure(mns.sendMessage('nope', { MessageBody: 'x' }));
      const topic = await failure(mns.publishMessage('nope', { MessageBody: 'x' }));

      // Assess
      expect([queue.name, topic.name]).toStrictEqual([
        'MNSQueueNotExistError',
        'MNSTopicNotExistError',
      ]);
    });

    it('leaves the message untouched when peeking', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'peek-me' });

      // Act
      const peeked = await mns.peekMessage('q');
      const batch = await mns.batchPeekMessage('q', 4);

      // Assess
      expect(peeked.body).toMatchObject({ MessageBody: 'peek-me', DequeueCount: '0' });
      expect(peeked.body).not.toHaveProperty('ReceiptHandle');
      expect(batch.body).toHaveLength(1);
      expect(emu.messages('q')).toMatchObject([{ state: 'Active', dequeueCount: 0 }]);
    });
  });

  describe('delays', () => {
    it('keeps a delayed message hidden until its DelaySeconds have passed', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'later', DelaySeconds: 60 });

      // Act
      const early = await failure(mns.receiveMessage('q'));
      const stateBefore = emu.messages('q').map((m) => m.state);
      now += 60_000;
      const onTime = await mns.receiveMessage('q');

      // Assess
      expect(early.name).toBe('MNSMessageNotExistError');
      expect(stateBefore).toStrictEqual(['Delayed']);
      expect(onTime.body).toMatchObject({ MessageBody: 'later', DequeueCount: '1' });
    });

    it("lets a message's DelaySeconds override the queue's", async () => {
      // Prepare
      emu.createQueue('slow', { DelaySeconds: 30 });

      // Act
      await mns.sendMessage('slow', { MessageBody: 'queue-delay' });
      await mns.sendMessage('slow', { MessageBody: 'no-delay', DelaySeconds: 0 });
      const received = await mns.receiveMessage('slow');

      // Assess
      expect(received.body?.MessageBody).toBe('no-delay');
      expect(emu.messages('slow')).toMatchObject([
        {
          body: 'queue-delay',
          state: 'Delayed',
          delaySeconds: 30,
          nextVisibleTime: START + 30_000,
        },
        { body: 'no-delay', state: 'Inactive', delaySeconds: 0 },
      ]);
    });

    it('ends a long poll as soon as the clock makes a delayed message visible', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'wake', DelaySeconds: 10 });
      const started = Date.now();

      // Act
      const pending = mns.receiveMessage('q', 30);
      await sleep(100);
      now += 10_000;
      const received = await pending;

      // Assess
      expect(received.body?.MessageBody).toBe('wake');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('ends a long poll when a message is sent meanwhile', async () => {
      // Act
      const pending = mns.receiveMessage('q', 30);
      await sleep(100);
      await clientFor(emu).sendMessage('q', { MessageBody: 'arrived' });
      const received = await pending;

      // Assess
      expect(received.body?.MessageBody).toBe('arrived');
    });
  });

  describe('visibility', () => {
    it('redelivers a message not deleted within its visibility timeout, with a new handle', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'again' });
      now += 1_000;
      const first = must((await mns.receiveMessage('q')).body);

      // Act
      const hidden = await failure(mns.receiveMessage('q'));
      now += 30_000;
      const second = must((await mns.receiveMessage('q')).body);
      const staleDelete = await failure(mns.deleteMessage('q', first.ReceiptHandle));
      const freshDelete = await mns.deleteMessage('q', second.ReceiptHandle);

      // Assess
      expect(hidden.name).toBe('MNSMessageNotExistError');
      expect(first).toMatchObject({ DequeueCount: '1', FirstDequeueTime: String(START + 1_000) });
      expect(second).toMatchObject({
        DequeueCount: '2',
        FirstDequeueTime: String(START + 1_000),
        NextVisibleTime: String(START + 31_000 + 30_000),
      });
      expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
      expect(staleDelete.name).toBe('MNSMessageNotExistError');
      expect(freshDelete.code).toBe(204);
    });

    it('returns a new handle from ChangeMessageVisibility and kills the old one', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'hide' });
      const received = must((await mns.receiveMessage('q')).body);
      now += 10_000;

      // Act
      const changed = await mns.changeMessageVisibility('q', received.ReceiptHandle, 120);
      const oldDelete = await failure(mns.deleteMessage('q', received.ReceiptHandle));
      const oldChange = await failure(mns.changeMessageVisibility('q', received.ReceiptHandle, 5));
      now += 60_000;
      const stillHidden = emu.messages('q').map((m) => m.state);
      const newDelete = await mns.deleteMessage('q', must(changed.body).ReceiptHandle);

      // Assess
      expect(changed.code).toBe(200);
      expect(changed.body).toStrictEqual({
        ReceiptHandle: expect.stringMatching(/^1-/),
        NextVisibleTime: String(START + 10_000 + 120_000),
      });
      expect(changed.body?.ReceiptHandle).not.toBe(received.ReceiptHandle);
      expect(oldDelete.name).toBe('MNSMessageNotExistError');
      expect(oldChange.name).toBe('MNSMessageNotExistError');
      expect(stillHidden).toStrictEqual(['Inactive']);
      expect(newDelete.code).toBe(204);
    });

    it.each([
      { case: 'zero', seconds: 0 },
      { case: 'above 43200', seconds: 43_201 },
    ])('refuses a visibility timeout of $case', async ({ seconds }) => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'x' });
      const received = must((await mns.receiveMessage('q')).body);

      // Act
      const error = await failure(
        mns.changeMessageVisibility('q', received.ReceiptHandle, seconds),
      );

      // Assess
      expect(error.name).toBe('MNSInvalidArgumentError');
    });

    it('refuses a handle whose visibility window has passed', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'x' });
      const received = must((await mns.receiveMessage('q')).body);
      now += 30_000;

      // Act
      const error = await failure(mns.deleteMessage('q', received.ReceiptHandle));

      // Assess
      expect(error.name).toBe('MNSMessageNotExistError');
      expect(emu.messages('q')).toMatchObject([{ state: 'Active', dequeueCount: 1 }]);
    });
  });

  describe('receipt handles with + / =', () => {
    it('accepts the handle verbatim from the Node SDK, which does not encode it', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'x' });
      const handle = must((await mns.receiveMessage('q')).body).ReceiptHandle;

      // Act
      const changed = await mns.changeMessageVisibility('q', handle, 60);
      const newHandle = must(changed.body).ReceiptHandle;
      const deleted = await mns.deleteMessage('q', newHandle);

      // Assess
      expect(handle).toMatch(/^1-[A-Za-z0-9+/]*\+[A-Za-z0-9+/]*\/[A-Za-z0-9+/]*==$/);
      expect(newHandle).toMatch(/\+.*\/.*==$/);
      expect(deleted.code).toBe(204);
      expect(emu.messages('q')).toStrictEqual([]);
    });

    it('accepts a percent-encoded handle with capitalised keys, as the Go SDK sends it', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'x' });
      const handle = must((await mns.receiveMessage('q')).body).ReceiptHandle;
      const target = `/queues/q/messages?ReceiptHandle=${encodeURIComponent(handle)}&VisibilityTimeout=60`;

      // Act
      const response = await raw(emu.url, 'PUT', target, signed('PUT', target));

      // Assess
      expect(handle).not.toBe(encodeURIComponent(handle));
      expect(response.status).toBe(200);
      expect(response.body).toMatch(
        /<ChangeVisibility xmlns="http:\/\/mns\.aliyuncs\.com\/doc\/v1\/"><ReceiptHandle>1-/,
      );
    });

    it('refuses a handle whose + became a space as malformed', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'x' });
      const handle = must((await mns.receiveMessage('q')).body).ReceiptHandle;
      const target = `/queues/q/messages?ReceiptHandle=${handle.replace('+', '%20')}`;

      // Act
      const response = await raw(emu.url, 'DELETE', target, signed('DELETE', target));

      // Assess
      expect(response.status).toBe(400);
      expect(response.body).toContain('<Code>ReceiptHandleError</Code>');
      expect(emu.messages('q')).toHaveLength(1);
    });
  });

  describe('batches and priority', () => {
    it('receives at most 16 messages per batch', async () => {
      // Prepare
      const bodies = Array.from({ length: 20 }, (_, i) => `m${i}`);
      await mns.batchSendMessage(
        'q',
        bodies.slice(0, 16).map((MessageBody) => ({ MessageBody })),
      );
      await mns.batchSendMessage(
        'q',
        bodies.slice(16).map((MessageBody) => ({ MessageBody })),
      );

      // Act
      const first = await mns.batchReceiveMessage('q', 16);
      const second = await mns.batchReceiveMessage('q', 16);
      const tooMany = await failure(mns.batchReceiveMessage('q', 17));

      // Assess
      expect(first.body?.map((m) => m.MessageBody)).toStrictEqual(bodies.slice(0, 16));
      expect(second.body?.map((m) => m.MessageBody)).toStrictEqual(bodies.slice(16));
      expect(tooMany.name).toBe('MNSInvalidArgumentError');
    });

    it('refuses a batch of 17 messages and enqueues none of them', async () => {
      // Act
      const error = await failure(
        mns.batchSendMessage(
          'q',
          Array.from({ length: 17 }, (_, i) => ({ MessageBody: `m${i}` })),
        ),
      );

      // Assess
      expect(error.name).toBe('MNSInvalidArgumentError');
      expect(emu.messages('q')).toStrictEqual([]);
    });

    it('delivers by priority (1 highest), then by enqueue time', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'p8', Priority: 8 });
      await mns.sendMessage('q', { MessageBody: 'p1-first', Priority: 1 });
      await mns.sendMessage('q', { MessageBody: 'p16', Priority: 16 });
      await mns.sendMessage('q', { MessageBody: 'default' });
      await mns.sendMessage('q', { MessageBody: 'p1-second', Priority: 1 });

      // Act
      const received = await mns.batchReceiveMessage('q', 16);

      // Assess
      expect(received.body?.map((m) => [m.MessageBody, m.Priority])).toStrictEqual([
        ['p1-first', '1'],
        ['p1-second', '1'],
        ['p8', '8'],
        ['default', '8'],
        ['p16', '16'],
      ]);
    });

    it('deletes what it can in a batch and lists the failed handles with a 404', async () => {
      // Prepare
      await mns.sendMessage('q', { MessageBody: 'x' });
      const handle = must((await mns.receiveMessage('q')).body).ReceiptHandle;
      const unknown = '1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==';

      // Act
      const response = await mns.batchDeleteMessage('q', [handle, unknown, 'not a handle']);

      // Assess
      expect(response.code).toBe(404);
      expect(response.body).toStrictEqual([
        { ErrorCode: 'MessageNotExist', ErrorMessage: expect.any(String), ReceiptHandle: unknown },
        {
          ErrorCode: 'ReceiptHandleError',
          ErrorMessage: expect.any(String),
          ReceiptHandle: 'not a handle',
        },
      ]);
      expect(emu.messages('q')).toStrictEqual([]);
    });
  });

  describe('message bodies', () => {
    it('refuses the unescaped body the SDK builds from a<b & "c" as MalformedXML', async () => {
      // Act
      const error = await failure(mns.sendMessage('q', { MessageBody: 'a<b & "c" {"x":1}' }));

      // Assess
      expect(error.name).toBe('MNSMalformedXMLError');
      expect(emu.messages('q')).toStrictEqual([]);
      expect(emu.requests.at(-1)).toStrictEqual({
        operation: 'SendMessage',
        target: 'q',
        status: 400,
        code: 'MalformedXML',
      });
    });

    it('refuses a body holding a character XML 1.0 forbids', async () => {
      // Act
      const error = await failure(mns.sendMessage('q', { MessageBody: 'bell\u0007' }));

      // Assess
      expect(error.name).toBe('MNSMalformedXMLError');
    });

    it('carries an XML-escaped body byte-exact from PublishMessage to a subscribed queue', async () => {
      // Prepare
      const original =
        '{"sql":"SELECT * FROM t WHERE a<b && c>\'d\'","note":"&amp; stays &amp;","who":"数据库 ümlaut","emoji":"😀"}\r\n\tend';
      emu.createTopic('summaries');
      emu.createQueue('inbox');
      emu.subscribeQueue('summaries', 'inbox');

      // Act
      const published = await mns.publishMessage('summaries', {
        MessageBody: xmlEscape(original),
        MessageTag: 'kill',
      });
      const received = await mns.receiveMessage('inbox');

      // Assess
      expect(published.code).toBe(201);
      expect(published.body).toStrictEqual({
        MessageId: expect.any(String),
        MessageBodyMD5: md5Upper(original),
      });
      expect(emu.published('summaries')).toStrictEqual([
        { MessageId: published.body?.MessageId, body: original, tag: 'kill', at: START },
      ]);
      expect(received.body?.MessageBody).toBe(original);
      expect(received.body?.MessageBodyMD5).toBe(md5Upper(original));
    });

    it('records message attributes of a published message', async () => {
      // Prepare
      emu.createTopic('t');

      // Act
      await mns.publishMessage('t', {
        MessageBody: 'x',
        MessageAttributes: { DirectMail: '{"Subject":"s"}' },
      });

      // Assess
      expect(emu.published('t')[0]?.attributes).toStrictEqual({ DirectMail: '{"Subject":"s"}' });
    });

    it('refuses a body above the queue MaximumMessageSize, counted in UTF-8 bytes', async () => {
      // Prepare
      emu.createQueue('small', { MaximumMessageSize: 1024 });

      // Act
      const fits = await mns.sendMessage('small', { MessageBody: 'x'.repeat(1024) });
      const tooLong = await failure(mns.sendMessage('small', { MessageBody: 'x'.repeat(1025) }));
      const tooManyBytes = await failure(
        mns.sendMessage('small', { MessageBody: '😀'.repeat(300) }),
      );

      // Assess
      expect(fits.code).toBe(201);
      expect([tooLong.name, tooManyBytes.name]).toStrictEqual([
        'MNSInvalidArgumentError',
        'MNSInvalidArgumentError',
      ]);
      expect(emu.messages('small')).toHaveLength(1);
    });

    it.each([
      { case: 'a DelaySeconds above 604800', params: { DelaySeconds: 604_801 } },
      { case: 'a Priority of 0', params: { Priority: 0 } },
      { case: 'a Priority of 17', params: { Priority: 17 } },
    ])('refuses $case', async ({ params }) => {
      // Act
      const error = await failure(mns.sendMessage('q', { MessageBody: 'x', ...params }));

      // Assess
      expect(error.name).toBe('MNSInvalidArgumentError');
    });

    it.each([
      {
        case: 'the documented namespace',
        namespace: ' xmlns="http://mns.aliyuncs.com/doc/v1/"',
        status: 201,
      },
      {
        case: 'no trailing slash',
        namespace: ' xmlns="http://mns.aliyuncs.com/doc/v1"',
        status: 201,
      },
      { case: 'no namespace (Go SDK)', namespace: '', status: 201 },
      { case: 'another namespace', namespace: ' xmlns="urn:other"', status: 400 },
    ])('answers $status for $case', async ({ namespace, status }) => {
      // Prepare
      const body = sendBody('x', namespace);
      const target = '/queues/q/messages';

      // Act
      const response = await raw(emu.url, 'POST', target, signed('POST', target, body), body);

      // Assess
      expect(response.status).toBe(status);
    });
  });

  describe('queues and topics over HTTP', () => {
    it('creates a queue, reports its attributes and refuses other attributes for the same name', async () => {
      // Act
      const created = await mns.createQueue('made', { VisibilityTimeout: 60 });
      const again = await mns.createQueue('made', { VisibilityTimeout: 60 });
      const conflict = await failure(mns.createQueue('made', { VisibilityTimeout: 61 }));
      await mns.sendMessage('made', { MessageBody: 'x', DelaySeconds: 5 });
      const attributes = await mns.getQueueAttributes('made');

      // Assess
      expect(created.code).toBe(201);
      expect(created.headers.location).toBe(`${emu.url}/queues/made`);
      expect(again.code).toBe(204);
      expect(conflict.name).toBe('MNSQueueAlreadyExistError');
      expect(attributes.body).toMatchObject({
        QueueName: 'made',
        VisibilityTimeout: '60',
        DelaySeconds: '0',
        MaximumMessageSize: '65536',
        PollingWaitSeconds: '0',
        MessageRetentionPeriod: '345600',
        ActiveMessages: '0',
        DelayMessages: '1',
        InactiveMessages: '0',
      });
    });

    it('refuses a queue attribute out of range', async () => {
      // Act
      const error = await failure(mns.createQueue('bad', { VisibilityTimeout: 0 }));

      // Assess
      expect(error.name).toBe('MNSInvalidArgumentError');
    });

    it('creates a topic over HTTP that PublishMessage then accepts', async () => {
      // Act
      const created = await mns.createTopic('news');
      const published = await mns.publishMessage('news', { MessageBody: 'hello' });

      // Assess
      expect(created.code).toBe(201);
      expect(published.code).toBe(201);
      expect(emu.published('news').map((m) => m.body)).toStrictEqual(['hello']);
    });

    it("drops messages older than the queue's MessageRetentionPeriod", async () => {
      // Prepare
      emu.createQueue('short', { MessageRetentionPeriod: 60 });
      await mns.sendMessage('short', { MessageBody: 'x' });

      // Act
      now += 60_000;
      const error = await failure(mns.receiveMessage('short'));

      // Assess
      expect(error.name).toBe('MNSMessageNotExistError');
      expect(emu.messages('short')).toStrictEqual([]);
    });
  });

  describe('authentication', () => {
    it('accepts an STS key with its security token', async () => {
      // Prepare
      const sts = clientFor(emu, STS);

      // Act
      const sent = await sts.sendMessage('q', { MessageBody: 'sts' });

      // Assess
      expect(sent.code).toBe(201);
    });

    it.each([
      { case: 'a wrong security token', extra: { securityToken: 'CAISwrong' } },
      { case: 'no security token', extra: {} },
    ])('refuses an STS key with $case', async ({ extra }) => {
      // Prepare
      const sts = new MNS(emu.accountId, {
        accessKeyId: STS.accessKeyId,
        accessKeySecret: STS.accessKeySecret,
        endpoint: emu.url,
        ...extra,
      });

      // Act
      const error = await failure(sts.sendMessage('q', { MessageBody: 'sts' }));

      // Assess
      expect(error.name).toBe('MNSInvalidAccessKeyIdError');
      expect(emu.messages('q')).toStrictEqual([]);
    });

    it('refuses the token in x-mns-security-token instead of security-token', async () => {
      // Prepare
      const target = '/queues/q/messages';
      const body = sendBody('x');
      const headers = signed('POST', target, body, {
        cred: STS,
        extraHeaders: { 'x-mns-security-token': must(STS.securityToken) },
      });

      // Act
      const response = await raw(emu.url, 'POST', target, headers, body);

      // Assess
      expect(response.status).toBe(403);
      expect(response.body).toContain('<Code>InvalidAccessKeyId</Code>');
    });

    it('refuses an unknown key and a wrong secret', async () => {
      // Act
      const unknown = await failure(
        clientFor(emu, { accessKeyId: 'LTAIunknown', accessKeySecret: 'x' }).sendMessage('q', {
          MessageBody: 'x',
        }),
      );
      const wrongSecret = await failure(
        clientFor(emu, { accessKeyId: STATIC.accessKeyId, accessKeySecret: 'wrong' }).sendMessage(
          'q',
          { MessageBody: 'x' },
        ),
      );

      // Assess
      expect(unknown.name).toBe('MNSInvalidAccessKeyIdError');
      expect(wrongSecret.name).toBe('MNSSignatureDoesNotMatchError');
      expect(wrongSecret.message).toMatch(/failed with 403\. requestid: [0-9A-F]{24}, hostid: /);
    });

    it('answers errors as MNS XML with the request id in body and header', async () => {
      // Prepare
      const target = '/queues/missing';

      // Act
      const response = await raw(emu.url, 'GET', target, signed('GET', target));

      // Assess
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe('text/xml;charset=utf-8');
      const requestId = response.headers['x-mns-request-id'];
      expect(response.body).toBe(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error xmlns="http://mns.aliyuncs.com/doc/v1/"><Code>QueueNotExist</Code><Message>The queue name you provided is not exist.</Message><RequestId>${String(requestId)}</RequestId><HostId>${emu.url}</HostId></Error>`,
      );
    });

    describe('replaying a captured SDK request', () => {
      let captured: {
        method: string;
        target: string;
        headers: Record<string, string>;
        body: string;
      };

      beforeEach(async () => {
        const capture = await startServer((req, body, res) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(req.headers)) {
            if (
              typeof value === 'string' &&
              !['host', 'connection', 'content-length'].includes(name)
            ) {
              headers[name] = value;
            }
          }
          captured = {
            method: req.method ?? '',
            target: req.url ?? '',
            headers,
            body: body.toString('utf8'),
          };
          res.writeHead(204).end();
        });
        const sdk = new MNS(emu.accountId, {
          accessKeyId: STATIC.accessKeyId,
          accessKeySecret: STATIC.accessKeySecret,
          endpoint: capture.url,
        });
        await sdk.sendMessage('q', { MessageBody: 'original' });
        await capture.close();
        emu.createQueue('other');
      });

      it('accepts the request unchanged', async () => {
        // Act
        const response = await raw(
          emu.url,
          captured.method,
          captured.target,
          captured.headers,
          captured.body,
        );

        // Assess
        expect(response.status).toBe(201);
        expect(emu.messages('q').map((m) => m.body)).toStrictEqual(['original']);
      });

      it('refuses it with InvalidDegist when the body changed', async () => {
        // Act
        const response = await raw(
          emu.url,
          captured.method,
          captured.target,
          captured.headers,
          captured.body.replace('original', 'tampered'),
        );

        // Assess
        expect(response.status).toBe(400);
        expect(response.body).toContain('<Code>InvalidDegist</Code>');
        expect(emu.messages('q')).toStrictEqual([]);
      });

      it('refuses it with SignatureDoesNotMatch when the path changed', async () => {
        // Act
        const response = await raw(
          emu.url,
          captured.method,
          '/queues/other/messages',
          captured.headers,
          captured.body,
        );

        // Assess
        expect(response.status).toBe(403);
        expect(response.body).toContain('<Code>SignatureDoesNotMatch</Code>');
        expect(emu.messages('other')).toStrictEqual([]);
      });

      it('refuses it with SignatureDoesNotMatch when Content-MD5 is dropped', async () => {
        // Prepare
        const { 'content-md5': _dropped, ...headers } = captured.headers;

        // Act
        const response = await raw(
          emu.url,
          captured.method,
          captured.target,
          headers,
          captured.body,
        );

        // Assess
        expect(response.status).toBe(403);
        expect(response.body).toContain('<Code>SignatureDoesNotMatch</Code>');
      });
    });

    it('accepts the RFC 1864 Content-MD5 form as well as the SDK form', async () => {
      // Prepare
      const target = '/queues/q/messages';
      const body = sendBody('rfc');

      // Act
      const response = await raw(
        emu.url,
        'POST',
        target,
        signed('POST', target, body, { md5: 'digest' }),
        body,
      );

      // Assess
      expect(response.status).toBe(201);
    });

    it.each([
      {
        case: 'a Date 20 minutes old',
        headers: () =>
          signed('GET', '/queues/q', '', {
            date: new Date(Date.now() - 20 * 60_000).toUTCString(),
          }),
        status: 408,
        code: 'TimeExpired',
      },
      {
        case: 'a Date that does not parse',
        headers: () => signed('GET', '/queues/q', '', { date: 'yesterday' }),
        status: 400,
        code: 'InvalidDateHeader',
      },
      {
        case: 'no Date',
        headers: () => {
          const { date: _d, 'x-mns-date': _x, ...rest } = signed('GET', '/queues/q');
          return rest;
        },
        status: 400,
        code: 'MissingDateHeader',
      },
      {
        case: 'no x-mns-version',
        headers: () => {
          const { 'x-mns-version': _v, ...rest } = signed('GET', '/queues/q');
          return rest;
        },
        status: 400,
        code: 'InvalidArgument',
      },
      {
        case: 'no Authorization',
        headers: () => {
          const { authorization: _a, ...rest } = signed('GET', '/queues/q');
          return rest;
        },
        status: 400,
        code: 'MissingAuthorizationHeader',
      },
    ])('answers $code for $case', async ({ headers, status, code }) => {
      // Act
      const response = await raw(emu.url, 'GET', '/queues/q', headers());

      // Assess
      expect(response.status).toBe(status);
      expect(response.body).toContain(`<Code>${code}</Code>`);
    });
  });

  describe('faults', () => {
    it('answers a 500 InternalError once, then recovers', async () => {
      // Prepare
      emu.fault({ kind: 'internal-error', operation: 'SendMessage', target: 'q' });

      // Act
      const error = await failure(mns.sendMessage('q', { MessageBody: 'x' }));
      const retried = await mns.sendMessage('q', { MessageBody: 'x' });

      // Assess
      expect(error.name).toBe('MNSInternalErrorError');
      expect(retried.code).toBe(201);
      expect(emu.requests.map((r) => [r.operation, r.status, r.code])).toStrictEqual([
        ['SendMessage', 500, 'InternalError'],
        ['SendMessage', 201, undefined],
      ]);
    });

    it('makes the SDK resolve with an undefined body on an HTML 503', async () => {
      // Prepare
      emu.fault({ kind: 'html-503', operation: 'SendMessage' });

      // Act
      const response = await mns.sendMessage('q', { MessageBody: 'x' });

      // Assess
      expect(response).toStrictEqual({ code: 503, headers: {}, body: undefined });
      expect(emu.messages('q')).toStrictEqual([]);
    });

    it('makes batchReceiveMessage throw a TypeError on an HTML 503', async () => {
      // Prepare
      emu.fault({ kind: 'html-503', operation: 'BatchReceiveMessage' });

      // Act
      const error = await failure(mns.batchReceiveMessage('q', 16));

      // Assess
      expect(error).toBeInstanceOf(TypeError);
    });

    it('answers QpsLimitExceeded on a qps-limit fault', async () => {
      // Prepare
      emu.fault({ kind: 'qps-limit', operation: 'ReceiveMessage', times: 2 });

      // Act
      const first = await failure(mns.receiveMessage('q'));
      const second = await failure(mns.receiveMessage('q'));
      const third = await failure(mns.receiveMessage('q'));

      // Assess
      expect([first.name, second.name, third.name]).toStrictEqual([
        'MNSQpsLimitExceededError',
        'MNSQpsLimitExceededError',
        'MNSMessageNotExistError',
      ]);
      expect(emu.requests[0]).toStrictEqual({
        operation: 'ReceiveMessage',
        target: 'q',
        status: 400,
        code: 'QpsLimitExceeded',
      });
    });

    it('times the SDK out on a hang', async () => {
      // Prepare
      emu.fault({ kind: 'hang', operation: 'PublishMessage' });
      emu.createTopic('t');
      const impatient = clientFor(emu, STATIC, { readTimeout: 300 });

      // Act
      const error = await failure(impatient.publishMessage('t', { MessageBody: 'x' }));

      // Assess
      expect(error.name).toMatch(/RequestTimeout/);
      expect(emu.published('t')).toStrictEqual([]);
      expect(emu.requests.at(-1)).toStrictEqual({
        operation: 'PublishMessage',
        target: 't',
        status: 0,
      });
    });

    it('fails the SDK call on a connection reset', async () => {
      // Prepare
      emu.fault({ kind: 'reset', operation: 'DeleteMessage' });
      await mns.sendMessage('q', { MessageBody: 'x' });
      const handle = must((await mns.receiveMessage('q')).body).ReceiptHandle;

      // Act
      const error = await failure(mns.deleteMessage('q', handle));

      // Assess
      expect(error.message).toMatch(/socket hang up|ECONNRESET/);
      expect(emu.messages('q')).toHaveLength(1);
    });

    it('leaves other targets alone', async () => {
      // Prepare
      emu.createQueue('other');
      emu.fault({ kind: 'internal-error', target: 'other', times: Number.POSITIVE_INFINITY });

      // Act
      const ok = await mns.sendMessage('q', { MessageBody: 'x' });
      const failed = await failure(mns.sendMessage('other', { MessageBody: 'x' }));

      // Assess
      expect(ok.code).toBe(201);
      expect(failed.name).toBe('MNSInternalErrorError');
    });

    it('ends a pending long poll promptly on close', async () => {
      // Prepare
      const pending = failure(mns.receiveMessage('q', 30));
      await sleep(100);
      const started = Date.now();

      // Act
      await emu.close();
      const error = await pending;

      // Assess
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(error.message).toMatch(/socket hang up|ECONNRESET/);
    });
  });
});
