// runZero-style asset search: text -> AST. Pure.
//
// Grammar (decisions where runZero's docs are silent are marked "decided"):
//   query   := or?                        (empty query: every asset)
//   or      := and (OR and)*
//   and     := unary ((AND)? unary)*      (adjacent terms are ANDed, as in runZero)
//   unary   := NOT unary | '-' unary | '(' or ')' | term
//   term    := FIELD ':' OP? VALUE | VALUE  (a bare value searches several fields)
//   OP      := '=' | '<' | '>' | '<=' | '>='
// AND, OR and NOT are recognised in any letter case (decided). `-term` is NOT
// (decided: Google/GitHub users type it; a value after `:` may still start with '-').
// Values are unquoted (up to whitespace or ')') or double-quoted with \" and \\.
// `%` matches any run of characters, `_` one character, in contains and exact terms.
// `field:a-b` is an inclusive range for numeric and version fields only (decided:
// names, MACs and dates contain '-', so elsewhere it is text); `field:>=a AND
// field:<=b` works everywhere comparisons do.
import { SextantError } from '../../shared/errors.ts';
import { fieldSpec, type FieldSpec } from './fields.ts';

export type TermOp = 'contains' | 'exact' | 'missing' | 'lt' | 'le' | 'gt' | 'ge' | 'range' | 'has';

export interface TermNode {
  kind: 'term';
  /** Canonical field name (lower case); '*' for a bare word. */
  field: string;
  op: TermOp;
  value: string;
  /** Upper bound of a range. */
  value2?: string;
  /** Offset of the term in the query text (0-based). */
  position: number;
}

export type QueryAst =
  | { kind: 'all' }
  | { kind: 'and'; items: QueryAst[] }
  | { kind: 'or'; items: QueryAst[] }
  | { kind: 'not'; item: QueryAst }
  | TermNode;

/** A query that cannot be parsed; `position` is the 0-based offset of the fault. */
export class QuerySyntaxError extends SextantError {
  readonly position: number;
  readonly query: string;
  constructor(message: string, query: string, position: number) {
    super('SEARCH_SYNTAX', `${message} at position ${position + 1}${pointer(query, position)}`, { field: 'query' });
    this.position = position;
    this.query = query;
  }
}

function pointer(query: string, position: number): string {
  if (query.length > 200 || query.includes('\n')) return '';
  return `\n  ${query}\n  ${' '.repeat(position)}^`;
}

type Token =
  | { t: 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus' | 'end'; pos: number }
  | { t: 'term'; pos: number; field: string | undefined; fieldPos: number; op: string; value: string; quoted: boolean; valuePos: number };

const FIELD_RE = /^[A-Za-z_@][A-Za-z0-9_.@-]*$/;
const MAX_QUERY = 4096;

function lex(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const readValue = (start: number): { value: string; quoted: boolean; end: number } => {
    if (q[start] === '"') {
      let j = start + 1;
      let v = '';
      while (j < q.length && q[j] !== '"') {
        if (q[j] === '\\' && j + 1 < q.length) {
          v += q[j + 1];
          j += 2;
        } else v += q[j++];
      }
      if (j >= q.length) throw new QuerySyntaxError('unterminated quoted value', q, start);
      return { value: v, quoted: true, end: j + 1 };
    }
    let j = start;
    while (j < q.length && !/\s/.test(q[j]!) && q[j] !== ')' && q[j] !== '(') j++;
    return { value: q.slice(start, j), quoted: false, end: j };
  };
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ t: 'lparen', pos: i++ });
      continue;
    }
    if (c === ')') {
      out.push({ t: 'rparen', pos: i++ });
      continue;
    }
    if (c === '-' && i + 1 < q.length && !/[\s)]/.test(q[i + 1]!)) {
      out.push({ t: 'minus', pos: i++ });
      continue;
    }
    const start = i;
    if (c === '"') {
      const v = readValue(i);
      out.push({ t: 'term', pos: start, field: undefined, fieldPos: start, op: '', value: v.value, quoted: true, valuePos: start });
      i = v.end;
      continue;
    }
    // A word: either FIELD:..., an operator keyword, or a bare value.
    let j = i;
    while (j < q.length && !/\s/.test(q[j]!) && q[j] !== ':' && q[j] !== '(' && q[j] !== ')' && q[j] !== '"') j++;
    const word = q.slice(i, j);
    if (q[j] === ':' && word.length > 0) {
      if (!FIELD_RE.test(word)) throw new QuerySyntaxError(`"${word}" is not a field name`, q, start);
      let k = j + 1;
      let op = '';
      const two = q.slice(k, k + 2);
      if (two === '<=' || two === '>=') op = two;
      else if (q[k] === '=' || q[k] === '<' || q[k] === '>') op = q[k]!;
      k += op.length;
      const v = readValue(k);
      out.push({ t: 'term', pos: start, field: word, fieldPos: start, op, value: v.value, quoted: v.quoted, valuePos: k });
      i = v.end;
      continue;
    }
    if (q[j] === '"' && word.length > 0) throw new QuerySyntaxError('a quote inside a word (quote the whole value, or write field:"value")', q, j);
    const upper = word.toUpperCase();
    if (upper === 'AND' || upper === 'OR' || upper === 'NOT') {
      out.push({ t: upper.toLowerCase() as 'and' | 'or' | 'not', pos: start });
      i = j;
      continue;
    }
    if (q[j] === ':') throw new QuerySyntaxError('a field name is missing before ":"', q, j);
    const v = readValue(i);
    out.push({ t: 'term', pos: start, field: undefined, fieldPos: start, op: '', value: v.value, quoted: false, valuePos: start });
    i = v.end;
  }
  out.push({ t: 'end', pos: q.length });
  return out;
}

