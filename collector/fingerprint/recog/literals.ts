// Required literals: what every match of a pattern must contain, case-folded,
// as AND-of-OR requirements for the prefilter.
import type { AlternativeNode, Node } from 'oniguruma-parser/parser';
import type { Ctx } from './charsets.ts';

function foldChar(node: Node, ctx: Ctx): string | undefined {
  if (node.type === 'Character') {
    if (node.value < 0x20 || node.value > 0x7e) return undefined;
    return String.fromCharCode(node.value).toLowerCase();
  }
  if (node.type === 'CharacterClass' && !node.negate && node.kind === 'union') {
    let only: string | undefined;
    for (const el of node.body) {
      if (el.type !== 'Character') return undefined;
      const c = foldChar(el, ctx);
      if (c === undefined || (only !== undefined && c !== only)) return undefined;
      only = c;
    }
    return only;
  }
  return undefined;
}

const MIN_LITERAL = 3;

/** Requirements (AND of ORs of literals) that any match of the alternatives must satisfy. */
export function requirementsOf(alts: AlternativeNode[], ctx: Ctx): string[][] {
  if (alts.length === 1) return sequenceRequirements(alts[0]!.body, ctx);
  // An alternation requires one of its branches: keep it when every branch has a literal.
  const options: string[] = [];
  for (const alt of alts) {
    const reqs = sequenceRequirements(alt.body, ctx);
    const best = bestRequirement(reqs);
    if (!best) return [];
    options.push(...best);
  }
  return [dedupe(options)];
}

function sequenceRequirements(body: Node[], ctx: Ctx): string[][] {
  const reqs: string[][] = [];
  let run = '';
  const flush = () => {
    if (run.length >= MIN_LITERAL) reqs.push([run]);
    run = '';
  };
  for (const el of body) {
    const c = foldChar(el, ctx);
    if (c !== undefined) {
      run += c;
      continue;
    }
    if (el.type === 'Assertion' || el.type === 'Directive' || el.type === 'LookaroundAssertion') continue;
    if ((el.type === 'Group' || el.type === 'CapturingGroup') && el.body.length === 1) {
      // A single-branch group continues the surrounding literal run where it starts and ends with one.
      const inner = el.body[0]!.body;
      const allChars = inner.map((n) => foldChar(n, ctx));
      if (allChars.every((x) => x !== undefined)) {
        run += allChars.join('');
        continue;
      }
      flush();
      reqs.push(...sequenceRequirements(inner, ctx));
      continue;
    }
    if (el.type === 'Quantifier' && el.min >= 1) {
      const c2 = foldChar(el.body, ctx);
      if (c2 !== undefined) {
        // x{2,5} contributes "xx" to the run; only a fixed count lets the run go on after it.
        run += c2.repeat(Math.min(el.min, 64));
        if (el.max !== el.min) flush();
        continue;
      }
    }
    flush();
    if (el.type === 'Group' || el.type === 'CapturingGroup') {
      reqs.push(...requirementsOf(el.body, ctx));
    } else if (el.type === 'Quantifier' && el.min >= 1) {
      if (el.body.type === 'Group' || el.body.type === 'CapturingGroup') reqs.push(...requirementsOf(el.body.body, ctx));
    }
  }
  flush();
  return reqs;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** The requirement whose shortest option is longest: the one that rules out most inputs. */
export function bestRequirement(reqs: string[][]): string[] | undefined {
  let best: string[] | undefined;
  let bestLen = -1;
  for (const r of reqs) {
    const len = Math.min(...r.map((s) => s.length));
    if (len > bestLen) {
      best = r;
      bestLen = len;
    }
  }
  return best;
}

/**
 * For a ^/\A-anchored pattern with one top-level branch: the literal text every
 * match starts with, lower-cased (compared case-insensitively, so it is a
 * necessary condition whatever the pattern's flags).
 */
export function leadingLiteral(alts: AlternativeNode[], ctx: Ctx): string | undefined {
  if (alts.length !== 1) return undefined;
  const body = alts[0]!.body;
  let i = 0;
  while (i < body.length && body[i]!.type === 'Directive') i++;
  const anchor = body[i];
  if (!anchor || anchor.type !== 'Assertion' || !['line_start', 'string_start', 'search_start'].includes(anchor.kind)) return undefined;
  let text = '';
  const take = (nodes: Node[]): boolean => {
    for (const n of nodes) {
      if (n.type === 'Directive') return false;
      if ((n.type === 'Group' || n.type === 'CapturingGroup') && n.body.length === 1) {
        if (!take(n.body[0]!.body)) return false;
        continue;
      }
      const c = foldChar(n, ctx);
      if (c === undefined) return false;
      text += c;
    }
    return true;
  };
  take(body.slice(i + 1));
  return text.length >= 2 ? text : undefined;
}
