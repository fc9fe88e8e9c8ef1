// The same search in memory, for one asset (`sextant watch`, subscribers, and
// the property test that holds the SQL to it). Pure.
import type { AssetView } from '../assets/index.ts';
import { timeBound } from './compile.ts';
import { BARE_FIELDS, fieldSpec } from './fields.ts';
import { parseBool, type QueryAst, type TermNode } from './parse.ts';
import { numberOf, searchPairs, versionKey, type SearchableAsset } from './values.ts';

const regexCache = new Map<string, RegExp>();

/** SQL LIKE over lower-cased text: `%` any run, `_` one character, the rest literal. */
export function likeRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    let src = '';
    for (const ch of pattern) {
      if (ch === '%') src += '[\\s\\S]*';
      else if (ch === '_') src += '[\\s\\S]';
      else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`, 'u');
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

type Values = Map<string, string[]>;

function valuesOf(view: SearchableAsset): Values {
  const m: Values = new Map();
  for (const [k, v] of searchPairs(view)) {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  }
  return m;
}

function cmp(a: number | string, b: number | string, op: 'lt' | 'le' | 'gt' | 'ge'): boolean {
  switch (op) {
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

const FLIP = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' } as const;

/** Milliseconds of a stored timestamp; 0 when unreadable (the index stores the same). */
export function timeMs(text: string): number {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : 0;
}

function termMatches(t: TermNode, view: SearchableAsset, values: () => Values, now: Date): boolean {
  const spec = t.field === '*' ? undefined : fieldSpec(t.field)!;
  if (spec?.column === 'alive') {
    if (t.op === 'has') return true;
    if (t.op === 'missing') return false;
    return view.alive === parseBool(t.value);
  }
  if (spec?.column) {
    const text = spec.column === 'first' ? view.first_seen : view.last_seen;
    switch (t.op) {
      case 'has':
        return true;
      case 'missing':
        return false;
      case 'contains':
        return likeRegex(`%${t.value.toLowerCase()}%`).test(text.toLowerCase());
      case 'exact':
        return likeRegex(t.value.toLowerCase()).test(text.toLowerCase());
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const b = timeBound(t.value, now);
        return cmp(timeMs(text), b.at, b.relative ? FLIP[t.op] : t.op);
      }
      default:
        return false;
    }
  }
  const keys = t.field === '*' ? BARE_FIELDS : [t.field];
  const all = values();
  const list: string[] = [];
  for (const k of keys) list.push(...(all.get(k) ?? []));
  switch (t.op) {
    case 'has':
      return list.length > 0;
    case 'missing':
      return list.length === 0;
    case 'contains': {
      const re = likeRegex(`%${t.value.toLowerCase()}%`);
      return list.some((v) => re.test(v));
    }
    case 'exact': {
      const re = likeRegex(t.value.toLowerCase());
      return list.some((v) => re.test(v));
    }
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const op = t.op;
      if (spec?.type === 'version') {
        const bound = versionKey(t.value)!;
        return list.some((v) => {
          const k = versionKey(v);
          return k !== undefined && cmp(k, bound, op);
        });
      }
      const bound = numberOf(t.value)!;
      return list.some((v) => {
        const n = numberOf(v);
        return n !== undefined && cmp(n, bound, op);
      });
    }
    case 'range': {
      if (spec?.type === 'version') {
        const lo = versionKey(t.value)!;
        const hi = versionKey(t.value2!)!;
        return list.some((v) => {
          const k = versionKey(v);
          return k !== undefined && k >= lo && k <= hi;
        });
      }
      const lo = numberOf(t.value)!;
      const hi = numberOf(t.value2!)!;
      return list.some((v) => {
        const n = numberOf(v);
        return n !== undefined && n >= lo && n <= hi;
      });
    }
  }
}

/** Whether one asset matches, with exactly the SQL's semantics. */
export function matchesAsset(ast: QueryAst, view: AssetView, now: Date): boolean {
  let cached: Values | undefined;
  const values = () => (cached ??= valuesOf(view));
  const walk = (n: QueryAst): boolean => {
    switch (n.kind) {
      case 'all':
        return true;
      case 'and':
        return n.items.every(walk);
      case 'or':
        return n.items.some(walk);
      case 'not':
        return !walk(n.item);
      case 'term':
        return termMatches(n, view, values, now);
    }
  };
  return walk(ast);
}
