import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadOsDb, parseOsDb, referenceTests, tryLoadOsDb } from '../../../collector/fingerprint/os/index.ts';
import { SextantError } from '../../../shared/errors.ts';
import { memoryLogger } from '../../../shared/logging.ts';

const fixture = new URL('../../fixtures/os/mini-os-db.txt', import.meta.url);
const miniText = readFileSync(fixture, 'utf8');
const pointsAt = miniText.indexOf('\nMatchPoints\n') + 1;
const MATCHPOINTS = miniText.slice(pointsAt, miniText.indexOf('\n\n', pointsAt));

function expectError(text: string, code: string, line: number, pattern: RegExp): void {
  assert.throws(
    () => parseOsDb(text, 'test-db'),
    (err: unknown) => {
      assert.ok(err instanceof SextantError, `expected SextantError, got ${String(err)}`);
      assert.equal(err.code, code);
      assert.equal(err.location.file, 'test-db');
      assert.equal(err.location.line, line);
      assert.match(err.message, pattern);
      assert.match(err.message, new RegExp(`^test-db:${line}: `));
      return true;
    },
  );
}

const entry = (lines: string[]) => `${MATCHPOINTS}\n\n${lines.join('\n')}\n`;
const firstEntryLine = MATCHPOINTS.split('\n').length + 2;

