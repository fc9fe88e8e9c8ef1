import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRecogDirs, matchFingerprint, matchFirstInDb, buildResult, verifyDbs, type RecogDb } from '../../../collector/fingerprint/index.ts';
import { SHARED_RECOG_XML, goldenInput, readGolden } from '../../helpers/recog.ts';

const loaded = loadRecogDirs([SHARED_RECOG_XML]);
const byFile = new Map<string, RecogDb>(loaded.dbs.map((db) => [db.file.split('/').pop()!, db]));
const golden = readGolden();

describe('the Recog database from ../shared', () => {
  it('loads all 50 files and 4,657 fingerprints without a problem', () => {
    assert.deepEqual(loaded.problems, []);
    assert.equal(loaded.dbs.length, 50);
    assert.equal(loaded.dbs.reduce((n, db) => n + db.fingerprints.length, 0), 4657);
  });

  it('verifies like recog_verify: 7,525 examples pass, none fail, 175 warnings', () => {
    const r = verifyDbs(loaded.dbs, loaded.problems, loaded.files.length);
    assert.deepEqual(
      { files: r.files, fingerprints: r.fingerprints, examples: r.examples, passed: r.passed, failed: r.failed, warnings: r.warnings },
      { files: 50, fingerprints: 4657, examples: 7525, passed: 7525, failed: 0, warnings: 175 },
    );
  });

  it('returns the exact hash Ruby returns for every example, key by key and in Ruby order', () => {
    assert.equal(golden.length, 7525);
    const mismatches: string[] = [];
    for (const g of golden) {
      const db = byFile.get(g.file)!;
      const got = matchFingerprint(db.fingerprints[g.fp_index]!, db, goldenInput(g));
      if (JSON.stringify(Object.entries(got ?? {})) !== JSON.stringify(Object.entries(g.ruby_match))) {
        mismatches.push(`${g.file}:${g.fp_line} example ${g.example_index}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it('finds each example\'s own fingerprint first in its database, through the prefilter', () => {
    const wrong: string[] = [];
    for (const g of golden) {
      const db = byFile.get(g.file)!;
      const m = matchFirstInDb(db, goldenInput(g));
      if (m?.fingerprint !== db.fingerprints[g.fp_index]) wrong.push(`${g.file}:${g.fp_line}`);
    }
    assert.deepEqual(wrong, []);
  });

  const names = {
    linear: 'the linear-time engine as exec() routes it (bit-state search on small inputs)',
    dfa: 'the linear-time engine through the reverse DFA and bit state',
    pike: 'the linear-time engine\'s Pike VM',
    re2js: 're2js, an independent RE2 port,',
  };
  for (const engine of ['linear', 'dfa', 'pike', 're2js'] as const) {
    it(`gives the same results through ${names[engine]} as through V8`, () => {
      const differ: string[] = [];
      for (const g of golden) {
        const db = byFile.get(g.file)!;
        const fp = db.fingerprints[g.fp_index]!;
        const input = goldenInput(g);
        const viaV8 = fp.compiled.execWith('v8', input);
        const viaOther = fp.compiled.execWith(engine, input);
        const a = viaV8 && buildResult(fp, db, viaV8);
        const b = viaOther && buildResult(fp, db, viaOther);
        if (JSON.stringify(a) !== JSON.stringify(b)) differ.push(`${g.file}:${g.fp_line}`);
      }
      assert.deepEqual(differ, []);
    });
  }

  it('compiles every shipped pattern for the linear engine, so no pattern is left to unbounded backtracking', () => {
    const v8Only = loaded.dbs.flatMap((db) => db.fingerprints.filter((fp) => !fp.compiled.linearAvailable).map((fp) => `${db.file}:${fp.line}`));
    assert.deepEqual(v8Only, []);
  });

  it('sends the exponential smtp_banners (.+)* pattern to the linear engine for every input', () => {
    const db = loaded.dbs.find((d) => d.key === 'smtp.banner')!;
    const fp = db.fingerprints.find((f) => f.pattern.includes('NAVIEG'))!;
    assert.equal(fp.compiled.degree, Infinity);
    assert.equal(fp.compiled.maxV8Length, 0);
  });
});
