/**
 * DingTalk custom robot, `markdown` message: `{"msgtype":"markdown","markdown":{"title","text"}}`
 * (custom robot doc, anchors.md 3.2). `title` is what the notification shows. No size limit is
 * published (anchors.md 3.8: "keep short"); the budget below is ours. If the robot is secured by
 * a keyword, every message must contain it: DINGTALK_KEYWORD is added to the footer.
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

/** Our budget for `markdown.text`: no published limit. */
export const DINGTALK_TEXT_BYTES = 5000;

// DingTalk's markdown subset has no code spans (custom robot doc, supported syntax list).
const dialect = markdownDialect();

function footer(keyword: string | undefined): string {
  const base = 'das-kill-tracker';
  return keyword === undefined || base.includes(keyword) ? base : `${base} · ${keyword}`;
}

export function dingtalkRenderer(options: { keyword?: string | undefined } = {}): ChatRenderer {
  const tail = `\n\n###### ${footer(options.keyword)}`;
  return {
    platform: 'dingtalk',
    single(notice: Notice) {
      const title = titleLine(notice);
      const text = (parts: string[]) => `#### ${title}\n\n${parts.join('\n\n')}${tail}`;
      const body = fitted(
        (detail) => text(sections(notice, dialect, detail)),
        utf8Bytes,
        DINGTALK_TEXT_BYTES,
        (detail) =>
          `${cutBytes(text(sections(notice, dialect, detail)), DINGTALK_TEXT_BYTES - utf8Bytes(tail))}${tail}`,
      );
      return { msgtype: 'markdown', markdown: { title: cutBytes(title, 100), text: body } };
    },
    digest(notices) {
      const title = digestTitle(notices);
      const head = `#### ${title}\n\n`;
      const { lines, included } = digestLines(
        notices,
        dialect,
        DINGTALK_TEXT_BYTES,
        utf8Bytes(head + tail),
      );
      const text = `${head}${lines.map((l) => `- ${l}`).join('\n')}${tail}`;
      return { body: { msgtype: 'markdown', markdown: { title, text } }, included };
    },
  };
}
