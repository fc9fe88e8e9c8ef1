// The SQLite schema, one numbered migration at a time. Applied migrations are
// recorded in schema_migrations; a file from a newer Sextant is refused rather
// than half-understood. Never edit a released migration: add the next one.
import type Database from 'better-sqlite3';
import { SextantError } from '../../shared/errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'evidence log, assets, addresses, MACs, services, outbox',
    sql: `
      -- Append-only: rows are only ever inserted; rowid order is arrival order, which a replay follows.
      CREATE TABLE evidence (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        batch_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        site TEXT NOT NULL,
        ip TEXT NOT NULL,
        port INTEGER,
        transport TEXT,
        probe TEXT NOT NULL,
        status TEXT,
        observed_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        asset_id TEXT,
        facts TEXT NOT NULL,
        raw TEXT
      );
      CREATE INDEX evidence_asset ON evidence (asset_id);

      CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        site TEXT NOT NULL,
        first_received_at TEXT NOT NULL,
        last_received_at TEXT NOT NULL,
        received INTEGER NOT NULL DEFAULT 1,
        records INTEGER NOT NULL,
        stored INTEGER NOT NULL,
        duplicates INTEGER NOT NULL
      );

      -- doc holds the whole asset (claims included) and is what the collector loads;
      -- the columns and child tables are there for queries. Child rows carry no
      -- last_seen (the doc does), so a rescan that changes nothing rewrites none of them.
      CREATE TABLE assets (
        id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        revision INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        alive INTEGER NOT NULL,
        os TEXT,
        os_version TEXT,
        hw TEXT,
        type TEXT,
        doc TEXT NOT NULL,
        -- When set: the newer timestamps and counts of a rescan that changed nothing else (see sqlite.ts).
        seen TEXT
      );
      CREATE INDEX assets_site ON assets (site);

      -- An address belongs to one asset of a site at a time.
      CREATE TABLE asset_addresses (
        site TEXT NOT NULL,
        address TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (site, address)
      );
      CREATE INDEX asset_addresses_asset ON asset_addresses (asset_id);

      CREATE TABLE asset_macs (
        site TEXT NOT NULL,
        mac TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        vendor TEXT,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (site, mac)
      );
      CREATE INDEX asset_macs_asset ON asset_macs (asset_id);

      CREATE TABLE asset_services (
        asset_id TEXT NOT NULL,
        address TEXT NOT NULL,
        transport TEXT NOT NULL,
        port INTEGER NOT NULL,
        protocol TEXT,
        vendor TEXT,
        product TEXT,
        version TEXT,
        cpe23 TEXT,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (asset_id, address, transport, port)
      );

      -- Transactional outbox: events are written with the change and deleted once JetStream
      -- acknowledged them. It keeps the envelope (event, site, changes), not the asset, which is in assets.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subject TEXT NOT NULL,
        msg_id TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        envelope TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'search index: one row per asset, a dictionary of searchable values, and which asset holds which',
    // Filled from the stored documents on the next open (store/search-index.ts
    // backfillSearchIndex): the fingerprint fields are derived in TypeScript, not SQL.
    sql: `
      -- n: the asset's stable sort/cursor key (an INTEGER PRIMARY KEY survives VACUUM; assets.rowid need not).
      CREATE TABLE search_assets (
        n INTEGER PRIMARY KEY,
        asset_id TEXT NOT NULL UNIQUE,
        site TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        first_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        alive INTEGER NOT NULL,
        -- The (key, value) set last written, so a rescan that changes no value rewrites no row.
        digest TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX search_assets_first ON search_assets (first_ms);
      CREATE INDEX search_assets_last ON search_assets (last_ms);
      CREATE INDEX search_assets_alive ON search_assets (alive);

      -- One row per distinct (key, lower-cased value); num and ver are set when the value reads as a number / version.
      CREATE TABLE search_values (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        v TEXT NOT NULL,
        num REAL,
        ver TEXT,
        UNIQUE (key, v)
      );
      CREATE INDEX search_values_num ON search_values (key, num) WHERE num IS NOT NULL;
      CREATE INDEX search_values_ver ON search_values (key, ver) WHERE ver IS NOT NULL;

      CREATE TABLE asset_values (
        value_id INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (value_id, n)
      ) WITHOUT ROWID;
      CREATE INDEX asset_values_n ON asset_values (n);

      -- Trigram index of the values, so 'contains' terms (name:web, bare words) over millions of
      -- distinct addresses and names find their candidates without reading every value.
      CREATE VIRTUAL TABLE search_fts USING fts5(v, content='search_values', content_rowid='id', tokenize='trigram');
      CREATE TRIGGER search_values_fts_insert AFTER INSERT ON search_values BEGIN
        INSERT INTO search_fts (rowid, v) VALUES (new.id, new.v);
      END;
      CREATE TRIGGER search_values_fts_delete AFTER DELETE ON search_values BEGIN
        INSERT INTO search_fts (search_fts, rowid, v) VALUES ('delete', old.id, old.v);
      END;

      CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO search_meta (key, value) VALUES ('backfill', 'pending');
    `,
  },
  {
    version: 3,
    name: 'fingerprint improvement submissions',
    sql: `
      -- sextant improve: what a user says an asset is, with the asset as it was then.
      CREATE TABLE improvements (
        id TEXT PRIMARY KEY,
        asset_id TEXT NOT NULL,
        site TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        type TEXT,
        os TEXT,
        hw TEXT,
        comment TEXT,
        asset TEXT NOT NULL
      );
      CREATE INDEX improvements_asset ON improvements (asset_id);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the file up to SCHEMA_VERSION; each migration in its own transaction. Returns the versions applied. */
export function migrate(db: Database.Database, file: string, migrations: Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new SextantError('STORE_SCHEMA_NEWER', `schema version ${current}, this Sextant knows up to ${latest}; upgrade Sextant or use another file`, { file });
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}
