import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryPublisher, createNoopPublisher, createPipeline, isPermanentRejection, openSqliteStore, type Publisher } from '../../../collector/pipeline.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import type { AssetEvent } from '../../../collector/assets/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { parseOsDb } from '../../../collector/fingerprint/os/index.ts';
import { linuxRound } from '../os/linux-round.ts';
import { evidence } from '../os/packet-builder.ts';
import { batch, debianWebServer, OUI_FILE, record, recogEngine, tempDir } from './support.ts';

const MINI_OS_DB = parseOsDb(readFileSync(new URL('../../fixtures/os/mini-os-db.txt', import.meta.url), 'utf8'), 'mini-os-db');

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
  recogEngine();
});
after(() => tmp.remove());

let n = 0;
function pipeline(publisher: Publisher = createMemoryPublisher(), file = join(tmp.dir, `p${++n}.db`)) {
  const store = openSqliteStore(file);
  return { store, publisher, pipeline: createPipeline({ store, publisher, engine: recogEngine(), oui: loadOuiTable(OUI_FILE), osDb: MINI_OS_DB }) };
}

describe('the ingest pipeline', () => {
  it('stores a batch, merges it into one asset and publishes a created event', async () => {
    const publisher = createMemoryPublisher();
    const { pipeline: p } = pipeline(publisher);
    assert.deepEqual(await p.ingest(batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'))), { stored: 4, duplicates: 0 });
    const [asset] = await p.assets();
    assert.equal(asset!.os, 'Debian Linux');
    assert.equal(asset!.hw, 'Raspberry Pi Trading');
    assert.equal(publisher.messages.length, 1);
    const body = JSON.parse(publisher.messages[0]!.body) as AssetEvent;
    assert.equal(publisher.messages[0]!.subject, 'sextant.assets.lab.created');
    assert.equal(publisher.messages[0]!.msgId, `${asset!.id}:1`);
    assert.deepEqual(Object.keys(body), ['event', 'site', 'asset', 'changes']);
    assert.deepEqual(body.asset, asset);
    await p.close();
  });

  it('rejects a batch with one malformed record, naming the field, and stores nothing of it', async () => {
    const { pipeline: p, store } = pipeline();
    await p.ingest(batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03')));
    const records = debianWebServer('198.18.1.3', '00:1a:11:00:00:01');
    (records[2]!.target as { port: number }).port = 99999;
    await assert.rejects(p.ingest(batch(records)), (err: unknown) => {
      assert.ok(isSextantError(err, 'EVIDENCE_INVALID'));
      assert.equal(err.location.field, 'records[2].target.port');
      assert.ok(isPermanentRejection(err));
      return true;
    });
    assert.equal(await store.evidenceCount(), 4, 'the earlier batch is intact, nothing of the bad one is stored');
    assert.equal((await p.assets()).length, 1);
    await p.close();
  });

  it('counts a resent batch as duplicates and changes nothing', async () => {
    const publisher = createMemoryPublisher();
    const { pipeline: p } = pipeline(publisher);
    const b = batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'));
    await p.ingest(b);
    const before = await p.assets();
    assert.deepEqual(await p.ingest(b), { stored: 0, duplicates: 4 });
    const repeated = b.records[1]!;
    assert.deepEqual(await p.ingest(batch([repeated, repeated, record({ ip: '198.18.1.2' }, 'icmp', {})])), { stored: 1, duplicates: 2 });
    const afterwards = await p.assets();
    assert.equal(afterwards[0]!.evidence_count, before[0]!.evidence_count + 1);
    assert.equal(publisher.messages.length, 1, 'no event for a resend or a last_seen-only change');
    await p.close();
  });

  it('matches OS probe evidence against the Nmap OS database as a tcpip candidate', async () => {
    const { pipeline: p } = pipeline();
    const host = { target: '198.18.1.7', rounds: [evidence(linuxRound())], mac: '00:1a:11:00:00:07', directlyConnected: true };
    await p.ingest(batch([record({ ip: '198.18.1.7' }, 'os', { 'tcpip.os_probes': JSON.stringify(host) })]));
    const [asset] = await p.assets();
    assert.equal(asset!.attributes['fp.os.source'], 'tcpip');
    assert.equal(asset!.attributes['fp.os.match'], 'Testix 1.0');
    assert.equal(asset!.attributes['fp.os.certainty'], '0.96');
    assert.equal(asset!.type, 'general purpose');
    assert.deepEqual(asset!.macs, ['00:1a:11:00:00:07'], 'the MAC the agent saw on its link');
    await p.close();
  });

  it('keeps running when OS probe evidence is garbage: the record is stored, it just gives no OS', async () => {
    const { pipeline: p, store } = pipeline();
    const r = record({ ip: '198.18.1.5' }, 'os', { 'tcpip.os_probes': '{"rounds": [{"probes": "nope"}]' });
    assert.deepEqual(await p.ingest(batch([r])), { stored: 1, duplicates: 0 });
    assert.equal(await store.evidenceCount(), 1);
    await p.close();
  });

  it('keeps the in-memory inventory as committed when a commit fails, and the retried batch lands whole', async () => {
    const { pipeline: p, store } = pipeline();
    const real = store.commitBatch.bind(store);
    let fail = true;
    store.commitBatch = async (w) => {
      if (fail) throw new Error('disk full');
      return real(w);
    };
    const b = batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'));
    await assert.rejects(p.ingest(b), /disk full/);
    assert.equal((await p.assets()).length, 0);
    fail = false;
    assert.deepEqual(await p.ingest(b), { stored: 4, duplicates: 0 });
    const [asset] = await p.assets();
    assert.equal(asset!.revision, 1, 'the failed attempt left no trace');
    await p.close();
  });

  it('keeps events in the outbox while publishing fails and sends them once it works again', async () => {
    const memory = createMemoryPublisher();
    let down = true;
    const flaky: Publisher = {
      kind: 'memory',
      publish: async (m) => {
        if (down) throw new Error('nats down');
        return memory.publish(m);
      },
      close: async () => {},
    };
    const file = join(tmp.dir, 'outbox.db');
    const first = pipeline(flaky, file);
    assert.deepEqual(await first.pipeline.ingest(batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'))), { stored: 4, duplicates: 0 });
    assert.equal((await first.store.pendingMessages(10)).length, 1);
    await first.pipeline.close();
    down = false;
    // A restart publishes what the earlier run could not.
    const second = pipeline(flaky, file);
    await second.pipeline.ingest(batch([record({ ip: '198.18.1.9' }, 'icmp', {})]));
    assert.deepEqual(memory.messages.map((m) => m.subject), ['sextant.assets.lab.created', 'sextant.assets.lab.created']);
    // The leftover's body was rebuilt from the stored asset.
    const leftover = JSON.parse(memory.messages[0]!.body) as AssetEvent;
    const stored = (await second.pipeline.assets()).find((a) => a.addresses.includes('198.18.1.2'));
    assert.deepEqual(leftover.asset, stored);
    assert.equal(leftover.event, 'created');
    assert.ok(leftover.changes.length > 0);
    await second.pipeline.close();
    const reopened = openSqliteStore(file);
    assert.equal((await reopened.pendingMessages(10)).length, 0, 'acknowledged events leave the outbox');
    await reopened.close();
  });

  it('writes only the timestamps of a rescan that changed nothing else, and they survive a restart', async () => {
    const file = join(tmp.dir, 'rescan.db');
    const first = pipeline(createMemoryPublisher(), file);
    await first.pipeline.ingest(batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03')));
    await first.pipeline.ingest(batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03', '2024-05-03T08:00:00.000Z')));
    const [before] = await first.pipeline.assets();
    await first.pipeline.close();
    const db = new Database(file, { readonly: true });
    const row = db.prepare('SELECT last_seen, seen, doc FROM assets').get() as { last_seen: string; seen: string | null; doc: string };
    db.close();
    assert.ok(row.seen, 'the rescan went to the seen column');
    assert.equal((JSON.parse(row.doc) as { last_seen: string }).last_seen, '2024-05-01T12:00:00.000Z');
    assert.equal(row.last_seen, '2024-05-03T08:00:00.000Z');
    const second = pipeline(createMemoryPublisher(), file);
    const [after] = await second.pipeline.assets();
    assert.deepEqual(after, before);
    assert.equal(after!.last_seen, '2024-05-03T08:00:00.000Z');
    assert.ok(after!.services.every((s) => s.last_seen === '2024-05-03T08:00:00.000Z'));
    assert.equal(after!.evidence_count, 8);
    // A later real change writes the whole document again.
    await second.pipeline.ingest(batch([record({ ip: '198.18.1.2', port: 21, transport: 'tcp' }, 'ftp', { 'ftp.banner': '220 ProFTPD 1.3.8 Server (Debian) [::ffff:198.18.1.2]' }, { observedAt: '2024-05-04T00:00:00.000Z' })]));
    const [changed] = await second.pipeline.assets();
    assert.equal(changed!.revision, 2);
    assert.equal(changed!.last_seen, '2024-05-04T00:00:00.000Z');
    assert.equal(changed!.services.find((s) => s.port === 22)!.last_seen, '2024-05-03T08:00:00.000Z');
    await second.pipeline.close();
  });

  it('writes no outbox when events are not published at all', async () => {
    const { pipeline: p, store } = pipeline(createNoopPublisher());
    await p.ingest(batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03')));
    assert.equal((await store.pendingMessages(10)).length, 0);
    await p.close();
  });

  it('serializes concurrent batches so the same host is one asset', async () => {
    const { pipeline: p } = pipeline();
    const records = debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03');
    await Promise.all(records.map((r) => p.ingest(batch([r]))));
    const assets = await p.assets();
    assert.equal(assets.length, 1);
    assert.equal(assets[0]!.services.length, 3);
    await p.close();
  });
});
