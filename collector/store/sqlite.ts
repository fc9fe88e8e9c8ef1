// The one-machine store: one SQLite file (WAL), created and migrated on first
// open, every batch written in one transaction with prepared statements.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SextantError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import { fromStored, toStored, type Asset } from '../assets/index.ts';
import { migrate } from './migrations.ts';
import { backfillSearchIndex, createSearchIndex, parseOrThrow } from './search-index.ts';
import type { BatchWrite, CommitResult, OutboxMessage, SearchPage, Store, StoredEvidence } from './types.ts';

export interface SqliteStoreOptions {
  logger?: Logger | undefined;
  /**
   * FULL (default) makes a committed batch survive power loss, which is what an
   * acknowledgement promises; NORMAL only survives a process crash, and is faster.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Search planning: sample hits that make a term broad (tests set 0 or Infinity to exercise both SQL spellings). */
  searchBroadHits?: number;
}

interface EvidenceRow {
  seq: number;
  id: string;
  batch_id: string;
  agent_id: string;
  site: string;
  ip: string;
  port: number | null;
  transport: string | null;
  probe: string;
  status: string | null;
  observed_at: string;
  received_at: string;
  asset_id: string | null;
  facts: string;
  raw: string | null;
}

/**
 * A rescan that changes nothing but timestamps would rewrite every asset's
 * whole document (kilobytes, mostly fingerprint claims); instead only these
 * go to the `seen` column, aligned with the stored document's arrays, whose
 * membership and order such a rescan cannot change.
 */
interface Seen {
  last_seen: string;
  evidence_count: number;
  addresses: string[];
  macs: string[];
  services: string[];
}

function seenOf(a: Asset): Seen {
  return {
    last_seen: a.last_seen,
    evidence_count: a.evidence_count,
    addresses: a.addresses.map((x) => x.last_seen),
    macs: a.macs.map((m) => m.last_seen),
    services: a.services.map((s) => s.last_seen),
  };
}

interface AssetRow {
  doc: string;
  seen: string | null;
}

function assetOf(row: AssetRow): Asset {
  const asset = JSON.parse(row.doc) as Asset;
  if (row.seen !== null) {
    const seen = JSON.parse(row.seen) as Seen;
    asset.last_seen = seen.last_seen;
    asset.evidence_count = seen.evidence_count;
    asset.addresses.forEach((x, i) => (x.last_seen = seen.addresses[i] ?? x.last_seen));
    asset.macs.forEach((m, i) => (m.last_seen = seen.macs[i] ?? m.last_seen));
    asset.services.forEach((s, i) => (s.last_seen = seen.services[i] ?? s.last_seen));
  }
  return fromStored(asset);
}

/** Everything the child tables hold of an asset; equal keys mean no child row to rewrite. */
function childKey(a: Asset): string {
  let key = '';
  for (const x of a.addresses) key += `${x.site ?? ''}|${x.address}|${x.first_seen};`;
  for (const m of a.macs) key += `${m.mac}|${m.vendor ?? ''}|${m.first_seen};`;
  for (const s of a.services) key += `${s.address}|${s.transport}|${s.port}|${s.protocol ?? ''}|${s.vendor ?? ''}|${s.product ?? ''}|${s.version ?? ''}|${s.cpe23 ?? ''}|${s.first_seen};`;
  return key;
}

// SQLite limits bound parameters per statement (32766); stay far below.
const ID_CHUNK = 500;

