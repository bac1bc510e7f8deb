import { describe, expect, it } from 'vitest';
import { maskSqlLiterals, truncate } from '../../../shared/summary/mask.js';

describe('maskSqlLiterals', () => {
  it.each([
    ["SELECT * FROM t WHERE name = 'Zhang San'", 'SELECT * FROM t WHERE name = ?'],
    ["UPDATE t SET note = 'it''s \\'quoted\\'' WHERE id = 7", 'UPDATE t SET note = ? WHERE id = ?'],
    ['SELECT "double" , 3.14, 1e10, .5, -2', 'SELECT ? , ?, ?, ?, -?'],
    ["INSERT INTO t VALUES (0x4D79, X'4D', b'0101')", 'INSERT INTO t VALUES (?+)'],
    [
      'SELECT id FROM t1 JOIN db2.t3 USING (c4) WHERE k IN (1, 2, 3)',
      'SELECT id FROM t1 JOIN db2.t3 USING (c4) WHERE k IN (?+)',
    ],
    ["ALTER USER 'app'@'%' IDENTIFIED BY 'S3cret!'", 'ALTER USER ?@? IDENTIFIED BY ?'],
    ["SELECT '张三 & <b>' FROM dual", 'SELECT ? FROM dual'],
    ["SELECT 'unterminated", 'SELECT ?'],
    ['SELECT sleep(60)', 'SELECT sleep(?)'],
  ])('masks %s', (sql, masked) => {
    expect(maskSqlLiterals(sql)).toBe(masked);
  });

  it('leaves identifiers with digits and statements without literals alone', () => {
    expect(maskSqlLiterals('SHOW PROCESSLIST')).toBe('SHOW PROCESSLIST');
    expect(maskSqlLiterals('SELECT col_1, t2.c3 FROM s4.t5')).toBe(
      'SELECT col_1, t2.c3 FROM s4.t5',
    );
  });
});

describe('truncate', () => {
  it('cuts long text on a code point and marks the cut', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('😀😀😀', 2)).toBe('😀…');
    expect(truncate('short', 10)).toBe('short');
  });
});
