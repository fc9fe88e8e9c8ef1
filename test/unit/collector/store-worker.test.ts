// The worker-thread store must behave exactly like the in-process one: same
// file, same answers, same errors (as SextantErrors naming the file), in order.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { indexSite, planSiteUpdate, type Asset } from '../../../collector/assets/index.ts';
import { MIGRATIONS, openSqliteStore, openSqliteStoreInWorker, SCHEMA_VERSION, type BatchWrite } from '../../../collector/store/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { AGENT, record, SITE, tempDir } from './support.ts';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
});
after(() => tmp.remove());

function sampleAsset(id: string, ip: string): Asset {
  const update = planSiteUpdate(indexSite(SITE, []), [{
    site: SITE, ip, agentId: AGENT, macs: [{ mac: '00:1a:11:00:00:01', vendor: 'Google' }], names: [], candidates: [],
    services: [{ transport: 'tcp', port: 22, probes: ['ssh'], candidates: [], components: [], firstSeen: '2024-05-01T12:00:00.000Z', lastSeen: '2024-05-01T12:00:00.000Z' }],
    firstSeen: '2024-05-01T12:00:00.000Z', lastSeen: '2024-05-01T12:00:00.000Z', evidenceIds: [id],
  }]);
  return [...update.changed.values()][0]!.after;
}

function write(records: ReturnType<typeof record>[], assets: Asset[] = [], batchId = 'b1'): BatchWrite {
  return {
    batchId, agentId: AGENT, site: SITE, receivedAt: '2024-05-01T12:00:01.000Z',
    evidence: records.map((r) => ({ record: r, assetId: assets[0]?.id })),
    assets: assets.map((asset) => ({ asset, previous: undefined })),
    outbox: assets.map((a) => ({ subject: `sextant.assets.${SITE}.created`, msgId: `${a.id}:1`, assetId: a.id, envelope: '{}' })),
  };
}

describe('the SQLite store on a worker thread', () => {
  it('creates and migrates the file, commits, and reads back what the in-process store reads', async () => {
    const file = join(tmp.dir, 'w1.db');
    const r = record({ ip: '198.18.1.2', port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.2p1' }, { raw: { 'ssh.banner': 'T3BlblNTSA==' } });
    const asset = sampleAsset(r.id, '198.18.1.2');
    const store = await openSqliteStoreInWorker(file);
    assert.equal(store.kind, 'sqlite');
    assert.deepEqual(await store.commitBatch(write([r], [asset])), { stored: 1, duplicates: 0 });
    assert.deepEqual([...await store.knownEvidence([r.id, 'unknown'])], [r.id]);
    assert.deepEqual(await store.loadSite(SITE), [asset]);
    assert.deepEqual(await store.getAsset(asset.id), asset);
    assert.equal(await store.evidenceCount(), 1);
    const pending = await store.pendingMessages(10);
    assert.equal(pending.length, 1);
    await store.deleteMessages(pending.map((m) => m.seq!));
    assert.equal((await store.pendingMessages(10)).length, 0);
    await store.close();
    await store.close();
    const db = new Database(file, { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').pluck().all(), MIGRATIONS.map((m) => m.version));
    assert.equal(MIGRATIONS[MIGRATIONS.length - 1]!.version, SCHEMA_VERSION);
    db.close();
    const same = openSqliteStore(file);
    const [back] = await same.readEvidence();
    assert.deepEqual(back!.facts, r.facts);
    assert.deepEqual(back!.raw, r.raw);
    assert.deepEqual(await same.listAssets(SITE), [asset]);
    await same.close();
  });

  it('answers calls made without waiting in the order they were made', async () => {
    const store = await openSqliteStoreInWorker(join(tmp.dir, 'w2.db'));
    const a = record({ ip: '198.18.1.2' }, 'icmp', {});
    const b = record({ ip: '198.18.1.3' }, 'icmp', {});
    const results = await Promise.all([
      store.commitBatch(write([a])),
      store.evidenceCount(),
      store.commitBatch(write([a, b], [], 'b2')),
      store.evidenceCount(),
    ]);
    assert.deepEqual(results, [{ stored: 1, duplicates: 0 }, 1, { stored: 1, duplicates: 1 }, 2]);
    await store.close();
  });

  it('rejects a failing transaction with its error and stores nothing of it', async () => {
    const store = await openSqliteStoreInWorker(join(tmp.dir, 'w3.db'));
    const good = record({ ip: '198.18.1.2' }, 'icmp', {});
    const broken = { ...record({ ip: '198.18.1.3' }, 'icmp', {}), facts: undefined as unknown as Record<string, string> };
    await assert.rejects(store.commitBatch(write([good, broken])), /NOT NULL/);
    assert.equal(await store.evidenceCount(), 0);
    assert.deepEqual(await store.commitBatch(write([good])), { stored: 1, duplicates: 0 }, 'the store keeps working');
    await store.close();
  });

  it('refuses a newer schema and an unusable path with the same SextantErrors as in-process', async () => {
    const file = join(tmp.dir, 'w4.db');
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', new Date().toISOString());
    db.close();
    await assert.rejects(openSqliteStoreInWorker(file), (err: unknown) => isSextantError(err, 'STORE_SCHEMA_NEWER') && err.message.includes(file));
    const notADir = join(tmp.dir, 'plain-file');
    writeFileSync(notADir, '');
    const bad = join(notADir, 'x.db');
    await assert.rejects(openSqliteStoreInWorker(bad), (err: unknown) => isSextantError(err, 'STORE_UNAVAILABLE') && err.message.includes(bad));
  });
});