describe('nmap-os-db parser', () => {
  it('reads MatchPoints, every Fingerprint with its classes, CPEs and tests, and the header revision', () => {
    const db = parseOsDb(miniText, 'mini');
    assert.equal(db.revision, '1 2026-11-25');
    assert.equal(db.weights.length, 119);
    assert.deepEqual(db.weights[0], { test: 'SEQ', attribute: 'SP', points: 25 });
    assert.deepEqual(db.weights.find((w) => w.test === 'IE' && w.attribute === 'CD'), { test: 'IE', attribute: 'CD', points: 100 });
    assert.deepEqual(db.references.map((r) => r.name), ['Testix 1.0', 'Testix 1.0', 'Gadget OS 2', 'Fenestra Server 7']);
    const gadget = db.references[2]!;
    assert.equal(gadget.line, 55);
    assert.deepEqual(gadget.classes, [
      { vendor: 'Gadget', family: 'embedded', generation: null, type: 'webcam', cpe: ['cpe:/h:gadget:cam_2'] },
      { vendor: 'Gadget', family: 'Gadget OS', generation: '2.X', type: 'webcam', cpe: ['cpe:/o:gadget:gadget_os:2'] },
    ]);
    assert.deepEqual(db.references[0]!.classes[0]!.cpe, ['cpe:/o:testix:testix:1'], 'the auto flag is dropped');
    const tests = referenceTests(gadget);
    assert.deepEqual(tests.map((t) => t.name), ['SEQ', 'OPS', 'WIN', 'ECN', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'U1', 'IE']);
    assert.deepEqual(tests[3]!.attributes.find((a) => a.name === 'CC'), { name: 'CC', value: 'Y|N' });
    assert.deepEqual(tests[5]!.attributes, [{ name: 'R', value: 'N' }]);
    assert.deepEqual(tests[4]!.attributes.find((a) => a.name === 'Q'), { name: 'Q', value: '' });
    assert.equal(db.compiled.referenceTotals.length, 4);
  });

  it('accepts CRLF line ends and comment lines inside entries', () => {
    const text = miniText.replace('Class Testix | Testix | 1.X | general purpose\n', 'Class Testix | Testix | 1.X | general purpose\n# a comment inside\n').replace(/\n/g, '\r\n');
    const db = parseOsDb(text);
    assert.equal(db.references.length, 4);
    assert.equal(db.references[0]!.classes[0]!.type, 'general purpose');
  });

  it('accepts OPS(R=N), which MatchPoints does not weigh, and never compares it', () => {
    const db = parseOsDb(entry(['Fingerprint X', 'Class A | B | C | D', 'OPS(R=N)', 'T1(R=N)']));
    assert.deepEqual(referenceTests(db.references[0]!)[0], { name: 'OPS', attributes: [{ name: 'R', value: 'N' }] });
    assert.equal(db.compiled.referenceTotals[0], 100, 'only T1.R counts');
  });

  it('names file and line for a test line that does not parse', () => {
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T1(R=Y%DF=Y']), 'OSDB_INVALID', firstEntryLine + 2, /expected a test line/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T1(R=Y%DFY)']), 'OSDB_INVALID', firstEntryLine + 2, /attribute "DFY" has no "="/);
  });

  it('rejects tests and attributes MatchPoints does not know, and repeats', () => {
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T9(R=Y)']), 'OSDB_INVALID', firstEntryLine + 2, /unknown test T9/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T1(R=Y%XX=1)']), 'OSDB_INVALID', firstEntryLine + 2, /T1\.XX has no MatchPoints weight/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T1(R=Y%R=N)']), 'OSDB_INVALID', firstEntryLine + 2, /R appears twice/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T1(R=Y)', 'T1(R=N)']), 'OSDB_INVALID', firstEntryLine + 3, /test T1 appears twice/);
  });

  it('rejects malformed Class and CPE lines', () => {
    expectError(entry(['Fingerprint X', 'Class A | B | D', 'T1(R=Y)']), 'OSDB_INVALID', firstEntryLine + 1, /4 fields/);
    expectError(entry(['Fingerprint X', 'Class  | B | C | D', 'T1(R=Y)']), 'OSDB_INVALID', firstEntryLine + 1, /empty vendor/);
    expectError(entry(['Fingerprint X', 'CPE cpe:/o:a:b', 'Class A | B | C | D', 'T1(R=Y)']), 'OSDB_INVALID', firstEntryLine + 1, /without a preceding Class/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'CPE a:b', 'T1(R=Y)']), 'OSDB_INVALID', firstEntryLine + 2, /cpe:\/ URI/);
  });

  it('rejects entries without classes or tests, nameless entries, and stray lines', () => {
    expectError(entry(['Fingerprint X', 'T1(R=Y)']), 'OSDB_INVALID', firstEntryLine, /no Class line/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D']), 'OSDB_INVALID', firstEntryLine, /no test lines/);
    expectError(entry(['Fingerprint # only a comment', 'Class A | B | C | D', 'T1(R=Y)']), 'OSDB_INVALID', firstEntryLine, /without an OS name/);
    expectError(entry(['Fingerprint X', 'Class A | B | C | D', 'T1(R=Y)', '', 'garbage']), 'OSDB_INVALID', firstEntryLine + 4, /expected "Fingerprint" or "MatchPoints"/);
  });

  it('rejects a database without MatchPoints, with two, or with bad weights', () => {
    expectError('Fingerprint X\nClass A | B | C | D\nT1(R=Y)\n', 'OSDB_INVALID', 1, /before the MatchPoints/);
    expectError(`${MATCHPOINTS}\n\n${MATCHPOINTS}\n`, 'OSDB_INVALID', firstEntryLine, /second MatchPoints/);
    expectError('MatchPoints\nT1(R=0)\n', 'OSDB_INVALID', 2, /positive integer/);
    expectError('# nothing\n', 'OSDB_INVALID', 2, /no MatchPoints/);
    expectError(`${MATCHPOINTS}\n`, 'OSDB_INVALID', firstEntryLine - 1, /no Fingerprint entries/);
  });

  it('throws only SextantError, whatever the input', () => {
    const line = fc.oneof(
      fc.constantFrom('MatchPoints', 'Fingerprint X', 'Class A | B | C | D', 'CPE cpe:/o:a:b auto', '', '# c', 'T1(R=Y%DF=N)', 'SEQ(SP=1-5)', 'OPS(R=N)', 'T1(R=100)'),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), (lines, withPoints) => {
        const text = (withPoints ? `${MATCHPOINTS}\n\n` : '') + lines.join('\n');
        try {
          parseOsDb(text);
        } catch (err) {
          assert.ok(err instanceof SextantError, `threw ${String(err)}`);
          assert.ok(err.code === 'OSDB_INVALID');
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('nmap-os-db loader', () => {
  it('reports a missing file as OSDB_UNREADABLE naming the path', () => {
    assert.throws(() => loadOsDb('/nonexistent/nmap-os-db'), (err: unknown) => {
      assert.ok(err instanceof SextantError);
      assert.equal(err.code, 'OSDB_UNREADABLE');
      assert.match(err.message, /^\/nonexistent\/nmap-os-db: no Nmap OS database here/);
      return true;
    });
  });

  it('logs one line and returns undefined when a service cannot load the database', () => {
    const { logger, entries } = memoryLogger();
    assert.equal(tryLoadOsDb('/nonexistent/nmap-os-db', logger), undefined);
    assert.equal(entries.length, 1);
    assert.match(String(entries[0]!.msg), /TCP\/IP OS fingerprinting disabled/);
  });

  it('loads a file, logs how many references it holds, and names the file in parse errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-osdb-'));
    try {
      const good = join(dir, 'good');
      writeFileSync(good, miniText);
      const { logger, entries } = memoryLogger();
      assert.equal(loadOsDb(good, logger).references.length, 4);
      assert.equal(entries[0]!.msg, 'loaded (4) Nmap OS fingerprints');
      const bad = join(dir, 'bad');
      writeFileSync(bad, miniText.replace('T3(R=N)', 'T3(R=N'));
      assert.throws(() => loadOsDb(bad), new RegExp(`^SextantError: ${bad}:29: expected a test line`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
