import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DingTalkReceiver, dingtalkSign } from '../../../emulators/chat/index.js';

// ---- helpers ------------------------------------------------------------------------------

const START = Date.UTC(2024, 0, 1, 8);
const SECRET = 'SECb4c3e5f0a1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8';
const TEXT = { msgtype: 'text', text: { content: 'DAS kill task 42 finished' } };

interface Reply {
  status: number;
  contentType: string | null;
  body: { errcode?: number; errmsg?: string };
}

async function post(url: string, body: unknown, contentType = 'application/json'): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as Reply['body'],
  };
}

function signed(robot: DingTalkReceiver, timestamp: number, secret = SECRET): string {
  return `${robot.url}&timestamp=${timestamp}&sign=${dingtalkSign(secret, timestamp)}`;
}

// ---- tests --------------------------------------------------------------------------------

describe('dingtalkSign', () => {
  it('matches the recipe computed independently with node:crypto and with openssl', () => {
    // Prepare
    const timestamp = 1_700_000_000_000;
    const byHand = createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64');

    // Act
    const sign = dingtalkSign(SECRET, timestamp);

    // Assess: `printf '%s\n%s' "$TS" "$S" | openssl dgst -sha256 -hmac "$S" -binary | base64`
    expect(sign).toBe(encodeURIComponent(byHand));
    expect(sign).toBe('2b6Wv5F4fokxDX%2FGrWsiv7kR2UgVZp8J8CC4TChVzKw%3D');
  });
});

