// Reads nmap-os-db attribute expressions (`3B-45|>80`, `M5B4|`, `Q=`) and
// compares observed values against them with Nmap 7.93's expr_match semantics
// (nmap-os-detection.md §4 "Expression language" and "7.93 quirks").

/**
 * An observed (subject) value, prepared once per subject so that the hot loop
 * does no parsing: its text and how C's `strtol(text, &end, 16)` reads it.
 */
export interface ObservedValue {
  text: string;
  /** True when strtol consumes the whole text; the empty string counts (as 0). */
  numeric: boolean;
  /** strtol's result converted to a C `unsigned int`. */
  num: number;
}

/** A pre-compiled expression: true when the observed value matches. */
export type CompiledExpr = (value: ObservedValue) => boolean;

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function hexDigit(c: string | undefined): number {
  if (c === undefined) return -1;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * glibc `strtol(s + start, &end, 16)`, then the implicit conversion of the
 * `long` to `unsigned int` that Nmap performs. Whitespace, a sign and a `0x`
 * prefix are accepted exactly as glibc does, because 7.93 inherits all of it.
 */
export function strtol16(s: string, start = 0): { value: number; end: number } {
  let i = start;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && hexDigit(s[i + 2]) >= 0) i += 2;
  const digitsStart = i;
  let magnitude = 0n;
  for (let d = hexDigit(s[i]); d >= 0; d = hexDigit(s[++i])) {
    if (magnitude <= LONG_MAX) magnitude = magnitude * 16n + BigInt(d);
  }
  if (i === digitsStart) return { value: 0, end: start };
  let value = negative ? -magnitude : magnitude;
  if (value > LONG_MAX) value = LONG_MAX;
  if (value < LONG_MIN) value = LONG_MIN;
  return { value: Number(BigInt.asUintN(32, value)), end: i };
}

export function observe(text: string): ObservedValue {
  const parsed = strtol16(text);
  return { text, numeric: parsed.end === text.length, num: parsed.value };
}

type NumericTest =
  | { kind: 'less'; bound: number }
  | { kind: 'greater'; bound: number }
  | { kind: 'range'; low: number; high: number }
  | { kind: 'never' }
  | { kind: 'string' };

interface Alternative {
  /** What 7.93 does with this alternative when the observed value is numeric. */
  numeric: NumericTest;
  literal: string;
  /** Non-last alternatives are compared with strncmp over their own length: a prefix test. */
  prefix: boolean;
}

function compileAlternatives(expr: string): Alternative[] {
  const out: Alternative[] = [];
  let p = 0;
  for (;;) {
    const bar = expr.indexOf('|', p);
    const last = bar === -1;
    // C's `q` is NULL for the last alternative, so `endptr == q` can only hold before it.
    const q = last ? -1 : bar;
    const literal = expr.slice(p, last ? expr.length : bar);
    const endsHere = (end: number) => end === q || end === expr.length;
    let numeric: NumericTest;
    const first = expr[p];
    if (first === '<' || first === '>') {
      const bound = strtol16(expr, p + 1);
      numeric = !endsHere(bound.end)
        ? { kind: 'never' }
        : first === '<'
          ? { kind: 'less', bound: bound.value }
          : { kind: 'greater', bound: bound.value };
    } else {
      // 7.93 looks for '-' in the rest of the whole expression, not just this alternative.
      const dash = expr.indexOf('-', p);
      if (dash === -1) {
        numeric = { kind: 'string' };
      } else {
        const low = strtol16(expr, p);
        const high = low.end === dash ? strtol16(expr, dash + 1) : undefined;
        numeric = high && endsHere(high.end)
          ? { kind: 'range', low: low.value, high: high.value }
          : { kind: 'never' };
      }
    }
    out.push({ numeric, literal, prefix: !last });
    if (last) return out;
    p = bar + 1;
  }
}

function stringMatches(alt: Alternative, text: string): boolean {
  return alt.prefix ? text.startsWith(alt.literal) : text === alt.literal;
}

function alternativeMatches(alt: Alternative, value: ObservedValue): boolean {
  if (!value.numeric) return stringMatches(alt, value.text);
  const test = alt.numeric;
  switch (test.kind) {
    case 'less': return value.num < test.bound;
    case 'greater': return value.num > test.bound;
    case 'range': return value.num >= test.low && value.num <= test.high;
    case 'never': return false;
    case 'string': return stringMatches(alt, value.text);
  }
}

/** Compiles one reference expression into a predicate (done once, at database load). */
export function compileExpr(expr: string): CompiledExpr {
  const alts = compileAlternatives(expr);
  const only = alts[0];
  if (alts.length === 1 && only && only.numeric.kind === 'string') {
    // The common case (`Y`, `M5B4ST11`, `Q=`): a plain string compare whatever the value.
    const literal = only.literal;
    return (value) => value.text === literal;
  }
  if (alts.length === 1 && only && only.numeric.kind === 'range') {
    const { low, high } = only.numeric;
    const literal = only.literal;
    return (value) => (value.numeric ? value.num >= low && value.num <= high : value.text === literal);
  }
  if (alts.every((alt) => alt.numeric.kind === 'string')) {
    // Literal alternatives only (`M5B4|M218`): string tests whatever the value.
    const prefixes = alts.slice(0, -1).map((alt) => alt.literal);
    const last = (alts.at(-1) as Alternative).literal;
    return (value) => {
      const text = value.text;
      if (text === last) return true;
      for (let i = 0; i < prefixes.length; i++) if (text.startsWith(prefixes[i] as string)) return true;
      return false;
    };
  }
  return (value) => {
    for (const alt of alts) if (alternativeMatches(alt, value)) return true;
    return false;
  };
}

/**
 * The literal when an expression can only ever be an exact string compare
 * (one alternative, no range, no bound): the matcher then looks values up
 * instead of calling a predicate.
 */
export function plainLiteral(expr: string): string | undefined {
  if (expr.includes('|') || expr.includes('-') || expr.startsWith('<') || expr.startsWith('>')) return undefined;
  return expr;
}

/** One-off comparison; the matcher uses pre-compiled expressions instead. */
export function exprMatches(observed: string, expr: string): boolean {
  return compileExpr(expr)(observe(observed));
}

/**
 * A concrete value that the first alternative of an expression describes
 * (the low end of a range, one past a bound). Used to build subjects from
 * references; 7.93's quirks mean the result does not always match.
 */
export function firstAlternativeValue(expr: string): string {
  const bar = expr.indexOf('|');
  const alt = bar === -1 ? expr : expr.slice(0, bar);
  const hex = (n: number) => n.toString(16).toUpperCase();
  if (alt.startsWith('>')) return hex(strtol16(alt, 1).value + 1);
  if (alt.startsWith('<')) return hex(Math.max(0, strtol16(alt, 1).value - 1));
  const dash = alt.indexOf('-');
  if (dash > 0) return alt.slice(0, dash);
  return alt;
}
