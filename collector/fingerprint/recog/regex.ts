// Translates Ruby (Onigmo) regexes, as Recog writes them, into two exact
// equivalents: a V8 RegExp source (fast, backtracking) and an RE2 source for
// re2js (linear time). Parsing is oniguruma-parser's; the generation is ours
// because Ruby's anchors, dot, \s, empty optional captures and inline flags
// all need Ruby's meaning, not Oniguruma-to-ES's defaults (recog-format.md §6).
import { toOnigurumaAst } from 'oniguruma-parser';
import type { AlternativeNode, CharacterSetNode, Node, QuantifierNode, RegexNode } from 'oniguruma-parser/parser';
import { backtrackDegrees, matchStartSet, startAnchoring } from './backtrack.ts';
import { compilePike, compileReverse, type PikeProgram } from './pike.ts';
import { applyFlags, caseClose, classRanges, complement, MAX_CP, normalize, setRanges, Unsupported, type Ctx, type Ranges } from './charsets.ts';
import { leadingLiteral, requirementsOf } from './literals.ts';

export class RegexTranslationError extends Error {}

/** Ruby Recog's flag names (RegexpFactory::FLAG_MAP); anything else raises, as in Ruby. */
const FLAG_MAP: Record<string, 'i' | 'm'> = {
  REG_ICASE: 'i',
  IGNORECASE: 'i',
  REG_DOT_NEWLINE: 'm',
  REG_MULTILINE: 'm',
  REG_LINE_ANY_CRLF: 'm',
};

export function parseRecogFlags(flags: string | undefined): string {
  if (!flags) return '';
  let out = '';
  for (const token of flags.split(',')) {
    const name = token.trim();
    if (name === '') continue;
    const flag = FLAG_MAP[name];
    if (!flag) throw new RegexTranslationError(`unknown regex flag "${name}"`);
    if (!out.includes(flag)) out += flag;
  }
  return out;
}

export interface TranslatedPattern {
  /** V8 source for inputs without "\n": Ruby's line anchors become string anchors, letting V8 anchor. */
  v8Single: string;
  /** V8 source for inputs with "\n": Ruby's line anchors spelled with lookarounds. */
  v8Multi: string;
  /** V8 flags ("u", plus "i" when every character is case-insensitive). */
  v8Flags: string;
  /** RE2 source (for re2js, the tests' independent oracle), or undefined when the pattern uses what RE2 lacks. Built on first call. */
  re2(): string | undefined;
  /** Whether the linear-time engine can run this pattern (no lookaround, back-references, atomic groups...). */
  linearSupported: boolean;
  /**
   * The linear-time program and its reverse (for the DFA that finds where the
   * leftmost match starts). Compiled on first call: most patterns never see an
   * input long enough to need them.
   */
  linear(): { pike: PikeProgram; reverse: PikeProgram } | undefined;
  /** Ruby group number -> JS group number (index 0 is the whole match). */
  groupMap: number[];
  /** Number of Ruby capture groups. */
  groups: number;
  /** Requirements for a match: each is a set of lower-case literals, one of which must occur. */
  requirements: string[][];
  /** V8's worst case grows like n^degree for an input of n chars without "\n" (Infinity: exponential). */
  degree: number;
  /** The same for inputs with "\n". */
  degreeMulti: number;
  /** For ^/\A-anchored patterns: what the first character of a matching single-line input can be. */
  startSet: Ranges | undefined;
  /** For ^/\A-anchored patterns: the lower-cased literal a matching single-line input starts with. */
  prefix: string | undefined;
}

type Dialect = 'v8single' | 'v8multi' | 're2';


function escapeCp(cp: number, inClass: boolean): string {
  if (cp >= 0x30 && cp <= 0x39) return String.fromCharCode(cp);
  if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCharCode(cp);
  if (cp === 0x20 || cp === 0x5f) return String.fromCharCode(cp);
  if (!inClass && (cp === 0x2c || cp === 0x3a || cp === 0x3b || cp === 0x40 || cp === 0x27 || cp === 0x22 || cp === 0x3d || cp === 0x3c || cp === 0x3e || cp === 0x25 || cp === 0x26 || cp === 0x7e || cp === 0x60 || cp === 0x23 || cp === 0x21)) {
    return String.fromCharCode(cp);
  }
  // The \x{...} spelling is rewritten per dialect by cpLiteral.
  return `\\x{${cp.toString(16)}}`;
}

