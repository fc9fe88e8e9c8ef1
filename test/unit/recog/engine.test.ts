import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRecogEngine, fingerprintFacts, prepareNow } from '../../../collector/fingerprint/index.ts';
import { memoryLogger } from '../../../shared/logging.ts';
import { SHARED_RECOG_XML, fixtureDir, recogXml } from '../../helpers/recog.ts';

const customSsh = recogXml('matches="ssh.banner" protocol="ssh" preference="0.90"', [
  `  <fingerprint pattern="^OpenSSH_([\\w.]+)">
    <description>OpenSSH on AcmeOS</description>
    <example service.version="9.9">OpenSSH_9.9 AcmeOS</example>
    <param pos="0" name="service.product" value="OpenSSH"/>
    <param pos="1" name="service.version"/>
    <param pos="0" name="os.vendor" value="Acme"/>
    <param pos="0" name="os.product" value="AcmeOS"/>
    <param pos="0" name="os.certainty" value="0.85"/>
  </fingerprint>`,
]);

describe('the Recog engine', () => {
  it('matches by key in preference order and decodes raw bytes as UTF-8 or latin1', () => {
    const engine = createRecogEngine({ builtinDirs: [SHARED_RECOG_XML] });
    assert.equal(engine.match('ssh.banner', 'OpenSSH_9.2p1 Debian-2+deb12u3')?.['os.version'], '12.0');
    assert.equal(engine.match('ssh.banner', Buffer.from('OpenSSH_9.2p1 Debian-2+deb12u3'))?.['service.version'], '9.2p1');
    assert.equal(engine.match('no.such.key', 'x'), null);
    assert.equal(engine.match('ssh.banner', Buffer.from([0xff, 0xfe, 0x00])), null);
  });

  it('loads custom fingerprints after the built-in ones, logs their count, and lets them win a tie', () => {
    const fx = fixtureDir({ 'acme.xml': customSsh });
    const { logger, entries } = memoryLogger();
    try {
      const engine = createRecogEngine({ builtinDirs: [SHARED_RECOG_XML], externalDir: fx.dir, logger });
      assert.ok(entries.some((e) => e.msg === 'loaded (1) external fingerprints'));
      // Both claim the OS at 0.85: the built-in says Debian, the custom one AcmeOS.
      const each = engine.matchEach('ssh.banner', 'OpenSSH_9.2p1 Debian-2+deb12u3');
      assert.deepEqual(each.map((m) => [m.db.custom, m.result['os.vendor']]), [[true, 'Acme'], [false, 'Debian']]);
      const summary = fingerprintFacts({ 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' }, engine);
      assert.equal(summary.fp['fp.os.vendor'], 'Acme');
      assert.equal(summary.os, 'AcmeOS', 'a product that starts with its vendor is not prefixed twice');
      assert.equal(summary.fp['fp.service.version'], '9.2p1');
    } finally {
      fx.remove();
    }
  });

  it('runs on without the custom set when one custom file is broken, naming file and line', () => {
    const fx = fixtureDir({ 'acme.xml': customSsh, 'zz_broken.xml': recogXml('matches="x"', ['  <fingerprint pattern="(">\n    <description>d</description>\n  </fingerprint>']) });
    const { logger, entries } = memoryLogger();
    try {
      const engine = createRecogEngine({ builtinDirs: [SHARED_RECOG_XML], externalDir: fx.dir, logger });
      const warning = entries.find((e) => e.level === 40);
      assert.ok(warning, 'a warning was logged');
      assert.match(String(warning.msg), /zz_broken\.xml:3: /);
      assert.equal(engine.current().externalFingerprints, 0);
      assert.equal(engine.matchEach('ssh.banner', 'OpenSSH_9.9 AcmeOS').filter((m) => m.db.custom).length, 0);
      assert.ok(engine.match('ssh.banner', 'OpenSSH_9.2p1 Debian-2+deb12u3'), 'built-in fingerprints still work');
    } finally {
      fx.remove();
    }
  });

  it('drops a custom set that takes longer than its load timeout, with a warning', () => {
    const fx = fixtureDir({ 'acme.xml': customSsh });
    const { logger, entries } = memoryLogger();
    try {
      const engine = createRecogEngine({ builtinDirs: [], externalDir: fx.dir, logger, externalLoadTimeoutMs: -1 });
      assert.equal(engine.current().externalFingerprints, 0);
      assert.ok(entries.some((e) => e.level === 40 && /took too long/.test(String(e.msg))));
    } finally {
      fx.remove();
    }
  });

  it('swaps the whole set on reload, so a fixed custom file takes effect', () => {
    const fx = fixtureDir({ 'acme.xml': customSsh.replace('^OpenSSH_', '^OpenSSH_(') });
    try {
      const engine = createRecogEngine({ builtinDirs: [], externalDir: fx.dir });
      const before = engine.current();
      assert.equal(engine.match('ssh.banner', 'OpenSSH_9.9 AcmeOS'), null);
      writeFileSync(join(fx.dir, 'acme.xml'), customSsh);
      engine.reload();
      assert.notEqual(engine.current(), before);
      assert.equal(before.externalFingerprints, 0, 'the old set is untouched');
      assert.equal(engine.match('ssh.banner', 'OpenSSH_9.9 AcmeOS')?.['os.product'], 'AcmeOS');
    } finally {
      fx.remove();
    }
  });

  it('compiles every risky pattern\'s linear-time programs in the background soon after loading', async () => {
    const engine = createRecogEngine({ builtinDirs: [SHARED_RECOG_XML] });
    // A hang guard, not a speed assertion: the background work is a few CPU-seconds,
    // and this machine's cores are shared.
    const deadline = Date.now() + 120_000;
    // Nothing left to prepare once the background work is done.
    while (prepareNowDryRun(engine) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(prepareNow(engine.current().dbs), 0);
  });
});

/** How many patterns still wait for their linear programs, without preparing them. */
function prepareNowDryRun(engine: ReturnType<typeof createRecogEngine>): number {
  let waiting = 0;
  for (const db of engine.current().dbs) {
    for (const fp of db.fingerprints) {
      const c = fp.compiled;
      if (c.linearAvailable && Math.min(c.maxV8Length, c.maxV8LengthMulti) < 64 * 1024 && !c.linearPrepared()) waiting++;
    }
  }
  return waiting;
}

