import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sextant } from '../helpers/cli.ts';
import { SHARED_RECOG_XML, fixtureDir, readGolden, recogXml } from '../helpers/recog.ts';

describe('sextant fingerprints', () => {
  it('verify --json summarises the whole Recog database and exits 0', () => {
    const r = sextant(['fingerprints', 'verify', SHARED_RECOG_XML, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { files: 50, fingerprints: 4657, examples: 7525, passed: 7525, failed: 0, warnings: 175 });
  });

  it('verify exits 1 and names file and line when an example yields the wrong value', () => {
    const fx = fixtureDir({
      'wrong.xml': recogXml('matches="demo"', [
        '  <fingerprint pattern="^Demo (\\d+)$">\n    <description>Demo</description>\n    <example service.version="8">Demo 7</example>\n    <param pos="1" name="service.version"/>\n  </fingerprint>',
      ]),
    });
    try {
      const r = sextant(['fingerprints', 'verify', fx.dir]);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /wrong\.xml:5: FAIL: 'Demo': "Demo 7" has "service.version" = "7", expected "8"/);
      assert.match(r.stdout, /0 successful, 0 warnings, and 1 failures/);
    } finally {
      fx.remove();
    }
  });

  it('verify with no directory checks the project\'s own fingerprints/ and SEXTANT_RECOG_DIR', () => {
    const r = sextant(['fingerprints', 'verify', '--json'], { env: { SEXTANT_RECOG_DIR: SHARED_RECOG_XML } });
    const summary = JSON.parse(r.stdout) as { files: number; failed: number };
    assert.equal(summary.failed, 0);
    assert.ok(summary.files > 50, 'the project files come on top of the 50 Recog files');
  });

  it('match prints Ruby\'s result for one banner', () => {
    const r = sextant(['fingerprints', 'match', '--db', SHARED_RECOG_XML, '--key', 'ssh.banner', 'OpenSSH_9.2p1 Debian-2+deb12u3']);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(result['service.version'], '9.2p1');
    assert.equal(result['os.cpe23'], 'cpe:/o:debian:debian_linux:12.0');
  });

  it('match --jsonl answers each line in order, null for no match, exactly as Ruby for the golden examples', () => {
    const golden = readGolden().filter((_, i) => i % 25 === 0);
    const lines = golden.map((g) => JSON.stringify({ key: keyOf(g.file), input_b64: g.input_b64 }));
    lines.splice(1, 0, JSON.stringify({ key: 'ssh.banner', input: 'nothing known' }));
    const r = sextant(['fingerprints', 'match', '--db', SHARED_RECOG_XML, '--jsonl'], { input: lines.join('\n') + '\n' });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.equal(out.length, golden.length + 1);
    assert.equal(out[1], null);
    out.splice(1, 1);
    golden.forEach((g, i) => {
      assert.deepEqual(out[i], g.ruby_match, `${g.file}:${g.fp_line}`);
    });
  });

  it('match --jsonl names the bad line and still answers the others', () => {
    const r = sextant(['fingerprints', 'match', '--db', SHARED_RECOG_XML, '--jsonl'], { input: '{"key":"ssh.banner","input":"OpenSSH_8.0"}\n{oops\n' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stdin:2: not JSON/);
    assert.equal(r.stdout.trim().split('\n').length, 2);
  });
});

const KEYS: Record<string, string> = {};
function keyOf(file: string): string {
  if (!KEYS[file]) {
    const xml = readFileSync(`${SHARED_RECOG_XML}/${file}`, 'utf8') as string;
    KEYS[file] = /<fingerprints[^>]*\smatches="([^"]+)"/.exec(xml)?.[1] ?? file.replace(/\.xml$/, '');
  }
  return KEYS[file]!;
}
