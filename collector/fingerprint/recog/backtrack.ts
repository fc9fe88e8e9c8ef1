// Estimates how badly V8's backtracking can blow up on a pattern, so that only
// inputs short enough to finish quickly run on V8 (pattern.ts sends the rest to
// re2js). A greedy loop backtracks into real work only when the characters it
// consumes can also start what follows it (its follow set); such "ambiguous"
// loops multiply, nested ones explode. A heuristic over-estimate, checked
// empirically by `npm run bench:recog` on adversarial inputs.
import type { AlternativeNode, Node, RegexNode } from 'oniguruma-parser/parser';
import { applyFlags, caseClose, classRanges, intersect, MAX_CP, normalize, setRanges, type Ctx, type Ranges } from './charsets.ts';

const ALL: Ranges = [[0, MAX_CP]];

/** Loops at least this long count as unbounded. */
const WIDE = 16;

interface First {
  set: Ranges;
  nullable: boolean;
}

function overlaps(a: Ranges, b: Ranges): boolean {
  return a.length > 0 && b.length > 0 && intersect(a, b).length > 0;
}

function atomSet(node: Node, ctx: Ctx): Ranges | undefined {
  if (node.type === 'Character') return ctx.ignoreCase ? caseClose([[node.value, node.value]]) : [[node.value, node.value]];
  if (node.type === 'CharacterClass') return classRanges(node, ctx);
  if (node.type === 'CharacterSet') return setRanges(node, ctx) ?? ALL;
  return undefined;
}

function first(node: Node, ctx: Ctx): First {
  const atom = atomSet(node, ctx);
  if (atom) return { set: atom, nullable: false };
  switch (node.type) {
    case 'CapturingGroup':
    case 'Group': {
      const inner = node.type === 'Group' && node.flags ? applyFlags(ctx, node.flags) : ctx;
      return firstOfAlts(node.body, inner);
    }
    case 'Alternative':
      return firstOfSeq(node.body, ctx);
    case 'Quantifier': {
      const f = first(node.body, ctx);
      return { set: f.set, nullable: f.nullable || node.min === 0 };
    }
    case 'Backreference':
      return { set: ALL, nullable: true };
    default:
      return { set: [], nullable: true };
  }
}

function firstOfAlts(alts: AlternativeNode[], ctx: Ctx): First {
  const set: Ranges = [];
  let nullable = false;
  for (const alt of alts) {
    const f = firstOfSeq(alt.body, ctx);
    set.push(...f.set);
    nullable ||= f.nullable;
  }
  return { set: normalize(set), nullable };
}

function firstOfSeq(body: Node[], ctx: Ctx): First {
  const set: Ranges = [];
  let local = ctx;
  for (const el of body) {
    if (el.type === 'Directive' && el.kind === 'flags') {
      local = applyFlags(local, el.flags);
      continue;
    }
    const f = first(el, local);
    set.push(...f.set);
    if (!f.nullable) return { set: normalize(set), nullable: false };
  }
  return { set: normalize(set), nullable: true };
}

/** Every character a node can consume. */
function charsOf(node: Node, ctx: Ctx): Ranges {
  const atom = atomSet(node, ctx);
  if (atom) return atom;
  switch (node.type) {
    case 'CapturingGroup':
    case 'Group': {
      const inner = node.type === 'Group' && node.flags ? applyFlags(ctx, node.flags) : ctx;
      return normalize(node.body.flatMap((alt) => charsOf(alt, inner)));
    }
    case 'Alternative':
      return normalize(node.body.flatMap((el) => charsOf(el, ctx)));
    case 'Quantifier':
      return charsOf(node.body, ctx);
    case 'Backreference':
      return ALL;
    default:
      return [];
  }
}

interface Walk {
  /** Ambiguous loops that multiply one another. */
  ambiguous: number;
  /** Wide loops of any kind: each scans its run once per way of reaching it. */
  wide: number;
}

const NONE: Walk = { ambiguous: 0, wide: 0 };

