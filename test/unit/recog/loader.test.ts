import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRecogDirs } from '../../../collector/fingerprint/index.ts';
import { fixtureDir, recogXml } from '../../helpers/recog.ts';

const good = recogXml('matches="demo.banner" protocol="demo"', [
  `  <fingerprint pattern="^Demo (\\d+)$">
    <description>Demo server</description>
    <example service.version="7">Demo 7</example>
    <param pos="0" name="service.product" value="Demo"/>
    <param pos="1" name="service.version"/>
  </fingerprint>`,
]);

describe('loading fingerprint files', () => {
  it('reports malformed XML with its file and line while the other files still load', () => {
    const fx = fixtureDir({
      'a_good.xml': good,
      'b_broken.xml': '<?xml version="1.0"?>\n<fingerprints matches="x">\n  <fingerprint pattern="a">\n    <description>x</description>\n</fingerprints>\n',
    });
    try {
      const r = loadRecogDirs([fx.dir]);
      assert.deepEqual(r.dbs.map((d) => d.key), ['demo.banner']);
      assert.equal(r.problems.length, 1);
      assert.match(r.problems[0]!.file, /b_broken\.xml$/);
      assert.equal(r.problems[0]!.code, 'FINGERPRINT_XML_MALFORMED');
      assert.equal(r.problems[0]!.line, 5);
    } finally {
      fx.remove();
    }
  });

  it('reports a regex that will not compile with the fingerprint\'s line', () => {
    const fx = fixtureDir({
      'bad_regex.xml': recogXml('matches="x"', ['', '  <fingerprint pattern="^(unclosed">', '    <description>bad</description>', '  </fingerprint>']),
      'good.xml': good,
    });
    try {
      const r = loadRecogDirs([fx.dir]);
      assert.equal(r.dbs.length, 1);
      assert.equal(r.problems[0]!.code, 'FINGERPRINT_REGEX_UNSUPPORTED');
      assert.equal(r.problems[0]!.line, 4);
      assert.match(r.problems[0]!.message, /\^\(unclosed/);
    } finally {
      fx.remove();
    }
  });

  it('reports a param whose position is beyond the pattern\'s capture groups', () => {
    const fx = fixtureDir({
      'range.xml': recogXml('matches="x"', [
        '  <fingerprint pattern="^a(b)$">\n    <description>d</description>\n    <param pos="0" name="service.product" value="A"/>\n    <param pos="2" name="service.version"/>\n  </fingerprint>',
      ]),
    });
    try {
      const r = loadRecogDirs([fx.dir]);
      assert.equal(r.dbs.length, 0);
      assert.equal(r.problems[0]!.code, 'FINGERPRINT_PARAM_INVALID');
      assert.equal(r.problems[0]!.line, 3);
      assert.match(r.problems[0]!.message, /capture group 2, but the pattern has 1/);
    } finally {
      fx.remove();
    }
  });

  it('reports unknown flags and non-numeric positions as invalid params and patterns', () => {
    const fx = fixtureDir({
      'flags.xml': recogXml('matches="x"', ['  <fingerprint pattern="a" flags="REG_NOPE">\n    <description>d</description>\n  </fingerprint>']),
      'pos.xml': recogXml('matches="y"', ['  <fingerprint pattern="a">\n    <description>d</description>\n    <param pos="one" name="a.b" value=""/>\n  </fingerprint>']),
    });
    try {
      const r = loadRecogDirs([fx.dir]);
      const messages = r.problems.map((p) => `${p.file.split('/').pop()}:${p.line}: ${p.message}`).sort();
      assert.equal(messages.length, 2);
      assert.match(messages[0]!, /^flags\.xml:3: .*unknown regex flag "REG_NOPE"/);
      assert.match(messages[1]!, /^pos\.xml:5: param "a\.b" has pos "one"/);
    } finally {
      fx.remove();
    }
  });

  it('keys a database by its file name when it has no matches attribute, with preference 0.10 by default', () => {
    const fx = fixtureDir({ 'telnet_like.xml': good.replace('matches="demo.banner" ', '') });
    try {
      const [db] = loadRecogDirs([fx.dir]).dbs;
      assert.equal(db!.key, 'telnet_like');
      assert.equal(db!.preference, 0.1);
    } finally {
      fx.remove();
    }
  });

  it('reports a directory that does not exist instead of throwing', () => {
    const r = loadRecogDirs(['/nonexistent/sextant-fingerprints']);
    assert.equal(r.dbs.length, 0);
    assert.equal(r.problems[0]!.code, 'FINGERPRINT_DIR_UNREADABLE');
  });
});
