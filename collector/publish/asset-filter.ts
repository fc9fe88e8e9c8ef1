// The in-memory asset filter of `watch`, `refingerprint` and the collector's
// refingerprint route: the inventory's search language (collector/search/),
// with the same meaning as the SQL the store runs for `query` and `export`.
import { matchesAsset, parseQuery } from '../search/index.ts';
import type { AssetView } from '../assets/types.ts';

export type AssetFilter = (view: AssetView, now?: Date) => boolean;

/** Throws SEARCH_SYNTAX, with the position, for a query that does not parse. */
export function compileAssetFilter(query: string | undefined): AssetFilter {
  const ast = parseQuery(query ?? '');
  return (view, now = new Date()) => matchesAsset(ast, view, now);
}