const RANGE_RE = /^([^-\s]+)-([^-\s]+)$/;

function buildTerm(q: string, tok: Extract<Token, { t: 'term' }>): TermNode {
  if (tok.field === undefined) {
    if (tok.value === '') throw new QuerySyntaxError('empty value', q, tok.valuePos);
    return { kind: 'term', field: '*', op: 'contains', value: tok.value, position: tok.pos };
  }
  const name = tok.field.toLowerCase();
  if (name === 'has') {
    if (tok.op !== '') throw new QuerySyntaxError('has: takes a field name, not a comparison', q, tok.valuePos - tok.op.length);
    const target = tok.value.toLowerCase();
    if (target === '') throw new QuerySyntaxError('has: needs a field name', q, tok.valuePos);
    const targetSpec = fieldSpec(target);
    if (!targetSpec) throw new QuerySyntaxError(`unknown field "${tok.value}" (known: ${knownList()}, or any fp.* key)`, q, tok.valuePos);
    return { kind: 'term', field: targetSpec.name, op: 'has', value: '', position: tok.pos };
  }
  const spec = fieldSpec(name);
  if (!spec) throw new QuerySyntaxError(`unknown field "${tok.field}" (known: ${knownList()}, has:, or any fp.* key)`, q, tok.fieldPos);
  const base = { kind: 'term' as const, field: spec.name, position: tok.pos };
  if (tok.op === '=') {
    if (tok.value === '' && !tok.quoted) return { ...base, op: 'missing', value: '' };
    checkValue(q, tok, spec, 'exact');
    return { ...base, op: 'exact', value: tok.value };
  }
  if (tok.value === '' && !tok.quoted) throw new QuerySyntaxError(`a value is missing after "${tok.field}:${tok.op}"`, q, tok.valuePos);
  if (tok.op !== '') {
    const op = ({ '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' } as const)[tok.op as '<' | '<=' | '>' | '>='];
    checkValue(q, tok, spec, op);
    return { ...base, op, value: tok.value };
  }
  if (!tok.quoted && (spec.type === 'number' || spec.type === 'version')) {
    const m = RANGE_RE.exec(tok.value);
    if (m) {
      const node: TermNode = { ...base, op: 'range', value: m[1]!, value2: m[2]! };
      checkValue(q, tok, spec, 'range', m[1]!);
      checkValue(q, tok, spec, 'range', m[2]!);
      return node;
    }
  }
  checkValue(q, tok, spec, 'contains');
  // `port:22` is port 22, not 2222 (decided: numeric fields match whole values).
  if (spec.type === 'number') return { ...base, op: 'exact', value: tok.value };
  return { ...base, op: 'contains', value: tok.value };
}

function checkValue(q: string, tok: Extract<Token, { t: 'term' }>, spec: FieldSpec, op: TermOp, value = tok.value): void {
  const ordered = op === 'lt' || op === 'le' || op === 'gt' || op === 'ge' || op === 'range';
  if (spec.type === 'bool') {
    if (op !== 'contains' && op !== 'exact') throw new QuerySyntaxError(`${tok.field} is true or false; it cannot be compared with < or >`, q, tok.valuePos);
    if (parseBool(value) === undefined) throw new QuerySyntaxError(`${tok.field} takes t or f (true/false, yes/no, 1/0), not "${value}"`, q, tok.valuePos);
    return;
  }
  if (!ordered) return;
  if (spec.type === 'time') {
    if (parseTimeOperand(value) === undefined) {
      throw new QuerySyntaxError(`"${value}" is not a time: use a relative time (30d, 2weeks, 24hours, 6months, 1year, 90min), an ISO date (2024-05-01, 2024-05-01T12:00:00Z) or now`, q, tok.valuePos);
    }
    return;
  }
  if (spec.type === 'version') {
    if (!/\d/.test(value)) throw new QuerySyntaxError(`"${value}" is not a version`, q, tok.valuePos);
    return;
  }
  if (!NUMBER_RE.test(value)) {
    throw new QuerySyntaxError(`${tok.field} is compared as a number here, and "${value}" is not one`, q, tok.valuePos);
  }
}

