import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  classify,
  describeResult,
  matchFingerprint,
  parseOsDb,
  parseSubjectFingerprint,
  scoreAgainst,
  type OsDb,
  type SubjectFingerprint,
} from '../../../collector/fingerprint/os/index.ts';

const read = (name: string) => readFileSync(new URL(`../../fixtures/os/${name}`, import.meta.url), 'utf8');
const miniText = read('mini-os-db.txt');
const mini = parseOsDb(miniText, 'mini');
const testix = read('testix.clean.txt');
const pointsAt = miniText.indexOf('\nMatchPoints\n') + 1;
const MATCHPOINTS = miniText.slice(pointsAt, miniText.indexOf('\n\n', pointsAt));

const lineOf = (db: OsDb, index: number) => db.references[index]!.line;
const subject = (text: string) => parseSubjectFingerprint(text);
const withTs = (ts: string) => subject(testix.replace('TS=A)', `TS=${ts})`));

/** A database of generated entries, each `Fingerprint <name>` + one class + the given test lines. */
function syntheticDb(entries: Array<{ name: string; tests: string[] }>): OsDb {
  const body = entries.map((e) => [`Fingerprint ${e.name}`, `Class V | F | G | general purpose`, 'CPE cpe:/o:v:f', ...e.tests].join('\n'));
  return parseOsDb(`${MATCHPOINTS}\n\n${body.join('\n\n')}\n`, 'synthetic');
}

