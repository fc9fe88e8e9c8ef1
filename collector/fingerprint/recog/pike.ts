// A linear-time matcher for Recog patterns: the Onigmo AST compiled to a small
// program and run as a Pike VM (Thompson NFA with priority-ordered threads, so
// captures follow Ruby's leftmost-first backtracking order). Hand-written
// because re2js, the maintained pure-JS RE2, spends ~190 ns per input char per
// live thread: 378 Recog patterns took over 10 ms on 64 KiB inputs. Typed-array
// thread lists, bitmap classes and first-character skipping keep this one an
// order of magnitude under that.
import type { AlternativeNode, Node, RegexNode } from 'oniguruma-parser/parser';
import { codeUnits } from './codes.ts';
import { applyFlags, caseClose, classRanges, MAX_CP, normalize, setRanges, Unsupported, type Ctx, type Ranges } from './charsets.ts';

export const OP_CLASS = 0;
export const OP_SPLIT = 1; // prefer a, then b
export const OP_JMP = 2;
export const OP_SAVE = 3;
export const OP_ASSERT = 4;
export const OP_MATCH = 5;

export const A_LINE_START = 0;
export const A_LINE_END = 1;
export const A_STRING_START = 2;
export const A_STRING_END = 3;
export const A_STRING_END_NEWLINE = 4;
export const A_WORD_BOUNDARY = 5;
export const A_NOT_WORD_BOUNDARY = 6;

/** Programs beyond this many instructions (huge counted repeats) are not compiled. */
const MAX_PROGRAM = 20_000;

export interface PikeProgram {
  /** Code point ranges per class id. */
  classes: Ranges[];
  op: Int32Array;
  a: Int32Array;
  b: Int32Array;
  /** Per class: 4 words of ASCII bitmap. */
  asciiBits: Uint32Array;
  /**
   * Non-ASCII ranges of every class, sorted per class and flattened [lo, hi, lo, hi, ...];
   * class k's pairs are wideStart[k] .. wideStart[k + 1]. One typed array rather than
   * one per class: the hot loops then only ever load from typed arrays.
   */
  wide: Int32Array;
  wideStart: Int32Array;
  /** Capture slots: 2 per Ruby group, group 0 included. */
  slots: number;
  /** Characters a match can start with (undefined: any, or the empty string). */
  firstAscii: Uint32Array | undefined;
  firstWide: Int32Array | undefined;
  /** Whether every match must start at position 0 (\A, \G, or ^ on an input without "\n"). */
  anchoredStart: 'always' | 'single-line' | 'no';
}

/** Above this many closure entries, the rest of the program's closures are walked at run time. */
const MAX_CLOSURE_ENTRIES = 200_000;

/**
 * Precomputed epsilon closures. From pc, without consuming input, threads end up at
 * closureTarget[closureStart[pc] .. closureEnd[pc]) in priority order, each with the
 * capture slots saveSlot[saveStart[k] .. saveStart[k + 1]) set to the current
 * position. closureStart[pc] = -1: the closure passes an assertion and is walked at
 * run time. Built when a Pike VM is first needed, not at compile time.
 */
interface Closures {
  closureStart: Int32Array;
  closureEnd: Int32Array;
  closureTarget: Int32Array;
  saveStart: Int32Array;
  saveSlot: Int32Array;
}

function precomputeClosures(op: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): Closures {
  const n = op.length;
  const closureStart = new Int32Array(n).fill(-1);
  const closureEnd = new Int32Array(n).fill(-1);
  const target: number[] = [];
  const saveStart: number[] = [];
  const saveSlot: number[] = [];
  const seen = new Int32Array(n).fill(-1);
  for (let pc0 = 0; pc0 < n; pc0++) {
    if (target.length > MAX_CLOSURE_ENTRIES) break;
    const first = target.length;
    const firstSave = saveSlot.length;
    let dynamic = false;
    // Depth-first in priority order, carrying the slots saved on the way.
    const walk = (pc: number, saves: number[]): void => {
      if (dynamic || seen[pc] === pc0) return;
      seen[pc] = pc0;
      switch (op[pc]) {
        case OP_JMP: walk(a[pc]!, saves); return;
        case OP_SPLIT: walk(a[pc]!, saves); walk(b[pc]!, saves); return;
        case OP_SAVE: walk(pc + 1, [...saves, a[pc]!]); return;
        case OP_ASSERT: dynamic = true; return;
        default:
          target.push(pc);
          saveStart.push(saveSlot.length);
          saveSlot.push(...saves);
      }
    };
    walk(pc0, []);
    if (dynamic) {
      target.length = first;
      saveStart.length = first;
      saveSlot.length = firstSave;
      continue;
    }
    closureStart[pc0] = first;
    closureEnd[pc0] = target.length;
  }
  saveStart.push(saveSlot.length);
  return {
    closureStart,
    closureEnd,
    closureTarget: Int32Array.from(target),
    saveStart: Int32Array.from(saveStart),
    saveSlot: Int32Array.from(saveSlot),
  };
}

