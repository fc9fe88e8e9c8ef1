// What of an asset is searchable, as (key, value) pairs: the one definition both
// the SQL index (store/search-index.ts) and the in-memory matcher use, so the
// two cannot disagree. Pure.
import { assetView, type Asset, type AssetView } from '../assets/index.ts';
import { NUMBER_RE } from './parse.ts';

/** The asset fields MERGE adds (sources, sites); read with their fallbacks. */
export type SearchableAsset = AssetView & { sources?: string[]; sites?: string[] };

/** The view of a stored asset with the MERGE fields (sources, sites) kept when the asset has them. */
export function searchableView(a: Asset): SearchableAsset {
  const v = assetView(a) as SearchableAsset;
  const extra = a as Asset & { sources?: string[]; sites?: string[] };
  if (extra.sources && v.sources === undefined) v.sources = [...extra.sources];
  if (extra.sites && v.sites === undefined) v.sites = [...extra.sites];
  return v;
}

/** Lower-cased (key, value) pairs, without duplicates. Keys are field names or lower-cased fp.* keys. */
export function searchPairs(a: SearchableAsset): Array<[string, string]> {
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  const add = (key: string, value: string | number | undefined | null) => {
    if (value === undefined || value === null) return;
    const v = String(value).toLowerCase();
    if (v === '') return;
    const id = `${key}\u0000${v}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push([key, v]);
  };
  add('id', a.id);
  add('os', a.os);
  add('os_version', a.os_version);
  add('hw', a.hw);
  add('type', a.type);
  for (const x of a.addresses) add('address', x);
  for (const m of a.macs) add('mac', m);
  for (const v of a.mac_vendors) add('mac_vendor', v);
  for (const n of a.names) add('name', n);
  for (const g of a.agents) add('agent', g);
  for (const s of a.sites && a.sites.length > 0 ? a.sites : [a.site]) add('site', s);
  for (const s of a.sources && a.sources.length > 0 ? a.sources : ['sextant']) add('source', s);
  add('service_count', a.services.length);
  for (const [k, v] of Object.entries(a.attributes)) add(k.toLowerCase(), v);
  for (const s of a.services) {
    add('port', s.port);
    add('transport', s.transport);
    add('protocol', s.protocol);
    add('product', s.product);
    add('version', s.version);
    add('service', `${s.transport}/${s.port}`);
    add('service', s.protocol);
    add('service', s.product);
    add('service', s.vendor);
    if (s.product && s.version) add('service', `${s.product} ${s.version}`);
    for (const c of s.components ?? []) {
      add('product', c.product);
      add('version', c.version);
      add('service', c.product);
    }
    for (const [k, v] of Object.entries(s.attributes)) add(k.toLowerCase(), v);
  }
  return out;
}

/** The number a value stands for, when it is one. */
export function numberOf(v: string): number | undefined {
  return NUMBER_RE.test(v) ? Number(v) : undefined;
}

/**
 * A key that sorts versions by component, numerically: `9.1` < `18.04` <
 * `18.04.6` < `20.04`. Digit runs become (length, digits) so any length
 * compares right; letter runs stay as they are; everything else separates.
 * ASCII only, so SQLite's byte order and JavaScript's agree.
 */
export function versionKey(v: string): string | undefined {
  if (!/\d/.test(v)) return undefined;
  const parts = v.toLowerCase().match(/\d+|[a-z]+/g) ?? [];
  return parts
    .map((p) => {
      if (/^\d/.test(p)) {
        const d = p.replace(/^0+(?=\d)/, '');
        return `${String.fromCharCode(0x30 + Math.min(d.length, 74))}${d}`;
      }
      return `~${p}`;
    })
    .join(' ');
}
