import { describe, expect, it } from 'vitest';
import { noticeOf } from '../../../shared/notify/content.js';
import { DINGTALK_TEXT_BYTES, dingtalkRenderer } from '../../../shared/notify/render/dingtalk.js';
import { LARK_CARD_BYTES, larkRenderer } from '../../../shared/notify/render/lark.js';
import {
  SLACK_HEADER_CHARS,
  SLACK_MAX_BLOCKS,
  SLACK_SECTION_CHARS,
  slackRenderer,
} from '../../../shared/notify/render/slack.js';
import type { ChatRenderer } from '../../../shared/notify/render/types.js';
import { WECOM_MARKDOWN_BYTES, wecomRenderer } from '../../../shared/notify/render/wecom.js';
import { buildSummary } from '../../../shared/summary/build.js';
import { RDS_REQUEST, result, session, T0 } from '../../helpers/factories.js';
import { CONSOLE, sampleEvents } from '../../helpers/notices.js';

const RENDERERS: ChatRenderer[] = [
  dingtalkRenderer({ keyword: 'DAS' }),
  larkRenderer(),
  wecomRenderer(),
  slackRenderer(),
];
const events = sampleEvents();
const notices = Object.fromEntries(
  Object.entries(events).map(([name, event]) => [name, noticeOf(event, CONSOLE)]),
);

const golden = (platform: string, name: string) => `golden/${platform}-${name}.json`;

describe.each(RENDERERS)('$platform renderer', (renderer) => {
  it.each(Object.keys(notices))('renders the %s notice as the golden file says', async (name) => {
    const body = renderer.single(notices[name] as never);
    await expect(`${JSON.stringify(body, null, 2)}\n`).toMatchFileSnapshot(
      golden(renderer.platform, name),
    );
  });

  it('renders a digest of several notices, critical first, as the golden file says', async () => {
    const { body, included } = renderer.digest(Object.values(notices) as never);
    expect(included).toHaveLength(Object.keys(notices).length);
    await expect(`${JSON.stringify(body, null, 2)}\n`).toMatchFileSnapshot(
      golden(renderer.platform, 'digest'),
    );
  });
});

describe('platform limits', () => {
  // 200 failed sessions with long SQL, long names and multi-byte text: far over every limit.
  const huge = noticeOf(
    buildSummary(
      {
        task: RDS_REQUEST,
        outcome: 'FAILURE',
        result: result({
          TaskState: 'FAILURE',
          Result: Array.from({ length: 200 }, (_, i) =>
            session({
              Id: i,
              User: `用户_${i}_${'x'.repeat(60)}`,
              Reason: i % 2 ? 'SESSION_OTHER_ERROR' : 'SESSION_NO_PERMISSION',
              Info: `SELECT '${'数据'.repeat(300)}' FROM t${i}`,
            }),
          ),
        }),
        checks: 9,
        startedAt: T0,
        finishedAt: T0 + 1000,
      },
      { maxFailedSessions: 200, showSqlLiterals: true },
    ),
    CONSOLE,
  );
  const many = Array.from({ length: 300 }, (_, i) => ({
    ...huge,
    id: `id-${i}`,
    time: new Date(T0 + i).toISOString(),
  }));
  const bytes = (v: unknown) => Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v));

  it('keeps WeCom markdown within 4096 bytes, for one notice and for a digest', () => {
    const single = wecomRenderer().single(huge) as { markdown: { content: string } };
    const digest = wecomRenderer().digest(many).body as { markdown: { content: string } };
    expect(bytes(single.markdown.content)).toBeLessThanOrEqual(WECOM_MARKDOWN_BYTES);
    expect(bytes(digest.markdown.content)).toBeLessThanOrEqual(WECOM_MARKDOWN_BYTES);
    expect(single.markdown.content).toContain('FAILURE');
  });

  it('keeps Slack within 50 blocks, 3000-character sections and a 150-character header', () => {
    for (const body of [slackRenderer().single(huge), slackRenderer().digest(many).body]) {
      const blocks = (body as { blocks: Array<{ type: string; text?: { text: string } }> }).blocks;
      expect(blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS);
      for (const block of blocks) {
        const limit = block.type === 'header' ? SLACK_HEADER_CHARS : SLACK_SECTION_CHARS;
        if (block.text) expect(Array.from(block.text.text).length).toBeLessThanOrEqual(limit);
      }
    }
  });

  it('keeps the Lark card and the DingTalk text within their budgets', () => {
    expect(bytes(larkRenderer().single(huge))).toBeLessThanOrEqual(LARK_CARD_BYTES);
    expect(bytes(larkRenderer().digest(many).body)).toBeLessThanOrEqual(LARK_CARD_BYTES);
    const ding = dingtalkRenderer().single(huge) as { markdown: { text: string } };
    expect(bytes(ding.markdown.text)).toBeLessThanOrEqual(DINGTALK_TEXT_BYTES);
  });

  it('says which notices a full digest left out, so they wait for the next one', () => {
    const { included } = wecomRenderer().digest(many);
    expect(included.length).toBeGreaterThan(0);
    expect(included.length).toBeLessThan(many.length);
  });
});
