// `sextant agent` through the real launcher: bin.js runs it from its esbuild
// bundle (no tsx loader thread), with the same command line and errors; the
// tsx path stays available (SEXTANT_AGENT_TSX=1) and is the fallback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sextant } from '../../helpers/cli.ts';

describe('the agent launcher', () => {
  it('runs the agent from its bundle with the usual options and errors', () => {
    const help = sextant(['agent', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--collector <host:port>/);
    assert.equal(help.stderr, '', 'the bundle was built and used (no fallback notice)');
    // A Sextant error from inside the bundled code: the token check, exit 2 and the message.
    const noToken = sextant(['agent', '--collector', '127.0.0.1:1', '--name', 'a', '--site', 's'], { env: { SEXTANT_ENROL_TOKEN: '' } });
    assert.equal(noToken.status, 2);
    assert.match(noToken.stderr, /^sextant: .*no enrolment token/m);
    assert.doesNotMatch(noToken.stderr, /through tsx/);
  });

  it('runs it through tsx when asked, or when no bundle can be made', () => {
    const viaTsx = sextant(['agent', '--help'], { env: { SEXTANT_AGENT_TSX: '1' } });
    assert.equal(viaTsx.status, 0);
    assert.match(viaTsx.stdout, /--collector <host:port>/);
    // A temporary directory that does not exist: no bundle file can be written (tsx then makes its cache there, inside ours).
    const dir = mkdtempSync(join(tmpdir(), 'sx-launcher-'));
    try {
      const noTmp = sextant(['agent', '--help'], { env: { TMPDIR: join(dir, 'missing') } });
      assert.equal(noTmp.status, 0);
      assert.match(noTmp.stdout, /--collector <host:port>/);
      assert.match(noTmp.stderr, /running the agent through tsx \(no bundle: ENOENT.*missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
