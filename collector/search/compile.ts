// AST -> SQL over the search index (migration 2): a WHERE clause on
// `search_assets k`, with its parameters. Never a scan of the asset documents.
// Pure.
import { fieldSpec, BARE_FIELDS, type FieldSpec } from './fields.ts';
import { parseBool, parseTimeOperand, type QueryAst, type TermNode } from './parse.ts';
import { numberOf, versionKey } from './values.ts';

export interface CompiledQuery {
  /** Boolean SQL over the alias `k` (search_assets). */
  where: string;
  params: unknown[];
}

/** `%` and `_` stay wildcards; a backslash is literal. */
export function likePattern(value: string, contains: boolean): string {
  const v = value.toLowerCase().replace(/\\/g, '\\\\');
  return contains ? `%${v}%` : v;
}

/** The instant a time term compares against, and whether `<` means "after" (relative: less than N ago). */
export function timeBound(value: string, now: Date): { at: number; relative: boolean } {
  const t = parseTimeOperand(value);
  if (!t) throw new Error(`not a time: ${value}`);
  if (t.kind === 'relative') return { at: now.getTime() - t.ms, relative: true };
  if (t.kind === 'now') return { at: now.getTime(), relative: false };
  return { at: t.at, relative: false };
}

const SQL_OP = { lt: '<', le: '<=', gt: '>', ge: '>=' } as const;
const FLIP = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' } as const;

/** The ids of the values a term accepts (a subquery over the value dictionary). */
export function valueSubquery(keys: string[], predicate: string): string {
  // With trigram candidates (sv.id IN ...), `+sv.key` keeps SQLite from walking every value of the key instead.
  const col = predicate.startsWith('sv.id IN') ? '+sv.key' : 'sv.key';
  const keySql = keys.length === 1 ? `${col} = ?` : `${col} IN (${keys.map(() => '?').join(', ')})`;
  return `SELECT sv.id FROM search_values sv WHERE ${keySql}${predicate ? ` AND ${predicate}` : ''}`;
}

/**
 * Two spellings of one test. Narrow terms: the matching assets are collected
 * first (good when few match). Broad terms: each asset, walked in order, is
 * probed (good when many match and only a page is wanted). Same result.
 */
function valuesIn(v: TermValues, out: unknown[], broad: boolean): string {
  if (broad) {
    // Each asset's own links, joined to their values: no list of matching values is built at all.
    out.push(...v.keys, ...v.plainParams);
    const keySql = v.keys.length === 1 ? 'sv.key = ?' : `sv.key IN (${v.keys.map(() => '?').join(', ')})`;
    return `EXISTS (SELECT 1 FROM asset_values av JOIN search_values sv ON sv.id = av.value_id WHERE av.n = k.n AND ${keySql}${v.plain ? ` AND ${v.plain}` : ''})`;
  }
  out.push(...v.keys, ...v.params);
  return `k.n IN (SELECT av.n FROM asset_values av WHERE av.value_id IN (${valueSubquery(v.keys, v.predicate)}))`;
}

export interface TermValues {
  keys: string[];
  /** Predicate on `sv` for collecting matching values (may use the trigram index), and its parameters. */
  predicate: string;
  params: unknown[];
  /** The same test without the trigram index, for probing one asset's own values. */
  plain: string;
  plainParams: unknown[];
}

/**
 * LIKE over the value dictionary. With three or more characters between
 * wildcards the trigram index (search_fts) narrows the candidates first; the
 * LIKE on the value itself still decides, so both paths mean the same.
 */
function likeTerm(keys: string[], value: string, contains: boolean): TermValues {
  const like = "sv.v LIKE ? ESCAPE '\\'";
  const pattern = likePattern(value, contains);
  if (!value.split(/[%_]/).some((run) => [...run].length >= 3)) return plainTerm(keys, like, [pattern]);
  const lower = value.toLowerCase();
  return { keys, predicate: `sv.id IN (SELECT rowid FROM search_fts WHERE search_fts.v LIKE ?) AND ${like}`, params: [contains ? `%${lower}%` : lower, pattern], plain: like, plainParams: [pattern] };
}