class Builder {
  /** Emit the pattern backwards (for the reverse DFA): sequences reversed, no capture saves. */
  constructor(readonly reverse = false) {}
  op: number[] = [];
  a: number[] = [];
  b: number[] = [];
  classes: Ranges[] = [];
  private classIds = new Map<string, number>();

  emit(op: number, a = 0, b = 0): number {
    if (this.op.length >= MAX_PROGRAM) throw new Unsupported('program too large for the linear engine');
    this.op.push(op);
    this.a.push(a);
    this.b.push(b);
    return this.op.length - 1;
  }

  classId(ranges: Ranges): number {
    const key = ranges.map(([x, y]) => `${x}-${y}`).join(',');
    let id = this.classIds.get(key);
    if (id === undefined) {
      id = this.classes.length;
      this.classes.push(ranges);
      this.classIds.set(key, id);
    }
    return id;
  }

  get pc(): number {
    return this.op.length;
  }
}

function compileNode(node: Node, ctx: Ctx, bld: Builder): void {
  switch (node.type) {
    case 'Regex':
    case 'CapturingGroup':
    case 'Group': {
      if (node.type === 'Group' && node.atomic) throw new Unsupported('atomic group');
      const inner = node.type === 'Group' && node.flags ? applyFlags(ctx, node.flags) : ctx;
      const save = node.type === 'CapturingGroup' && !bld.reverse;
      if (save) bld.emit(OP_SAVE, node.number * 2);
      compileAlternatives(node.body, inner, bld);
      if (save) bld.emit(OP_SAVE, node.number * 2 + 1);
      return;
    }
    case 'Alternative': {
      // Flag directives apply to what follows them in pattern order, whichever way we emit.
      const items: Array<[Node, Ctx]> = [];
      let local = ctx;
      for (const el of node.body) {
        if (el.type === 'Directive') {
          if (el.kind !== 'flags') throw new Unsupported('\\K');
          local = applyFlags(local, el.flags);
          continue;
        }
        items.push([el, local]);
      }
      if (bld.reverse) items.reverse();
      for (const [el, c] of items) compileNode(el, c, bld);
      return;
    }
    case 'Character': {
      const r: Ranges = [[node.value, node.value]];
      bld.emit(OP_CLASS, bld.classId(ctx.ignoreCase ? caseClose(r) : r));
      return;
    }
    case 'CharacterClass':
      bld.emit(OP_CLASS, bld.classId(classRanges(node, ctx)));
      return;
    case 'CharacterSet': {
      const r = setRanges(node, ctx);
      if (!r) throw new Unsupported(`\\${node.kind}`);
      bld.emit(OP_CLASS, bld.classId(normalize(r)));
      return;
    }
    case 'Assertion':
      bld.emit(OP_ASSERT, assertionKind(node.kind, node.negate ?? false));
      return;
    case 'Quantifier': {
      if (node.kind === 'possessive') throw new Unsupported('possessive quantifier');
      const lazy = node.kind === 'lazy';
      const { min, max } = node;
      for (let i = 0; i < min; i++) compileNode(node.body, ctx, bld);
      if (max === Infinity) {
        // L: split body, out (greedy) / out, body (lazy); body; jmp L
        const split = bld.emit(OP_SPLIT);
        const start = bld.pc;
        compileNode(node.body, ctx, bld);
        bld.emit(OP_JMP, split);
        setSplit(bld, split, start, bld.pc, lazy);
        return;
      }
      // Each optional copy nests in the previous: (X(X(X)?)?)?, exits patched at the end.
      const splits: number[] = [];
      for (let i = min; i < max; i++) {
        const split = bld.emit(OP_SPLIT);
        splits.push(split);
        bld.a[split] = bld.pc;
        compileNode(node.body, ctx, bld);
      }
      for (const split of splits) setSplit(bld, split, split + 1, bld.pc, lazy);
      return;
    }
    default:
      throw new Unsupported(node.type);
  }
}

