import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFingerprintPattern } from '../../../collector/fingerprint/recog/pattern.ts';
import { parseRecogFlags, translatePattern } from '../../../collector/fingerprint/recog/regex.ts';

/** Captures through all three engines; they must agree. */
function both(pattern: string, input: string, flags = ''): Array<string | undefined> | null {
  const c = compileFingerprintPattern(pattern, flags);
  const v8 = c.execWith('v8', input);
  if (c.linearAvailable) {
    assert.deepEqual(c.execWith('linear', input), v8, `the linear engine and V8 disagree on ${pattern} / ${JSON.stringify(input)}`);
    assert.deepEqual(c.execWith('re2js', input), v8, `re2js and V8 disagree on ${pattern} / ${JSON.stringify(input)}`);
  }
  return v8;
}

describe('Ruby regex translation', () => {
  it('treats ^ and $ as line anchors on "\\n" only, as Ruby does', () => {
    assert.deepEqual(both('^b$', 'a\nb\nc'), ['b']);
    assert.equal(both('^b$', 'a\rb\rc'), null);
    assert.deepEqual(both('a$', 'a\n'), ['a']);
  });

  it('does not match ^ after a trailing newline at the very end', () => {
    assert.equal(compileFingerprintPattern('\\n^', '').execWith('v8', 'a\n'), null);
  });

  it('lets dot match "\\r" but not "\\n" unless REG_DOT_NEWLINE is set', () => {
    assert.deepEqual(both('a.b', 'a\rb'), ['a\rb']);
    assert.equal(both('a.b', 'a\nb'), null);
    assert.deepEqual(both('a.b', 'a\nb', 'm'), ['a\nb']);
    assert.deepEqual(both('(?m)a.b', 'a\nb'), ['a\nb']);
  });

  it('keeps \\s to ASCII white space, so a latin1 0xA0 byte is not a space', () => {
    assert.equal(both('a\\sb', 'a\u00a0b'), null);
    assert.deepEqual(both('a\\sb', 'a\u000bb'), ['a\u000bb']);
    assert.deepEqual(both('a[\\S]b', 'a\u00a0b'), ['a\u00a0b']);
  });

  it('reads \\A as the start of the string, not a literal A', () => {
    assert.deepEqual(both('\\Afoo', 'foo'), ['foo']);
    assert.equal(both('\\Afoo', 'xfoo'), null);
  });

  it('captures "" (not nil) for an optional group that matched empty, as Ruby does', () => {
    assert.deepEqual(both('^a(b*)?c', 'ac'), ['ac', '']);
    assert.deepEqual(both('^a(b)?c', 'ac'), ['ac', undefined]);
  });

  it('applies inline flags at the start, around the pattern and in the middle', () => {
    assert.deepEqual(both('(?i)^openssh', 'OpenSSH'), ['OpenSSH']);
    assert.deepEqual(both('(?i:foo)bar', 'FOObar'), ['FOObar']);
    assert.equal(both('(?i:foo)bar', 'FOOBAR'), null);
    assert.deepEqual(both('^x(?i:maxscale)', 'xMaxScale'), ['xMaxScale']);
  });

  it('reads \\h as a hex digit, as Ruby does', () => {
    assert.deepEqual(both('^\\h+$', 'DEADbeef09'), ['DEADbeef09']);
    assert.equal(both('^\\h+$', 'xyz'), null);
  });

  it('maps Ruby group numbers through atomic groups, which add a JS group', () => {
    const c = compileFingerprintPattern('(?>a+)(b)', '');
    assert.deepEqual(c.execWith('v8', 'aab'), ['aab', 'b']);
    assert.equal(c.linearAvailable, false);
  });

  it('rejects Recog flag names Ruby does not know', () => {
    assert.equal(parseRecogFlags('REG_ICASE,REG_DOT_NEWLINE'), 'im');
    assert.throws(() => parseRecogFlags('REG_EXTENDED'), /unknown regex flag "REG_EXTENDED"/);
  });

  it('rejects features with no exact translation instead of matching them literally', () => {
    assert.throws(() => translatePattern('a\\Kb', ''), /unsupported/);
    assert.throws(() => translatePattern('(a', ''), /invalid Ruby regex/);
  });

  it('extracts the literals every match must contain, case-folded', () => {
    assert.deepEqual(translatePattern('^SSH-2\\.0-OpenSSH_(\\S+)', 'i').requirements, [['ssh-2.0-openssh_']]);
    assert.deepEqual(translatePattern('^(?:Cisco|Juniper) router', '').requirements, [['cisco', 'juniper'], [' router']]);
    assert.deepEqual(translatePattern('^(\\d+)$', '').requirements, []);
  });

  it('rates nested unbounded loops as exponential and plain anchored loops as linear', () => {
    assert.equal(translatePattern('^(a+)+$', '').degree, Infinity);
    assert.equal(translatePattern('^(\\S+\\s*)+$', '').degree, Infinity);
    assert.equal(translatePattern('^(\\S+) x', '').degree, 1);
    assert.equal(translatePattern('^([^ ]{1,512}) +ESMTP', '').degree, 1, 'disjoint neighbours do not backtrack into each other');
    assert.equal(translatePattern('^(\\d+\\.)+x$', '').degree, 1);
  });

  it('counts loops whose characters can also start what follows as multiplying', () => {
    assert.equal(translatePattern('^(.+) (.+) foo$', '').degree, 2);
    assert.equal(translatePattern('(\\S+) (\\S+) x', '').degree, 2, 'unanchored: one more for the start positions');
    assert.equal(translatePattern('^a(.*)b', '').degreeMulti, 2, 'a line anchor starts on every line of a multi-line input');
  });
});
