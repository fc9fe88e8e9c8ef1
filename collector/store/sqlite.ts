// The one-machine store: one SQLite file (WAL), created and migrated on first
// open, every batch written in one transaction with prepared statements.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SextantError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import { fromStored, toStored, type Asset } from '../assets/index.ts';
import { migrate } from './migrations.ts';
import { backfillSearchIndex, createSearchIndex, parseOrThrow, searchRow, type SearchRow, type SearchTouch } from './search-index.ts';
import type { BatchWrite, CommitResult, Improvement, OutboxMessage, SearchPage, Store, StoredEvidence } from './types.ts';

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

const EVIDENCE_COLUMNS = 14;
const ASSET_COLUMNS = 12;
const ADDRESS_COLUMNS = 4;
const MAC_COLUMNS = 5;
const SERVICE_COLUMNS = 10;
/** Rows per multi-row INSERT: 64 evidence rows bind 896 parameters. */
const ROWS_PER_STATEMENT = 64;

/**
 * A batch as the statements bind it: each table's rows flattened into one
 * array (row after row, column order as in the INSERT), asset documents
 * already serialized. Plain strings and numbers, so handing it to the
 * store's worker thread copies flat arrays rather than asset graphs.
 */
export interface EncodedBatch {
  batchId: string;
  agentId: string;
  site: string;
  receivedAt: string;
  evidence: Array<string | number | null>;
  assets: Array<string | number | null>;
  /** last_seen, seen JSON, id per asset whose rescan moved only timestamps. */
  seen: string[];
  /** Assets whose address, MAC and service rows are deleted and written again. */
  rewrite: string[];
  /** id, survivor id per asset absorbed into another: deleted, its evidence moved. */
  deleted: string[];
  addresses: Array<string | null>;
  macs: Array<string | null>;
  services: Array<string | number | null>;
  outbox: string[];
  published: number[];
  /** Search index rows of the written assets, their touched timestamps, and absorbed ids (search-index.ts). */
  searchRows: SearchRow[];
  searchTouch: SearchTouch[];
  searchRemove: string[];
}

export function encodeBatch(w: BatchWrite): EncodedBatch {
  const out: EncodedBatch = {
    batchId: w.batchId, agentId: w.agentId, site: w.site, receivedAt: w.receivedAt,
    evidence: [], assets: [], seen: [], rewrite: [], deleted: (w.deleted ?? []).flatMap((d) => [d.id, d.into]), addresses: [], macs: [], services: [], outbox: [], published: w.published ?? [],
    searchRows: [], searchTouch: [], searchRemove: (w.deleted ?? []).map((d) => d.id),
  };
  const ev = out.evidence;
  for (const { record: r, assetId } of w.evidence) {
    const status = (r as { status?: string }).status ?? null;
    ev.push(
      r.id, w.batchId, r.agentId, r.site, r.target.ip, r.target.port ?? null, r.target.transport ?? null, r.probe, status,
      r.observedAt, w.receivedAt, assetId ?? null, JSON.stringify(r.facts) ?? null, r.raw ? JSON.stringify(r.raw) : null,
    );
  }
  for (const { asset: a, previous, seenOnly } of w.assets) {
    if (seenOnly) out.searchTouch.push({ id: a.id, last_seen: a.last_seen, alive: a.alive });
    else out.searchRows.push(searchRow(a));
    if (seenOnly) out.seen.push(a.last_seen, JSON.stringify(seenOf(a)), a.id);
    else out.assets.push(a.id, a.site, a.revision, a.first_seen, a.last_seen, a.alive ? 1 : 0, a.os ?? null, a.os_version ?? null, a.hw ?? null, a.type ?? null, JSON.stringify(toStored(a)), null);
    // A timestamps-only change cannot move child rows (see volatileOnly in assets/inventory.ts).
    if (previous && (seenOnly || childKey(previous) === childKey(a))) continue;
    out.rewrite.push(a.id);
    for (const x of a.addresses) out.addresses.push(x.site ?? a.site, x.address, a.id, x.first_seen);
    for (const m of a.macs) out.macs.push(a.site, m.mac, a.id, m.vendor ?? null, m.first_seen);
    for (const s of a.services) out.services.push(a.id, s.address, s.transport, s.port, s.protocol ?? null, s.vendor ?? null, s.product ?? null, s.version ?? null, s.cpe23 ?? null, s.first_seen);
  }
  for (const m of w.outbox) out.outbox.push(m.subject, m.msgId, m.assetId, m.envelope);
  return out;
}

