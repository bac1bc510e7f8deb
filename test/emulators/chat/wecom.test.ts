import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WeComReceiver, type WeComReceiverOptions } from '../../../emulators/chat/index.js';

// ---- helpers ------------------------------------------------------------------------------

const START = Date.UTC(2024, 0, 1, 8);
const TEXT = { msgtype: 'text', text: { content: 'DAS kill task 42 finished' } };
const OK = { errcode: 0, errmsg: 'ok' };

interface Reply {
  status: number;
  body: { errcode?: number; errmsg?: string };
}

async function post(url: string, body: unknown): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

/** `bytes` UTF-8 bytes made mostly of 3-byte characters, so bytes and characters differ. */
function contentOfBytes(bytes: number): string {
  const text = '中'.repeat(Math.floor(bytes / 3)) + 'x'.repeat(bytes % 3);
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

// ---- tests --------------------------------------------------------------------------------

describe('WeComReceiver', () => {
  let now = START;
  let robot: WeComReceiver;

  async function restart(options: WeComReceiverOptions): Promise<void> {
    await robot.close();
    robot = await WeComReceiver.start({ clock: () => now, ...options });
  }

  beforeEach(async () => {
    now = START;
    robot = await WeComReceiver.start({ clock: () => now });
  });
  afterEach(() => robot.close());

  it('accepts and records a text message', async () => {
    // Act
    const reply = await post(robot.url, TEXT);

    // Assess
    expect(reply).toStrictEqual({ status: 200, body: OK });
    expect(robot.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/webhook\/send\?key=[\w-]+$/);
    expect(robot.messages).toStrictEqual([
      {
        body: TEXT,
        raw: JSON.stringify(TEXT),
        target: robot.url.replace(/^http:\/\/[^/]+/, ''),
        at: START,
      },
    ]);
    expect(robot.attempts).toMatchObject([{ status: 200, code: 0, outcome: 'accepted' }]);
  });

  it.each([
    { case: 'a wrong key', url: (r: WeComReceiver) => r.url.replace(/key=.*$/, 'key=0000') },
    { case: 'no key', url: (r: WeComReceiver) => r.url.replace(/\?key=.*$/, '') },
  ])('refuses $case with 93000 invalid webhook url', async ({ url }) => {
    // Act
    const reply = await post(url(robot), TEXT);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body.errcode).toBe(93000);
    expect(reply.body.errmsg).toMatch(
      /^invalid webhook url, hint: \[\d+\], from ip: 127\.0\.0\.1, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=93000$/,
    );
    expect(robot.messages).toHaveLength(0);
  });

  it('accepts text content of 2048 UTF-8 bytes and refuses 2049 with 40058', async () => {
    // Act
    const atLimit = await post(robot.url, {
      msgtype: 'text',
      text: { content: contentOfBytes(2048) },
    });
    const overLimit = await post(robot.url, {
      msgtype: 'text',
      text: { content: contentOfBytes(2049) },
    });
    // 683 characters only, but 2049 bytes: WeCom counts bytes.
    const fewChars = await post(robot.url, {
      msgtype: 'text',
      text: { content: '中'.repeat(683) },
    });

    // Assess
    expect(atLimit.body).toStrictEqual(OK);
    expect(overLimit.body.errcode).toBe(40058);
    expect(overLimit.body.errmsg).toMatch(
      /^text\.content exceed max length 2048\. invalid Request Parameter, hint: /,
    );
    expect(fewChars.body.errcode).toBe(40058);
    expect(robot.messages).toHaveLength(1);
  });

  it.each(['markdown', 'markdown_v2'])(
    'accepts %s content of 4096 UTF-8 bytes and refuses 4097 with 40058',
    async (msgtype) => {
      // Act
      const atLimit = await post(robot.url, {
        msgtype,
        [msgtype]: { content: contentOfBytes(4096) },
      });
      const overLimit = await post(robot.url, {
        msgtype,
        [msgtype]: { content: contentOfBytes(4097) },
      });

      // Assess
      expect(atLimit.body).toStrictEqual(OK);
      expect(overLimit.body.errcode).toBe(40058);
      expect(overLimit.body.errmsg).toMatch(
        new RegExp(`^${msgtype}\\.content exceed max length 4096\\.`),
      );
    },
  );

  it('honours textMaxBytes for the larger limit the live server was seen to use', async () => {
    // Prepare
    await restart({ textMaxBytes: 5120 });

    // Act
    const atLimit = await post(robot.url, {
      msgtype: 'text',
      text: { content: contentOfBytes(5120) },
    });
    const overLimit = await post(robot.url, {
      msgtype: 'text',
      text: { content: contentOfBytes(5121) },
    });

    // Assess
    expect(atLimit.body.errcode).toBe(0);
    expect(overLimit.body.errmsg).toMatch(/exceed max length 5120/);
  });

  it.each([
    { case: 'a body that is not JSON', body: '{"msgtype":', errcode: 47001 },
    {
      case: 'a Lark-shaped body',
      body: { msg_type: 'text', content: { text: 'x' } },
      errcode: 40008,
    },
    {
      case: 'an upper-case msgtype',
      body: { msgtype: 'Text', Text: { content: 'x' } },
      errcode: 40008,
    },
    { case: 'a text without content', body: { msgtype: 'text', text: {} }, errcode: 40035 },
    {
      case: 'empty text content',
      body: { msgtype: 'text', text: { content: '' } },
      errcode: 44004,
    },
    {
      case: 'a mentioned_list that is not a list',
      body: { msgtype: 'text', text: { content: 'x', mentioned_list: '@all' } },
      errcode: 40035,
    },
    {
      case: 'nine news articles',
      body: {
        msgtype: 'news',
        news: { articles: Array.from({ length: 9 }, () => ({ title: 't', url: 'https://x' })) },
      },
      errcode: 40058,
    },
    {
      case: 'a news article without url',
      body: { msgtype: 'news', news: { articles: [{ title: 't' }] } },
      errcode: 40035,
    },
    {
      case: 'an image without md5',
      body: { msgtype: 'image', image: { base64: 'AAAA' } },
      errcode: 40035,
    },
  ])('refuses $case with $errcode', async ({ body, errcode }) => {
    // Act
    const reply = await post(robot.url, body);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body.errcode).toBe(errcode);
    expect(reply.body.errmsg).toContain(
      `more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
    );
    expect(robot.messages).toHaveLength(0);
  });

  it.each([
    {
      msgtype: 'text',
      text: { content: 'killed', mentioned_list: ['@all'], mentioned_mobile_list: ['13800001111'] },
    },
    {
      msgtype: 'markdown',
      markdown: { content: '<font color="warning">3</font> sessions killed' },
    },
    {
      msgtype: 'news',
      news: {
        articles: Array.from({ length: 8 }, (_, i) => ({
          title: `t${i}`,
          url: 'https://das.example',
        })),
      },
    },
    {
      msgtype: 'image',
      image: { base64: 'iVBORw0KGgo=', md5: 'd41d8cd98f00b204e9800998ecf8427e' },
    },
    { msgtype: 'file', file: { media_id: '3a8asd892asd8asd' } },
    {
      msgtype: 'template_card',
      template_card: { card_type: 'text_notice', main_title: { title: 'DAS' } },
    },
  ])('accepts a well-formed $msgtype message', async (message) => {
    // Act
    const reply = await post(robot.url, message);

    // Assess
    expect(reply.body).toStrictEqual(OK);
    expect(robot.messages[0]?.body).toStrictEqual(message);
  });

  it('refuses the 21st message in a minute with 45009 and lifts it when the window moves', async () => {
    // Prepare
    for (let i = 0; i < 20; i += 1) {
      now = START + i * 2_000;
      expect((await post(robot.url, TEXT)).body.errcode).toBe(0);
    }

    // Act
    now = START + 59_999;
    const over = await post(robot.url, TEXT);
    now = START + 60_000; // the first message has left the window: one slot
    const lifted = await post(robot.url, TEXT);
    const overAgain = await post(robot.url, TEXT);

    // Assess
    expect(over.body.errcode).toBe(45009);
    expect(over.body.errmsg).toMatch(/^api freq out of limit, hint: /);
    expect(lifted.body.errcode).toBe(0);
    expect(overAgain.body.errcode).toBe(45009);
    expect(robot.messages).toHaveLength(21);
  });

  it('answers scripted faults in order, then serves normally', async () => {
    // Prepare
    robot.fail({ status: 502, body: '<html>bad gateway</html>' }, { hang: true }, { reset: true });

    // Act
    const gateway = await fetch(robot.url, { method: 'POST', body: JSON.stringify(TEXT) });
    await expect(
      fetch(robot.url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    await expect(post(robot.url, TEXT)).rejects.toThrow(TypeError);
    const normal = await post(robot.url, TEXT);

    // Assess
    expect(gateway.status).toBe(502);
    expect(gateway.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await gateway.text()).toBe('<html>bad gateway</html>');
    expect(normal.body).toStrictEqual(OK);
    expect(robot.attempts.map((a) => a.outcome)).toStrictEqual([
      'fault',
      'fault',
      'fault',
      'accepted',
    ]);
  });
});

describe('WeComReceiver.start', () => {
  it.each([
    { case: 'an unknown option', options: { secret: 'x' }, message: /unknown option "secret"/ },
    { case: 'a fractional limit', options: { textMaxBytes: 1.5 }, message: /textMaxBytes/ },
    { case: 'an empty key', options: { key: '' }, message: /key/ },
  ])('throws a TypeError on $case', async ({ options, message }) => {
    await expect(WeComReceiver.start(options as never)).rejects.toThrow(message);
  });

  it('uses the given key in its url', async () => {
    const robot = await WeComReceiver.start({ key: 'k-1' });
    try {
      expect(robot.url).toMatch(/\?key=k-1$/);
    } finally {
      await robot.close();
    }
  });
});
