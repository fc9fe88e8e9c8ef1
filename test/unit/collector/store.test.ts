import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { indexSite, planSiteUpdate, type Asset } from '../../../collector/assets/index.ts';
import { MIGRATIONS, openSqliteStore, SCHEMA_VERSION, type BatchWrite } from '../../../collector/store/index.ts';
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

describe('the SQLite store', () => {
  it('creates the file, WAL mode and the whole schema on first start, recording the migration', async () => {
    const file = join(tmp.dir, 'nested', 'first.db');
    const store = openSqliteStore(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    for (const t of ['assets', 'asset_addresses', 'asset_macs', 'asset_services', 'batches', 'evidence', 'outbox', 'schema_migrations']) assert.ok(tables.includes(t), t);
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').pluck().all(), MIGRATIONS.map((m) => m.version));
    assert.equal(MIGRATIONS[MIGRATIONS.length - 1]!.version, SCHEMA_VERSION);
    db.close();
  });

  it('keeps evidence, assets and pending messages across a reopen, without migrating again', async () => {
    const file = join(tmp.dir, 'reopen.db');
    const r = record({ ip: '198.18.1.2', port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.2p1' }, { raw: { 'ssh.banner': 'T3BlblNTSA==' } });
    const asset = sampleAsset(r.id, '198.18.1.2');
    let store = openSqliteStore(file);
    assert.deepEqual(await store.commitBatch(write([r], [asset])), { stored: 1, duplicates: 0 });
    await store.close();
    store = openSqliteStore(file);
    assert.equal(await store.evidenceCount(), 1);
    const [back] = await store.readEvidence();
    assert.equal(back!.id, r.id);
    assert.deepEqual(back!.facts, r.facts);
    assert.deepEqual(back!.raw, r.raw);
    assert.deepEqual(back!.target, r.target);
    assert.equal(back!.assetId, asset.id);
    assert.deepEqual(await store.loadSite(SITE), [asset]);
    const pending = await store.pendingMessages(10);
    assert.equal(pending.length, 1);
    await store.deleteMessages(pending.map((m) => m.seq!));
    assert.equal((await store.pendingMessages(10)).length, 0);
    await store.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get(), MIGRATIONS.length);
    assert.deepEqual(db.prepare('SELECT address, asset_id FROM asset_addresses').all(), [{ address: '198.18.1.2', asset_id: asset.id }]);
    assert.deepEqual(db.prepare('SELECT port, protocol FROM asset_services').all(), [{ port: 22, protocol: 'ssh' }]);
    db.close();
  });

  it('treats a resent record as a no-op, counted as a duplicate', async () => {
    const store = openSqliteStore(join(tmp.dir, 'dup.db'));
    const a = record({ ip: '198.18.1.2' }, 'icmp', {});
    const b = record({ ip: '198.18.1.3' }, 'icmp', {});
    assert.deepEqual(await store.commitBatch(write([a])), { stored: 1, duplicates: 0 });
    assert.deepEqual(await store.commitBatch(write([a, b], [], 'b2')), { stored: 1, duplicates: 1 });
    assert.equal(await store.evidenceCount(), 2);
    assert.deepEqual([...await store.knownEvidence([a.id, b.id, 'unknown'])].sort(), [a.id, b.id].sort());
    await store.close();
  });

  it('writes nothing of a batch whose transaction fails', async () => {
    const store = openSqliteStore(join(tmp.dir, 'atomic.db'));
    const good = record({ ip: '198.18.1.2' }, 'icmp', {});
    const broken = { ...record({ ip: '198.18.1.3' }, 'icmp', {}), facts: undefined as unknown as Record<string, string> };
    await assert.rejects(store.commitBatch(write([good, broken])));
    assert.equal(await store.evidenceCount(), 0);
    await store.close();
  });

  it('answers knownEvidence for more ids than one SQL statement may bind', async () => {
    const store = openSqliteStore(join(tmp.dir, 'many.db'));
    const records = Array.from({ length: 1200 }, (_, i) => record({ ip: `198.18.${i >> 8}.${i & 255}` }, 'icmp', {}));
    await store.commitBatch(write(records));
    assert.equal((await store.knownEvidence(records.map((r) => r.id))).size, 1200);
    await store.close();
  });

  it('refuses a file written by a newer schema instead of guessing', async () => {
    const file = join(tmp.dir, 'newer.db');
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', new Date().toISOString());
    db.close();
    assert.throws(() => openSqliteStore(file), (err: unknown) => isSextantError(err, 'STORE_SCHEMA_NEWER') && err.message.includes(file));
  });

  it('fails with STORE_UNAVAILABLE naming the file when it cannot be opened', () => {
    const notADir = join(tmp.dir, 'plain-file');
    writeFileSync(notADir, '');
    const file = join(notADir, 'x.db');
    assert.throws(() => openSqliteStore(file), (err: unknown) => isSextantError(err, 'STORE_UNAVAILABLE') && err.message.includes(file));
  });
});