// SQLite limits bound parameters per statement (32766); stay far below.
const ID_CHUNK = 500;

/** Which of these evidence ids the log holds; one prepared statement per chunk size. */
export function evidenceIdLookup(db: Database.Database): (ids: string[]) => Set<string> {
  const statements = new Map<number, Database.Statement>();
  const known = (n: number) => {
    let s = statements.get(n);
    if (!s) {
      s = db.prepare(`SELECT id FROM evidence WHERE id IN (${new Array(n).fill('?').join(',')})`).pluck();
      statements.set(n, s);
    }
    return s;
  };
  return (ids) => {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = ids.slice(i, i + ID_CHUNK);
      for (const id of known(chunk.length).all(...chunk) as string[]) out.add(id);
    }
    return out;
  };
}

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

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store & { commitEncoded(batch: EncodedBatch): Promise<CommitResult> } {
  const db = open(file, options);
  try {
    const applied = migrate(db, file);
    if (applied.length > 0) options.logger?.info({ file, applied }, 'inventory schema migrated');
  } catch (err) {
    db.close();
    if (err instanceof SextantError) throw err;
    throw new SextantError('STORE_UNAVAILABLE', `cannot create the schema: ${(err as Error).message}`, { file }, err);
  }

  // Multi-row statements, one per row count (cached): a batch is a few
  // dozen statement runs instead of thousands of single-row ones.
  const multi = (head: string, columns: number, tail = '') => {
    const byRows = new Map<number, Database.Statement>();
    const row = `(${new Array(columns).fill('?').join(', ')})`;
    return (flat: unknown[]): number => {
      let changes = 0;
      const perChunk = ROWS_PER_STATEMENT * columns;
      for (let i = 0; i < flat.length; i += perChunk) {
        const params = i === 0 && flat.length <= perChunk ? flat : flat.slice(i, i + perChunk);
        const rows = params.length / columns;
        let st = byRows.get(rows);
        if (!st) {
          st = db.prepare(`${head} VALUES ${new Array(rows).fill(row).join(', ')} ${tail}`);
          byRows.set(rows, st);
        }
        changes += st.run(params).changes;
      }
      return changes;
    };
  };
  const insertEvidence = multi(`INSERT INTO evidence
    (id, batch_id, agent_id, site, ip, port, transport, probe, status, observed_at, received_at, asset_id, facts, raw)`, EVIDENCE_COLUMNS, 'ON CONFLICT (id) DO NOTHING');
  const upsertBatch = db.prepare(`INSERT INTO batches
    (batch_id, agent_id, site, first_received_at, last_received_at, records, stored, duplicates)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (batch_id) DO UPDATE SET last_received_at = excluded.last_received_at, received = received + 1,
      stored = stored + excluded.stored, duplicates = duplicates + excluded.duplicates`);
  const upsertAssets = multi('INSERT INTO assets (id, site, revision, first_seen, last_seen, alive, os, os_version, hw, type, doc, seen)', ASSET_COLUMNS,
    `ON CONFLICT (id) DO UPDATE SET site = excluded.site, revision = excluded.revision, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
      alive = excluded.alive, os = excluded.os, os_version = excluded.os_version, hw = excluded.hw, type = excluded.type, doc = excluded.doc, seen = NULL`);
  const updateSeen = db.prepare('UPDATE assets SET last_seen = ?, seen = ? WHERE id = ?');
  const deleteAddresses = db.prepare('DELETE FROM asset_addresses WHERE asset_id = ?');
  const insertAddresses = multi('INSERT OR REPLACE INTO asset_addresses (site, address, asset_id, first_seen)', ADDRESS_COLUMNS);
  const deleteMacs = db.prepare('DELETE FROM asset_macs WHERE asset_id = ?');
  const insertMacs = multi('INSERT OR REPLACE INTO asset_macs (site, mac, asset_id, vendor, first_seen)', MAC_COLUMNS);
  const deleteServices = db.prepare('DELETE FROM asset_services WHERE asset_id = ?');
  const insertServices = multi(`INSERT OR REPLACE INTO asset_services
    (asset_id, address, transport, port, protocol, vendor, product, version, cpe23, first_seen)`, SERVICE_COLUMNS);
  const deleteAsset = db.prepare('DELETE FROM assets WHERE id = ?');
  const moveEvidence = db.prepare('UPDATE evidence SET asset_id = ? WHERE asset_id = ?');
  const insertOutbox = db.prepare('INSERT INTO outbox (subject, msg_id, asset_id, envelope) VALUES (?, ?, ?, ?)');
  const deleteOutbox = db.prepare('DELETE FROM outbox WHERE seq = ?');
  const selectSite = db.prepare('SELECT doc, seen FROM assets WHERE site = ? ORDER BY rowid');
  const selectAll = db.prepare('SELECT doc, seen FROM assets ORDER BY site, rowid');
  const selectOutbox = db.prepare('SELECT seq, subject, msg_id, asset_id, envelope FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const selectAsset = db.prepare('SELECT doc, seen FROM assets WHERE id = ?');
  const countEvidence = db.prepare('SELECT COUNT(*) AS n FROM evidence');
  const insertImprovement = db.prepare(`INSERT INTO improvements (id, asset_id, site, submitted_at, type, os, hw, comment, asset)
    VALUES (@id, @asset_id, @site, @submitted_at, @type, @os, @hw, @comment, @asset) ON CONFLICT (id) DO NOTHING`);
  const selectImprovements = db.prepare('SELECT * FROM improvements ORDER BY submitted_at, id');
  const readStatements = new Map<string, Database.Statement>();
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
  const knownIds = evidenceIdLookup(db);

  const commit = db.transaction((w: EncodedBatch): CommitResult => {
    const stored = insertEvidence(w.evidence);
    const records = w.evidence.length / EVIDENCE_COLUMNS;
    const duplicates = records - stored;
    // Absorbed assets go first, so the survivor's child rows (their addresses among them) land once.
    for (let i = 0; i < w.deleted.length; i += 2) {
      const id = w.deleted[i]!;
      deleteAddresses.run(id);
      deleteMacs.run(id);
      deleteServices.run(id);
      deleteAsset.run(id);
      moveEvidence.run(w.deleted[i + 1], id);
    }
    upsertAssets(w.assets);
    for (let i = 0; i < w.seen.length; i += 3) updateSeen.run(w.seen[i], w.seen[i + 1], w.seen[i + 2]);
    // All deletes before all inserts, so an address moving between two assets of the batch lands once.
    for (const id of w.rewrite) {
      deleteAddresses.run(id);
      deleteMacs.run(id);
      deleteServices.run(id);
    }
    insertAddresses(w.addresses);
    insertMacs(w.macs);
    insertServices(w.services);
    for (let i = 0; i < w.outbox.length; i += 4) insertOutbox.run(w.outbox[i], w.outbox[i + 1], w.outbox[i + 2], w.outbox[i + 3]);
    for (const seq of w.published) deleteOutbox.run(seq);
    // The search index (search-index.ts), rows derived on the calling thread by encodeBatch.
    for (const id of w.searchRemove) search.remove(id);
    for (const row of w.searchRows) search.indexRow(row);
    for (const t of w.searchTouch) search.touch(t);
    upsertBatch.run(w.batchId, w.agentId, w.site, w.receivedAt, w.receivedAt, records, stored, duplicates);
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
      return knownIds(ids);
    },
    async loadSite(site) {
      return (selectSite.all(site) as AssetRow[]).map(assetOf);
    },
    async commitBatch(write) {
      return commit.immediate(encodeBatch(write));
    },
    async commitEncoded(encoded) {
      return commit.immediate(encoded);
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
      // Two shapes only; prepared once each (refingerprint reads per asset).
      const sql = `SELECT * FROM evidence WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
      let statement = readStatements.get(sql);
      if (!statement) readStatements.set(sql, (statement = db.prepare(sql)));
      const rows = statement.all(...params) as EvidenceRow[];
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
    async addImprovement(i) {
      const row = { type: null, os: null, hw: null, comment: null, ...i };
      return insertImprovement.run(row).changes === 1;
    },
    async listImprovements() {
      const rows = selectImprovements.all() as Array<Record<string, string | null>>;
      return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as Improvement);
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
