import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileFingerprintPattern } from '../../../collector/fingerprint/recog/pattern.ts';

// Random patterns over a tiny alphabet. Two known differences are kept out:
// quantified groups always consume a character (backtracking and Thompson
// engines differ on captures of empty iterations, recog-format.md 6.2), and
// no capture sits inside a repeated group (ECMAScript resets such captures on
// every iteration; Ruby, like the linear engine, keeps the last one). Recog's
// database relies on neither.
const atom = fc.constantFrom('a', 'b', ' ', '\\n', '.', '[ab]', '[^a]', '\\s', '\\S', '\\d', '\\w', '1');
const quant = fc.constantFrom('', '', '*', '+', '?', '*?', '+?', '??', '{0,3}', '{1,2}', '{2}');
const anchor = fc.constantFrom('', '', '', '^', '$', '\\A', '\\z', '\\b');

const pattern: fc.Arbitrary<string> = fc.letrec<{ seq: string; plain: string; group: string; repeated: string }>((tie) => ({
  seq: fc.array(fc.oneof({ maxDepth: 3 }, fc.tuple(atom, quant).map(([a, q]) => a + q), tie('group'), tie('repeated'), anchor), { minLength: 1, maxLength: 5 }).map((xs) => xs.join('')),
  plain: fc.array(fc.oneof({ maxDepth: 3 }, fc.tuple(atom, quant).map(([a, q]) => a + q), tie('repeated'), anchor), { minLength: 1, maxLength: 4 }).map((xs) => xs.join('')),
  group: fc
    .tuple(fc.tuple(atom, tie('seq')).map(([a, s]) => a + s), fc.option(fc.tuple(atom, tie('seq')).map(([a, s]) => a + s)), fc.constantFrom('', '?', '??'))
    .map(([x, y, q]) => `(${x}${y === null ? '' : `|${y}`})${q}`),
  repeated: fc
    .tuple(fc.tuple(atom, tie('plain')).map(([a, s]) => a + s), fc.option(fc.tuple(atom, tie('plain')).map(([a, s]) => a + s)), quant)
    .map(([x, y, q]) => `(?:${x}${y === null ? '' : `|${y}`})${q}`),
})).seq;

const input = fc.array(fc.constantFrom('a', 'b', ' ', '\n', '1', '_'), { maxLength: 24 }).map((xs) => xs.join(''));

describe('the linear-time engine', () => {
  it('returns exactly V8\'s captures for random patterns and inputs', () => {
    fc.assert(
      fc.property(pattern, input, fc.boolean(), (p, s, icase) => {
        let c;
        try {
          c = compileFingerprintPattern(p, icase ? 'i' : '');
        } catch {
          return; // not a valid Ruby regex
        }
        const expected = c.execWith('v8', s);
        assert.deepEqual(c.execWith('linear', s), expected, `bit-state search: pattern ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
        assert.deepEqual(c.execWith('dfa', s), expected, `DFA then bit state: pattern ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
        assert.deepEqual(c.execWith('pike', s), expected, `Pike VM: pattern ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
      }),
      { numRuns: 4000 },
    );
  });

  it('keeps a capture from an earlier iteration of a repeated group, as Ruby does', () => {
    // Ruby: "a aa".match(/(aa|a( )){2}/) gives ["a aa", "aa", " "].
    const c = compileFingerprintPattern('(aa|a( )){2}', '');
    assert.deepEqual(c.execWith('linear', 'a aa'), ['a aa', 'aa', ' ']);
    assert.deepEqual(c.execWith('dfa', 'a aa'), ['a aa', 'aa', ' ']);
    assert.deepEqual(c.execWith('pike', 'a aa'), ['a aa', 'aa', ' ']);
  });

  it('finds the leftmost match start even when a later start would match more', () => {
    const c = compileFingerprintPattern('a(b*)c|(x)', '');
    assert.deepEqual(c.execWith('linear', 'zzabbbczx'), ['abbbc', 'bbb', undefined]);
    assert.deepEqual(c.execWith('dfa', 'zzabbbczx'), ['abbbc', 'bbb', undefined]);
    assert.deepEqual(c.execWith('linear', 'zzxabc'), ['x', undefined, 'x']);
    assert.deepEqual(c.execWith('dfa', 'zzxabc'), ['x', undefined, 'x']);
  });

  it('keeps a bounded loop bounded on a long input', () => {
    const c = compileFingerprintPattern('.{0,3}X', '');
    assert.deepEqual(c.execWith('linear', `${'a'.repeat(10)}X`), ['aaaX']);
    assert.deepEqual(c.execWith('dfa', `${'a'.repeat(10)}X`), ['aaaX']);
  });

  it('matches a line anchor after every newline but not after a final one', () => {
    const c = compileFingerprintPattern('^(b+)$', '');
    assert.deepEqual(c.execWith('linear', 'a\nbb\nc'), ['bb', 'bb']);
    assert.deepEqual(c.execWith('dfa', 'a\nbb\nc'), ['bb', 'bb']);
    assert.equal(c.execWith('linear', 'a\n'), null);
    assert.equal(c.execWith('dfa', 'a\n'), null);
  });

  it('reads astral characters as one character, as Ruby does', () => {
    const c = compileFingerprintPattern('^a.b$', '');
    assert.deepEqual(c.execWith('linear', 'a\u{1F600}b'), ['a\u{1F600}b']);
    assert.deepEqual(c.execWith('dfa', 'a\u{1F600}b'), ['a\u{1F600}b']);
    assert.deepEqual(c.execWith('v8', 'a\u{1F600}b'), ['a\u{1F600}b']);
  });
});
