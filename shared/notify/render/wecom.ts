/**
 * WeCom (Enterprise WeChat) group robot, `markdown` message: `{"msgtype":"markdown","markdown":
 * {"content"}}`, content at most 4096 bytes UTF-8, colours `<font color="info|comment|warning">`
 * (群机器人配置说明, https://work.weixin.qq.com/api/doc/90000/90136/91770; anchors.md 3.4).
 */
import type { Notice } from '../content.js';
import {
  cutBytes,
  digestLines,
  digestTitle,
  fitted,
  markdownDialect,
  sections,
  titleLine,
  utf8Bytes,
} from './common.js';
import type { ChatRenderer } from './types.js';

export const WECOM_MARKDOWN_BYTES = 4096;

const COLOR = { critical: 'warning', warning: 'warning', info: 'info' } as const;

const dialect = markdownDialect({
  code: (t) => `\`${t.replace(/`/g, "'")}\``,
  escape: (t) => t.replace(/\s+/g, ' ').replace(/</g, '＜'),
  severity: (notice, t) => `<font color="${COLOR[notice.severity]}">${t}</font>`,
});

export function wecomRenderer(): ChatRenderer {
  return {
    platform: 'wecom',
    single(notice: Notice) {
      const text = (parts: string[]) => `## ${titleLine(notice)}\n${parts.join('\n')}`;
      const content = fitted(
        (detail) => text(sections(notice, dialect, detail)),
        utf8Bytes,
        WECOM_MARKDOWN_BYTES,
        (detail) => cutBytes(text(sections(notice, dialect, detail)), WECOM_MARKDOWN_BYTES),
      );
      return { msgtype: 'markdown', markdown: { content } };
    },
    digest(notices) {
      const head = `## ${digestTitle(notices)}\n`;
      const { lines, included } = digestLines(
        notices,
        dialect,
        WECOM_MARKDOWN_BYTES,
        utf8Bytes(head),
      );
      return {
        body: {
          msgtype: 'markdown',
          markdown: { content: cutBytes(`${head}${lines.join('\n')}`, WECOM_MARKDOWN_BYTES) },
        },
        included,
      };
    },
  };
}
