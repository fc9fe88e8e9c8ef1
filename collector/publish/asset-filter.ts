// A small in-memory asset filter with runZero's basic syntax, for `watch` and
// `refingerprint` until SEARCH's query language lands: whitespace-separated
// terms, all of which must hold; `field:value` (case-insensitive contains),
// `field:=value` (exact), `%`/`_` wildcards, quotes, a leading `-` or `NOT`
// negates, a bare word matches any of os, hw, type, names, addresses, MACs.
// TODO(search): replace with parseQuery + matchesAsset from collector/search/ after merging main.
import { SextantError } from '../../shared/errors.ts';
import type { AssetView } from '../assets/types.ts';

export type AssetFilter = (view: AssetView, now?: Date) => boolean;

interface Term {
  negate: boolean;
  field?: string;
  exact: boolean;
  value: string;
}

const FIELDS = new Set(['id', 'os', 'os_version', 'hw', 'type', 'address', 'ip', 'mac', 'mac_vendor', 'name', 'site', 'agent', 'service', 'protocol', 'product', 'port', 'alive', 'source']);

function values(view: AssetView, field: string | undefined): string[] {
  const v = view as AssetView & { sources?: string[] };
  switch (field) {
    case undefined:
      return [v.os, v.hw, v.type, ...v.names, ...v.addresses, ...v.macs].filter((x): x is string => typeof x === 'string');
    case 'id': return [v.id];
    case 'os': return v.os ? [v.os] : [];
    case 'os_version': return v.os_version ? [v.os_version] : [];
    case 'hw': return v.hw ? [v.hw] : [];
    case 'type': return v.type ? [v.type] : [];
    case 'address': case 'ip': return v.addresses;
    case 'mac': return v.macs;
    case 'mac_vendor': return v.mac_vendors;
    case 'name': return v.names;
    case 'site': return [v.site];
    case 'agent': return v.agents;
    case 'service': case 'protocol': return v.services.flatMap((s) => (s.protocol ? [s.protocol] : []));
    case 'product': return v.services.flatMap((s) => (s.product ? [s.product] : []));
    case 'port': return v.services.map((s) => String(s.port));
    case 'alive': return [String(v.alive)];
    case 'source': return v.sources ?? ['sextant'];
    default: return field.startsWith('fp.') && v.attributes[field] !== undefined ? [v.attributes[field]!] : [];
  }
}

function likeToRegExp(value: string, exact: boolean): RegExp {
  const body = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(exact ? `^${body}$` : body, 'is');
}

/** Splits on whitespace outside double quotes; throws naming the position of an unclosed quote. */
function tokenize(query: string): Array<{ text: string; at: number }> {
  const out: Array<{ text: string; at: number }> = [];
  let i = 0;
  while (i < query.length) {
    if (/\s/.test(query[i]!)) {
      i++;
      continue;
    }
    const at = i;
    let text = '';
    while (i < query.length && !/\s/.test(query[i]!)) {
      if (query[i] === '"') {
        const close = query.indexOf('"', i + 1);
        if (close === -1) throw new SextantError('INPUT_INVALID', `unclosed quote at position ${i + 1}`, { field: 'query', column: i + 1 });
        text += query.slice(i + 1, close);
        i = close + 1;
      } else text += query[i++];
    }
    out.push({ text, at });
  }
  return out;
}

export function compileAssetFilter(query: string | undefined): AssetFilter {
  const terms: Term[] = [];
  let negateNext = false;
  for (const { text, at } of tokenize(query ?? '')) {
    if (text === 'AND') continue;
    if (text === 'NOT') {
      negateNext = true;
      continue;
    }
    if (text === 'OR' || text.includes('(')) {
      throw new SextantError('INPUT_INVALID', `"${text}" at position ${at + 1}: OR and parentheses need the full query language (not available in this build)`, { field: 'query', column: at + 1 });
    }
    let body = text;
    let negate = negateNext;
    negateNext = false;
    if (body.startsWith('-') && body.length > 1) {
      negate = !negate;
      body = body.slice(1);
    }
    const colon = body.indexOf(':');
    if (colon > 0) {
      const field = body.slice(0, colon).toLowerCase();
      if (!FIELDS.has(field) && !field.startsWith('fp.')) throw new SextantError('INPUT_INVALID', `unknown field "${field}" at position ${at + 1}`, { field: 'query', column: at + 1 });
      let value = body.slice(colon + 1);
      const exact = value.startsWith('=');
      if (exact) value = value.slice(1);
      terms.push({ negate, field, exact, value });
    } else terms.push({ negate, exact: false, value: body });
  }
  const compiled = terms.map((t) => ({ ...t, re: likeToRegExp(t.value, t.exact) }));
  return (view) => compiled.every((t) => values(view, t.field).some((v) => t.re.test(v)) !== t.negate);
}