function walk(node: Node, follow: Ranges, ctx: Ctx): Walk {
  switch (node.type) {
    case 'Regex':
    case 'CapturingGroup':
    case 'Group': {
      const inner = node.type === 'Group' && node.flags ? applyFlags(ctx, node.flags) : ctx;
      let out = NONE;
      for (const alt of node.body) {
        const w = walk(alt, follow, inner);
        out = { ambiguous: Math.max(out.ambiguous, w.ambiguous), wide: Math.max(out.wide, w.wide) };
      }
      return out;
    }
    case 'Alternative': {
      // Right to left, so each element knows what can follow it.
      const ctxs: Ctx[] = [];
      let local = ctx;
      for (const el of node.body) {
        if (el.type === 'Directive' && el.kind === 'flags') local = applyFlags(local, el.flags);
        ctxs.push(local);
      }
      let next = follow;
      let ambiguous = 0;
      let wide = 0;
      for (let i = node.body.length - 1; i >= 0; i--) {
        const el = node.body[i]!;
        const w = walk(el, next, ctxs[i]!);
        ambiguous += w.ambiguous;
        wide += w.wide;
        const f = first(el, ctxs[i]!);
        next = f.nullable ? normalize([...f.set, ...next]) : f.set;
      }
      return { ambiguous, wide };
    }
    case 'LookaroundAssertion': {
      let out = NONE;
      for (const alt of node.body) {
        const w = walk(alt, ALL, ctx);
        out = { ambiguous: Math.max(out.ambiguous, w.ambiguous), wide: Math.max(out.wide, w.wide) };
      }
      return out;
    }
    case 'Quantifier': {
      const body = first(node.body, ctx);
      // Inside a loop, the body is followed by another turn or by what follows the loop.
      const inner = walk(node.body, node.max > 1 ? normalize([...body.set, ...follow]) : follow, ctx);
      const wide = node.max === Infinity || node.max >= WIDE;
      if (!wide) return { ambiguous: inner.ambiguous * Math.max(1, node.max), wide: inner.wide * Math.max(1, node.max) };
      if (inner.ambiguous > 0 || ambiguousAlternation(node.body, ctx)) return { ambiguous: Infinity, wide: Infinity };
      const own = overlaps(charsOf(node.body, ctx), follow) ? 1 : 0;
      return { ambiguous: own, wide: inner.wide + 1 };
    }
    default:
      return NONE;
  }
}

/** A loop over alternatives that can start the same way tries them in every combination. */
function ambiguousAlternation(node: Node, ctx: Ctx): boolean {
  if (node.type !== 'Group' && node.type !== 'CapturingGroup') return false;
  if (node.body.length > 1) {
    const firsts = node.body.map((alt) => firstOfSeq(alt.body, ctx));
    for (let i = 0; i < firsts.length; i++) {
      if (firsts[i]!.nullable) return true;
      for (let j = i + 1; j < firsts.length; j++) if (overlaps(firsts[i]!.set, firsts[j]!.set)) return true;
    }
  }
  return node.body.some((alt) => alt.body.some((el) => ambiguousAlternation(el, ctx)));
}

function startsWith(alts: AlternativeNode[], kinds: string[]): boolean {
  return alts.every((alt) => {
    for (const el of alt.body) {
      if (el.type === 'Directive') continue;
      if (el.type === 'Assertion') return kinds.includes(el.kind);
      if ((el.type === 'Group' && !el.atomic) || el.type === 'CapturingGroup') return startsWith(el.body, kinds);
      return false;
    }
    return false;
  });
}

export interface BacktrackDegrees {
  /** V8 work grows like n^degree on inputs without "\n" (Infinity: exponential). */
  single: number;
  /** The same for inputs with "\n", where a line anchor allows a start on every line. */
  multi: number;
}

export function backtrackDegrees(ast: RegexNode, ctx: Ctx): BacktrackDegrees {
  const w = walk(ast, [], ctx);
  // Each way of splitting among the ambiguous loops re-runs what follows, and a
  // wide loop beyond them rescans its run every time: one more factor of n.
  const perStart = w.ambiguous + (w.wide > w.ambiguous ? 1 : 0);
  const anchoredSingle = startsWith(ast.body, ['line_start', 'string_start', 'search_start']);
  const anchoredMulti = startsWith(ast.body, ['string_start', 'search_start']);
  return { single: perStart + (anchoredSingle ? 0 : 1), multi: perStart + (anchoredMulti ? 0 : 1) };
}


/** The characters any non-empty match starts with; undefined when a match can be empty. */
export function matchStartSet(ast: RegexNode, ctx: Ctx): Ranges | undefined {
  const f = firstOfAlts(ast.body, ctx);
  return f.nullable ? undefined : f.set;
}

/** Where a match may start: only at 0 (\A, \G), only at 0 for inputs without "\n" (^), or anywhere. */
export function startAnchoring(ast: RegexNode): 'always' | 'single-line' | 'no' {
  if (startsWith(ast.body, ['string_start', 'search_start'])) return 'always';
  if (startsWith(ast.body, ['line_start', 'string_start', 'search_start'])) return 'single-line';
  return 'no';
}