function open(file: string, options: SqliteStoreOptions): Database.Database {
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    // Checkpoint every ~40 MB of WAL instead of 4: a first scan writes megabytes per batch.
    db.pragma('wal_autocheckpoint = 10000');
    return db;
  } catch (err) {
    throw new SextantError('STORE_UNAVAILABLE', (err as Error).message, { file, field: 'db' }, err);
  }
}

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const db = open(file, options);
  try {
    const applied = migrate(db, file);
    if (applied.length > 0) options.logger?.info({ file, applied }, 'inventory schema migrated');
  } catch (err) {
    db.close();
    if (err instanceof SextantError) throw err;
    throw new SextantError('STORE_UNAVAILABLE', `cannot create the schema: ${(err as Error).message}`, { file }, err);
  }

  const insertEvidence = db.prepare(`INSERT INTO evidence
    (id, batch_id, agent_id, site, ip, port, transport, probe, status, observed_at, received_at, asset_id, facts, raw)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  const upsertBatch = db.prepare(`INSERT INTO batches
    (batch_id, agent_id, site, first_received_at, last_received_at, records, stored, duplicates)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (batch_id) DO UPDATE SET last_received_at = excluded.last_received_at, received = received + 1,
      stored = stored + excluded.stored, duplicates = duplicates + excluded.duplicates`);
  const upsertAsset = db.prepare(`INSERT INTO assets (id, site, revision, first_seen, last_seen, alive, os, os_version, hw, type, doc, seen)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
    ON CONFLICT (id) DO UPDATE SET site = excluded.site, revision = excluded.revision, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
      alive = excluded.alive, os = excluded.os, os_version = excluded.os_version, hw = excluded.hw, type = excluded.type, doc = excluded.doc, seen = NULL`);
  const updateSeen = db.prepare('UPDATE assets SET last_seen = ?, seen = ? WHERE id = ?');
  const deleteAddresses = db.prepare('DELETE FROM asset_addresses WHERE asset_id = ?');
  const insertAddress = db.prepare('INSERT OR REPLACE INTO asset_addresses (site, address, asset_id, first_seen) VALUES (?, ?, ?, ?)');
  const deleteMacs = db.prepare('DELETE FROM asset_macs WHERE asset_id = ?');
  const insertMac = db.prepare('INSERT OR REPLACE INTO asset_macs (site, mac, asset_id, vendor, first_seen) VALUES (?, ?, ?, ?, ?)');
  const deleteServices = db.prepare('DELETE FROM asset_services WHERE asset_id = ?');
  const insertService = db.prepare(`INSERT OR REPLACE INTO asset_services
    (asset_id, address, transport, port, protocol, vendor, product, version, cpe23, first_seen)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const deleteAsset = db.prepare('DELETE FROM assets WHERE id = ?');
  const moveEvidence = db.prepare('UPDATE evidence SET asset_id = ? WHERE asset_id = ?');
  const insertOutbox = db.prepare('INSERT INTO outbox (subject, msg_id, asset_id, envelope) VALUES (?, ?, ?, ?)');
  const deleteOutbox = db.prepare('DELETE FROM outbox WHERE seq = ?');
  const selectSite = db.prepare('SELECT doc, seen FROM assets WHERE site = ? ORDER BY rowid');
  const selectAll = db.prepare('SELECT doc, seen FROM assets ORDER BY site, rowid');
  const selectOutbox = db.prepare('SELECT seq, subject, msg_id, asset_id, envelope FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const selectAsset = db.prepare('SELECT doc, seen FROM assets WHERE id = ?');
  const countEvidence = db.prepare('SELECT COUNT(*) AS n FROM evidence');
  const selectAfter = db.prepare('SELECT rowid AS r, doc, seen FROM assets WHERE rowid > ? ORDER BY rowid LIMIT ?');
  const search = createSearchIndex(db, options.searchBroadHits);
  const backfilled = backfillSearchIndex(db, search, function* () {
    let after = 0;
    for (;;) {
      const rows = selectAfter.all(after, 1000) as Array<AssetRow & { r: number }>;
      if (rows.length === 0) return;
      for (const row of rows) yield assetOf(row);
      after = rows[rows.length - 1]!.r;
    }
  });
  if (backfilled > 0) options.logger?.info({ file, assets: backfilled }, 'search index built from stored assets');
  const docsOf = (ids: string[]): Asset[] => {
    const out: Asset[] = [];
    for (const id of ids) {
      const row = selectAsset.get(id) as AssetRow | undefined;
      if (row) out.push(assetOf(row));
    }
    return out;
  };
  const knownStatements = new Map<number, Database.Statement>();
  const known = (n: number) => {
    let s = knownStatements.get(n);
    if (!s) {
      s = db.prepare(`SELECT id FROM evidence WHERE id IN (${new Array(n).fill('?').join(',')})`).pluck();
      knownStatements.set(n, s);
    }
    return s;
  };

  const writeAsset = (a: Asset) => {
    upsertAsset.run(a.id, a.site, a.revision, a.first_seen, a.last_seen, a.alive ? 1 : 0, a.os ?? null, a.os_version ?? null, a.hw ?? null, a.type ?? null, JSON.stringify(toStored(a)));
  };
  const clearChildren = (id: string) => {
    deleteAddresses.run(id);
    deleteMacs.run(id);
    deleteServices.run(id);
  };
  const writeChildren = (a: Asset) => {
    for (const x of a.addresses) insertAddress.run(x.site ?? a.site, x.address, a.id, x.first_seen);
    for (const m of a.macs) insertMac.run(a.site, m.mac, a.id, m.vendor ?? null, m.first_seen);
    for (const s of a.services) {
      insertService.run(a.id, s.address, s.transport, s.port, s.protocol ?? null, s.vendor ?? null, s.product ?? null, s.version ?? null, s.cpe23 ?? null, s.first_seen);
    }
  };

  const commit = db.transaction((w: BatchWrite): CommitResult => {
    let stored = 0;
    let duplicates = 0;
    for (const { record: r, assetId } of w.evidence) {
      const status = (r as { status?: string }).status ?? null;
      const info = insertEvidence.run(
        r.id, w.batchId, r.agentId, r.site, r.target.ip, r.target.port ?? null, r.target.transport ?? null, r.probe, status,
        r.observedAt, w.receivedAt, assetId ?? null, JSON.stringify(r.facts), r.raw ? JSON.stringify(r.raw) : null,
      );
      if (info.changes === 1) stored++;
      else duplicates++;
    }
    // Absorbed assets go first, so the survivor's child rows (their addresses among them) land once.
    for (const { id, into } of w.deleted ?? []) {
      clearChildren(id);
      deleteAsset.run(id);
      moveEvidence.run(into, id);
    }
    const rewrite = w.assets.filter(({ asset, previous }) => !previous || childKey(previous) !== childKey(asset)).map(({ asset }) => asset);
    for (const { asset, seenOnly } of w.assets) {
      if (seenOnly) updateSeen.run(asset.last_seen, JSON.stringify(seenOf(asset)), asset.id);
      else writeAsset(asset);
    }
    // All deletes before all inserts, so an address moving between two assets of the batch lands once.
    for (const a of rewrite) clearChildren(a.id);
    for (const a of rewrite) writeChildren(a);
    // Assets a merge absorbed (BatchWrite.deleted, MERGE's) leave the search index too.
    for (const { id } of w.deleted ?? []) search.remove(id);
    for (const { asset, seenOnly } of w.assets) {
      if (seenOnly) search.touch(asset);
      else search.index(asset);
    }
    for (const m of w.outbox) insertOutbox.run(m.subject, m.msgId, m.assetId, m.envelope);
    for (const seq of w.published ?? []) deleteOutbox.run(seq);
    upsertBatch.run(w.batchId, w.agentId, w.site, w.receivedAt, w.receivedAt, w.evidence.length, stored, duplicates);
    return { stored, duplicates };
  });

  const toEvidence = (row: EvidenceRow): StoredEvidence & { seq: number } => {
    const e: StoredEvidence & { seq: number; status?: string } = {
      seq: row.seq,
      id: row.id,
      agentId: row.agent_id,
      site: row.site,
      target: { ip: row.ip },
      probe: row.probe,
      observedAt: row.observed_at,
      facts: JSON.parse(row.facts) as Record<string, string>,
      batchId: row.batch_id,
      receivedAt: row.received_at,
    };
    if (row.port !== null) e.target.port = row.port;
    if (row.transport !== null) e.target.transport = row.transport as NonNullable<StoredEvidence['target']['transport']>;
    if (row.raw !== null) e.raw = JSON.parse(row.raw) as Record<string, string>;
    if (row.asset_id !== null) e.assetId = row.asset_id;
    if (row.status !== null) e.status = row.status;
    return e;
  };

  let closed = false;
  return {
    kind: 'sqlite',
    async knownEvidence(ids) {
      const out = new Set<string>();
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const chunk = ids.slice(i, i + ID_CHUNK);
        for (const id of known(chunk.length).all(...chunk) as string[]) out.add(id);
      }
      return out;
    },
    async loadSite(site) {
      return (selectSite.all(site) as AssetRow[]).map(assetOf);
    },
    async commitBatch(write) {
      return commit.immediate(write);
    },
    async listAssets(site) {
      return ((site === undefined ? selectAll.all() : selectSite.all(site)) as AssetRow[]).map(assetOf);
    },
    async getAsset(id) {
      const row = selectAsset.get(id) as AssetRow | undefined;
      return row ? assetOf(row) : undefined;
    },
    async readEvidence(options = {}) {
      const where: string[] = ['seq > ?'];
      const params: Array<string | number> = [options.afterSeq ?? 0];
      if (options.assetId !== undefined) {
        where.push('asset_id = ?');
        params.push(options.assetId);
      }
      params.push(options.limit ?? -1);
      const rows = db.prepare(`SELECT * FROM evidence WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params) as EvidenceRow[];
      return rows.map(toEvidence);
    },
    async searchAssets(query, opts) {
      const ast = parseOrThrow(query);
      const now = opts.now ?? new Date();
      const after = decodeCursor(opts.cursor);
      const limit = Math.max(1, Math.min(opts.limit, 10_000));
      const rows = search.page(ast, now, limit + 1, after);
      const more = rows.length > limit;
      const pageRows = more ? rows.slice(0, limit) : rows;
      const page: SearchPage = { assets: docsOf(pageRows.map((r) => r.asset_id)), total: opts.total === false ? undefined : search.count(ast, now) };
      if (more) page.next = encodeCursor(pageRows[pageRows.length - 1]!.n);
      return page;
    },
    async *streamAssets(query, opts = {}) {
      const ast = parseOrThrow(query);
      const now = opts.now ?? new Date();
      // Pages by key, never an open cursor: the connection stays free for other work between pages.
      let after = 0;
      for (;;) {
        const rows = search.page(ast, now, 500, after);
        if (rows.length === 0) return;
        after = rows[rows.length - 1]!.n;
        for (const a of docsOf(rows.map((r) => r.asset_id))) yield a;
      }
    },
    async countAssets(query, opts = {}) {
      return search.count(parseOrThrow(query), opts.now ?? new Date());
    },
    async attributeKeys() {
      return search.attributeKeys();
    },
    async evidenceCount() {
      return (countEvidence.get() as { n: number }).n;
    },
    async pendingMessages(limit, afterSeq = 0) {
      const rows = selectOutbox.all(afterSeq, limit) as Array<{ seq: number; subject: string; msg_id: string; asset_id: string; envelope: string }>;
      return rows.map((r): OutboxMessage => ({ seq: r.seq, subject: r.subject, msgId: r.msg_id, assetId: r.asset_id, envelope: r.envelope }));
    },
    async deleteMessages(seqs) {
      if (seqs.length === 0) return;
      db.transaction(() => {
        for (const seq of seqs) deleteOutbox.run(seq);
      })();
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

function encodeCursor(n: number): string {
  return Buffer.from(`n:${n}`).toString('base64url');
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const m = /^n:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new SextantError('SEARCH_CURSOR_INVALID', `"${cursor.slice(0, 40)}" is not a cursor this collector gave out`, { field: 'cursor' });
  return Number(m[1]);
}
