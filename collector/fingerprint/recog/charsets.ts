// Code point sets for Ruby's character classes and escapes, and the flag context
// (ignore case, dot matches newline) that changes them; shared by the translator
// and the analyses over the same AST.
import type { CharacterClassNode, CharacterSetNode } from 'oniguruma-parser/parser';

export interface Ctx {
  ignoreCase: boolean;
  dotAll: boolean;
}


export class Unsupported extends Error {}

export const SPACE_RANGES: Array<[number, number]> = [[0x09, 0x0d], [0x20, 0x20]];
export const DIGIT_RANGES: Array<[number, number]> = [[0x30, 0x39]];
export const WORD_RANGES: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
export const HEX_RANGES: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]];
export const MAX_CP = 0x10ffff;

export const POSIX_RANGES: Record<string, Array<[number, number]>> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: DIGIT_RANGES,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: SPACE_RANGES,
  upper: [[0x41, 0x5a]],
  xdigit: HEX_RANGES,
  word: WORD_RANGES,
};


// ---------- code point range sets ----------

export type Ranges = Array<[number, number]>;

export function normalize(ranges: Ranges): Ranges {
  const sorted = ranges.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [a, b] of normalize(ranges)) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

export function intersect(x: Ranges, y: Ranges): Ranges {
  return complement([...complement(x), ...complement(y)]);
}

/** Adds the simple case variants of every code point (ASCII letters exactly, others via toLower/toUpper). */
export function caseClose(ranges: Ranges): Ranges {
  const extra: Ranges = [];
  for (const [a, b] of ranges) {
    const lo = Math.max(a, 0x41), hi = Math.min(b, 0x5a);
    if (lo <= hi) extra.push([lo + 32, hi + 32]);
    const lo2 = Math.max(a, 0x61), hi2 = Math.min(b, 0x7a);
    if (lo2 <= hi2) extra.push([lo2 - 32, hi2 - 32]);
    // Non-ASCII letters: only small ranges are expanded one by one.
    const from = Math.max(a, 0x80), to = Math.min(b, from + 2048);
    if (from <= b && b - a < 4096) {
      for (let cp = from; cp <= to; cp++) {
        const ch = String.fromCodePoint(cp);
        for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
          if (v !== ch && [...v].length === 1) {
            const c = v.codePointAt(0)!;
            extra.push([c, c]);
          }
        }
      }
    }
  }
  return normalize([...ranges, ...extra]);
}


export function applyFlags(ctx: Ctx, flags: { enable?: { ignoreCase?: boolean; dotAll?: boolean; extended?: boolean }; disable?: { ignoreCase?: boolean; dotAll?: boolean; extended?: boolean } }): Ctx {
  const out = { ...ctx };
  if (flags.enable?.ignoreCase) out.ignoreCase = true;
  if (flags.enable?.dotAll) out.dotAll = true;
  if (flags.disable?.ignoreCase) out.ignoreCase = false;
  if (flags.disable?.dotAll) out.dotAll = false;
  return out;
}

export function setRanges(node: CharacterSetNode, ctx: Ctx): Ranges | undefined {
  let ranges: Ranges;
  switch (node.kind) {
    case 'digit': ranges = DIGIT_RANGES; break;
    case 'word': ranges = WORD_RANGES; break;
    case 'space': ranges = SPACE_RANGES; break;
    case 'hex': ranges = HEX_RANGES; break;
    case 'any': ranges = [[0, MAX_CP]]; break;
    case 'dot': ranges = ctx.dotAll ? [[0, MAX_CP]] : complement([[0x0a, 0x0a]]); break;
    case 'posix': {
      const r = POSIX_RANGES[node.value];
      if (!r) throw new Unsupported(`[[:${node.value}:]]`);
      ranges = ctx.ignoreCase && (node.value === 'lower' || node.value === 'upper') ? POSIX_RANGES.alpha! : r;
      break;
    }
    default:
      return undefined;
  }
  return node.negate ? complement(ranges) : ranges;
}

export function classRanges(node: CharacterClassNode, ctx: Ctx): Ranges {
  let sets: Ranges[] = [];
  const union: Ranges = [];
  for (const el of node.body) {
    let r: Ranges;
    if (el.type === 'Character') r = [[el.value, el.value]];
    else if (el.type === 'CharacterClassRange') r = [[el.min.value, el.max.value]];
    else if (el.type === 'CharacterClass') r = classRanges(el, ctx);
    else {
      const s = setRanges(el, { ...ctx, dotAll: true });
      if (!s) throw new Unsupported(`\\p{...} inside a character class`);
      r = s;
    }
    if (node.kind === 'intersection') sets.push(r);
    else union.push(...r);
  }
  let result: Ranges;
  if (node.kind === 'intersection') {
    result = sets.reduce((acc, r) => intersect(acc, r));
    sets = [];
  } else {
    result = normalize(union);
  }
  if (ctx.ignoreCase) result = caseClose(result);
  return node.negate ? complement(result) : result;
}
