// The merge through the real pipeline and SQLite store: absorbed assets are
// deleted and announced, evidence follows the survivor, cross-site assets are
// stored with their sites, manual corrections and imports survive a restart.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { planManualSplit, type AssetEvent } from '../../../collector/assets/index.ts';
import { createMemoryPublisher, createPipeline, openSqliteStore, type Publisher } from '../../../collector/pipeline.ts';
import { importSourceFile, IMPORT_LIMITS } from '../../../shared/cli/import-source.ts';
import type { Evidence } from '../../../shared/types.ts';
import { REPO } from '../../helpers/recog.ts';
import { recogEngine, tempDir } from '../collector/support.ts';
import { arp, ssh, T1, T2 } from './support.ts';

let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
  recogEngine();
});
after(() => tmp.remove());

let n = 0;
function open(file = join(tmp.dir, `m${++n}.db`), publisher: Publisher = createMemoryPublisher()) {
  const store = openSqliteStore(file);
  return { file, publisher, pipeline: createPipeline({ store, publisher, engine: recogEngine(), limits: IMPORT_LIMITS }) };
}

let b = 0;
const batch = (site: string, records: Evidence[], agentId = `agent-${site}`) => ({ batchId: `mb-${process.pid}-${++b}`, agentId, site, records: records.map((r) => ({ ...r, agentId })) });

