/**
 * Lark/Feishu custom bot, `interactive` card: a header with a colour template and `lark_md` text
 * blocks, and a button to the DAS console (custom bot guide, anchors.md 3.3). The request body may
 * be at most 20 KB (Feishu custom-bot guide: 请求体的数据大小不能超过 20 KB); `timestamp` and `sign`
 * are added by the sink.
 */
import type { Notice } from '../content.js';
import {
  digestLines,
  digestTitle,
  fitted,
  markdownDialect,
  sections,
  titleLine,
  utf8Bytes,
} from './common.js';
import type { ChatRenderer } from './types.js';

/** The card's budget, leaving room under 20 KB (20 x 1024) for `timestamp` and `sign`. */
export const LARK_CARD_BYTES = 19_000;

const TEMPLATE = { critical: 'red', warning: 'orange', info: 'green' } as const;

const dialect = markdownDialect();

function card(
  title: string,
  template: string,
  blocks: string[],
  url?: string,
): Record<string, unknown> {
  const elements: unknown[] = blocks.map((content) => ({
    tag: 'div',
    text: { tag: 'lark_md', content },
  }));
  if (url !== undefined) {
    elements.push({
      tag: 'action',
      actions: [
        {
          tag: 'button',
          text: { tag: 'plain_text', content: 'Open in the DAS console' },
          url,
          type: 'primary',
        },
      ],
    });
  }
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { title: { tag: 'plain_text', content: title }, template },
      elements,
    },
  };
}

const bytes = (value: unknown) => utf8Bytes(JSON.stringify(value));

export function larkRenderer(): ChatRenderer {
  return {
    platform: 'lark',
    single(notice: Notice) {
      // The last section is the console link: the button carries it instead.
      const blocks = (detail: Parameters<typeof sections>[2]) =>
        sections(notice, dialect, detail).slice(0, -1);
      const build = (detail: Parameters<typeof sections>[2]) =>
        card(titleLine(notice), TEMPLATE[notice.severity], blocks(detail), notice.consoleUrl);
      return fitted(build, bytes, LARK_CARD_BYTES, (detail) =>
        card(
          titleLine(notice),
          TEMPLATE[notice.severity],
          blocks(detail).slice(0, 3),
          notice.consoleUrl,
        ),
      );
    },
    digest(notices) {
      const title = digestTitle(notices);
      const worst = notices.some((n) => n.severity === 'critical')
        ? 'critical'
        : notices.some((n) => n.severity === 'warning')
          ? 'warning'
          : 'info';
      const { lines, included } = digestLines(
        notices,
        dialect,
        LARK_CARD_BYTES,
        bytes(card(title, 'red', [''])) + 64,
      );
      return { body: card(title, TEMPLATE[worst], [lines.join('\n')]), included };
    },
  };
}
