import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatSubjectFingerprint,
  parseSubjectFingerprint,
  subjectValue,
  type SubjectFingerprint,
} from '../../../collector/fingerprint/os/index.ts';
import { SextantError } from '../../../shared/errors.ts';

const read = (name: string) => readFileSync(new URL(`../../fixtures/os/${name}`, import.meta.url), 'utf8');
const wrapped = read('linux-6.18-netns.wrapped.txt');
const clean = read('testix.clean.txt');
const merged = read('merged-rounds.clean.txt');

describe('subject fingerprint text', () => {
  it('round-trips Nmap wrapped text exactly', () => {
    const fp = parseSubjectFingerprint(wrapped);
    assert.equal(formatSubjectFingerprint(fp), wrapped);
    assert.equal(formatSubjectFingerprint(fp, { wrap: true }), wrapped);
  });

  it('round-trips the clean one-test-per-line form exactly, repeated tests included', () => {
    assert.equal(formatSubjectFingerprint(parseSubjectFingerprint(clean), { wrap: false }), clean);
    const fp = parseSubjectFingerprint(merged);
    assert.deepEqual(fp.tests.map((t) => t.name), ['SCAN', 'SEQ', 'SEQ', 'OPS', 'WIN', 'ECN', 'T1', 'T2', 'T3', 'T4', 'U1', 'IE']);
    assert.equal(formatSubjectFingerprint(fp, { wrap: false }), merged);
  });

  it('wraps into OS: lines of 72 characters with only the last shorter', () => {
    const lines = formatSubjectFingerprint(parseSubjectFingerprint(clean)).split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    for (const line of lines.slice(0, -1)) assert.equal(line.length, 75);
    assert.ok(lines.at(-1)!.length <= 75);
    assert.ok(lines.every((l) => l.startsWith('OS:')));
    // Unwrapping the wrapped form gives the same print as the clean form.
    assert.deepEqual(parseSubjectFingerprint(formatSubjectFingerprint(parseSubjectFingerprint(clean))), parseSubjectFingerprint(clean));
  });

  it('reads tests, attributes in order, and empty values', () => {
    const fp = parseSubjectFingerprint(wrapped);
    assert.deepEqual(fp.tests.map((t) => t.name), ['SCAN', 'SEQ', 'OPS', 'WIN', 'ECN', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'U1', 'IE']);
    assert.deepEqual(fp.tests[1], {
      name: 'SEQ',
      attributes: [
        { name: 'SP', value: '106' }, { name: 'GCD', value: '1' }, { name: 'ISR', value: '108' }, { name: 'TI', value: 'Z' },
        { name: 'CI', value: 'Z' }, { name: 'II', value: 'I' }, { name: 'TS', value: '22' },
      ],
    });
    assert.equal(subjectValue(fp, 'T4', 'O'), '');
    assert.equal(subjectValue(fp, 'SCAN', 'P'), 'x86_64-pc-linux-gnu');
    assert.equal(subjectValue(fp, 'T2', 'W'), undefined);
    assert.deepEqual(fp.tests[6], { name: 'T2', attributes: [{ name: 'R', value: 'N' }] });
  });

  it('accepts text pasted from Nmap output: header, indentation, blank lines and CRLF', () => {
    const pasted = `TCP/IP fingerprint:\r\n${wrapped.split('\n').map((l) => (l ? `  ${l}` : l)).join('\r\n')}\r\n\r\n`;
    assert.deepEqual(parseSubjectFingerprint(pasted), parseSubjectFingerprint(wrapped));
  });

  it('rejects malformed text with the line of the defect', () => {
    const cases: Array<[string, number | undefined, RegExp]> = [
      ['', undefined, /no fingerprint tests/],
      ['SEQ(SP=1\n', 1, /has no closing/],
      ['SEQ(SP=1)\nOPS(O1)\n', 2, /attribute "O1" has no "="/],
      ['SEQ(SP=1)\nseq(SP=1)\n', 2, /bad test name "seq"/],
      ['SEQ(SP=1%SP=2)\n', 1, /SP appears twice/],
      ['SEQ(SP=1)junk\n', 1, /expected TEST/],
      ['OS:SEQ(SP=1)\nOPS(O1=M5B4)\n', 2, /mixes OS:-prefixed lines/],
      ['SEQ(S\u0000P=1)\n', 1, /bad attribute name/],
    ];
    for (const [text, line, pattern] of cases) {
      assert.throws(() => parseSubjectFingerprint(text, 'probe.txt'), (err: unknown) => {
        assert.ok(err instanceof SextantError, String(err));
        assert.equal(err.code, 'OS_FINGERPRINT_INVALID');
        assert.equal(err.location.line, line, text);
        assert.match(err.message, pattern);
        assert.ok(err.message.startsWith('probe.txt'), err.message);
        return true;
      });
    }
  });

  it('round-trips any well-formed print in both forms', () => {
    const name = fc.stringMatching(/^[A-Z][A-Z0-9]{0,5}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9+/._:-]{0,12}$/);
    const plain = { noNullPrototype: true };
    const test = fc.record({
      name,
      attributes: fc.uniqueArray(fc.record({ name, value }, plain), { selector: (a) => a.name, maxLength: 8 }),
    }, plain);
    fc.assert(
      fc.property(fc.array(test, { minLength: 1, maxLength: 14 }), (tests) => {
        const fp: SubjectFingerprint = { tests };
        for (const wrap of [true, false]) {
          const text = formatSubjectFingerprint(fp, { wrap });
          assert.deepEqual(parseSubjectFingerprint(text), fp);
          assert.equal(formatSubjectFingerprint(parseSubjectFingerprint(text), { wrap }), text);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('throws only SextantError, whatever the input', () => {
    const piece = fc.oneof(fc.constantFrom('OS:', 'SEQ(', ')', '%', '=', '\n', 'SP=1', 'T1(R=Y)', '(', 'TCP/IP fingerprint:'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        try {
          parseSubjectFingerprint(pieces.join(''));
        } catch (err) {
          assert.ok(err instanceof SextantError, `threw ${String(err)}`);
          assert.equal(err.code, 'OS_FINGERPRINT_INVALID');
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseSubjectFingerprint(text);
        } catch (err) {
          assert.ok(err instanceof SextantError, `threw ${String(err)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