function setSplit(bld: Builder, split: number, body: number, out: number, lazy: boolean): void {
  bld.a[split] = lazy ? out : body;
  bld.b[split] = lazy ? body : out;
}

function compileAlternatives(alts: AlternativeNode[], ctx: Ctx, bld: Builder): void {
  if (alts.length === 1) {
    compileNode(alts[0]!, ctx, bld);
    return;
  }
  const jumps: number[] = [];
  for (let i = 0; i < alts.length; i++) {
    if (i < alts.length - 1) {
      const split = bld.emit(OP_SPLIT);
      bld.a[split] = bld.pc;
      compileNode(alts[i]!, ctx, bld);
      jumps.push(bld.emit(OP_JMP));
      bld.b[split] = bld.pc;
    } else {
      compileNode(alts[i]!, ctx, bld);
    }
  }
  for (const j of jumps) bld.a[j] = bld.pc;
}

function assertionKind(kind: string, negate: boolean): number {
  switch (kind) {
    case 'line_start': return A_LINE_START;
    case 'line_end': return A_LINE_END;
    case 'string_start':
    case 'search_start': return A_STRING_START;
    case 'string_end': return A_STRING_END;
    case 'string_end_newline': return A_STRING_END_NEWLINE;
    case 'word_boundary': return negate ? A_NOT_WORD_BOUNDARY : A_WORD_BOUNDARY;
    default: throw new Unsupported(`assertion ${kind}`);
  }
}

function bitsOf(ranges: Ranges, out: Uint32Array, offset: number): void {
  for (const [lo, hi] of ranges) {
    for (let c = lo; c <= Math.min(hi, 127); c++) out[offset + (c >> 5)]! |= 1 << (c & 31);
  }
}

/** The reversed pattern as a bare program (no captures), for the reverse DFA. */
export function compileReverse(ast: RegexNode, ctx: Ctx): PikeProgram {
  const bld = new Builder(true);
  compileNode(ast, ctx, bld);
  bld.emit(OP_MATCH);
  return finish(bld, 0, undefined, 'no');
}

/** Compiles a pattern for the linear engine; throws Unsupported for what it cannot run. */
export function compilePike(ast: RegexNode, ctx: Ctx, groups: number, firstSet: Ranges | undefined, anchoredStart: PikeProgram['anchoredStart']): PikeProgram {
  const bld = new Builder();
  bld.emit(OP_SAVE, 0);
  compileNode(ast, ctx, bld);
  bld.emit(OP_SAVE, 1);
  bld.emit(OP_MATCH);
  return finish(bld, groups, firstSet, anchoredStart);
}

function finish(bld: Builder, groups: number, firstSet: Ranges | undefined, anchoredStart: PikeProgram['anchoredStart']): PikeProgram {
  const asciiBits = new Uint32Array(bld.classes.length * 4);
  bld.classes.forEach((r, i) => bitsOf(r, asciiBits, i * 4));
  const perClass = bld.classes.map((r) => r.filter(([, hi]) => hi >= 128).flatMap(([lo, hi]) => [Math.max(lo, 128), hi]));
  const wideStart = new Int32Array(perClass.length + 1);
  perClass.forEach((w, k) => (wideStart[k + 1] = wideStart[k]! + w.length / 2));
  const wide = Int32Array.from(perClass.flat());
  let firstAscii: Uint32Array | undefined;
  let firstWide: Int32Array | undefined;
  if (firstSet && !(firstSet.length === 1 && firstSet[0]![0] === 0 && firstSet[0]![1] === MAX_CP)) {
    firstAscii = new Uint32Array(4);
    bitsOf(firstSet, firstAscii, 0);
    firstWide = Int32Array.from(firstSet.filter(([, hi]) => hi >= 128).flatMap(([lo, hi]) => [Math.max(lo, 128), hi]));
  }
  return {
    classes: bld.classes,
    op: Int32Array.from(bld.op),
    a: Int32Array.from(bld.a),
    b: Int32Array.from(bld.b),
    asciiBits,
    wide,
    wideStart,
    slots: (groups + 1) * 2,
    firstAscii,
    firstWide,
    anchoredStart,
  };
}

