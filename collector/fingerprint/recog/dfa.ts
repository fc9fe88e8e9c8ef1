// Finds where the leftmost match starts, in linear time with a small constant:
// a lazy DFA over the reversed program (pike.ts), scanned from the end of the
// input to its start. At every boundary the reversed pattern may begin (the
// original match may end anywhere), so the last boundary at which the
// reversed program reaches MATCH is the leftmost start. The Pike VM, anchored
// there, then extracts captures with only a few live threads (RE2's plan).
import { MAX_CP } from './charsets.ts';
import { codeUnits } from './codes.ts';
import {
  A_LINE_END,
  A_LINE_START,
  A_NOT_WORD_BOUNDARY,
  A_STRING_END,
  A_STRING_END_NEWLINE,
  A_STRING_START,
  A_WORD_BOUNDARY,
  OP_ASSERT,
  OP_CLASS,
  OP_JMP,
  OP_MATCH,
  OP_SPLIT,
  type PikeProgram,
} from './pike.ts';

// What a DFA state remembers of the character on its far side (a sentinel 0 = input edge).
const INFO_CHAR = 1;
const INFO_NEWLINE = 2;
const INFO_WORD = 4;
const INFO_LAST = 8;

/** Cached states before the cache is dropped and rebuilt (bounds memory on hostile input). */
const MAX_STATES = 4096;

export interface ReverseDfa {
  /** The smallest position at which some match starts, or -1. */
  leftmostStart(input: string): number;
  /** The same over code units (codeUnits()), the first len of them. */
  leftmostStartUnits(units: Uint16Array, len: number): number;
}

const isWordCp = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a);

/** One pattern's DFA: its column map and its cache of states. Plain data; the code is module-level. */
interface Dfa {
  prog: PikeProgram;
  starts: Int32Array;
  cols: number;
  width: number;
  asciiCol: Uint16Array;
  colInfo: Uint8Array;
  member: Uint8Array;
  kernels: Int32Array[];
  infos: number[];
  /** State ids by a hash of (info, kernel); colliding states share a bucket. */
  ids: Map<number, number[]>;
  /** Marks pcs already put in the next kernel during one compute(). */
  nextSeen: Int32Array;
  trans: Int32Array;
  seen: Int32Array;
  stamp: number;
  stack: number[];
}

export function reverseDfa(prog: PikeProgram): ReverseDfa {
  // Partition code points into columns that every class, "\n" and \w treat alike.
  const cuts = new Set<number>([0, 0x0a, 0x0b, 0x30, 0x3a, 0x41, 0x5b, 0x5f, 0x60, 0x61, 0x7b, 0x80]);
  for (const ranges of prog.classes) for (const [lo, hi] of ranges) {
    cuts.add(lo);
    if (hi < MAX_CP) cuts.add(hi + 1);
  }
  const starts = Int32Array.from([...cuts].sort((x, y) => x - y));
  const cols = starts.length; // plus one END column at index `cols`
  const d: Dfa = {
    prog,
    starts,
    cols,
    width: cols + 1,
    asciiCol: new Uint16Array(128),
    colInfo: new Uint8Array(cols + 1),
    member: new Uint8Array(prog.classes.length * cols),
    kernels: [],
    infos: [],
    ids: new Map(),
    trans: new Int32Array(0),
    seen: new Int32Array(prog.op.length).fill(-1),
    nextSeen: new Int32Array(prog.op.length + 1).fill(-1),
    stamp: 0,
    stack: [],
  };
  for (let c = 0; c < 128; c++) d.asciiCol[c] = colOf(d, c);
  for (let col = 0; col < cols; col++) {
    const rep = starts[col]!;
    d.colInfo[col] = INFO_CHAR | (rep === 0x0a ? INFO_NEWLINE : 0) | (isWordCp(rep) ? INFO_WORD : 0);
    prog.classes.forEach((ranges, id) => {
      if (ranges.some(([lo, hi]) => rep >= lo && rep <= hi)) d.member[id * cols + col] = 1;
    });
  }
  resetCache(d);
  return {
    leftmostStart: (input) => leftmostStart(d, codeUnits(input), input.length),
    leftmostStartUnits: (units, len) => leftmostStart(d, units, len),
  };
}