describe('DingTalkReceiver', () => {
  let now = START;
  let robot: DingTalkReceiver;

  beforeEach(async () => {
    now = START;
    robot = await DingTalkReceiver.start({ secret: SECRET, clock: () => now });
  });
  afterEach(() => robot.close());

  it('accepts and records a correctly signed text message', async () => {
    // Act
    const reply = await post(signed(robot, now - 5_000), TEXT);

    // Assess
    expect(reply).toStrictEqual({
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: { errcode: 0, errmsg: 'ok' },
    });
    expect(robot.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/robot\/send\?access_token=[0-9a-f]{64}$/,
    );
    expect(robot.messages).toHaveLength(1);
    expect(robot.messages[0]).toMatchObject({ body: TEXT, raw: JSON.stringify(TEXT), at: START });
    expect(robot.messages[0]?.target).toContain(`&timestamp=${START - 5_000}&sign=`);
    expect(robot.attempts).toMatchObject([{ status: 200, code: 0, outcome: 'accepted' }]);
  });

  it.each([
    {
      case: 'a tampered sign',
      url: (r: DingTalkReceiver) => signed(r, START).replace(/sign=./, 'sign=A'),
    },
    {
      case: 'a sign made with another secret',
      url: (r: DingTalkReceiver) => signed(r, START, 'SECother'),
    },
    { case: 'no timestamp and sign', url: (r: DingTalkReceiver) => r.url },
    {
      case: 'a sign for another timestamp',
      url: (r: DingTalkReceiver) =>
        `${r.url}&timestamp=${START}&sign=${dingtalkSign(SECRET, START + 1)}`,
    },
  ])('refuses $case with 310000 sign not match and records nothing', async ({ url }) => {
    // Act
    const reply = await post(url(robot), TEXT);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body.errcode).toBe(310000);
    expect(reply.body.errmsg).toContain('机器人发送签名不匹配');
    expect(robot.messages).toHaveLength(0);
    expect(robot.attempts).toMatchObject([{ status: 200, code: 310000, outcome: 'refused' }]);
  });

  it('refuses a sign left un-encoded when its base64 holds a "+"', async () => {
    // Prepare: the query parser reads "+" as a space, exactly as DingTalk does.
    let timestamp = START;
    while (!decodeURIComponent(dingtalkSign(SECRET, timestamp)).includes('+')) timestamp += 1;
    const raw = decodeURIComponent(dingtalkSign(SECRET, timestamp));

    // Act
    const reply = await post(`${robot.url}&timestamp=${timestamp}&sign=${raw}`, TEXT);

    // Assess
    expect(reply.body.errcode).toBe(310000);
  });

  it('accepts a timestamp exactly 1 hour off and refuses one 1 ms more', async () => {
    // Act
    const edge = await post(signed(robot, START - 3_600_000), TEXT);
    const future = await post(signed(robot, START + 3_600_000), TEXT);
    const stale = await post(signed(robot, START - 3_600_001), TEXT);
    const early = await post(signed(robot, START + 3_600_001), TEXT);

    // Assess
    expect(edge.body).toStrictEqual({ errcode: 0, errmsg: 'ok' });
    expect(future.body).toStrictEqual({ errcode: 0, errmsg: 'ok' });
    expect(stale.body.errcode).toBe(310000);
    expect(stale.body.errmsg).toMatch(/^invalid timestamp/);
    expect(early.body.errcode).toBe(310000);
    expect(robot.messages).toHaveLength(2);
  });

  it('refuses a wrong access_token with 300001', async () => {
    // Act
    const reply = await post(
      signed(robot, START).replace(/access_token=\w+/, 'access_token=f00'),
      TEXT,
    );

    // Assess
    expect(reply).toMatchObject({
      status: 200,
      body: { errcode: 300001, errmsg: 'token is not exist' },
    });
    expect(robot.messages).toHaveLength(0);
  });

  it.each([
    {
      case: 'a non-JSON content type',
      body: JSON.stringify(TEXT),
      type: 'text/plain',
      errcode: 43004,
    },
    {
      case: 'a body that is not JSON',
      body: '{"msgtype":',
      type: 'application/json',
      errcode: 40035,
    },
    { case: 'a JSON array', body: '[]', type: 'application/json', errcode: 40035 },
    {
      case: 'an unknown msgtype',
      body: { msgtype: 'image', image: {} },
      type: 'application/json',
      errcode: 400105,
    },
    {
      case: 'no msgtype',
      body: { text: { content: 'x' } },
      type: 'application/json',
      errcode: 400105,
    },
    {
      case: 'a markdown without title',
      body: { msgtype: 'markdown', markdown: { text: 'x' } },
      type: 'application/json',
      errcode: 400402,
    },
    {
      case: 'a markdown without text',
      body: { msgtype: 'markdown', markdown: { title: 'x' } },
      type: 'application/json',
      errcode: 400403,
    },
    {
      case: 'a text without content',
      body: { msgtype: 'text', text: {} },
      type: 'application/json',
      errcode: 400402,
    },
    {
      case: 'a link without messageUrl',
      body: { msgtype: 'link', link: { title: 't', text: 'x' } },
      type: 'application/json',
      errcode: 400402,
    },
    {
      case: 'an actionCard without buttons',
      body: { msgtype: 'actionCard', actionCard: { title: 't', text: 'x' } },
      type: 'application/json',
      errcode: 400402,
    },
    {
      case: 'an empty feedCard',
      body: { msgtype: 'feedCard', feedCard: { links: [] } },
      type: 'application/json',
      errcode: 400402,
    },
    {
      case: 'atMobiles that is not a list',
      body: { ...TEXT, at: { atMobiles: '138' } },
      type: 'application/json',
      errcode: 400402,
    },
  ])('refuses $case with errcode $errcode', async ({ body, type, errcode }) => {
    // Act
    const reply = await post(signed(robot, START), body, type);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body.errcode).toBe(errcode);
    expect(robot.messages).toHaveLength(0);
  });

  it.each([
    {
      msgtype: 'markdown',
      markdown: { title: 'DAS', text: '### Task 42\n- killed: **3**' },
      at: { isAtAll: false },
    },
    {
      msgtype: 'link',
      link: { title: 'DAS', text: 'Task 42', messageUrl: 'https://das.example/42', picUrl: '' },
    },
    {
      msgtype: 'actionCard',
      actionCard: {
        title: 'DAS',
        text: 'Task 42',
        singleTitle: 'Open',
        singleURL: 'https://das.example/42',
      },
    },
    {
      msgtype: 'actionCard',
      actionCard: {
        title: 'DAS',
        text: 'Task 42',
        btnOrientation: '1',
        btns: [{ title: 'Open', actionURL: 'https://das.example/42' }],
      },
    },
    {
      msgtype: 'feedCard',
      feedCard: {
        links: [
          {
            title: 'Task 42',
            messageURL: 'https://das.example/42',
            picURL: 'https://das.example/p.png',
          },
        ],
      },
    },
    {
      msgtype: 'text',
      text: { content: '@138 killed' },
      at: { atMobiles: ['138'], atUserIds: [], isAtAll: false },
    },
  ])('accepts a well-formed $msgtype message', async (message) => {
    // Act
    const reply = await post(signed(robot, START), message);

    // Assess
    expect(reply.body).toStrictEqual({ errcode: 0, errmsg: 'ok' });
    expect(robot.messages[0]?.body).toStrictEqual(message);
  });

  it('throttles the robot for 10 minutes after the 21st message in a minute', async () => {
    // Prepare: 20 messages over 57 s are all accepted.
    for (let i = 0; i < 20; i += 1) {
      now = START + i * 3_000;
      expect((await post(signed(robot, now), TEXT)).body.errcode).toBe(0);
    }

    // Act
    now = START + 59_999;
    const over = await post(signed(robot, now), TEXT);
    now = START + 61_000; // the window has moved on, the throttle has not
    const stillThrottled = await post(signed(robot, now), TEXT);
    now = START + 59_999 + 600_000 - 1;
    const lastThrottledMs = await post(signed(robot, now), TEXT);
    now = START + 59_999 + 600_000;
    const after = await post(signed(robot, now), TEXT);

    // Assess
    expect(over.body).toStrictEqual({
      errcode: 130101,
      errmsg: 'send too fast, exceed 20 times per minute',
    });
    expect(stillThrottled.body.errcode).toBe(130101);
    expect(lastThrottledMs.body.errcode).toBe(130101);
    expect(after.body.errcode).toBe(0);
    expect(robot.messages).toHaveLength(21);
  });

  it('lets the 21st message through when the first has left the 60 s window', async () => {
    // Prepare
    for (let i = 0; i < 20; i += 1) {
      now = START + i * 1_000;
      await post(signed(robot, now), TEXT);
    }

    // Act
    now = START + 60_000;
    const reply = await post(signed(robot, now), TEXT);

    // Assess
    expect(reply.body.errcode).toBe(0);
  });

  it('answers scripted faults in order, then serves normally', async () => {
    // Prepare
    robot.fail(
      { status: 503, body: 'busy', retryAfter: 7 },
      { status: 200, body: '{"errcode":-1,"errmsg":"系统繁忙"}' },
      { hang: true },
      { reset: true },
    );

    // Act
    const unavailable = await fetch(signed(robot, START), { method: 'POST', body: '{}' });
    const busy = await post(signed(robot, START), TEXT);
    const hung = fetch(signed(robot, START), {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(200),
    });
    await expect(hung).rejects.toThrow();
    await expect(post(signed(robot, START), TEXT)).rejects.toThrow(TypeError);
    const normal = await post(signed(robot, START), TEXT);

    // Assess
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('7');
    expect(await unavailable.text()).toBe('busy');
    expect(busy.body).toStrictEqual({ errcode: -1, errmsg: '系统繁忙' });
    expect(normal.body.errcode).toBe(0);
    expect(robot.messages).toHaveLength(1);
    expect(robot.attempts.map((a) => [a.outcome, a.fault, a.status])).toStrictEqual([
      ['fault', 'status', 503],
      ['fault', 'status', 200],
      ['fault', 'hang', undefined],
      ['fault', 'reset', undefined],
      ['accepted', undefined, 200],
    ]);
  });
});

