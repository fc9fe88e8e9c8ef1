// Upkeep of the search index (migration 2) inside the store's commit
// transaction, the backfill of stores written before it, and the queries
// over it. Kept apart from sqlite.ts so commitBatch stays small.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { SextantError } from '../../shared/errors.ts';
import type { Asset } from '../assets/index.ts';
import { compileQuery, parseQuery, searchPairs, searchableView, numberOf, versionKey, type QueryAst, type TermNode } from '../search/index.ts';
import { termValues } from '../search/compile.ts';
import { timeMs } from '../search/match.ts';

/** What the index keeps of one asset: plain data, so it crosses to the store's worker thread. */
export interface SearchRow {
  id: string;
  site: string;
  first_seen: string;
  last_seen: string;
  alive: boolean;
  pairs: Array<[string, string]>;
}

export interface SearchTouch {
  id: string;
  last_seen: string;
  alive: boolean;
}

export function searchRow(a: Asset): SearchRow {
  return { id: a.id, site: a.site, first_seen: a.first_seen, last_seen: a.last_seen, alive: a.alive, pairs: searchPairs(searchableView(a)) };
}

export interface SearchIndex {
  /** Writes one asset's rows (call inside the commit transaction). */
  index(asset: Asset): void;
  indexRow(row: SearchRow): void;
  /** Only timestamps and liveness moved (a rescan that changed nothing else). */
  touch(asset: SearchTouch): void;
  /** The asset is gone (absorbed by a merge, deleted). */
  remove(assetId: string): void;
  /** Asset ids matching, in index order, after the cursor position. */
  page(ast: QueryAst, now: Date, limit: number, after: number): Array<{ n: number; asset_id: string }>;
  count(ast: QueryAst, now: Date): number;
  /** fp.* keys any asset holds (not fp.service.*, which belong to services): the CSV columns. */
  attributeKeys(): string[];
}


/** A short hash of an asset's (key, value) set: equal digests, nothing to rewrite. */
export function searchDigest(pairs: Array<[string, string]>): string {
  return createHash('sha1').update(pairs.map(([k, v]) => `${k}\u0000${v}`).sort().join('\u0001')).digest('base64url');
}

/** Planning sample: a term holding for BROAD_SAMPLE_HITS of the first BROAD_SAMPLE assets is broad (1 %). */
export const BROAD_SAMPLE = 500;
export const BROAD_SAMPLE_HITS = 5;