/** Whether cp lies in pairs from .. to - 1 of the sorted flattened [lo, hi, ...] ranges. */
export function inWide(ranges: Int32Array, from: number, to: number, cp: number): boolean {
  let lo = from, hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[mid * 2]!) hi = mid - 1;
    else if (cp > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const isWord = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a);

/** Whether the assertion holds at pos of the input's first len code units. */
export function assertionHolds(kind: number, input: Uint16Array, len: number, pos: number): boolean {
  switch (kind) {
    case A_LINE_START: return pos === 0 || (input[pos - 1] === 10 && pos < len);
    case A_LINE_END: return pos === len || input[pos] === 10;
    case A_STRING_START: return pos === 0;
    case A_STRING_END: return pos === len;
    case A_STRING_END_NEWLINE: return pos === len || (pos === len - 1 && input[pos] === 10);
    default: {
      const before = pos > 0 && isWord(input[pos - 1]!);
      const after = pos < len && isWord(input[pos]!);
      return kind === A_WORD_BOUNDARY ? before !== after : before === after;
    }
  }
}

interface ThreadList {
  dense: Int32Array;
  sparse: Int32Array;
  size: number;
  caps: Int32Array;
}

function newList(n: number, slots: number): ThreadList {
  return { dense: new Int32Array(n), sparse: new Int32Array(n), size: 0, caps: new Int32Array(n * slots) };
}

/**
 * Working memory for one program. The machine itself is module-level code, so
 * V8 optimises it once for every pattern instead of once per closure.
 */
interface PikeState {
  prog: PikeProgram;
  closures: Closures;
  cur: ThreadList;
  next: ThreadList;
  work: Int32Array;
  /** Epsilon-closure stack: a pc (>= 0) or a capture restore (-slot-1, with its value beside it). */
  stack: Int32Array;
  stackVal: Int32Array;
  startCaps: Int32Array;
}

export interface PikeMachine {
  /** Leftmost-first match: captures as [start, end] slots, -1 where a group did not take part. */
  run(input: string, startAt?: number): Int32Array | null;
  /** The same over code units (codeUnits()), the first len of them. */
  runUnits(units: Uint16Array, len: number, multiLine: boolean, startAt?: number): Int32Array | null;
}

export function pikeMachine(prog: PikeProgram): PikeMachine {
  const n = prog.op.length;
  const state: PikeState = {
    prog,
    closures: precomputeClosures(prog.op, prog.a, prog.b),
    cur: newList(n, prog.slots),
    next: newList(n, prog.slots),
    work: new Int32Array(prog.slots),
    stack: new Int32Array(n * 2 + prog.slots * 2 + 8),
    stackVal: new Int32Array(n * 2 + prog.slots * 2 + 8),
    startCaps: new Int32Array(prog.slots).fill(-1),
  };
  return {
    run: (input, startAt) => runPike(state, codeUnits(input), input.length, input.includes('\n'), startAt),
    runUnits: (units, len, multiLine, startAt) => runPike(state, units, len, multiLine, startAt),
  };
}