function cpLiteral(cp: number, inClass: boolean, dialect: Dialect): string {
  const e = escapeCp(cp, inClass);
  if (!e.startsWith('\\x{')) return e;
  if (dialect === 're2') return e; // RE2 spells any code point as \x{HHHH}
  return `\\u{${cp.toString(16)}}`; // V8 with the u flag
}

function rangesToClass(ranges: Ranges, dialect: Dialect): string {
  const norm = normalize(ranges);
  if (norm.length === 0) return dialect === 're2' ? '[^\\x00-\\x{10ffff}]' : '[]';
  if (norm.length === 1 && norm[0]![0] === 0 && norm[0]![1] === MAX_CP) return dialect === 're2' ? '[\\x00-\\x{10ffff}]' : '[\\s\\S]';
  // A class that excludes a few code points reads (and runs) better negated: [^\n] rather than its complement.
  const inverse = complement(norm);
  const negated = inverse.length < norm.length;
  let body = '';
  for (const [a, b] of negated ? inverse : norm) {
    body += cpLiteral(a, true, dialect);
    if (b > a) body += (b > a + 1 ? '-' : '') + cpLiteral(b, true, dialect);
  }
  return negated ? `[^${body}]` : `[${body}]`;
}


// ---------- generation ----------

interface GenState {
  dialect: Dialect;
  /** Whether the V8 source carries the global i flag (then no per-character expansion). */
  globalIgnoreCase: boolean;
  groupMap: number[];
  nextJsGroup: number;
}

function gen(node: Node, ctx: Ctx, st: GenState): string {
  switch (node.type) {
    case 'Regex':
      return node.body.map((alt) => gen(alt, ctx, st)).join('|');
    case 'Alternative': {
      let out = '';
      let local = ctx;
      for (const el of node.body) {
        if (el.type === 'Directive') {
          if (el.kind !== 'flags') throw new Unsupported('\\K is not supported');
          local = applyFlags(local, el.flags);
          continue;
        }
        out += gen(el, local, st);
      }
      return out;
    }
    case 'CapturingGroup': {
      const js = st.nextJsGroup++;
      st.groupMap[node.number] = js;
      return `(${genAlts(node.body, ctx, st)})`;
    }
    case 'Group': {
      const inner = node.flags ? applyFlags(ctx, node.flags) : ctx;
      if (node.atomic) return atomic(genAlts(node.body, inner, st), st);
      return `(?:${genAlts(node.body, inner, st)})`;
    }
    case 'LookaroundAssertion': {
      if (st.dialect === 're2') throw new Unsupported('lookaround');
      const op = node.kind === 'lookahead' ? (node.negate ? '?!' : '?=') : node.negate ? '?<!' : '?<=';
      return `(${op}${genAlts(node.body, ctx, st)})`;
    }
    case 'Assertion':
      return assertion(node.kind, node.negate ?? false, st);
    case 'Character':
      return character(node.value, ctx, st);
    case 'CharacterClass':
      return rangesToClass(classRanges(node, ctx), st.dialect);
    case 'CharacterSet':
      return characterSet(node, ctx, st);
    case 'Quantifier':
      return quantifier(node, ctx, st);
    case 'Backreference': {
      if (st.dialect === 're2') throw new Unsupported('back-reference');
      if (typeof node.ref !== 'number') throw new Unsupported('named back-reference');
      if (ctx.ignoreCase && !st.globalIgnoreCase) throw new Unsupported('case-insensitive back-reference');
      const js = st.groupMap[node.ref];
      if (js === undefined) throw new Unsupported('forward back-reference');
      return `(?:\\${js})`;
    }
    default:
      throw new Unsupported(node.type);
  }
}

function genAlts(alts: AlternativeNode[], ctx: Ctx, st: GenState): string {
  return alts.map((alt) => gen(alt, ctx, st)).join('|');
}


function atomic(inner: string, st: GenState): string {
  if (st.dialect === 're2') throw new Unsupported('atomic group');
  // (?>X) == (?=(X))\N: the lookahead commits to X's first way of matching.
  const n = st.nextJsGroup++;
  return `(?=(${inner}))\\${n}`;
}

