// Real Nmap output: Debian's nmap (-O -sV) against sshd and nginx in a test
// namespace, imported; the OS fingerprint goes through Sextant's own matcher.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { IMPORT_LIMITS, parseImport } from '../../../collector/import/index.ts';
import { loadOsDb } from '../../../collector/fingerprint/os/index.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import { createMemoryPublisher, createPipeline, openSqliteStore } from '../../../collector/pipeline.ts';
import type { AssetEvent } from '../../../collector/assets/index.ts';
import { assertSafeTarget, createLab, labUnavailableReason, type Lab } from '../../helpers/netlab.ts';
import { OUI_FILE, recogEngine, tempDir } from '../../unit/collector/support.ts';
import { createSite, type Site } from '../pipeline/site-lab.ts';

const NMAP = '/usr/bin/nmap';
const skip = labUnavailableReason() ?? (existsSync(NMAP) ? undefined : 'needs Debian\'s nmap');
const MAC = '00:1b:21:5e:00:07';

let lab: Lab | undefined;
let site: Site | undefined;
let tmp: ReturnType<typeof tempDir>;
let xml = '';
let target = '';

before(async () => {
  tmp = tempDir();
  if (skip) return;
  lab = await createLab();
  site = await createSite(lab, 11, [{ mac: MAC, daemons: ['sshd', 'nginx'] }]);
  target = site.hosts[0]!.ip;
  assertSafeTarget(target);
  // sshd and nginx take a moment to bind.
  for (let i = 0; i < 50; i++) {
    const probe = await lab.run('nmap', ['-n', '-Pn', '-p', '22,80', '--open', '-oG', '-', target], { timeoutMs: 30_000 });
    if (/22\/open.*80\/open/.test(probe)) break;
    await delay(200);
  }
  // -n: no DNS; nmap runs inside the lab's namespace, so every packet stays in the test's namespaces.
  xml = await lab.run('nmap', ['-n', '-oX', '-', '-O', '-sV', '-p', '22,80,81', '--max-retries', '1', target], { timeoutMs: 180_000 });
});

after(async () => {
  await site?.teardown();
  await lab?.teardown();
  tmp.remove();
});

describe('importing a real nmap -oX -O -sV scan', { skip }, () => {
  it('yields one asset with the MAC, Linux from Sextant\'s matcher, and the -sV services', async () => {
    const parsed = parseImport(xml, { file: 'nmap.xml', site: 'lab' });
    assert.equal(parsed.format, 'nmap-xml');
    assert.ok(parsed.records.some((r) => r.facts['nmap.os_fingerprint']?.startsWith('OS:SCAN(')), 'nmap printed an OS fingerprint');
    const publisher = createMemoryPublisher();
    const store = openSqliteStore(join(tmp.dir, 'n.db'));
    const pipeline = createPipeline({ store, publisher, engine: recogEngine(), oui: loadOuiTable(OUI_FILE), osDb: loadOsDb('/usr/share/nmap/nmap-os-db') });
    const batch = { batchId: parsed.batchId, agentId: parsed.agentId, site: parsed.site, records: parsed.records };
    assert.deepEqual(await pipeline.ingest(batch, { limits: IMPORT_LIMITS, anyAgent: true, counts: true }), { stored: parsed.records.length, duplicates: 0, created: 1, updated: 0 });
    const [asset] = await pipeline.assets();
    assert.deepEqual(asset!.addresses, [target]);
    assert.deepEqual(asset!.macs, [MAC]);
    assert.equal(asset!.os, 'Linux');
    assert.equal(asset!.attributes['fp.os.source'], 'Nmap');
    assert.match(asset!.attributes['fp.os.rule']!, /^nmap-os-db:\d+$/);
    const ssh = asset!.services.find((s) => s.port === 22);
    const http = asset!.services.find((s) => s.port === 80);
    assert.equal(ssh?.product, 'OpenSSH');
    assert.match(ssh?.version ?? '', /^\d+\.\d+p\d/);
    assert.equal(http?.product, 'nginx');
    assert.equal(asset!.services.some((s) => s.port === 81), false, 'a closed port is no service');
    assert.equal(JSON.parse(publisher.messages[0]!.body).event, 'created');
    // The same output again: nothing stored, nothing published.
    assert.deepEqual(await pipeline.ingest(batch, { limits: IMPORT_LIMITS, anyAgent: true, counts: true }), { stored: 0, duplicates: parsed.records.length, created: 0, updated: 0 });
    assert.equal(publisher.messages.length, 1);
    assert.equal((JSON.parse(publisher.messages[0]!.body) as AssetEvent).asset.id, asset!.id);
    await pipeline.close();
  });
});
