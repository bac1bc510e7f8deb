import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LarkReceiver, type LarkReceiverOptions, larkSign } from '../../../emulators/chat/index.js';

// ---- helpers ------------------------------------------------------------------------------

const START = Date.UTC(2024, 0, 1, 8);
const START_S = START / 1000;
const SECRET = 'lark-secret-0001';
const TEXT = { msg_type: 'text', content: { text: 'DAS kill task 42 finished' } };
const SUCCESS = { StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' };

interface Reply {
  status: number;
  headers: Headers;
  body: { code?: number; msg?: string };
}

async function post(url: string, body: unknown): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

function signedBody(timestampS: number, message: object = TEXT, secret = SECRET): object {
  return { timestamp: String(timestampS), sign: larkSign(secret, timestampS), ...message };
}

/** A text message whose JSON body is exactly `bytes` long. */
function bodyOfSize(bytes: number): string {
  const empty = JSON.stringify({ msg_type: 'text', content: { text: '' } });
  const text = 'x'.repeat(bytes - Buffer.byteLength(empty));
  const body = JSON.stringify({ msg_type: 'text', content: { text } });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

// ---- tests --------------------------------------------------------------------------------

describe('larkSign', () => {
  it('signs the empty message with key "timestamp\\nsecret", as computed with node:crypto and openssl', () => {
    // Prepare
    const timestamp = 1_700_000_000;
    const byHand = createHmac('sha256', `${timestamp}\n${SECRET}`).update('').digest('base64');

    // Act
    const sign = larkSign(SECRET, timestamp);

    // Assess: `printf '' | openssl dgst -sha256 -hmac "$(printf '%s\n%s' $TS $SECRET)" -binary | base64`
    expect(sign).toBe(byHand);
    expect(sign).toBe('M9p86i40qPj/lIp98nI9oVDMKQn5aSfLD5uY1StshaQ=');
  });
});

describe('LarkReceiver', () => {
  let now = START;
  let bot: LarkReceiver;

  async function restart(options: LarkReceiverOptions): Promise<void> {
    await bot.close();
    bot = await LarkReceiver.start({ clock: () => now, ...options });
  }

  beforeEach(async () => {
    now = START;
    bot = await LarkReceiver.start({ secret: SECRET, clock: () => now });
  });
  afterEach(() => bot.close());

  it('accepts and records a correctly signed text message', async () => {
    // Prepare
    const body = signedBody(START_S - 30);

    // Act
    const reply = await post(bot.url, body);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toStrictEqual(SUCCESS);
    expect(bot.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/open-apis\/bot\/v2\/hook\/[\w-]+$/);
    expect(bot.messages).toStrictEqual([
      { body, raw: JSON.stringify(body), target: new URL(bot.url).pathname, at: START },
    ]);
    expect(bot.attempts).toMatchObject([{ status: 200, code: 0, outcome: 'accepted' }]);
  });

  it('accepts a numeric timestamp', async () => {
    const reply = await post(bot.url, { ...signedBody(START_S), timestamp: START_S });
    expect(reply.body.code).toBe(0);
  });

  it.each([
    {
      case: 'a tampered sign',
      body: () => ({ ...signedBody(START_S), sign: larkSign(SECRET, START_S + 1) }),
    },
    { case: 'a sign made with another secret', body: () => signedBody(START_S, TEXT, 'other') },
    { case: 'no sign', body: () => ({ timestamp: String(START_S), ...TEXT }) },
    { case: 'no timestamp', body: () => ({ sign: larkSign(SECRET, START_S), ...TEXT }) },
    {
      case: 'a millisecond timestamp',
      body: () => ({ ...TEXT, timestamp: String(START), sign: larkSign(SECRET, START) }),
    },
    {
      case: 'a DingTalk-style sign',
      body: () => ({
        ...TEXT,
        timestamp: String(START_S),
        sign: createHmac('sha256', SECRET).update(`${START_S}\n${SECRET}`).digest('base64'),
      }),
    },
  ])('refuses $case with 19021', async ({ body }) => {
    // Act
    const reply = await post(bot.url, body());

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toStrictEqual({
      code: 19021,
      data: {},
      msg: 'sign match fail or timestamp is not within one hour from current time',
    });
    expect(bot.messages).toHaveLength(0);
  });

  it('accepts a timestamp exactly 1 hour off and refuses one 1 s more', async () => {
    // Act
    const past = await post(bot.url, signedBody(START_S - 3_600));
    const future = await post(bot.url, signedBody(START_S + 3_600));
    const stale = await post(bot.url, signedBody(START_S - 3_601));
    const early = await post(bot.url, signedBody(START_S + 3_601));

    // Assess
    expect([past, future, stale, early].map((r) => r.body.code)).toStrictEqual([
      0, 0, 19021, 19021,
    ]);
  });

  it('refuses an unknown hook id with 19001', async () => {
    // Act
    const reply = await post(bot.url.replace(/[\w-]+$/, 'not-this-hook'), signedBody(START_S));

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toStrictEqual({
      code: 19001,
      data: {},
      msg: 'param invalid: incoming webhook access token invalid',
    });
  });

  it('accepts a 20 KB body and refuses one byte more with 9499', async () => {
    // Prepare
    await restart({});

    // Act
    const atLimit = await post(bot.url, bodyOfSize(20 * 1024));
    const overLimit = await post(bot.url, bodyOfSize(20 * 1024 + 1));

    // Assess
    expect(atLimit.body.code).toBe(0);
    expect(overLimit.body).toStrictEqual({ code: 9499, data: {}, msg: 'Bad Request' });
    expect(bot.messages).toHaveLength(1);
  });

  it('honours maxBodyBytes', async () => {
    await restart({ maxBodyBytes: 100 });
    expect((await post(bot.url, bodyOfSize(100))).body.code).toBe(0);
    expect((await post(bot.url, bodyOfSize(101))).body.code).toBe(9499);
  });

  it.each([
    { case: 'a body that is not JSON', body: '{"msg_type":' },
    { case: 'an unknown msg_type', body: { msg_type: 'markdown', content: { text: 'x' } } },
    { case: 'a text without content.text', body: { msg_type: 'text', content: {} } },
    { case: 'a post without locales', body: { msg_type: 'post', content: { post: {} } } },
    { case: 'an interactive without card', body: { msg_type: 'interactive' } },
  ])('refuses $case with 9499', async ({ body }) => {
    // Prepare
    await restart({});

    // Act
    const reply = await post(bot.url, body);

    // Assess
    expect(reply.body.code).toBe(9499);
    expect(bot.messages).toHaveLength(0);
  });

  it.each([
    {
      msg_type: 'post',
      content: { post: { zh_cn: { title: 'DAS', content: [[{ tag: 'text', text: 'task 42' }]] } } },
    },
    {
      msg_type: 'interactive',
      card: {
        header: { title: { tag: 'plain_text', content: 'DAS' }, template: 'red' },
        elements: [{ tag: 'div', text: { tag: 'lark_md', content: '**42**' } }],
      },
    },
    { msg_type: 'interactive', card: JSON.stringify({ elements: [] }) },
    { msg_type: 'image', content: { image_key: 'img_v2_0001' } },
    { msg_type: 'share_chat', content: { share_chat_id: 'oc_0001' } },
  ])('accepts a well-formed $msg_type message', async (message) => {
    // Prepare
    await restart({});

    // Act
    const reply = await post(bot.url, message);

    // Assess
    expect(reply.body).toStrictEqual(SUCCESS);
    expect(bot.messages[0]?.body).toStrictEqual(message);
  });

  it('refuses a message without a keyword with 19024 and accepts one with it', async () => {
    // Prepare
    await restart({ keywords: ['DAS'] });

    // Act
    const without = await post(bot.url, { msg_type: 'text', content: { text: 'hello' } });
    const withKeyword = await post(bot.url, TEXT);

    // Assess
    expect(without.body).toStrictEqual({ code: 19024, data: {}, msg: 'Key Words Not Found' });
    expect(withKeyword.body.code).toBe(0);
  });

  it('refuses the 6th message in a second with 11232 and lifts it a second later', async () => {
    // Prepare
    for (let i = 0; i < 5; i += 1) {
      now = START + i * 100;
      expect((await post(bot.url, signedBody(START_S))).body.code).toBe(0);
    }

    // Act
    now = START + 999;
    const sixth = await post(bot.url, signedBody(START_S));
    now = START + 1_000;
    const next = await post(bot.url, signedBody(START_S));

    // Assess
    expect(sixth.status).toBe(200);
    expect(sixth.body.code).toBe(11232);
    expect(sixth.body.msg).toMatch(/^frequency limited/);
    expect(next.body.code).toBe(0);
    expect(bot.messages).toHaveLength(6);
  });

  it('refuses the 101st message in a minute and lifts it when the first leaves the window', async () => {
    // Prepare: 100 messages at 5 per second fill the minute in 20 s.
    for (let i = 0; i < 100; i += 1) {
      now = START + Math.floor(i / 5) * 1_000 + (i % 5);
      expect((await post(bot.url, signedBody(START_S))).body.code).toBe(0);
    }

    // Act
    now = START + 59_999;
    const over = await post(bot.url, signedBody(START_S));
    now = START + 60_000;
    const lifted = await post(bot.url, signedBody(START_S));

    // Assess
    expect(over.body.code).toBe(11232);
    expect(lifted.body.code).toBe(0);
  });

  it('answers the gateway style with 429, 99991400 and x-ogw-ratelimit headers', async () => {
    // Prepare
    await restart({ rateLimitStyle: 'gateway' });
    for (let i = 0; i < 5; i += 1) await post(bot.url, TEXT);

    // Act
    const reply = await post(bot.url, TEXT);

    // Assess
    expect(reply.status).toBe(429);
    expect(reply.body).toStrictEqual({ code: 99991400, msg: 'request trigger frequency limit' });
    expect(reply.headers.get('x-ogw-ratelimit-limit')).toBe('5');
    expect(reply.headers.get('x-ogw-ratelimit-reset')).toBe('1');
    expect(bot.attempts.at(-1)).toMatchObject({ status: 429, code: 99991400, outcome: 'refused' });
  });

  it('answers scripted faults in order, then serves normally', async () => {
    // Prepare
    bot.fail(
      {
        status: 429,
        body: '{"code":99991400,"msg":"request trigger frequency limit"}',
        headers: { 'x-ogw-ratelimit-reset': '3' },
      },
      { hang: true },
      { reset: true },
    );

    // Act
    const limited = await post(bot.url, signedBody(START_S));
    await expect(
      fetch(bot.url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    await expect(post(bot.url, signedBody(START_S))).rejects.toThrow(TypeError);
    const normal = await post(bot.url, signedBody(START_S));

    // Assess
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(limited.headers.get('x-ogw-ratelimit-reset')).toBe('3');
    expect(limited.body.code).toBe(99991400);
    expect(normal.body.code).toBe(0);
    expect(bot.messages).toHaveLength(1);
    expect(bot.attempts.map((a) => a.fault)).toStrictEqual(['status', 'hang', 'reset', undefined]);
  });
});

describe('LarkReceiver.start', () => {
  it.each([
    { case: 'an unknown option', options: { hookid: 'x' }, message: /unknown option "hookid"/ },
    { case: 'a hook id with a slash', options: { hookId: 'a/b' }, message: /hookId/ },
    { case: 'a zero body limit', options: { maxBodyBytes: 0 }, message: /maxBodyBytes/ },
    {
      case: 'an unknown rate style',
      options: { rateLimitStyle: 'http' },
      message: /rateLimitStyle/,
    },
  ])('throws a TypeError on $case', async ({ options, message }) => {
    await expect(LarkReceiver.start(options as never)).rejects.toThrow(message);
  });

  it('uses the given hook id in its url', async () => {
    const bot = await LarkReceiver.start({ hookId: 'hook-123' });
    try {
      expect(bot.url).toMatch(/\/open-apis\/bot\/v2\/hook\/hook-123$/);
      expect((await post(bot.url, TEXT)).body.code).toBe(0);
    } finally {
      await bot.close();
    }
  });
});