function assertion(kind: string, negate: boolean, st: GenState): string {
  const d = st.dialect;
  switch (kind) {
    case 'line_start':
      // Ruby: at the start, or after "\n" unless that "\n" ends the string.
      if (d === 'v8single') return '^';
      if (d === 'v8multi') return '(?:(?<![\\s\\S])|(?<=\\n)(?=[\\s\\S]))';
      return '(?m:^)';
    case 'line_end':
      if (d === 'v8single') return '$';
      if (d === 'v8multi') return '(?=\\n|(?![\\s\\S]))';
      return '(?m:$)';
    case 'string_start':
    case 'search_start':
      return d === 're2' ? '\\A' : '^';
    case 'string_end':
      return d === 're2' ? '\\z' : '$';
    case 'string_end_newline':
      if (d === 're2') throw new Unsupported('\\Z');
      return '(?=\\n?$)';
    case 'word_boundary':
      return negate ? '\\B' : '\\b';
    default:
      throw new Unsupported(`assertion ${kind}`);
  }
}

function character(cp: number, ctx: Ctx, st: GenState): string {
  if (ctx.ignoreCase && !(st.dialect !== 're2' && st.globalIgnoreCase)) {
    const ranges = caseClose([[cp, cp]]);
    if (ranges.length > 1 || ranges[0]![0] !== ranges[0]![1]) {
      if (st.dialect === 're2') return `(?i:${cpLiteral(cp, false, st.dialect)})`;
      return rangesToClass(ranges, st.dialect);
    }
  }
  return cpLiteral(cp, false, st.dialect);
}


function characterSet(node: CharacterSetNode, ctx: Ctx, st: GenState): string {
  const ranges = setRanges(node, ctx);
  if (ranges) {
    if (node.kind === 'digit' && !node.negate) return '\\d';
    if (node.kind === 'word' && !node.negate && !ctx.ignoreCase) return '\\w';
    return rangesToClass(ranges, st.dialect);
  }
  if (node.kind === 'property') {
    if (st.dialect === 're2') return `\\${node.negate ? 'P' : 'p'}{${node.value}}`;
    return `\\${node.negate ? 'P' : 'p'}{${node.value}}`;
  }
  if (node.kind === 'newline') {
    if (st.dialect === 're2') return '(?:\\r\\n|[\\n\\x0b\\f\\r\\x{85}\\x{2028}\\x{2029}])';
    return '(?:\\r\\n|[\\n\\v\\f\\r\\u{85}\\u{2028}\\u{2029}])';
  }
  throw new Unsupported(`\\${node.kind}`);
}


function quantifier(node: QuantifierNode, ctx: Ctx, st: GenState): string {
  const body = gen(node.body, ctx, st);
  const atom = needsGroup(node.body) ? `(?:${body})` : body;
  const { min, max } = node;
  if (min === 0 && max === 1 && node.kind !== 'possessive') {
    // Ruby keeps an empty match of an optional group ("" not nil); ECMAScript
    // rejects the empty iteration. An explicit empty branch keeps Ruby's order.
    return node.kind === 'lazy' ? `(?:|${body})` : `(?:${body}|)`;
  }
  let q: string;
  if (min === 0 && max === Infinity) q = '*';
  else if (min === 1 && max === Infinity) q = '+';
  else if (max === Infinity) q = `{${min},}`;
  else if (min === max) q = `{${min}}`;
  else q = `{${min},${max}}`;
  if (st.dialect === 're2' && max !== Infinity && max > 1000) throw new Unsupported('repeat count above 1000');
  if (node.kind === 'lazy') return `${atom}${q}?`;
  if (node.kind === 'possessive') return atomic(`${atom}${q}`, st);
  return `${atom}${q}`;
}

function needsGroup(node: Node): boolean {
  return !(node.type === 'Character' || node.type === 'CharacterClass' || node.type === 'CharacterSet' || node.type === 'CapturingGroup' || node.type === 'Group');
}

function allIgnoreCase(node: Node, ctx: Ctx): boolean {
  switch (node.type) {
    case 'Regex':
    case 'CapturingGroup':
    case 'LookaroundAssertion':
      return node.body.every((alt) => allIgnoreCase(alt, ctx));
    case 'Group': {
      const inner = node.flags ? applyFlags(ctx, node.flags) : ctx;
      return node.body.every((alt) => allIgnoreCase(alt, inner));
    }
    case 'Alternative': {
      let local = ctx;
      for (const el of node.body) {
        if (el.type === 'Directive' && el.kind === 'flags') {
          local = applyFlags(local, el.flags);
          continue;
        }
        if (!allIgnoreCase(el, local)) return false;
      }
      return true;
    }
    case 'Quantifier':
      return allIgnoreCase(node.body, ctx);
    case 'Character':
    case 'CharacterClass':
    case 'Backreference':
      return ctx.ignoreCase;
    default:
      return true;
  }
}

