import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileExpr, exprMatches, firstAlternativeValue, observe, strtol16 } from '../../../collector/fingerprint/os/expr.ts';

describe('nmap-os-db expressions (7.93 semantics)', () => {
  it('compares a plain value as a string', () => {
    assert.equal(exprMatches('Y', 'Y'), true);
    assert.equal(exprMatches('N', 'Y'), false);
    assert.equal(exprMatches('M5B4ST11NWA', 'M5B4ST11NWA'), true);
    assert.equal(exprMatches('M5B4ST11NW7', 'M5B4ST11NWA'), false);
  });

  it('matches an inclusive hex range only for values inside it', () => {
    assert.equal(exprMatches('3B', '3B-45'), true);
    assert.equal(exprMatches('40', '3B-45'), true);
    assert.equal(exprMatches('45', '3B-45'), true);
    assert.equal(exprMatches('3A', '3B-45'), false);
    assert.equal(exprMatches('46', '3B-45'), false);
  });

  it('compares ranges numerically, so case and leading zeros do not matter', () => {
    assert.equal(exprMatches('0040', '3B-45'), true);
    assert.equal(exprMatches('3b', '3B-45'), true);
  });

  it('applies > and < as hex comparisons', () => {
    assert.equal(exprMatches('11', '>10'), true);
    assert.equal(exprMatches('10', '>10'), false);
    assert.equal(exprMatches('F', '<10'), true);
    assert.equal(exprMatches('10', '<10'), false);
  });

  it('accepts any of several | alternatives', () => {
    assert.equal(exprMatches('A', '8|A'), true);
    assert.equal(exprMatches('8', '8|A'), true);
    assert.equal(exprMatches('9', '8|A'), false);
    assert.equal(exprMatches('7', '1-3|5-8'), true);
    assert.equal(exprMatches('4', '1-3|5-8'), false);
    assert.equal(exprMatches('20', '<5|>1F'), true);
  });

  it('matches an empty expression only against an empty value', () => {
    assert.equal(exprMatches('', ''), true);
    assert.equal(exprMatches('R', ''), false);
    assert.equal(exprMatches('0', ''), false);
  });

  it('treats a leading empty alternative as "empty or ...", and (quirk 1) as matching anything', () => {
    assert.equal(exprMatches('', '|U'), true);
    assert.equal(exprMatches('U', '|U'), true);
    // 7.93 compares a non-last alternative as a prefix; an empty prefix matches every string.
    assert.equal(exprMatches('M5B4NNSNWA', '|M5B4NNS'), true);
  });

  it('compares a non-last alternative as a prefix of the value (quirk 1)', () => {
    assert.equal(exprMatches('M5B4NW8', 'M5B4|M218'), true);
    assert.equal(exprMatches('M5B', 'M5B4|M218'), false);
    // The last alternative is compared exactly.
    assert.equal(exprMatches('M218NW8', 'M5B4|M218'), false);
  });

  it('reads an empty value as the number 0 in numeric tests (quirk 2)', () => {
    assert.equal(exprMatches('', '0-5'), true);
    assert.equal(exprMatches('', '<1'), true);
    assert.equal(exprMatches('', '>0'), false);
  });

  it('pushes a numeric value into range parsing when any later alternative has a "-" (quirk 3)', () => {
    // "0" alone string-compares equal, but the '-' in "10-20" sends "0" to range parsing, which fails.
    assert.equal(exprMatches('0', '0'), true);
    assert.equal(exprMatches('0', '0|10-20'), false);
    assert.equal(exprMatches('15', '0|10-20'), true);
    // A value that is not a number is still string-compared.
    assert.equal(exprMatches('Z', 'Z|10-20'), true);
  });

  it('parses numbers with strtol, so 0x prefixes, whitespace and signs count (quirk 4)', () => {
    assert.equal(exprMatches('0x40', '3B-45'), true);
    assert.equal(exprMatches(' 40', '3B-45'), true);
    assert.deepEqual(strtol16('-1'), { value: 0xffffffff, end: 2 });
    assert.deepEqual(strtol16('0x'), { value: 0, end: 1 });
    assert.deepEqual(strtol16('G'), { value: 0, end: 0 });
    assert.deepEqual(strtol16('FFFFFFFFFFFFFFFFFF'), { value: 0xffffffff, end: 18 });
  });

  it('string-compares alternatives against values that are not numbers', () => {
    assert.equal(exprMatches('>10', '>10'), true);
    // The prefix rule lets the first alternative "S" accept "S+" already.
    assert.equal(exprMatches('S+', 'S|Z'), true);
    assert.equal(exprMatches('S', 'S+|Z'), false);
  });

  it('marks observed values as numeric only when strtol reads all of them', () => {
    assert.deepEqual(observe('FE88'), { text: 'FE88', numeric: true, num: 0xfe88 });
    assert.deepEqual(observe(''), { text: '', numeric: true, num: 0 });
    assert.equal(observe('S+').numeric, false);
    assert.equal(observe('M5B4').numeric, false);
  });

  it('names a value inside the first alternative', () => {
    assert.equal(firstAlternativeValue('3B-45|80'), '3B');
    assert.equal(firstAlternativeValue('>10'), '11');
    assert.equal(firstAlternativeValue('<10|20'), 'F');
    assert.equal(firstAlternativeValue('M5B4|'), 'M5B4');
    assert.equal(firstAlternativeValue('|U'), '');
  });

  it('agrees with arithmetic for any hex range and value', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), (a, b, v) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const hex = (n: number) => n.toString(16).toUpperCase();
        assert.equal(exprMatches(hex(v), `${hex(lo)}-${hex(hi)}`), v >= lo && v <= hi);
        assert.equal(exprMatches(hex(v), `>${hex(lo)}`), v > lo);
        assert.equal(exprMatches(hex(v), `<${hex(hi)}`), v < hi);
      }),
    );
  });

  it('never throws on any expression or value and always answers a boolean', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 20 }), (expr, value) => {
        assert.equal(typeof compileExpr(expr)(observe(value)), 'boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-F<>|\-x ]{0,16}$/), fc.stringMatching(/^[0-9A-FS+-]{0,6}$/), (expr, value) => {
        assert.equal(typeof exprMatches(value, expr), 'boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
