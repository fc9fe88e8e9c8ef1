import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPipeline, openSqliteStore, type Pipeline } from '../../../collector/pipeline.ts';
import { connectNatsPublisher } from '../../../collector/publish/index.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import type { AssetEvent } from '../../../collector/assets/index.ts';
import { batch, debianWebServer, OUI_FILE, record, recogEngine, tempDir } from '../../unit/collector/support.ts';
import { NATS_URL, testStream, type TestStream } from './nats-support.ts';

let ts: TestStream;
let tmp: ReturnType<typeof tempDir>;
let pipeline: Pipeline;
const dbFile = () => join(tmp.dir, 'inventory.db');

async function open(): Promise<Pipeline> {
  const publisher = await connectNatsPublisher({ servers: NATS_URL, stream: ts.stream, subjectPrefix: ts.subjectPrefix });
  return createPipeline({ store: openSqliteStore(dbFile()), publisher, engine: recogEngine(), oui: loadOuiTable(OUI_FILE), subjectPrefix: ts.subjectPrefix });
}

before(async () => {
  tmp = tempDir();
  ts = await testStream();
  pipeline = await open();
});
after(async () => {
  await pipeline?.close();
  await ts?.remove();
  tmp?.remove();
});

describe('evidence to inventory to NATS, end to end', () => {
  const first = batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'));

  it('turns SSH, nginx and SNMP evidence into a Debian 12 asset with services, fp.* keys and a created event', async () => {
    assert.deepEqual(await pipeline.ingest(first), { stored: 4, duplicates: 0 });
    const [asset] = await pipeline.assets('lab');
    assert.ok(asset);
    assert.equal(asset.os, 'Debian Linux');
    assert.equal(asset.os_version, '12.0');
    assert.equal(asset.hw, 'Raspberry Pi Trading');
    assert.deepEqual(asset.addresses, ['198.18.1.2']);
    assert.deepEqual(asset.macs, ['dc:a6:32:01:02:03']);
    assert.deepEqual(asset.names, ['web01']);
    assert.equal(asset.attributes['fp.os.vendor'], 'Debian');
    assert.equal(asset.attributes['fp.os.cpe23'], 'cpe:/o:debian:debian_linux:12.0');
    assert.equal(asset.attributes['fp.os.source'], 'recog:ssh.banner');
    assert.equal(asset.attributes['fp.os.rule'], 'ssh_banners.xml:1455');
    assert.equal(asset.attributes['fp.hw.source'], 'oui');
    assert.equal(asset.attributes['fp.mac.vendor'], 'Raspberry Pi Trading');
    assert.ok(asset.attributes['fp.build']);
    const services = asset.services.map((s) => ({ port: `${s.transport}/${s.port}`, protocol: s.protocol, product: s.product, version: s.version, cpe23: s.cpe23 }));
    assert.deepEqual(services, [
      { port: 'tcp/22', protocol: 'ssh', product: 'OpenSSH', version: '9.2p1', cpe23: 'cpe:/a:openbsd:openssh:9.2p1' },
      { port: 'tcp/80', protocol: 'http', product: 'nginx', version: '1.22.1', cpe23: 'cpe:/a:f5:nginx:1.22.1' },
      { port: 'udp/161', protocol: 'snmp', product: undefined, version: undefined, cpe23: undefined },
    ]);
    assert.equal(asset.services[0]!.attributes['fp.service.source'], 'recog:ssh.banner');

    const [message] = await ts.read(1);
    assert.ok(message);
    assert.equal(message.subject, `${ts.subjectPrefix}.lab.created`);
    assert.equal(message.headers?.get('Nats-Msg-Id'), `${asset.id}:1`);
    const event = message.json() as AssetEvent;
    assert.equal(event.event, 'created');
    assert.equal(event.site, 'lab');
    assert.deepEqual(event.asset, asset);
    assert.ok(event.changes.some((c) => c.field === 'os' && c.after === 'Debian Linux'));
  });

  it('publishes an updated event with what changed when a later batch adds a service', async () => {
    const redis = record({ ip: '198.18.1.2', port: 6379, transport: 'tcp' }, 'redis', {
      'redis.info': '# Server\nredis_version:7.0.15\nredis_git_sha1:00000000\nredis_git_dirty:0\nredis_build_id:2c3f1a4e1a7b2f3e\nredis_mode:standalone\nos:Linux 6.1.0-18-amd64 x86_64\narch_bits:64',
    }, { observedAt: '2024-05-01T13:00:00.000Z' });
    assert.deepEqual(await pipeline.ingest(batch([redis])), { stored: 1, duplicates: 0 });
    const messages = await ts.read(2);
    const update = messages[1]!;
    assert.equal(update.subject, `${ts.subjectPrefix}.lab.updated`);
    const event = update.json() as AssetEvent;
    assert.equal(event.asset.revision, 2);
    assert.equal(update.headers?.get('Nats-Msg-Id'), `${event.asset.id}:2`);
    const change = event.changes.find((c) => c.field === 'service:198.18.1.2/tcp/6379');
    assert.deepEqual(change, { field: 'service:198.18.1.2/tcp/6379', before: null, after: 'Redis 7.0.15 (redis)' });
    assert.equal(event.asset.last_seen, '2024-05-01T13:00:00.000Z');
  });

  it('acknowledges a resent batch as duplicates and publishes nothing for it', async () => {
    assert.deepEqual(await pipeline.ingest(first), { stored: 0, duplicates: 4 });
    const messages = await ts.read(3, 1000);
    assert.equal(messages.length, 2);
  });

  it('keeps the inventory across a restart and finds the same asset again', async () => {
    await pipeline.close();
    pipeline = await open();
    const later = debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03', '2024-05-02T12:00:00.000Z');
    await pipeline.ingest(batch(later));
    const assets = await pipeline.assets();
    assert.equal(assets.length, 1);
    assert.equal(assets[0]!.last_seen, '2024-05-02T12:00:00.000Z');
    assert.equal(assets[0]!.services.length, 4);
  });
});