describe('merging through the pipeline and the store', () => {
  it('deletes and announces an absorbed asset; its evidence follows the survivor; a restart gives the same inventory', async () => {
    const { file, publisher, pipeline: p } = open();
    await p.ingest(batch('a', [arp('a', '198.18.1.2', '00:1b:21:00:00:01'), ssh('a', '198.18.1.2', 'SHA256:multi')]));
    await p.ingest(batch('a', [arp('a', '198.18.2.2', '00:1b:21:00:00:02')]));
    assert.equal((await p.assets()).length, 2);
    const absorbed = (await p.assets()).find((a) => a.addresses.includes('198.18.2.2'))!;
    await p.ingest(batch('a', [arp('a', '198.18.2.2', '00:1b:21:00:00:02', T1), ssh('a', '198.18.2.2', 'SHA256:multi', T1)]));
    const list = await p.assets();
    assert.equal(list.length, 1);
    const survivor = list[0]!;
    assert.deepEqual(survivor.addresses, ['198.18.1.2', '198.18.2.2']);
    const events = publisher.kind === 'memory' ? (publisher as ReturnType<typeof createMemoryPublisher>).messages : [];
    const deleted = events.find((m) => m.subject === 'sextant.assets.a.deleted');
    assert.ok(deleted, events.map((m) => m.subject).join());
    const body = JSON.parse(deleted.body) as AssetEvent;
    assert.equal(body.asset.id, absorbed.id);
    assert.deepEqual(body.changes, [{ field: 'merged_into', before: null, after: survivor.id }]);
    const updated = events.filter((m) => m.subject === 'sextant.assets.a.updated').map((m) => JSON.parse(m.body) as AssetEvent).at(-1)!;
    assert.equal(updated.asset.id, survivor.id);
    assert.ok(updated.changes.some((c) => c.field === 'addresses'));
    await p.close();
    const db = new Database(file, { readonly: true });
    const owners = db.prepare('SELECT DISTINCT asset_id FROM evidence').pluck().all();
    const rows = db.prepare('SELECT COUNT(*) FROM assets').pluck().get();
    const addresses = db.prepare('SELECT address, asset_id FROM asset_addresses ORDER BY address').all();
    db.close();
    assert.deepEqual(owners, [survivor.id]);
    assert.equal(rows, 1);
    assert.deepEqual(addresses, [{ address: '198.18.1.2', asset_id: survivor.id }, { address: '198.18.2.2', asset_id: survivor.id }]);
    const again = open(file);
    assert.deepEqual(await again.pipeline.assets(), list);
    // Reloaded, the index still knows the keys: a rescan changes nothing.
    await again.pipeline.ingest(batch('a', [ssh('a', '198.18.2.2', 'SHA256:multi', T2)]));
    assert.equal((await again.pipeline.assets()).length, 1);
    await again.pipeline.close();
  });

  it('keeps an asset seen from two sites as one, with its addresses under their sites', async () => {
    const { file, publisher, pipeline: p } = open();
    await p.ingest(batch('hq', [arp('hq', '198.18.50.5', '00:1b:21:00:00:05'), ssh('hq', '198.18.50.5', 'SHA256:roam')]));
    await p.ingest(batch('branch', [ssh('branch', '198.18.50.5', 'SHA256:roam', T1)]));
    const list = await p.assets();
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]!.sites, ['hq', 'branch']);
    const last = (publisher as ReturnType<typeof createMemoryPublisher>).messages.at(-1)!;
    assert.equal(last.subject, 'sextant.assets.hq.updated', 'events go to the home site');
    await p.close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT site, address FROM asset_addresses ORDER BY site').all();
    db.close();
    assert.deepEqual(rows, [{ site: 'branch', address: '198.18.50.5' }, { site: 'hq', address: '198.18.50.5' }]);
  });

  it('merges an Intune export into the scanned asset in one batch, and a re-import changes nothing', async () => {
    const { pipeline: p } = open();
    await p.ingest(batch('hq', [arp('hq', '198.18.1.2', '00:1b:21:5e:00:01')]));
    const file = join(REPO, 'test/fixtures/merge/intune-managed-devices.json');
    const first = await importSourceFile(p, file, { source: 'intune' });
    assert.deepEqual(first, { devices: 2, stored: 2, duplicates: 0 });
    const laptop = (await p.assets()).find((a) => a.addresses.includes('198.18.1.2'))!;
    assert.deepEqual(laptop.sources, ['sextant', 'intune']);
    assert.equal(laptop.attributes['fp.os.source'], 'Intune');
    assert.equal(laptop.os, 'Microsoft Windows');
    const second = await importSourceFile(p, file, { source: 'intune' });
    assert.deepEqual(second, { devices: 2, stored: 0, duplicates: 2 });
    assert.equal((await p.assets()).length, 2);
    await p.close();
  });

  it('moves an asset first known from Intune to the first site that scans it, in the store too', async () => {
    const { file, pipeline: p } = open();
    await importSourceFile(p, join(REPO, 'test/fixtures/merge/intune-managed-devices.json'), { source: 'intune' });
    assert.equal((await p.assets('integrations')).length, 2);
    await p.ingest(batch('hq', [arp('hq', '198.18.1.2', '00:1b:21:5e:00:01')]));
    const hq = await p.assets('hq');
    assert.equal(hq.length, 1);
    assert.deepEqual(hq[0]!.sources, ['intune', 'sextant']);
    assert.equal((await p.assets('integrations')).length, 1);
    await p.close();
    const again = open(file);
    assert.equal((await again.pipeline.assets('hq')).length, 1);
    await again.pipeline.close();
  });

  it('keeps a manual split after a restart and against later evidence', async () => {
    const { file, pipeline: p } = open();
    await p.ingest(batch('a', [ssh('a', '198.18.1.80', 'SHA256:cloned'), ssh('a', '198.18.1.81', 'SHA256:cloned')]));
    const [one] = await p.assets();
    await p.adjust((state) => planManualSplit(state, one!.id, { address: '198.18.1.81' }, T1));
    await p.close();
    const again = open(file);
    await again.pipeline.ingest(batch('a', [ssh('a', '198.18.1.80', 'SHA256:cloned', T2), ssh('a', '198.18.1.81', 'SHA256:cloned', T2)]));
    const list = await again.pipeline.assets();
    assert.equal(list.length, 2);
    assert.deepEqual(list.map((a) => a.addresses).sort(), [['198.18.1.80'], ['198.18.1.81']]);
    await again.pipeline.close();
  });

  it('releases the addresses a finished scan did not reach', async () => {
    const { pipeline: p } = open();
    await p.ingest(batch('a', [arp('a', '198.18.1.2', '00:1b:21:00:00:01'), arp('a', '198.18.1.3', '00:1b:21:00:00:03')]));
    await p.ingest(batch('a', [arp('a', '198.18.1.3', '00:1b:21:00:00:03', T2)]));
    await p.scanFinished({ site: 'a', taskId: 't1', targets: ['198.18.1.0/28'], exclude: [], startedAt: T1 });
    const list = await p.assets();
    assert.deepEqual(list.map((a) => [a.macs[0], a.addresses, a.alive]).sort(), [['00:1b:21:00:00:01', [], false], ['00:1b:21:00:00:03', ['198.18.1.3'], true]]);
    await p.close();
  });
});