export const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function parseBool(v: string): boolean | undefined {
  const s = v.toLowerCase();
  if (['t', 'true', 'yes', 'y', '1'].includes(s)) return true;
  if (['f', 'false', 'no', 'n', '0'].includes(s)) return false;
  return undefined;
}

const UNITS: Array<[RegExp, number]> = [
  [/^(s|secs?|seconds?)$/, 1000],
  [/^(min|mins|minutes?)$/, 60_000],
  [/^(h|hrs?|hours?)$/, 3_600_000],
  [/^(d|days?)$/, 86_400_000],
  [/^(w|wks?|weeks?)$/, 7 * 86_400_000],
  [/^(months?|mo|mos)$/, 30 * 86_400_000],
  [/^(y|yrs?|years?)$/, 365 * 86_400_000],
];

export type TimeOperand = { kind: 'relative'; ms: number } | { kind: 'absolute'; at: number } | { kind: 'now' };

/**
 * runZero's relative times: `2weeks`, `30d`, `24hours`, `6months`. A bare `m` is
 * refused (minutes or months?). Months are 30 days, years 365 (decided).
 */
export function parseTimeOperand(v: string): TimeOperand | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'now') return { kind: 'now' };
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(s);
  if (m) {
    for (const [re, ms] of UNITS) if (re.test(m[2]!)) return { kind: 'relative', ms: Number(m[1]) * ms };
    return undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}([t ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
    const at = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T').toUpperCase());
    if (Number.isFinite(at)) return { kind: 'absolute', at };
  }
  return undefined;
}

let known: string | undefined;
function knownList(): string {
  known ??= ['os', 'os_version', 'hw', 'type', 'address', 'mac', 'mac_vendor', 'name', 'site', 'agent', 'source', 'service', 'product', 'port', 'protocol', 'transport', 'version', 'service_count', 'first_seen', 'last_seen', 'alive', 'id'].join(', ');
  return known;
}

/** Parses a query; throws QuerySyntaxError (code SEARCH_SYNTAX) naming the position. */
export function parseQuery(text: string): QueryAst {
  if (text.length > MAX_QUERY) throw new QuerySyntaxError(`query longer than ${MAX_QUERY} characters`, text.slice(0, 0), MAX_QUERY);
  const toks = lex(text);
  let i = 0;
  const peek = () => toks[i]!;
  let depth = 0;

  const parseOr = (): QueryAst => {
    const items = [parseAnd()];
    while (peek().t === 'or') {
      i++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };
  const startsUnary = (t: Token['t']) => t === 'term' || t === 'lparen' || t === 'not' || t === 'minus';
  const parseAnd = (): QueryAst => {
    const items = [parseUnary()];
    for (;;) {
      const t = peek().t;
      if (t === 'and') {
        i++;
        items.push(parseUnary());
      } else if (startsUnary(t)) items.push(parseUnary());
      else break;
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  const parseUnary = (): QueryAst => {
    const tok = peek();
    if (tok.t === 'not' || tok.t === 'minus') {
      i++;
      return { kind: 'not', item: parseUnary() };
    }
    if (tok.t === 'lparen') {
      i++;
      if (++depth > 64) throw new QuerySyntaxError('parentheses nested too deep', text, tok.pos);
      if (peek().t === 'rparen') throw new QuerySyntaxError('empty parentheses', text, peek().pos);
      const inner = parseOr();
      const close = peek();
      if (close.t !== 'rparen') throw new QuerySyntaxError(`"(" at position ${tok.pos + 1} is not closed`, text, close.pos);
      i++;
      depth--;
      return inner;
    }
    if (tok.t === 'term') {
      i++;
      return buildTerm(text, tok);
    }
    if (tok.t === 'end') throw new QuerySyntaxError('the query ends where a term was expected', text, tok.pos);
    if (tok.t === 'rparen') throw new QuerySyntaxError('")" without a matching "("', text, tok.pos);
    throw new QuerySyntaxError(`"${tok.t.toUpperCase()}" where a term was expected`, text, tok.pos);
  };

  if (peek().t === 'end') return { kind: 'all' };
  const ast = parseOr();
  const rest = peek();
  if (rest.t !== 'end') {
    throw new QuerySyntaxError(rest.t === 'rparen' ? '")" without a matching "("' : 'unexpected text', text, rest.pos);
  }
  return ast;
}
