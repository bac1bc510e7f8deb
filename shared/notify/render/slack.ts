/**
 * Slack incoming webhook: `{"text", "blocks"}`, `text` the notification fallback. Block Kit limits
 * (anchors.md 3.5, docs.slack.dev): at most 50 blocks, section text 3000 characters, header
 * plain_text 150 characters; `mrkdwn` escapes `&`, `<`, `>`; links are `<url|text>`.
 */
import type { Notice } from '../content.js';
import {
  type Dialect,
  digestLine,
  digestOrder,
  digestTitle,
  sections,
  titleLine,
} from './common.js';
import type { ChatRenderer } from './types.js';

export const SLACK_HEADER_CHARS = 150;
export const SLACK_SECTION_CHARS = 3000;
export const SLACK_MAX_BLOCKS = 50;

const mrkdwnEscape = (t: string) =>
  t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const dialect: Dialect = {
  bold: (t) => `*${t}*`,
  code: (t) => `\`${t.replace(/`/g, "'")}\``,
  link: (t, url) => `<${url}|${t}>`,
  escape: (t) => mrkdwnEscape(t.replace(/\s+/g, ' ')),
  severity: (_notice, t) => t,
};

/** Cuts to `max` characters (code points), marking the cut. */
function chars(text: string, max: number): string {
  const all = Array.from(text);
  return all.length <= max ? text : `${all.slice(0, max - 1).join('')}…`;
}

const section = (text: string) => ({
  type: 'section',
  text: { type: 'mrkdwn', text: chars(text, SLACK_SECTION_CHARS) },
});

export function slackRenderer(): ChatRenderer {
  return {
    platform: 'slack',
    single(notice: Notice) {
      const parts = sections(notice, dialect, { examples: 3, top: true, otherReasons: true });
      const meta = parts.slice(-2, -1);
      const body = parts.slice(0, -2);
      const blocks: unknown[] = [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: chars(titleLine(notice), SLACK_HEADER_CHARS),
            emoji: true,
          },
        },
        ...body.slice(0, SLACK_MAX_BLOCKS - 3).map(section),
        {
          type: 'context',
          elements: meta.map((text) => ({
            type: 'mrkdwn',
            text: chars(text, SLACK_SECTION_CHARS),
          })),
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in the DAS console' },
              url: notice.consoleUrl,
            },
          ],
        },
      ];
      return {
        text: chars(`${titleLine(notice)}: ${notice.headline}`, SLACK_SECTION_CHARS),
        blocks,
      };
    },
    digest(notices) {
      const title = digestTitle(notices);
      const blocks: unknown[] = [
        {
          type: 'header',
          text: { type: 'plain_text', text: chars(title, SLACK_HEADER_CHARS), emoji: true },
        },
      ];
      const included: Notice[] = [];
      let current = '';
      for (const notice of digestOrder(notices)) {
        const line = chars(digestLine(notice, dialect), SLACK_SECTION_CHARS);
        if (current !== '' && Array.from(`${current}\n${line}`).length > SLACK_SECTION_CHARS) {
          // The section is full; stop when no block is left for another one.
          if (blocks.length + 2 > SLACK_MAX_BLOCKS) break;
          blocks.push(section(current));
          current = line;
        } else {
          current = current === '' ? line : `${current}\n${line}`;
        }
        included.push(notice);
      }
      if (current !== '') blocks.push(section(current));
      return { body: { text: title, blocks }, included };
    },
  };
}
