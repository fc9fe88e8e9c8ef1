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

function valuesIn(keys: string[], predicate: string, params: unknown[], out: unknown[]): string {
  out.push(...keys, ...params);
  const keySql = keys.length === 1 ? 'sv.key = ?' : `sv.key IN (${keys.map(() => '?').join(', ')})`;
  return `k.n IN (SELECT av.n FROM asset_values av WHERE av.value_id IN (SELECT sv.id FROM search_values sv WHERE ${keySql}${predicate ? ` AND ${predicate}` : ''}))`;
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

function term(t: TermNode, now: Date, params: unknown[]): string {
  const keys = t.field === '*' ? BARE_FIELDS : [t.field];
  const spec: FieldSpec = t.field === '*' ? { name: '*', type: 'text' } : fieldSpec(t.field)!;
  if (spec.column) return columnTerm(t, spec, now, params);
  switch (t.op) {
    case 'has':
      return valuesIn(keys, '', [], params);
    case 'missing':
      return `NOT ${valuesIn(keys, '', [], params)}`;
    case 'contains':
      return valuesIn(keys, "sv.v LIKE ? ESCAPE '\\'", [likePattern(t.value, true)], params);
    case 'exact':
      if (!/[%_]/.test(t.value)) return valuesIn(keys, 'sv.v = ?', [t.value.toLowerCase()], params);
      return valuesIn(keys, "sv.v LIKE ? ESCAPE '\\'", [likePattern(t.value, false)], params);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      if (spec.type === 'version') return valuesIn(keys, `sv.ver ${SQL_OP[t.op]} ?`, [versionKey(t.value)], params);
      return valuesIn(keys, `sv.num ${SQL_OP[t.op]} ?`, [numberOf(t.value)], params);
    case 'range':
      if (spec.type === 'version') return valuesIn(keys, 'sv.ver BETWEEN ? AND ?', [versionKey(t.value), versionKey(t.value2!)], params);
      return valuesIn(keys, 'sv.num BETWEEN ? AND ?', [numberOf(t.value), numberOf(t.value2!)], params);
  }
}

function node(ast: QueryAst, now: Date, params: unknown[]): string {
  switch (ast.kind) {
    case 'all':
      return '1';
    case 'and':
      return `(${ast.items.map((x) => node(x, now, params)).join(' AND ')})`;
    case 'or':
      return `(${ast.items.map((x) => node(x, now, params)).join(' OR ')})`;
    case 'not':
      return `NOT (${node(ast.item, now, params)})`;
    case 'term':
      return term(ast, now, params);
  }
}

/** The WHERE clause (alias `k` = search_assets) and its parameters; `now` anchors relative times. */
export function compileQuery(ast: QueryAst, now: Date): CompiledQuery {
  const params: unknown[] = [];
  const where = node(ast, now, params);
  return { where, params };
}
