import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackReceiver, type SlackReceiverOptions } from '../../../emulators/chat/index.js';

// ---- helpers ------------------------------------------------------------------------------

const START = Date.UTC(2024, 0, 1, 8);
const TEXT = { text: 'DAS kill task 42 finished' };

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

async function post(url: string, body: unknown, contentType = 'application/json'): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function section(chars: number): object {
  return { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(chars) } };
}

function header(chars: number, type = 'plain_text'): object {
  return { type: 'header', text: { type, text: 'h'.repeat(chars) } };
}

// ---- tests --------------------------------------------------------------------------------

describe('SlackReceiver', () => {
  let now = START;
  let hook: SlackReceiver;

  async function restart(options: SlackReceiverOptions): Promise<void> {
    await hook.close();
    hook = await SlackReceiver.start({ clock: () => now, ...options });
  }

  beforeEach(async () => {
    now = START;
    // A burst large enough that only the rate tests meet the limiter.
    hook = await SlackReceiver.start({ clock: () => now, burst: 1_000 });
  });
  afterEach(() => hook.close());

  it('accepts and records a text message with 200 ok', async () => {
    // Act
    const reply = await post(hook.url, TEXT);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(reply.text).toBe('ok');
    expect(hook.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/services\/T000\/B000\/XXXX$/);
    expect(hook.messages).toStrictEqual([
      { body: TEXT, raw: JSON.stringify(TEXT), target: '/services/T000/B000/XXXX', at: START },
    ]);
    expect(hook.attempts).toMatchObject([{ status: 200, code: 'ok', outcome: 'accepted' }]);
  });

  it('accepts a form post with a payload field', async () => {
    // Act
    const form = new URLSearchParams({ payload: JSON.stringify(TEXT) }).toString();
    const reply = await post(hook.url, form, 'application/x-www-form-urlencoded');

    // Assess
    expect(reply.text).toBe('ok');
    expect(hook.messages[0]?.body).toStrictEqual(TEXT);
  });

  it('accepts blocks without text', async () => {
    const message = {
      blocks: [
        header(20),
        { type: 'divider' },
        { type: 'section', fields: [{ type: 'mrkdwn', text: '*Killed*\n3' }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'task 42' }] },
        { type: 'markdown', text: '**done**' },
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Open' }, url: 'https://x' },
          ],
        },
        { type: 'image', image_url: 'https://x/p.png', alt_text: 'chart' },
      ],
    };
    expect((await post(hook.url, message)).text).toBe('ok');
  });

  it('refuses an unknown webhook path with 404 no_service', async () => {
    // Act
    const reply = await post(hook.url.replace(/XXXX$/, 'YYYY'), TEXT);

    // Assess
    expect([reply.status, reply.text]).toStrictEqual([404, 'no_service']);
    expect(hook.messages).toHaveLength(0);
  });

  it.each([
    { case: 'a body that is not JSON', body: 'text=hi', status: 400, error: 'invalid_payload' },
    { case: 'a JSON array', body: '[]', status: 400, error: 'invalid_payload' },
    { case: 'a numeric text', body: { text: 42 }, status: 400, error: 'invalid_payload' },
    { case: 'an empty message', body: {}, status: 400, error: 'no_text' },
    {
      case: 'empty text and no blocks',
      body: { text: '', blocks: [] },
      status: 400,
      error: 'no_text',
    },
    {
      case: 'blocks that are not a list',
      body: { blocks: {} },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      case: 'an unknown block type',
      body: { blocks: [{ type: 'table' }] },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      case: 'a mrkdwn header',
      body: { blocks: [header(10, 'mrkdwn')] },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      case: 'a section with nothing',
      body: { blocks: [{ type: 'section' }] },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      case: 'eleven section fields',
      body: {
        blocks: [
          {
            type: 'section',
            fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })),
          },
        ],
      },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      case: 'an empty text object',
      body: { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '' } }] },
      status: 400,
      error: 'invalid_blocks',
    },
  ])('refuses $case with $status $error', async ({ body, status, error }) => {
    // Act
    const reply = await post(hook.url, body);

    // Assess
    expect([reply.status, reply.text]).toStrictEqual([status, error]);
    expect(hook.messages).toHaveLength(0);
    expect(hook.attempts).toMatchObject([{ status, code: error, outcome: 'refused' }]);
  });

  it.each([
    {
      limit: 'text of 40,000 characters',
      at: { text: 'x'.repeat(40_000) },
      over: { text: 'x'.repeat(40_001) },
      status: 413,
      error: 'msg_too_long',
    },
    {
      limit: '50 blocks',
      at: { blocks: Array.from({ length: 50 }, () => ({ type: 'divider' })) },
      over: { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      limit: 'section text of 3,000 characters',
      at: { blocks: [section(3_000)] },
      over: { blocks: [section(3_001)] },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      limit: 'a header of 150 characters',
      at: { blocks: [header(150)] },
      over: { blocks: [header(151)] },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      limit: 'a markdown block of 12,000 characters',
      at: { blocks: [{ type: 'markdown', text: 'm'.repeat(12_000) }] },
      over: { blocks: [{ type: 'markdown', text: 'm'.repeat(12_001) }] },
      status: 400,
      error: 'invalid_blocks',
    },
    {
      limit: 'a section field of 2,000 characters',
      at: {
        blocks: [{ type: 'section', fields: [{ type: 'plain_text', text: 'f'.repeat(2_000) }] }],
      },
      over: {
        blocks: [{ type: 'section', fields: [{ type: 'plain_text', text: 'f'.repeat(2_001) }] }],
      },
      status: 400,
      error: 'invalid_blocks',
    },
  ])(
    'accepts $limit and refuses one more with $status $error',
    async ({ at, over, status, error }) => {
      // Act
      const atLimit = await post(hook.url, at);
      const overLimit = await post(hook.url, over);

      // Assess
      expect([atLimit.status, atLimit.text]).toStrictEqual([200, 'ok']);
      expect([overLimit.status, overLimit.text]).toStrictEqual([status, error]);
      expect(hook.messages).toHaveLength(1);
    },
  );

  it('counts characters, not UTF-16 units or bytes, in the 150-character header', async () => {
    // '🔥' is 2 UTF-16 units and 4 bytes.
    const reply = await post(hook.url, {
      blocks: [{ type: 'header', text: { type: 'plain_text', text: '🔥'.repeat(150) } }],
    });
    expect(reply.text).toBe('ok');
  });

  it('tolerates a burst of 5, then 1 message per second, with 429 and Retry-After', async () => {
    // Prepare
    await restart({});
    for (let i = 0; i < 5; i += 1) expect((await post(hook.url, TEXT)).status).toBe(200);

    // Act
    const sixth = await post(hook.url, TEXT);
    now = START + 999;
    const tooSoon = await post(hook.url, TEXT);
    now = START + 1_000;
    const refilled = await post(hook.url, TEXT);
    const afterRefill = await post(hook.url, TEXT);
    now = START + 6_000;
    const burstAgain = [];
    for (let i = 0; i < 6; i += 1) burstAgain.push((await post(hook.url, TEXT)).status);

    // Assess
    expect([sixth.status, sixth.text, sixth.headers.get('retry-after')]).toStrictEqual([
      429,
      'rate_limited',
      '1',
    ]);
    expect(tooSoon.status).toBe(429);
    expect(refilled.status).toBe(200);
    expect(afterRefill.status).toBe(429);
    expect(burstAgain).toStrictEqual([200, 200, 200, 200, 200, 429]);
    expect(hook.messages).toHaveLength(11);
  });

  it('answers Slack channel errors and transport faults as scripted, then serves normally', async () => {
    // Prepare
    hook.fail(
      { status: 410, body: 'channel_is_archived' },
      { status: 429, body: 'rate_limited', retryAfter: '30' },
      { hang: true },
      { reset: true },
    );

    // Act
    const archived = await post(hook.url, TEXT);
    const limited = await post(hook.url, TEXT);
    await expect(
      fetch(hook.url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    await expect(post(hook.url, TEXT)).rejects.toThrow(TypeError);
    const normal = await post(hook.url, TEXT);

    // Assess
    expect([archived.status, archived.text]).toStrictEqual([410, 'channel_is_archived']);
    expect([limited.status, limited.headers.get('retry-after')]).toStrictEqual([429, '30']);
    expect(normal.text).toBe('ok');
    expect(hook.messages).toHaveLength(1);
    expect(hook.attempts.map((a) => a.fault ?? a.outcome)).toStrictEqual([
      'status',
      'status',
      'hang',
      'reset',
      'accepted',
    ]);
  });
});

describe('SlackReceiver.start', () => {
  it.each([
    { case: 'an unknown option', options: { url: 'x' }, message: /unknown option "url"/ },
    { case: 'a path outside /services', options: { path: '/hooks/x' }, message: /path/ },
    { case: 'a zero burst', options: { burst: 0 }, message: /burst/ },
    { case: 'a clock that is not a function', options: { clock: 5 }, message: /clock/ },
  ])('throws a TypeError on $case', async ({ options, message }) => {
    await expect(SlackReceiver.start(options as never)).rejects.toThrow(message);
  });

  it('serves the given path', async () => {
    const hook = await SlackReceiver.start({ path: '/services/T1/B2/abc' });
    try {
      expect(hook.url).toMatch(/\/services\/T1\/B2\/abc$/);
      expect((await post(hook.url, TEXT)).text).toBe('ok');
    } finally {
      await hook.close();
    }
  });
});
