// Parser: the AST of good queries, and errors that point at the fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery, QuerySyntaxError, versionKey } from '../../../collector/search/index.ts';
import { isSextantError } from '../../../shared/errors.ts';

const ERRORS: Array<[string, number, RegExp]> = [
  ['os:', 3, /value is missing/],
  ['foo:bar', 0, /unknown field "foo"/],
  ['os:linux AND', 12, /ends where a term was expected/],
  ['(os:linux', 9, /not closed/],
  ['os:linux)', 8, /without a matching/],
  ['os:"linux', 3, /unterminated/],
  ['port:>abc', 6, /not one/],
  ['last_seen:<2m', 11, /not a time/],
  ['last_seen:>soon', 11, /not a time/],
  ['alive:maybe', 6, /t or f/],
  ['alive:<1', 7, /cannot be compared/],
  ['has:nope', 4, /unknown field "nope"/],
  ['os:linux OR OR os:windows', 12, /"OR" where a term was expected/],
  ['()', 1, /empty parentheses/],
  ['os_version:>abc', 12, /not a version/],
  ['linux AND (os:x OR', 18, /ends where/],
  [':linux', 0, /field name is missing/],
  ['NOT', 3, /ends where/],
];

describe('search: parser', () => {
  for (const [query, position, message] of ERRORS) {
    it(`"${query}" fails at ${position}`, () => {
      assert.throws(() => parseQuery(query), (err: unknown) => {
        assert.ok(err instanceof QuerySyntaxError, String(err));
        assert.ok(isSextantError(err, 'SEARCH_SYNTAX'));
        assert.equal(err.position, position, err.message);
        assert.match(err.message, message);
        assert.match(err.message, new RegExp(`at position ${position + 1}`));
        return true;
      });
    });
  }

  it('shows a caret under the fault', () => {
    try {
      parseQuery('os:linux AND port:>x');
      assert.fail('no error');
    } catch (err) {
      const lines = (err as Error).message.split('\n');
      assert.equal(lines[1], '  os:linux AND port:>x');
      assert.equal(lines[2], `  ${' '.repeat(19)}^`);
    }
  });

  it('builds AND/OR/NOT with AND binding tighter, and implicit AND', () => {
    assert.deepEqual(parseQuery('a OR b c'), {
      kind: 'or',
      items: [
        { kind: 'term', field: '*', op: 'contains', value: 'a', position: 0 },
        { kind: 'and', items: [
          { kind: 'term', field: '*', op: 'contains', value: 'b', position: 5 },
          { kind: 'term', field: '*', op: 'contains', value: 'c', position: 7 },
        ] },
      ],
    });
    assert.deepEqual(parseQuery('-os:x'), { kind: 'not', item: { kind: 'term', field: 'os', op: 'contains', value: 'x', position: 1 } });
    assert.deepEqual(parseQuery('   '), { kind: 'all' });
  });

  it('reads operators, quotes with escapes, ranges and aliases', () => {
    assert.deepEqual(parseQuery('os:="a \\"b\\" c"'), { kind: 'term', field: 'os', op: 'exact', value: 'a "b" c', position: 0 });
    assert.deepEqual(parseQuery('port:20-25'), { kind: 'term', field: 'port', op: 'range', value: '20', value2: '25', position: 0 });
    assert.deepEqual(parseQuery('name:web-01'), { kind: 'term', field: 'name', op: 'contains', value: 'web-01', position: 0 });
    assert.deepEqual(parseQuery('hardware:>=2'), { kind: 'term', field: 'hw', op: 'ge', value: '2', position: 0 });
    assert.deepEqual(parseQuery('mac:00:11:22'), { kind: 'term', field: 'mac', op: 'contains', value: '00:11:22', position: 0 });
    assert.deepEqual(parseQuery('has:"fp.os.vendor"'), { kind: 'term', field: 'fp.os.vendor', op: 'has', value: '', position: 0 });
  });

  it('orders versions by component', () => {
    const order = ['2', '9.1', '10', '18.04', '18.04.6', '20.04', '20.10', '100.0'];
    const keys = order.map((v) => versionKey(v)!);
    assert.deepEqual([...keys].sort(), keys);
    assert.equal(versionKey('lts'), undefined);
  });

  it('never crashes on hostile text: it parses or throws SEARCH_SYNTAX', () => {
    const samples = ['\u0000', '"', '(((((', 'a:b:c:"', '-', '- -', 'os:\u202e', 'x'.repeat(5000), '('.repeat(100) + 'a' + ')'.repeat(100)];
    for (const q of samples) {
      try {
        parseQuery(q);
      } catch (err) {
        assert.ok(isSextantError(err, 'SEARCH_SYNTAX'), `${JSON.stringify(q.slice(0, 20))}: ${String(err)}`);
      }
    }
  });
});
