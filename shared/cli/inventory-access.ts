// Where the inventory lives, for every command that reads it: a SQLite file
// (--db FILE, default SEXTANT_DB, else ./sextant.db) or a running collector's
// HTTP API (--collector URL, bearer token from --token or SEXTANT_ENROL_TOKEN).
import { existsSync } from 'node:fs';
import { parseQuery, searchableView, type SearchableAsset } from '../../collector/search/index.ts';
import type { Store } from '../../collector/store/index.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';

export interface InventoryOptions {
  db?: string | undefined;
  collector?: string | undefined;
  token?: string | undefined;
  /** Create the file when missing (commands that write); read commands refuse a missing file. */
  create?: boolean;
}

export interface InventoryPage {
  assets: SearchableAsset[];
  next?: string;
  total: number | undefined;
}

export interface Inventory {
  /** `file sextant.db` or `collector http://...`, for messages. */
  readonly where: string;
  /** The local store (undefined through a collector), for commands that write. */
  readonly store: Store | undefined;
  search(query: string, opts: { limit: number; cursor?: string | undefined; total?: boolean }): Promise<InventoryPage>;
  /** Every matching asset, page by page. */
  stream(query: string): AsyncIterable<SearchableAsset>;
  /** fp.* keys held by assets (the CSV columns). */
  attributeKeys(): Promise<string[]>;
  close(): Promise<void>;
}

export async function openInventory(opts: InventoryOptions): Promise<Inventory> {
  if (opts.collector && opts.db) throw new SextantError('INPUT_INVALID', 'give --db or --collector, not both', { field: 'collector' });
  if (opts.collector) return remoteInventory(opts.collector, opts.token ?? process.env.SEXTANT_ENROL_TOKEN);
  const file = opts.db ?? loadConfig().db;
  if (!opts.create && file !== ':memory:' && !existsSync(file)) {
    throw new SextantError('INVENTORY_UNAVAILABLE', `no inventory file here (scan first, or pass --db FILE / set SEXTANT_DB, or --collector URL)`, { file, field: 'db' });
  }
  const { openSqliteStore } = await import('../../collector/store/index.ts');
  const store = openSqliteStore(file);
  return {
    where: `file ${file}`,
    store,
    async search(query, o) {
      const page = await store.searchAssets(query, o);
      return { assets: page.assets.map(searchableView), total: page.total, ...(page.next ? { next: page.next } : {}) };
    },
    async *stream(query) {
      for await (const a of store.streamAssets(query)) yield searchableView(a);
    },
    attributeKeys: () => store.attributeKeys(),
    close: () => store.close(),
  };
}

const REMOTE_PAGE = 1000;

function remoteInventory(base: string, token: string | undefined): Inventory {
  let root: URL;
  try {
    root = new URL(base.includes('://') ? base : `http://${base}`);
  } catch {
    throw new SextantError('INPUT_INVALID', `"${base}" is not a URL`, { field: 'collector' });
  }
  if (!token) throw new SextantError('CONFIG_INVALID', 'no token for the collector: pass --token or set SEXTANT_ENROL_TOKEN', { field: 'token' });
  const get = async (path: string, params: Record<string, string>): Promise<unknown> => {
    const url = new URL(path, root);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      throw new SextantError('INVENTORY_UNAVAILABLE', `cannot reach the collector: ${(err as Error).message}`, { field: 'collector' }, err);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SextantError('INVENTORY_UNAVAILABLE', `the collector answered ${res.status} with something that is not JSON`, { field: 'collector' });
    }
    if (!res.ok) {
      const b = body as { error?: string; code?: string };
      if (b.code === 'SEARCH_SYNTAX' || b.code === 'SEARCH_CURSOR_INVALID') throw new SextantError(b.code, b.error ?? 'bad query', { field: 'query' });
      throw new SextantError('INVENTORY_UNAVAILABLE', `the collector answered ${res.status}: ${b.error ?? text.slice(0, 200)}`, { field: 'collector' });
    }
    return body;
  };
  const search = async (query: string, o: { limit: number; cursor?: string | undefined; total?: boolean }): Promise<InventoryPage> => {
    parseQuery(query); // a bad query fails here, with its position, before any request
    const params: Record<string, string> = { search: query, limit: String(o.limit) };
    if (o.cursor) params.cursor = o.cursor;
    if (o.total === false) params.total = 'false';
    const body = (await get('/api/v1/assets', params)) as { assets: SearchableAsset[]; total: number | null; next?: string };
    return { assets: body.assets, total: body.total ?? undefined, ...(body.next ? { next: body.next } : {}) };
  };
  return {
    where: `collector ${root.origin}`,
    store: undefined,
    search,
    async *stream(query) {
      let cursor: string | undefined;
      do {
        const page = await search(query, { limit: REMOTE_PAGE, cursor, total: false });
        yield* page.assets;
        cursor = page.next;
      } while (cursor);
    },
    async attributeKeys() {
      return (await get('/api/v1/assets/attribute-keys', {})) as string[];
    },
    async close() {},
  };
}
