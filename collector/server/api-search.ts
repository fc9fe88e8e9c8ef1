// The search API on the collector's admin endpoint (bearer token checked by admin.ts):
//   GET /api/v1/assets?search=QUERY&limit=N&cursor=C  -> {assets, total, next?}
//   GET /api/v1/assets/attribute-keys                 -> ["fp.hw.vendor", ...]
// A bad query is a 400 whose body names the position.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSextantError } from '../../shared/errors.ts';
import { parseQuery, searchableView } from '../search/index.ts';
import type { Store } from '../store/index.ts';
import { sendJson } from './http.ts';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** Serves the route when it is one of ours; false otherwise. */
export async function handleSearchApi(req: IncomingMessage, res: ServerResponse, url: URL, store: Store): Promise<boolean> {
  if (req.method !== 'GET') return false;
  if (url.pathname === '/api/v1/assets/attribute-keys') {
    sendJson(res, 200, await store.attributeKeys());
    return true;
  }
  if (url.pathname !== '/api/v1/assets') return false;
  const search = url.searchParams.get('search') ?? '';
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    sendJson(res, 400, { error: `limit must be an integer from 1 to ${MAX_PAGE}`, code: 'INPUT_INVALID', field: 'limit' });
    return true;
  }
  try {
    parseQuery(search); // a bad query is answered here, with its position (which does not cross the store's worker)
    const cursor = url.searchParams.get('cursor') ?? undefined;
    const page = await store.searchAssets(search, { limit, cursor, total: url.searchParams.get('total') !== 'false' });
    sendJson(res, 200, { assets: page.assets.map(searchableView), total: page.total ?? null, ...(page.next ? { next: page.next } : {}) });
  } catch (err) {
    if (isSextantError(err)) {
      sendJson(res, 400, { error: err.message, code: err.code, ...('position' in err ? { position: (err as { position: number }).position } : {}) });
    } else throw err;
  }
  return true;
}