/**
 * Translates one Recog pattern. `flags` are Ruby option letters: "i" ignore
 * case, "m" dot matches newline (Ruby's MULTILINE).
 */
export function translatePattern(pattern: string, flags: string): TranslatedPattern {
  let ast: RegexNode;
  try {
    ast = toOnigurumaAst(pattern, { flags: flags.replace(/[^imx]/g, '') });
  } catch (err) {
    throw new RegexTranslationError(`invalid Ruby regex: ${(err as Error).message}`);
  }
  const base: Ctx = { ignoreCase: ast.flags.ignoreCase, dotAll: ast.flags.dotAll };
  const globalIgnoreCase = allIgnoreCase(ast, base);
  const run = (dialect: Dialect): { src: string; map: number[]; next: number } => {
    const st: GenState = { dialect, globalIgnoreCase, groupMap: [0], nextJsGroup: 1 };
    const src = gen(ast, base, st);
    return { src, map: st.groupMap, next: st.nextJsGroup };
  };
  let single, multi;
  try {
    single = run('v8single');
    multi = run('v8multi');
  } catch (err) {
    if (err instanceof Unsupported) throw new RegexTranslationError(`unsupported Ruby regex feature: ${err.message}`);
    throw err;
  }
  let re2: string | null | undefined;
  const re2Source = (): string | undefined => {
    if (re2 === undefined) {
      try {
        re2 = run('re2').src;
        if (globalIgnoreCase) re2 = `(?i)${re2}`;
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
        re2 = null;
      }
    }
    return re2 ?? undefined;
  };
  const groups = countGroups(ast);
  const linearSupported = supportedByLinear(ast);
  let programs: { pike: PikeProgram; reverse: PikeProgram } | null | undefined = linearSupported ? undefined : null;
  const linear = () => {
    if (programs === undefined) {
      try {
        programs = { pike: compilePike(ast, base, groups, matchStartSet(ast, base), startAnchoring(ast)), reverse: compileReverse(ast, base) };
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
        programs = null;
      }
    }
    return programs ?? undefined;
  };
  const degrees = backtrackDegrees(ast, base);
  const groupMap: number[] = [0];
  for (let i = 1; i <= groups; i++) groupMap[i] = single.map[i] ?? -1;
  return {
    v8Single: single.src,
    v8Multi: multi.src,
    v8Flags: globalIgnoreCase ? 'iu' : 'u',
    re2: re2Source,
    linearSupported,
    linear,
    groupMap,
    groups,
    requirements: requirementsOf(ast.body, base).filter((r) => r.length > 0),
    degree: degrees.single,
    degreeMulti: degrees.multi,
    // Anchors consume nothing, so the first set of an anchored pattern is what follows the anchor.
    startSet: startAnchoring(ast) === 'no' ? undefined : matchStartSet(ast, base),
    prefix: leadingLiteral(ast.body, base),
  };
}

/** A cheap look at the AST: what the Pike VM cannot run (checked before anything is compiled for it). */
function supportedByLinear(root: Node): boolean {
  let ok = true;
  const visit = (n: Node) => {
    if (!ok) return;
    switch (n.type) {
      case 'LookaroundAssertion':
      case 'Backreference':
      case 'AbsenceFunction':
      case 'Subroutine':
      case 'NamedCallout':
        ok = false;
        return;
      case 'Group':
        if (n.atomic) ok = false;
        break;
      case 'Quantifier':
        if (n.kind === 'possessive') ok = false;
        break;
      case 'Directive':
        if (n.kind !== 'flags') ok = false;
        return;
      case 'CharacterSet':
        if (n.kind === 'property' || n.kind === 'newline' || n.kind === 'text_segment') ok = false;
        return;
      case 'Assertion':
        if (n.kind === 'text_segment_boundary') ok = false;
        return;
      default:
        break;
    }
    const body = (n as { body?: unknown }).body;
    if (Array.isArray(body)) for (const c of body as Node[]) visit(c);
    else if (body && typeof body === 'object') visit(body as Node);
  };
  visit(root);
  return ok;
}

function countGroups(node: Node): number {
  let max = 0;
  const visit = (n: Node) => {
    if (n.type === 'CapturingGroup') max = Math.max(max, n.number);
    const body = (n as { body?: unknown }).body;
    if (Array.isArray(body)) for (const c of body as Node[]) visit(c);
    else if (body && typeof body === 'object') visit(body as Node);
  };
  visit(node);
  return max;
}