/** `broadHits`: tests pass 0 (every term broad) or Infinity (none) to exercise both spellings. */
export function createSearchIndex(db: Database.Database, broadHits = BROAD_SAMPLE_HITS): SearchIndex {
  const sample = BROAD_SAMPLE;
  const hits = broadHits;
  const selectRow = db.prepare('SELECT n, digest FROM search_assets WHERE asset_id = ?');
  const insertRow = db.prepare(`INSERT INTO search_assets (asset_id, site, first_seen, last_seen, first_ms, last_ms, alive, digest)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const updateRow = db.prepare('UPDATE search_assets SET site = ?, first_seen = ?, last_seen = ?, first_ms = ?, last_ms = ?, alive = ?, digest = ? WHERE n = ?');
  const touchRow = db.prepare('UPDATE search_assets SET last_seen = ?, last_ms = ?, alive = ? WHERE asset_id = ?');
  const deleteRow = db.prepare('DELETE FROM search_assets WHERE n = ?');
  const deleteValues = db.prepare('DELETE FROM asset_values WHERE n = ?');
  const insertValue = db.prepare('INSERT INTO search_values (key, v, num, ver) VALUES (?, ?, ?, ?) ON CONFLICT (key, v) DO NOTHING');
  const selectValue = db.prepare('SELECT id FROM search_values WHERE key = ? AND v = ?').pluck();
  const link = db.prepare('INSERT OR IGNORE INTO asset_values (value_id, n) VALUES (?, ?)');
  const keys = db.prepare(`SELECT DISTINCT key FROM search_values WHERE key >= 'fp.' AND key < 'fp/' AND key NOT LIKE 'fp.service.%' ORDER BY key`).pluck();
  const anyHolder = db.prepare('SELECT 1 FROM search_values sv JOIN asset_values av ON av.value_id = sv.id WHERE sv.key = ? LIMIT 1').pluck();

  const valueId = (key: string, v: string): number => {
    const id = selectValue.get(key, v) as number | undefined;
    if (id !== undefined) return id;
    return Number(insertValue.run(key, v, numberOf(v) ?? null, versionKey(v) ?? null).lastInsertRowid);
  };

  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      if (statements.size > 200) statements.clear();
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };

  /**
   * Terms that hold for at least BROAD_SAMPLE_HITS of the first BROAD_SAMPLE
   * assets are probed per asset (a first page then stops early); the others
   * collect their matching assets first. The sample reads only its own assets' values.
   */
  const broadTerms = (ast: QueryAst): Set<TermNode> => {
    const out = new Set<TermNode>();
    const walk = (n: QueryAst) => {
      if (n.kind === 'and' || n.kind === 'or') n.items.forEach(walk);
      else if (n.kind === 'not') walk(n.item);
      else if (n.kind === 'term') {
        if (!termValues(n)) return;
        const q = compileQuery(n, new Date(0), () => true);
        const probe = prepared(`SELECT COUNT(*) FROM (SELECT n FROM search_assets ORDER BY n LIMIT ${sample}) k WHERE ${q.where}`).pluck();
        if ((probe.get(...q.params) as number) >= hits) out.add(n);
      }
    };
    walk(ast);
    return out;
  };

  return {
    index(asset) {
      this.indexRow(searchRow(asset));
    },
    indexRow(asset) {
      const pairs = asset.pairs;
      const digest = searchDigest(pairs);
      const row = selectRow.get(asset.id) as { n: number; digest: string } | undefined;
      const alive = asset.alive ? 1 : 0;
      let n: number;
      if (row) {
        n = row.n;
        updateRow.run(asset.site, asset.first_seen, asset.last_seen, timeMs(asset.first_seen), timeMs(asset.last_seen), alive, digest, n);
        if (row.digest === digest) return;
        deleteValues.run(n);
      } else {
        n = Number(insertRow.run(asset.id, asset.site, asset.first_seen, asset.last_seen, timeMs(asset.first_seen), timeMs(asset.last_seen), alive, digest).lastInsertRowid);
      }
      for (const [k, v] of pairs) link.run(valueId(k, v), n);
    },
    touch(asset) {
      touchRow.run(asset.last_seen, timeMs(asset.last_seen), asset.alive ? 1 : 0, asset.id);
    },
    remove(assetId) {
      const row = selectRow.get(assetId) as { n: number } | undefined;
      if (!row) return;
      deleteValues.run(row.n);
      deleteRow.run(row.n);
    },
    page(ast, now, limit, after) {
      const broad = broadTerms(ast);
      const q = compileQuery(ast, now, (t) => broad.has(t));
      return prepared(`SELECT k.n, k.asset_id FROM search_assets k WHERE k.n > ? AND ${q.where} ORDER BY k.n LIMIT ?`).all(after, ...q.params, limit) as Array<{ n: number; asset_id: string }>;
    },
    count(ast, now) {
      // Counting visits every match anyway: collecting them first is the cheaper spelling.
      const q = compileQuery(ast, now);
      return (prepared(`SELECT COUNT(*) AS c FROM search_assets k WHERE ${q.where}`).get(...q.params) as { c: number }).c;
    },
    attributeKeys() {
      return (keys.all() as string[]).filter((k) => anyHolder.get(k) !== undefined);
    },
  };
}

/** Fills the index from the stored documents when migration 2 has just created it (one transaction). */
export function backfillSearchIndex(db: Database.Database, search: SearchIndex, assets: () => Iterable<Asset>): number {
  const state = db.prepare("SELECT value FROM search_meta WHERE key = 'backfill'").pluck().get() as string | undefined;
  if (state !== 'pending') return 0;
  let n = 0;
  db.transaction(() => {
    for (const a of assets()) {
      search.index(a);
      n++;
    }
    db.prepare("UPDATE search_meta SET value = 'done' WHERE key = 'backfill'").run();
  })();
  return n;
}

/** Parses a query, turning any failure into SEARCH_SYNTAX (the parser already names the position). */
export function parseOrThrow(query: string): QueryAst {
  try {
    return parseQuery(query);
  } catch (err) {
    if (err instanceof SextantError) throw err;
    throw new SextantError('SEARCH_SYNTAX', (err as Error).message, { field: 'query' }, err);
  }
}
