/**
 * Masks the literals of a SQL text, so a summary that lands in a chat group or an alerting system
 * carries the statement's shape but not the data in it (customer names, ids, passwords in
 * `IDENTIFIED BY '…'`). The rules follow the spirit of pt-fingerprint (Percona Toolkit): quoted
 * strings, numbers, hex and bit literals become `?`, and lists of them collapse to `(?+)`.
 */

// One pass over the text, so a quote inside a comment or a number inside a string is consumed by
// the right alternative. Order matters: strings first, then hex/bit literals, then numbers.
const LITERAL = new RegExp(
  [
    String.raw`'(?:[^'\\]|\\.|'')*(?:'|$)`, // single-quoted string, '' and \' escapes, unterminated tail
    String.raw`"(?:[^"\\]|\\.|"")*(?:"|$)`, // double-quoted string (a string in MySQL's default sql_mode)
    String.raw`\b[xX]'[0-9a-fA-F]*'`, // X'4D7953514C'
    String.raw`\b[bB]'[01]*'`, // b'0101'
    String.raw`\b0x[0-9a-fA-F]+\b`, // 0x4D79
    String.raw`(?<![\w$.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w$])`, // 42, 3.14, 1e10, not t1 or db2.x
    String.raw`(?<![\w$])\.\d+(?:[eE][+-]?\d+)?(?![\w$])`, // .5
  ].join('|'),
  'g',
);

const LIST = /\(\s*\?(?:\s*,\s*\?)+\s*\)/g;

export function maskSqlLiterals(sql: string): string {
  return sql.replace(LITERAL, '?').replace(LIST, '(?+)');
}

/** Cuts a text to `max` characters (code points, never half a surrogate pair), marking the cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}