const plainTerm = (keys: string[], predicate: string, params: unknown[]): TermValues => ({ keys, predicate, params, plain: predicate, plainParams: params });

/** A term's value-dictionary part, for planning: the keys, the predicate on `sv` and its parameters. */
export function termValues(t: TermNode): TermValues | undefined {
  const spec = t.field === '*' ? undefined : fieldSpec(t.field)!;
  if (spec?.column) return undefined;
  const keys = t.field === '*' ? BARE_FIELDS : [t.field];
  switch (t.op) {
    case 'has':
    case 'missing':
      return plainTerm(keys, '', []);
    case 'contains':
      return likeTerm(keys, t.value, true);
    case 'exact':
      if (!/[%_]/.test(t.value)) return plainTerm(keys, 'sv.v = ?', [t.value.toLowerCase()]);
      return likeTerm(keys, t.value, false);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      if (spec?.type === 'version') return plainTerm(keys, `sv.ver ${SQL_OP[t.op]} ?`, [versionKey(t.value)]);
      return plainTerm(keys, `sv.num ${SQL_OP[t.op]} ?`, [numberOf(t.value)]);
    case 'range':
      if (spec?.type === 'version') return plainTerm(keys, 'sv.ver BETWEEN ? AND ?', [versionKey(t.value), versionKey(t.value2!)]);
      return plainTerm(keys, 'sv.num BETWEEN ? AND ?', [numberOf(t.value), numberOf(t.value2!)]);
  }
}

function columnTerm(t: TermNode, spec: FieldSpec, now: Date, params: unknown[]): string {
  if (spec.column === 'alive') {
    if (t.op === 'has') return '1';
    if (t.op === 'missing') return '0';
    return parseBool(t.value) ? 'k.alive = 1' : 'k.alive = 0';
  }
  const ms = spec.column === 'first' ? 'k.first_ms' : 'k.last_ms';
  const text = spec.column === 'first' ? 'k.first_seen' : 'k.last_seen';
  switch (t.op) {
    case 'has':
      return '1';
    case 'missing':
      return '0';
    case 'contains':
    case 'exact':
      params.push(likePattern(t.value, t.op === 'contains'));
      return `${text} LIKE ? ESCAPE '\\'`;
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const b = timeBound(t.value, now);
      params.push(b.at);
      return `${ms} ${SQL_OP[b.relative ? FLIP[t.op] : t.op]} ?`;
    }
    default:
      throw new Error(`${t.op} on a time field`);
  }
}

function term(t: TermNode, now: Date, params: unknown[], broad: (t: TermNode) => boolean): string {
  if (t.field !== '*') {
    const spec = fieldSpec(t.field)!;
    if (spec.column) return columnTerm(t, spec, now, params);
  }
  const v = termValues(t)!;
  const test = valuesIn(v, params, broad(t));
  return t.op === 'missing' ? `NOT ${test}` : test;
}

function node(ast: QueryAst, now: Date, params: unknown[], broad: (t: TermNode) => boolean): string {
  switch (ast.kind) {
    case 'all':
      return '1';
    case 'and':
      return `(${ast.items.map((x) => node(x, now, params, broad)).join(' AND ')})`;
    case 'or':
      return `(${ast.items.map((x) => node(x, now, params, broad)).join(' OR ')})`;
    case 'not':
      return `NOT (${node(ast.item, now, params, broad)})`;
    case 'term':
      return term(ast, now, params, broad);
  }
}

/** The WHERE clause (alias `k` = search_assets) and its parameters; `now` anchors relative times. */
export function compileQuery(ast: QueryAst, now: Date, broad: (t: TermNode) => boolean = () => false): CompiledQuery {
  const params: unknown[] = [];
  const where = node(ast, now, params, broad);
  return { where, params };
}