function colOf(d: Dfa, cp: number): number {
  const { starts } = d;
  let lo = 0, hi = d.cols - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function resetCache(d: Dfa): void {
  d.kernels = [];
  d.infos = [];
  d.ids = new Map();
  d.trans = new Int32Array(64 * d.width).fill(-1);
}

function stateOf(d: Dfa, kernel: Int32Array, info: number): number {
  // FNV-1a over the info byte and the kernel's pcs.
  let h = (0x811c9dc5 ^ info) >>> 0;
  for (let i = 0; i < kernel.length; i++) h = Math.imul(h ^ kernel[i]!, 0x01000193) >>> 0;
  const bucket = d.ids.get(h);
  if (bucket) {
    for (const id of bucket) {
      if (d.infos[id] !== info) continue;
      const k = d.kernels[id]!;
      if (k.length !== kernel.length) continue;
      let same = true;
      for (let i = 0; i < k.length; i++) {
        if (k[i] !== kernel[i]) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }
  const id = d.kernels.length;
  d.kernels.push(kernel);
  d.infos.push(info);
  if (bucket) bucket.push(id);
  else d.ids.set(h, [id]);
  if ((id + 1) * d.width > d.trans.length) {
    const grown = new Int32Array(d.trans.length * 2).fill(-1);
    grown.set(d.trans);
    d.trans = grown;
  }
  return id;
}

function holds(kind: number, before: number, after: number): boolean {
  switch (kind) {
    case A_LINE_START: return before === 0 || ((before & INFO_NEWLINE) !== 0 && after !== 0);
    case A_LINE_END: return after === 0 || (after & INFO_NEWLINE) !== 0;
    case A_STRING_START: return before === 0;
    case A_STRING_END: return after === 0;
    case A_STRING_END_NEWLINE: return after === 0 || ((after & INFO_NEWLINE) !== 0 && (after & INFO_LAST) !== 0);
    case A_WORD_BOUNDARY: return ((before & INFO_WORD) !== 0) !== ((after & INFO_WORD) !== 0);
    case A_NOT_WORD_BOUNDARY: return ((before & INFO_WORD) !== 0) === ((after & INFO_WORD) !== 0);
    default: return false;
  }
}

/** Fills in the transition of `state` on `col`: next state * 2 + (1 if a match starts here); -2 when the cache is full. */
function compute(d: Dfa, state: number, col: number, isStart: boolean): number {
  const { op, a, b } = d.prog;
  const { cols, seen, stack, member } = d;
  const stamp = ++d.stamp;
  const after = d.infos[state]!;
  const before = col === cols ? 0 : d.colInfo[col]!;
  let matchHere = 0;
  const next: number[] = [];
  stack.length = 0;
  const kernel = d.kernels[state]!;
  // The DFA only asks whether a match exists: the order of the work does not matter.
  for (let i = kernel.length - 1; i >= 0; i--) stack.push(kernel[i]!);
  stack.push(0);
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen[pc] === stamp) continue;
    seen[pc] = stamp;
    switch (op[pc]) {
      case OP_JMP: stack.push(a[pc]!); break;
      case OP_SPLIT: stack.push(b[pc]!, a[pc]!); break;
      case OP_ASSERT: if (holds(a[pc]!, before, after)) stack.push(pc + 1); break;
      case OP_MATCH: matchHere = 1; break;
      case OP_CLASS:
        if (col !== cols && member[a[pc]! * cols + col] === 1 && d.nextSeen[pc + 1] !== stamp) {
          d.nextSeen[pc + 1] = stamp;
          next.push(pc + 1);
        }
        break;
      default: stack.push(pc + 1); // SAVE does not occur in the reversed program
    }
  }
  if (col === cols) return matchHere;
  if (d.kernels.length >= MAX_STATES) return -2;
  const kernelNext = Int32Array.from(next).sort();
  const info = d.colInfo[col]! | (isStart ? INFO_LAST : 0);
  return stateOf(d, kernelNext, info) * 2 + matchHere;
}

function leftmostStart(d: Dfa, input: Uint16Array, len: number): number {
  const { cols, width, asciiCol } = d;
  let leftmost = -1;
  let state = stateOf(d, new Int32Array(0), 0);
  let isStart = true;
  let p = len;
  for (;;) {
    let col: number;
    let step = 1;
    if (p === 0) col = cols;
    else {
      const c = input[p - 1]!;
      if (c < 128) col = asciiCol[c]!;
      else if (c >= 0xdc00 && c <= 0xdfff && p >= 2) {
        const h = input[p - 2]!;
        if (h >= 0xd800 && h <= 0xdbff) {
          col = colOf(d, 0x10000 + ((h - 0xd800) << 10) + (c - 0xdc00));
          step = 2;
        } else col = colOf(d, c);
      } else col = colOf(d, c);
    }
    let v = d.trans[state * width + col]!;
    if (v < 0) {
      v = compute(d, state, col, isStart);
      if (v === -2) {
        // Too many states: start the cache over from this state alone.
        const kernel = d.kernels[state]!, info = d.infos[state]!;
        resetCache(d);
        state = stateOf(d, kernel, info);
        v = compute(d, state, col, isStart);
      }
      d.trans[state * width + col] = v;
    }
    if ((v & 1) === 1) leftmost = p;
    if (p === 0) break;
    state = v >> 1;
    isStart = false;
    p -= step;
  }
  return leftmost;
}
