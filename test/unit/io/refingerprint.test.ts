import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRecogEngine } from '../../../collector/fingerprint/index.ts';
import { createMemoryPublisher, createPipeline, openSqliteStore } from '../../../collector/pipeline.ts';
import { compileAssetFilter } from '../../../collector/publish/asset-filter.ts';
import type { AssetEvent } from '../../../collector/assets/index.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { sextant } from '../../helpers/cli.ts';
import { batch, debianWebServer, record, tempDir } from '../collector/support.ts';

let tmp: ReturnType<typeof tempDir>;
let custom: string;
before(() => {
  tmp = tempDir();
  custom = join(tmp.dir, 'custom');
  mkdirSync(custom);
  // A custom fingerprint for a server header nothing built-in knows.
  writeFileSync(join(custom, 'acme.xml'), `<?xml version="1.0"?>
<fingerprints matches="http_header.server" protocol="http" database_type="service" preference="0.95">
  <fingerprint pattern="^AcmeHTTPd/(\\d+\\.\\d+)$">
    <description>Acme appliance web server</description>
    <example service.version="2.1">AcmeHTTPd/2.1</example>
    <param pos="0" name="service.vendor" value="Acme"/>
    <param pos="0" name="service.product" value="AcmeHTTPd"/>
    <param pos="1" name="service.version"/>
    <param pos="0" name="os.vendor" value="Acme"/>
    <param pos="0" name="os.product" value="AcmeOS"/>
    <param pos="0" name="hw.device" value="Printer"/>
  </fingerprint>
</fingerprints>
`);
});
after(() => tmp.remove());

const builtin = [join(REPO, 'fingerprints'), SHARED_RECOG_XML];

describe('refingerprint', () => {
  it('replays stored evidence through the new engine; only changed assets are written and announced', async () => {
    const db = join(tmp.dir, 'r1.db');
    const acme = [
      record({ ip: '198.18.9.7', port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'AcmeHTTPd/2.1' }),
      record({ ip: '198.18.9.7', port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' }),
    ];
    const first = createPipeline({ store: openSqliteStore(db), publisher: createMemoryPublisher(), engine: createRecogEngine({ builtinDirs: builtin }) });
    await first.ingest(batch([...debianWebServer('198.18.9.2', 'dc:a6:32:01:02:03'), ...acme]));
    const before = await first.assets();
    assert.equal(before.length, 2);
    const acmeBefore = before.find((a) => a.addresses.includes('198.18.9.7'))!;
    assert.equal(acmeBefore.os, 'Debian Linux');
    await first.close();

    // Same engine: nothing changes, nothing is written or published.
    const samePublisher = createMemoryPublisher();
    const same = createPipeline({ store: openSqliteStore(db), publisher: samePublisher, engine: createRecogEngine({ builtinDirs: builtin }) });
    const unchanged = await same.refingerprint();
    assert.deepEqual([unchanged.examined, unchanged.evidence, unchanged.updated], [2, 6, 0]);
    assert.equal(samePublisher.messages.length, 0);
    await same.close();

    const publisher = createMemoryPublisher();
    const store = openSqliteStore(db);
    const next = createPipeline({ store, publisher, engine: createRecogEngine({ builtinDirs: builtin, externalDir: custom }) });
    const result = await next.refingerprint();
    assert.equal(result.updated, 1);
    assert.equal(publisher.messages.length, 1);
    assert.match(publisher.messages[0]!.subject, /^sextant\.assets\.lab\.updated$/);
    const event = JSON.parse(publisher.messages[0]!.body) as AssetEvent;
    assert.equal(event.event, 'updated');
    assert.equal(event.asset.id, acmeBefore.id);
    assert.equal(event.asset.revision, acmeBefore.revision + 1);
    const fields = new Map(event.changes.map((c) => [c.field, c]));
    // The custom claim (0.85, custom) wins the tie against the SSH banner's Debian.
    assert.deepEqual(fields.get('os'), { field: 'os', before: 'Debian Linux', after: 'AcmeOS' });
    assert.deepEqual(fields.get('service:198.18.9.7/tcp/80'), { field: 'service:198.18.9.7/tcp/80', before: 'http', after: 'AcmeHTTPd 2.1 (http)' });
    assert.equal(fields.get('type')?.after, 'Printer');
    // Stored, and what a fresh load of the file says.
    const stored = (await store.getAsset(acmeBefore.id))!;
    assert.equal(stored.os, 'AcmeOS');
    assert.equal(stored.revision, acmeBefore.revision + 1);
    const again = await next.refingerprint();
    assert.equal(again.updated, 0);
    assert.equal(publisher.messages.length, 1);
    await next.close();
  });

  it('replays only the assets the query selects', async () => {
    const db = join(tmp.dir, 'r2.db');
    const p1 = createPipeline({ store: openSqliteStore(db), publisher: createMemoryPublisher(), engine: createRecogEngine({ builtinDirs: builtin }) });
    await p1.ingest(batch([record({ ip: '198.18.9.8', port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'AcmeHTTPd/2.1' })]));
    await p1.close();
    const p2 = createPipeline({ store: openSqliteStore(db), publisher: createMemoryPublisher(), engine: createRecogEngine({ builtinDirs: builtin, externalDir: custom }) });
    const none = await p2.refingerprint({ select: compileAssetFilter('address:198.18.9.9') });
    assert.deepEqual([none.examined, none.updated], [0, 0]);
    const some = await p2.refingerprint({ select: compileAssetFilter('address:198.18.9.8 port:80') });
    assert.deepEqual([some.examined, some.updated], [1, 1]);
    await p2.close();
  });

  it('the command reports what changed', () => {
    const db = join(tmp.dir, 'r3.db');
    const jsonl = join(tmp.dir, 'acme.jsonl');
    writeFileSync(jsonl, `${JSON.stringify(record({ ip: '198.18.9.10', port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'AcmeHTTPd/2.1' }))}\n`);
    assert.equal(sextant(['import', jsonl, '--db', db]).status, 0);
    const r = sextant(['refingerprint', '--db', db, '--json'], { env: { SEXTANT_EXTERNAL_FINGERPRINTS: custom } });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { examined: number; updated: number; changes: Record<string, Array<{ field: string; after: unknown }>> };
    assert.equal(summary.updated, 1);
    const changes = Object.values(summary.changes)[0]!;
    assert.ok(changes.some((c) => c.field === 'os' && c.after === 'AcmeOS'));
    const again = sextant(['refingerprint', 'address:198.18.9.10', '--db', db], { env: { SEXTANT_EXTERNAL_FINGERPRINTS: custom } });
    assert.match(again.stdout, /1 assets examined \(1 evidence records\): no fingerprint changed; nothing written/);
  });
});
