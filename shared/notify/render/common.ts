/**
 * What the four chat renderers share: the sections of a notice in reading order, written in a
 * platform's markdown dialect, and cut to a byte budget by dropping the least important parts
 * first (examples, then top lists, then other reasons), never the outcome, counts or advice.
 */
import type { Notice } from '../content.js';

export interface Dialect {
  bold(text: string): string;
  code(text: string): string;
  link(text: string, url: string): string;
  /** Escapes what the dialect would otherwise interpret. */
  escape(text: string): string;
  /** Colours or marks a severity word where the platform can. */
  severity(notice: Pick<Notice, 'severity' | 'status'>, text: string): string;
}

/**
 * The markdown most robots read: `**bold**`, `[text](url)`, one line per item. No code spans and no
 * colours unless a platform has them (DingTalk's and Lark's subsets have neither).
 */
export function markdownDialect(overrides: Partial<Dialect> = {}): Dialect {
  return {
    bold: (t) => `**${t}**`,
    code: (t) => t,
    link: (t, url) => `[${t}](${url})`,
    escape: (t) => t.replace(/\s+/g, ' '),
    severity: (_notice, t) => t,
    ...overrides,
  };
}

export const SEVERITY_MARK = { critical: '🔴', warning: '🟠', info: '🟢' } as const;

export function statusPrefix(notice: Pick<Notice, 'status'>): string {
  return notice.status === 'firing'
    ? '[FIRING] '
    : notice.status === 'resolved'
      ? '[RESOLVED] '
      : '';
}

/** `🔴 [RESOLVED] FAILURE · kill task on …` */
export function titleLine(notice: Notice): string {
  return `${SEVERITY_MARK[notice.severity]} ${statusPrefix(notice)}${notice.title}`;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes on a code point, marking the cut with `…`. */
export function cutBytes(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let out = '';
  let used = utf8Bytes('…');
  for (const char of text) {
    const size = utf8Bytes(char);
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return `${out}…`;
}

export interface Detail {
  /** How many example sessions to show per failure reason. */
  readonly examples: number;
  readonly top: boolean;
  readonly otherReasons: boolean;
}

/** From most to least detailed: the renderer tries each until the message fits. */
export const DETAIL_LEVELS: readonly Detail[] = [
  { examples: 3, top: true, otherReasons: true },
  { examples: 1, top: true, otherReasons: true },
  { examples: 1, top: false, otherReasons: true },
  { examples: 0, top: false, otherReasons: false },
];

function topLine(
  label: string,
  entries: ReadonlyArray<{ Name: string; Sessions: number }>,
  d: Dialect,
): string | undefined {
  if (entries.length === 0) return undefined;
  return `${label}: ${entries.map((e) => `${d.escape(e.Name)} (${e.Sessions})`).join(', ')}`;
}

/** The body sections after the title, in reading order. */
export function sections(notice: Notice, d: Dialect, detail: Detail): string[] {
  const out: string[] = [d.severity(notice, d.bold(d.escape(notice.headline)))];
  if (notice.advice !== undefined) out.push(`${d.bold('What to do:')} ${d.escape(notice.advice)}`);
  if (notice.error !== undefined) {
    const requestId =
      notice.error.RequestId === undefined ? '' : ` (request ${d.code(notice.error.RequestId)})`;
    out.push(
      `${d.bold('Error:')} ${d.code(notice.error.Code)}: ${d.escape(notice.error.Message)}${requestId}`,
    );
  }
  for (const group of notice.failures) {
    const lines = [
      `${d.bold(`${group.label} (${group.reason}): ${group.count}`)}, ${d.escape(group.advice)}`,
    ];
    for (const s of group.examples.slice(0, detail.examples)) {
      const who = [s.User, s.Host].filter((v) => v !== undefined).join('@');
      const info = s.Info === undefined || s.Info === '' ? '' : ` ${d.code(s.Info)}`;
      lines.push(
        `- #${s.Id ?? '?'} ${d.escape(who)} ${d.escape(s.Db ?? '')} ${s.Time ?? '?'} s${info}`,
      );
    }
    out.push(lines.join('\n'));
  }
  if (detail.otherReasons && notice.otherReasons.length > 0) {
    out.push(notice.otherReasons.map((r) => `${d.escape(r.label)}: ${r.count}`).join(' · '));
  }
  if (detail.top) {
    const tops = [
      topLine('Users', notice.top.users, d),
      topLine('Client hosts', notice.top.hosts, d),
      topLine('Databases', notice.top.dbs, d),
    ].filter((l): l is string => l !== undefined);
    if (tops.length > 0) out.push(tops.join('\n'));
  }
  const node = notice.task.NodeId === undefined ? '' : ` · node ${d.code(notice.task.NodeId)}`;
  const masked = notice.sqlMasked ? ' · SQL literals masked' : '';
  out.push(
    `instance ${d.code(notice.task.InstanceId)}${node} · task ${d.code(notice.task.TaskId)}${masked}`,
  );
  out.push(d.link('Open in the DAS console', notice.consoleUrl));
  return out;
}

/**
 * Renders at the most detailed level that fits `maxBytes` as measured by `measure`, and cuts the
 * least detailed one if even that does not fit.
 */
export function fitted<T>(
  render: (detail: Detail) => T,
  measure: (value: T) => number,
  maxBytes: number,
  cut: (detail: Detail) => T,
): T {
  for (const detail of DETAIL_LEVELS) {
    const value = render(detail);
    if (measure(value) <= maxBytes) return value;
  }
  return cut(DETAIL_LEVELS[DETAIL_LEVELS.length - 1] as Detail);
}

/** One line of a digest: `🔴 FAILURE · kill task on … · 0/6 killed · 6 failed · 5 s`. */
export function digestLine(notice: Notice, d: Dialect): string {
  const text = `${statusPrefix(notice)}${notice.title} · ${notice.headline} · task ${notice.task.TaskId}`;
  return `${SEVERITY_MARK[notice.severity]} ${d.escape(text)} ${d.link('console', notice.consoleUrl)}`;
}

export function digestTitle(notices: readonly Notice[]): string {
  const count = (s: string) => notices.filter((n) => n.severity === s).length;
  const parts = [
    ['critical', count('critical')],
    ['warning', count('warning')],
    ['info', count('info')],
  ]
    .filter(([, n]) => (n as number) > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `das-kill-tracker digest: ${notices.length} notices (${parts.join(', ')})`;
}

/** Critical first, then warning, then info; oldest first within each. */
export function digestOrder(notices: readonly Notice[]): Notice[] {
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  return [...notices].sort(
    // ISO times sort as strings; localeCompare would build ICU's collator for nothing.
    (a, b) =>
      rank[a.severity] - rank[b.severity] || (a.time < b.time ? -1 : a.time > b.time ? 1 : 0),
  );
}

/**
 * Lines of a digest that fit `maxBytes` with `overhead` bytes already used, in order of severity
 * (critical first). Returns the notices included, so the rest stay pending.
 */
export function digestLines(
  notices: readonly Notice[],
  d: Dialect,
  maxBytes: number,
  overhead: number,
): { lines: string[]; included: Notice[] } {
  const ordered = digestOrder(notices);
  const lines: string[] = [];
  const included: Notice[] = [];
  let used = overhead;
  for (const notice of ordered) {
    const line = digestLine(notice, d);
    const size = utf8Bytes(line) + 1;
    if (used + size > maxBytes && included.length > 0) break;
    lines.push(line);
    included.push(notice);
    used += size;
  }
  return { lines, included };
}
