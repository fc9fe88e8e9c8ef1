// The search index inside the store: kept up to date at commit, built for
// stores written before migration 2, and paged with a cursor and a total.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fromStored, toStored } from '../../../collector/assets/index.ts';
import { MIGRATIONS, migrate, openSqliteStore } from '../../../collector/store/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { tempDir } from '../collector/support.ts';
import { build, NOW, SPECS, labelOf, writeFixture } from './fixture.ts';

const ids = (assets: Array<{ id: string }>) => assets.map((a) => labelOf(a.id)).sort();

describe('search: the index in the store', () => {
  it('follows changes committed later, and a rescan that only moves last_seen', async () => {
    const store = openSqliteStore(':memory:');
    const assets = await writeFixture(store);
    const web = assets.find((a) => a.id === 'asset-web01')!;
    const changed = fromStored({ ...web, revision: 2, names: ['renamed.example.test'], candidates: web.candidates.filter((c) => c.category !== 'os') });
    await store.commitBatch({ batchId: 'b2', agentId: 'agent-1', site: 'lab', receivedAt: NOW.toISOString(), evidence: [], assets: [{ asset: changed, previous: web }], outbox: [] });
    assert.deepEqual(ids((await store.searchAssets('name:renamed', { limit: 10, now: NOW })).assets), ['web01']);
    assert.deepEqual(ids((await store.searchAssets('name:web01', { limit: 10, now: NOW })).assets), []);
    assert.ok(!ids((await store.searchAssets('os:ubuntu', { limit: 10, now: NOW })).assets).includes('web01'));
    // seenOnly: last_seen moves two weeks back in time relative to a later "now".
    const later = new Date('2024-06-01T00:00:00.000Z');
    assert.ok(!ids((await store.searchAssets('last_seen:<1d', { limit: 50, now: later })).assets).includes('bare'));
    const bare = assets.find((a) => a.id === 'asset-bare')!;
    const seen = { ...bare, last_seen: '2024-05-31T12:00:00.000Z' };
    await store.commitBatch({ batchId: 'b3', agentId: 'agent-1', site: 'lab', receivedAt: NOW.toISOString(), evidence: [], assets: [{ asset: seen, previous: bare, seenOnly: true }], outbox: [] });
    assert.deepEqual(ids((await store.searchAssets('last_seen:<1d', { limit: 50, now: later })).assets), ['bare']);
    // An asset absorbed by a merge leaves the index with it.
    const gone = { batchId: 'b4', agentId: 'agent-1', site: 'lab', receivedAt: NOW.toISOString(), evidence: [], assets: [], outbox: [], deleted: [{ id: 'asset-bare', into: 'asset-web01' }] };
    await store.commitBatch(gone);
    assert.deepEqual(ids((await store.searchAssets('address:198.18.3.3', { limit: 50, now: NOW })).assets), []);
    await store.close();
  });

  it('pages with a cursor and a total, in a stable order', async () => {
    const store = openSqliteStore(':memory:');
    await writeFixture(store);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.searchAssets('NOT os:windows', { limit: 3, cursor, now: NOW });
      assert.equal(page.total, SPECS.length - 2);
      seen.push(...page.assets.map((a) => a.id));
      cursor = page.next;
      pages++;
    } while (cursor);
    assert.equal(pages, Math.ceil((SPECS.length - 2) / 3));
    assert.equal(new Set(seen).size, SPECS.length - 2);
    await assert.rejects(store.searchAssets('', { limit: 3, cursor: 'bogus', now: NOW }), (e: unknown) => isSextantError(e, 'SEARCH_CURSOR_INVALID'));
    await assert.rejects(store.searchAssets('os:(', { limit: 3, now: NOW }), (e: unknown) => isSextantError(e, 'SEARCH_SYNTAX'));
    const streamed: string[] = [];
    for await (const a of store.streamAssets('site:lab', { now: NOW })) streamed.push(labelOf(a.id));
    assert.deepEqual(streamed.sort(), ids((await store.searchAssets('site:lab', { limit: 100, now: NOW })).assets));
    assert.deepEqual(await store.attributeKeys(), [...await store.attributeKeys()].sort());
    assert.ok((await store.attributeKeys()).includes('fp.os.vendor'));
    assert.ok(!(await store.attributeKeys()).some((k) => k.startsWith('fp.service.')));
    await store.close();
  });

  it('builds the index from stored documents when a version-1 store is opened', async () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'old.db');
      const db = new Database(file);
      migrate(db, file, [MIGRATIONS[0]!]);
      const insert = db.prepare(`INSERT INTO assets (id, site, revision, first_seen, last_seen, alive, os, os_version, hw, type, doc) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const spec of SPECS) {
        const a = fromStored(build(spec));
        insert.run(a.id, a.site, a.first_seen, a.last_seen, a.alive ? 1 : 0, a.os ?? null, a.os_version ?? null, a.hw ?? null, a.type ?? null, JSON.stringify(toStored(a)));
      }
      db.close();
      const store = openSqliteStore(file);
      assert.deepEqual(ids((await store.searchAssets('os:ubuntu', { limit: 50, now: NOW })).assets), ['db01', 'k8s', 'under', 'web01']);
      assert.equal((await store.searchAssets('', { limit: 1, now: NOW })).total, SPECS.length);
      await store.close();
      // Opening again does not index twice.
      const again = openSqliteStore(file);
      assert.equal((await again.searchAssets('', { limit: 1, now: NOW })).total, SPECS.length);
      await again.close();
    } finally {
      tmp.remove();
    }
  });
});
