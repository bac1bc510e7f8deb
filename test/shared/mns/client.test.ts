import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MnsEmulator } from '../../../emulators/mns/index.js';
import { MnsRejectedError, MnsUnavailableError } from '../../../shared/errors.js';
import { escapeXml, MnsAdapter } from '../../../shared/mns/client.js';
import { createMnsSdk, mnsEndpoint } from '../../../shared/mns/sdk.js';

const ROLE = {
  accessKeyId: 'STS.NUTestRole0001',
  accessKeySecret: 'TestRoleSecret0000000001',
  securityToken: 'CAIStok+/==',
};
let now = Date.UTC(2026, 11, 4, 6, 0, 0);
let mns: MnsEmulator;
let adapter: MnsAdapter;

beforeAll(async () => {
  mns = await MnsEmulator.start({
    accountId: '1648821913960001',
    credentials: [ROLE],
    clock: () => now,
  });
  mns.createQueue('track', { VisibilityTimeout: 30 });
  mns.createTopic('summaries');
  mns.createQueue('subscriber');
  mns.subscribeQueue('summaries', 'subscriber');
  adapter = new MnsAdapter(await createMnsSdk(new URL(mns.url), ROLE, 2000));
});

afterAll(() => mns.close());

describe('MnsAdapter', () => {
  it('publishes a body with &, <, quotes and non-ASCII text that subscribers receive byte-exact', async () => {
    // Prepare
    const body = JSON.stringify({
      Info: `SELECT * FROM t WHERE a < 5 && b > 'x' AND c = "y" -- 张三 😀 ]]> &amp; </MessageBody>`,
    });
    // Act
    await adapter.publishMessage('summaries', body);
    const [received] = await adapter.batchReceive('subscriber', 16, 0);
    // Assess
    expect(mns.published('summaries').at(-1)?.body).toBe(body);
    expect(received?.body).toBe(body);
    expect(Buffer.from(received?.body ?? '').equals(Buffer.from(body))).toBe(true);
  });

  it('sends a delayed message that becomes visible only after its delay', async () => {
    await adapter.sendMessage('track', 'aGVsbG8=', 20);
    expect(await adapter.batchReceive('track', 16, 0)).toEqual([]);
    now += 21_000;
    const [message] = await adapter.batchReceive('track', 16, 0);
    expect(message).toMatchObject({ body: 'aGVsbG8=', dequeueCount: 1 });
    expect(message?.firstDequeueTime).toBe(now);
  });

  it('hides a message with ChangeMessageVisibility, whose new handle works and whose old one is dead', async () => {
    await adapter.sendMessage('track', 'Y2hhbmdl', 0);
    const [message] = await adapter.batchReceive('track', 16, 0);
    if (message === undefined) throw new Error('no message');
    const changed = await adapter.changeVisibility('track', message.receiptHandle, 120);
    expect(changed.receiptHandle).not.toBe(message.receiptHandle);
    expect(changed.nextVisibleTime).toBe(now + 120_000);
    await expect(adapter.deleteMessage('track', message.receiptHandle)).rejects.toMatchObject({
      code: 'MessageNotExist',
    });
    await adapter.deleteMessage('track', changed.receiptHandle);
    expect(mns.messages('track').filter((m) => m.body === 'Y2hhbmdl')).toEqual([]);
  });

  it('answers an empty queue with an empty list, not an error', async () => {
    expect(await adapter.batchReceive('track', 16, 0)).toEqual([]);
  });

  it('reports a missing queue as permanent and a 500 as transient', async () => {
    await expect(adapter.sendMessage('no-such-queue', 'eA==', 0)).rejects.toBeInstanceOf(
      MnsRejectedError,
    );
    mns.fault({ kind: 'internal-error', operation: 'SendMessage' });
    await expect(adapter.sendMessage('track', 'eA==', 0)).rejects.toBeInstanceOf(
      MnsUnavailableError,
    );
  });

  it('does not mistake a non-XML 503 (which the SDK resolves) for success', async () => {
    mns.fault({ kind: 'html-503', operation: 'PublishMessage' });
    await expect(adapter.publishMessage('summaries', '{}')).rejects.toMatchObject({
      code: 'HTTP503',
      retryable: true,
    });
  });

  it('reports a connection reset as transient', async () => {
    mns.fault({ kind: 'reset', operation: 'SendMessage' });
    await expect(adapter.sendMessage('track', 'eA==', 0)).rejects.toBeInstanceOf(
      MnsUnavailableError,
    );
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters and nothing else', () => {
    expect(escapeXml(`a&b<c>d"e'f 张`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f 张');
  });
});

describe('mnsEndpoint', () => {
  it('prefers MNS_ENDPOINT and otherwise derives it from the FC context', () => {
    expect(
      mnsEndpoint({ configured: new URL('http://127.0.0.1:1'), accountId: '1', region: 'cn-x' })
        .href,
    ).toBe('http://127.0.0.1:1/');
    expect(
      mnsEndpoint({ configured: undefined, accountId: '1648', region: 'cn-hangzhou' }).href,
    ).toBe('https://1648.mns.cn-hangzhou.aliyuncs.com/');
    expect(() => mnsEndpoint({ configured: undefined })).toThrow(/MNS_ENDPOINT/);
  });
});