describe('DingTalkReceiver with keywords', () => {
  it('refuses a message without a keyword and accepts one with it', async () => {
    // Prepare
    const robot = await DingTalkReceiver.start({ keywords: ['DAS', '告警'] });
    try {
      // Act
      const without = await post(robot.url, { msgtype: 'text', text: { content: 'hello' } });
      const inTitle = await post(robot.url, {
        msgtype: 'markdown',
        markdown: { title: 'DAS 告警', text: 'task 42' },
      });

      // Assess
      expect(without.body.errcode).toBe(310000);
      expect(without.body.errmsg).toMatch(/^keywords not in content/);
      expect(inTitle.body.errcode).toBe(0);
      expect(robot.messages).toHaveLength(1);
    } finally {
      await robot.close();
    }
  });

  it('accepts unsigned messages when no secret is configured', async () => {
    const robot = await DingTalkReceiver.start({ accessToken: 'abc' });
    try {
      expect(robot.url).toMatch(/\/robot\/send\?access_token=abc$/);
      expect((await post(robot.url, TEXT)).body.errcode).toBe(0);
    } finally {
      await robot.close();
    }
  });
});

describe('DingTalkReceiver.start', () => {
  it.each([
    {
      case: 'an unknown option',
      options: { acessToken: 'x' },
      message: /unknown option "acessToken"/,
    },
    {
      case: 'a secret without SEC',
      options: { secret: 'abc' },
      message: /secret must start with "SEC"/,
    },
    {
      case: 'eleven keywords',
      options: { keywords: Array.from({ length: 11 }, (_, i) => `k${i}`) },
      message: /keywords/,
    },
  ])('throws a TypeError on $case', async ({ options, message }) => {
    await expect(DingTalkReceiver.start(options as never)).rejects.toThrow(message);
  });
});
