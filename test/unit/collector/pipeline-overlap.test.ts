// Planning batch N+1 while batch N commits: merges build on the uncommitted
// plans before them, commits keep their order, and a failed commit voids the
// plans made on top of it without leaving anything of them in memory or on disk.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryPublisher, createPipeline, isPermanentRejection, openSqliteStore } from '../../../collector/pipeline.ts';
import { openSqliteStoreInWorker, type Store } from '../../../collector/store/index.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { batch, debianWebServer, OUI_FILE, recogEngine, tempDir } from './support.ts';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
  recogEngine();
});
after(() => tmp.remove());

const oui = () => loadOuiTable(OUI_FILE);

describe('overlapped planning and committing', () => {
  it('voids the plans made on top of a failed commit; resent, every batch lands once and the host is one asset', async () => {
    const store = openSqliteStore(join(tmp.dir, 'void.db'));
    const real = store.commitBatch.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const commits: string[] = [];
    store.commitBatch = async (w) => {
      calls++;
      commits.push(w.batchId);
      if (calls === 1) {
        await gate;
        throw new Error('disk full');
      }
      return real(w);
    };
    const publisher = createMemoryPublisher();
    const p = createPipeline({ store, publisher, engine: recogEngine(), oui: oui() });
    const records = debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03');
    const first = batch(records.slice(0, 2));
    const second = batch(records.slice(2));
    const a = p.ingest(first);
    const b = p.ingest(second);
    // Let the second batch be planned on top of the first while the first's commit waits.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await assert.rejects(a, /disk full/);
    await assert.rejects(b, (err: unknown) => {
      assert.ok(isSextantError(err, 'STORE_UNAVAILABLE'));
      assert.match(err.message, /resend/);
      assert.ok(!isPermanentRejection(err), 'the agent must resend it');
      return true;
    });
    assert.deepEqual(commits, [first.batchId], 'the voided plan never reached the store');
    assert.equal((await p.assets()).length, 0, 'nothing of either batch stayed in memory');
    assert.equal(await store.evidenceCount(), 0);
    assert.deepEqual(await p.ingest(first), { stored: 2, duplicates: 0 });
    assert.deepEqual(await p.ingest(second), { stored: 2, duplicates: 0 });
    const assets = await p.assets();
    assert.equal(assets.length, 1);
    assert.equal(assets[0]!.evidence_count, 4);
    assert.equal(assets[0]!.services.length, 3);
    assert.equal(await store.evidenceCount(), 4);
    await p.close();
  });

  it('counts a record resent while its first copy is planned but not committed as a duplicate', async () => {
    const store = openSqliteStore(join(tmp.dir, 'pending.db'));
    const p = createPipeline({ store, publisher: createMemoryPublisher(), engine: recogEngine(), oui: oui() });
    const b = batch(debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'));
    const [one, two] = await Promise.all([p.ingest(b), p.ingest({ ...b, batchId: `${b.batchId}-again` })]);
    assert.deepEqual(one, { stored: 4, duplicates: 0 });
    assert.deepEqual(two, { stored: 0, duplicates: 4 });
    const [asset] = await p.assets();
    assert.equal(asset!.evidence_count, 4, 'merged once');
    await p.close();
  });

  it('gives the same inventory and events with the store on its worker thread as in process', async () => {
    // The same records (and so the same evidence and asset ids) for both runs.
    const batches: Array<ReturnType<typeof batch>> = [];
    for (let i = 0; i < 12; i++) batches.push(batch(debianWebServer(`198.18.1.${(i % 6) + 1}`, `dc:a6:32:01:02:0${i % 6}`, `2024-05-01T12:00:0${Math.floor(i / 6)}.000Z`), `b${i}`));
    const run = async (store: Store) => {
      const publisher = createMemoryPublisher();
      const p = createPipeline({ store, publisher, engine: recogEngine(), oui: oui(), now: () => Date.parse('2024-05-02T00:00:00Z') });
      const results = await Promise.all(batches.map((x) => p.ingest(x)));
      const assets = await p.assets();
      await p.close();
      return { results, assets, events: publisher.messages.map((m) => [m.subject, m.msgId, m.body]) };
    };
    const inline = await run(openSqliteStore(join(tmp.dir, 'inline.db')));
    const worker = await run(await openSqliteStoreInWorker(join(tmp.dir, 'worker.db')));
    assert.equal(inline.assets.length, 6);
    assert.ok(inline.assets.every((a) => a.evidence_count === 8));
    assert.deepEqual(worker.results, inline.results);
    assert.deepEqual(worker.assets, inline.assets);
    assert.deepEqual(worker.events, inline.events);
  });
});