/** Adds pc and everything reachable from it without consuming input, in priority order. */
function addThread(st: PikeState, list: ThreadList, pc0: number, pos: number, input: Uint16Array, len: number, src: Int32Array, srcOffset: number): void {
  const { prog, work, stack, stackVal } = st;
  const { op, a, b, slots } = prog;
  const { dense, sparse, caps } = list;
  const cl = st.closures;
  const from = cl.closureStart[pc0]!;
  if (from >= 0) {
    // Precomputed closure: add each target once, stamping the slots saved on its way.
    const to = cl.closureEnd[pc0]!;
    const { closureTarget, saveStart, saveSlot } = cl;
    for (let k = from; k < to; k++) {
      const pc = closureTarget[k]!;
      const idx = sparse[pc]!;
      if (idx < list.size && dense[idx] === pc) continue;
      sparse[pc] = list.size;
      dense[list.size++] = pc;
      const base = pc * slots;
      for (let j = 0; j < slots; j++) caps[base + j] = src[srcOffset + j]!;
      for (let j = saveStart[k]!, e = saveStart[k + 1]!; j < e; j++) caps[base + saveSlot[j]!] = pos;
    }
    return;
  }
  for (let k = 0; k < slots; k++) work[k] = src[srcOffset + k]!;
  let sp = 0;
  stack[sp++] = pc0;
  while (sp > 0) {
    const top = stack[--sp]!;
    if (top < 0) {
      work[-top - 1] = stackVal[sp]!;
      continue;
    }
    const pc = top;
    const idx = sparse[pc]!;
    if (idx < list.size && dense[idx] === pc) continue;
    sparse[pc] = list.size;
    dense[list.size++] = pc;
    switch (op[pc]) {
      case OP_JMP:
        stack[sp++] = a[pc]!;
        break;
      case OP_SPLIT:
        stack[sp++] = b[pc]!;
        stack[sp++] = a[pc]!;
        break;
      case OP_SAVE: {
        const slot = a[pc]!;
        stackVal[sp] = work[slot]!;
        stack[sp++] = -slot - 1;
        work[slot] = pos;
        stack[sp++] = pc + 1;
        break;
      }
      case OP_ASSERT:
        if (assertionHolds(a[pc]!, input, len, pos)) stack[sp++] = pc + 1;
        break;
      default: {
        // CLASS or MATCH: a thread that waits here keeps its captures.
        const base = pc * slots;
        for (let k = 0; k < slots; k++) caps[base + k] = work[k]!;
      }
    }
  }
}

function canStart(prog: PikeProgram, c: number): boolean {
  const { firstAscii, firstWide } = prog;
  if (!firstAscii) return true;
  if (c < 128) return (firstAscii[c >> 5]! & (1 << (c & 31))) !== 0;
  // A surrogate may begin any astral character: let the machine look.
  if (c >= 0xd800 && c <= 0xdfff) return true;
  return firstWide!.length > 0 && inWide(firstWide!, 0, firstWide!.length >> 1, c);
}

/** With startAt, only a match starting exactly there is sought (the reverse DFA found it). */
function runPike(st: PikeState, input: Uint16Array, len: number, multiLine: boolean, startAt?: number): Int32Array | null {
  const prog = st.prog;
  const { op, a, asciiBits, wide, wideStart, slots } = prog;
  const onlyAtZero = startAt !== undefined || prog.anchoredStart === 'always' || (prog.anchoredStart === 'single-line' && !multiLine);
  const matchCaps = new Int32Array(slots);
  let matched = false;
  let cur = st.cur;
  let next = st.next;
  cur.size = 0;
  const first = startAt ?? 0;
  let pos = first;
  for (;;) {
    if (!matched && (pos === first || !onlyAtZero)) {
      if (cur.size === 0 && prog.firstAscii && !onlyAtZero) {
        // Nothing alive: skip ahead to a character a match can start with.
        while (pos < len && !canStart(prog, input[pos]!)) pos++;
      }
      addThread(st, cur, 0, pos, input, len, st.startCaps, 0);
    }
    if (cur.size === 0) break;
    let c = -1;
    let width = 1;
    if (pos < len) {
      c = input[pos]!;
      if (c >= 0xd800 && c <= 0xdbff && pos + 1 < len) {
        const d = input[pos + 1]!;
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          width = 2;
        }
      }
    }
    next.size = 0;
    const dense = cur.dense;
    for (let i = 0; i < cur.size; i++) {
      const pc = dense[i]!;
      const o = op[pc];
      if (o === OP_MATCH) {
        matchCaps.set(cur.caps.subarray(pc * slots, pc * slots + slots));
        matched = true;
        break; // lower-priority threads lose to this match
      }
      if (o !== OP_CLASS || c < 0) continue;
      const cls = a[pc]!;
      const ok = c < 128 ? (asciiBits[cls * 4 + (c >> 5)]! & (1 << (c & 31))) !== 0 : inWide(wide, wideStart[cls]!, wideStart[cls + 1]!, c);
      if (ok) addThread(st, next, pc + 1, pos + width, input, len, cur.caps, pc * slots);
    }
    if (pos >= len) break;
    const t = cur;
    cur = next;
    next = t;
    pos += width;
  }
  st.cur = cur;
  st.next = next;
  return matched ? matchCaps : null;
}