describe('OS matching and ranking (Nmap 7.93 match_fingerprint)', () => {
  it('scores matched over possible points of the attributes both prints carry', () => {
    // Compared: SEQ 475, OPS 120, WIN 90, ECN 285 (T, not TG), T1 245, T2/T3 80 each,
    // T4-T6 280 each, T7 260, U1 735 (no R in the reference), IE 155 = 3365.
    assert.equal(scoreAgainst(mini, subject(testix), 0), 1);
    assert.equal(scoreAgainst(mini, subject(testix), 1), 3265 / 3365, 'TS is worth 100');
    assert.equal(scoreAgainst(mini, subject(testix), 2), 3175 / 3365, 'TS and six windows of 15');
    assert.equal(scoreAgainst(mini, subject('SCAN(V=7.93)\n'), 0), 0, 'nothing shared scores 0');
  });

  it('lists a perfect match first, one entry per OS name, and lesser matches after it', () => {
    const result = matchFingerprint(mini, subject(testix));
    assert.equal(result.perfect, true);
    assert.equal(result.tooManyMatches, false);
    assert.deepEqual(result.matches.map((m) => [m.name, m.accuracy, m.line]), [
      ['Testix 1.0', 100, lineOf(mini, 0)],
      ['Gadget OS 2', 94, lineOf(mini, 2)],
    ]);
    assert.deepEqual(result.matches[0]!.classes, mini.references[0]!.classes);
  });

  it('replaces an entry when a later print of the same name scores higher', () => {
    const result = matchFingerprint(mini, withTs('22'));
    assert.deepEqual(result.matches.map((m) => [m.name, m.accuracy, m.line]), [
      ['Testix 1.0', 100, lineOf(mini, 1)],
      ['Gadget OS 2', 94, lineOf(mini, 2)],
    ]);
  });

  it('keeps the earlier print of a name when a later one only ties it', () => {
    const result = matchFingerprint(mini, withTs('7'));
    assert.equal(result.perfect, false);
    assert.deepEqual(result.matches.map((m) => [m.name, m.accuracy, m.line]), [
      ['Testix 1.0', 97, lineOf(mini, 0)],
      ['Gadget OS 2', 94, lineOf(mini, 2)],
    ]);
  });

  it('admits nothing below the 0.85 threshold', () => {
    const far = subject('T1(R=N)\nT4(R=N)\nT5(R=N)\n');
    assert.deepEqual(matchFingerprint(mini, far), { perfect: false, matches: [], tooManyMatches: false });
    // 120/140 = 0.857 is in, 100/120 = 0.833 is out.
    const db = syntheticDb([{ name: 'In', tests: ['T1(R=Y%DF=N%Q=)'] }, { name: 'Out', tests: ['T1(R=Y%DF=N)'] }]);
    assert.deepEqual(matchFingerprint(db, subject('T1(R=Y%DF=Y%Q=)\n')).matches.map((m) => m.name), ['In']);
  });

  it('keeps at most 36 entries, ties in database order, and raises the bar once full', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `Tie ${i}`, tests: ['T1(R=Y%DF=N%Q=)'] }));
    entries.push({ name: 'Better', tests: ['T1(R=Y%DF=Y%F=AS%Q=R)'] }); // 150/170 against 120/140 for the ties
    const result = matchFingerprint(syntheticDb(entries), subject('T1(R=Y%DF=Y%F=AS%Q=)\n'));
    assert.equal(result.matches.length, 36);
    assert.equal(result.matches[0]!.name, 'Better');
    assert.deepEqual(result.matches.slice(1).map((m) => m.name), Array.from({ length: 35 }, (_, i) => `Tie ${i}`));
  });

  it('gives up with tooManyMatches on the 37th perfect match', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `Same ${i}`, tests: ['T1(R=Y%DF=Y)'] }));
    const result = matchFingerprint(syntheticDb(entries), subject('T1(R=Y%DF=Y)\n'));
    assert.equal(result.tooManyMatches, true);
    assert.equal(result.matches.length, 36);
    assert.deepEqual(describeResult(result), ['Too many fingerprints match this host to give specific OS details']);
    assert.deepEqual(classify(result), []);
  });

  it('compares the first occurrence of a repeated test', () => {
    const twice = subject(`${testix}SEQ(SP=106%GCD=1%ISR=108%TI=Z%CI=Z%II=I%TS=22)\n`);
    assert.equal(scoreAgainst(mini, twice, 0), 1);
  });

  it('ranks exactly what an unhurried scorer finds, so the early exit loses nothing', () => {
    const values: Record<string, string[]> = {
      TS: ['A', '22', 'U', '7'], W1: ['FE88', '16D0', 'FFFF'], T: ['40', '80', '3F'], CC: ['Y', 'N', 'S'], DFI: ['N', 'Y'], CD: ['S', 'Z'],
    };
    const base = subject(testix);
    fc.assert(
      fc.property(fc.record(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fc.constantFrom(...v)]))), fc.integer({ min: 0, max: 13 }), (pick, drop) => {
        const fp: SubjectFingerprint = {
          tests: base.tests
            .filter((_, i) => i !== drop)
            .map((t) => ({ name: t.name, attributes: t.attributes.map((a) => ({ name: a.name, value: pick[a.name] ?? a.value })) })),
        };
        const result = matchFingerprint(mini, fp);
        const best = new Map<string, number>();
        mini.references.forEach((r, i) => best.set(r.name, Math.max(best.get(r.name) ?? 0, scoreAgainst(mini, fp, i))));
        const expected = [...best].filter(([, s]) => s >= 0.85).sort((a, b) => b[1] - a[1]);
        assert.deepEqual(result.matches.map((m) => [m.name, m.score]), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('OS match report (Nmap normal output)', () => {
  it('prints device type, running, CPE and OS details for a perfect match', () => {
    assert.deepEqual(describeResult(matchFingerprint(mini, subject(testix))), [
      'Device type: general purpose',
      'Running: Testix 1.X',
      'OS CPE: cpe:/o:testix:testix:1',
      'OS details: Testix 1.0',
    ]);
  });

  it('prints guesses with percentages and per-family accuracies when nothing is perfect', () => {
    const result = matchFingerprint(mini, withTs('7'));
    assert.deepEqual(describeResult(result, { ideal: false }), [
      'Device type: general purpose|webcam',
      'Running (JUST GUESSING): Testix 1.X (97%), Gadget embedded (94%), Gadget Gadget OS 2.X (94%)',
      'OS CPE: cpe:/o:testix:testix:1 cpe:/h:gadget:cam_2 cpe:/o:gadget:gadget_os:2',
      'Aggressive OS guesses: Testix 1.0 (97%), Gadget OS 2 (94%)',
      'No exact OS matches for host (test conditions non-ideal).',
    ]);
    assert.deepEqual(describeResult(result, { guess: false }), ['No exact OS matches for host']);
  });

  it('aggregates distinct classes in match order, keeping only perfect ones when there are any', () => {
    const guesses = classify(matchFingerprint(mini, withTs('7')));
    assert.deepEqual(guesses.map((c) => [c.vendor, c.family, c.generation, c.type, c.accuracy, c.perfect]), [
      ['Testix', 'Testix', '1.X', 'general purpose', 97, false],
      ['Gadget', 'embedded', null, 'webcam', 94, false],
      ['Gadget', 'Gadget OS', '2.X', 'webcam', 94, false],
    ]);
    const perfect = classify(matchFingerprint(mini, subject(testix)));
    assert.deepEqual(perfect.map((c) => [c.vendor, c.perfect]), [['Testix', true]]);
  });

  it('says so when nothing matches', () => {
    const none = matchFingerprint(mini, subject('T1(R=N)\n'));
    assert.deepEqual(describeResult(none), ['No OS matches for host']);
    assert.deepEqual(describeResult(none, { ideal: true }), ['No OS matches for host (If you know what OS is running on it, see https://nmap.org/submit/ ).']);
  });
});
