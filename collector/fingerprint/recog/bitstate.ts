// Capture extraction for a match the reverse DFA has already located: a
// backtracking search over the Pike program, in priority order (so the first
// match found is Ruby's leftmost-first one), that remembers every (branch,
// position) pair it has tried. A pair that failed once fails again, so each
// is explored at most once: time and memory stay linear in the input, while
// a greedy path that succeeds costs one pass, where the Pike VM would carry
// every lower-priority thread to the end of the input (RE2's "bit state").
import { codeUnits } from './codes.ts';
import { assertionHolds, inWide, OP_ASSERT, OP_CLASS, OP_JMP, OP_MATCH, OP_SAVE, OP_SPLIT, type PikeProgram } from './pike.ts';

/** Above this many visited bits the caller uses the Pike VM instead. */
export const MAX_BITSTATE_BITS = 256 * 1024 * 1024;

export interface BitState {
  /** Captures of the highest-priority match starting exactly at `start`, or null. */
  run(input: string, start: number): Int32Array | null;
  /** The same over code units (codeUnits()), the first len of them. */
  runUnits(units: Uint16Array, len: number, start: number): Int32Array | null;
  /**
   * Leftmost-first search without a known start: tries each start in turn,
   * keeping the visited bitmap across them (a (branch, position) pair that
   * failed from one start fails from any), so the whole search stays within
   * rows * (len + 1) steps. `multiLine` says whether the input holds "\n".
   */
  searchUnits(units: Uint16Array, len: number, multiLine: boolean): Int32Array | null;
  /** Whether an input of this length fits the visited bitmap. */
  fits(length: number): boolean;
  /** Branch points: rows of the visited bitmap. */
  rows: number;
}

// The visited bitmap is shared and kept all-zero between runs: a run records the
// words it sets and clears just those, so its cost follows the work done, not
// the bitmap's size (clearing megabytes per match cost more than the search).
// Sized for 64 KiB inputs from the start: a growth branch first taken on a real
// input would deoptimise the search just when it matters.
let shared = new Uint32Array(1 << 16);
let touched = new Int32Array(1 << 16);
// Job stack, shared by every pattern (matching is synchronous): (pc, pos) to try
// later, or (-slot - 1, old value) to restore a capture.
let jobPc = new Int32Array(1 << 17);
let jobPos = new Int32Array(1 << 17);

function growJobs(): void {
  const pc = new Int32Array(jobPc.length * 2);
  pc.set(jobPc);
  jobPc = pc;
  const pos = new Int32Array(jobPos.length * 2);
  pos.set(jobPos);
  jobPos = pos;
}

interface BitStateProgram {
  prog: PikeProgram;
  /** Row in the visited bitmap per pc; -1 for pcs that are not branch points. */
  row: Int32Array;
  rows: number;
}

/** Grows the shared visited bitmap now, so a first 64 KiB match does not pay for the allocation. */
export function reserveBitState(bits: number): void {
  const words = Math.ceil(Math.min(bits, MAX_BITSTATE_BITS) / 32);
  if (shared.length < words) shared = new Uint32Array(words);
}

export function bitState(prog: PikeProgram): BitState {
  // Branch points get a row each in the visited bitmap.
  const row = new Int32Array(prog.op.length).fill(-1);
  let rows = 0;
  for (let pc = 0; pc < prog.op.length; pc++) if (prog.op[pc] === OP_SPLIT) row[pc] = rows++;
  const bp: BitStateProgram = { prog, row, rows };
  return {
    rows,
    fits: (length) => rows * (length + 1) <= MAX_BITSTATE_BITS,
    run: (input, start) => runBitState(bp, codeUnits(input), input.length, start, start),
    runUnits: (units, len, start) => runBitState(bp, units, len, start, start),
    searchUnits: (units, len, multiLine) => {
      const a = prog.anchoredStart;
      return runBitState(bp, units, len, 0, a === 'always' || (a === 'single-line' && !multiLine) ? 0 : len);
    },
  };
}

/**
 * The highest-priority match starting at the first position from `first` to
 * `last` where one starts. Module-level, so V8 optimises it once for every
 * pattern rather than per closure.
 */
function runBitState(bp: BitStateProgram, input: Uint16Array, len: number, first: number, last: number): Int32Array | null {
  const { prog, row, rows } = bp;
  const { op, a, b, asciiBits, wide, wideStart, slots } = prog;
  const width = len + 1;
  const words = Math.ceil((rows * width) / 32);
  if (shared.length < words) shared = new Uint32Array(Math.max(words, shared.length * 2));
  const visited = shared;
  let nTouched = 0;
  const caps = new Int32Array(slots).fill(-1);
  const { firstAscii } = prog;
  let sp = 0;
  for (let start = first; start <= last; start++) {
    if (firstAscii && start > first) {
      // Skip starts whose character cannot begin a match (surrogates: let the search look).
      if (start >= len) break;
      const c = input[start]!;
      if (c < 128 ? (firstAscii[c >> 5]! & (1 << (c & 31))) === 0 : c < 0xd800 || c > 0xdfff ? !canStartWide(prog, c) : false) continue;
    }
    jobPc[sp] = 0;
    jobPos[sp++] = start;
    while (sp > 0) {
      sp--;
      let pc = jobPc[sp]!;
      let pos = jobPos[sp]!;
      if (pc < 0) {
        caps[-pc - 1] = pos;
        continue;
      }
      for (;;) {
        const o = op[pc];
        if (o === OP_CLASS) {
          if (pos >= len) break;
          let c = input[pos]!;
          let step = 1;
          if (c >= 0xd800 && c <= 0xdbff && pos + 1 < len) {
            const d = input[pos + 1]!;
            if (d >= 0xdc00 && d <= 0xdfff) {
              c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
              step = 2;
            }
          }
          const cls = a[pc]!;
          const ok = c < 128 ? (asciiBits[cls * 4 + (c >> 5)]! & (1 << (c & 31))) !== 0 : inWide(wide, wideStart[cls]!, wideStart[cls + 1]!, c);
          if (!ok) break;
          pc++;
          pos += step;
        } else if (o === OP_SPLIT) {
          const bit = row[pc]! * width + pos;
          const mask = 1 << (bit & 31);
          const w = bit >>> 5;
          const word = visited[w]!;
          if ((word & mask) !== 0) break;
          if (word === 0) {
            if (nTouched === touched.length) {
              const grown = new Int32Array(touched.length * 2);
              grown.set(touched);
              touched = grown;
            }
            touched[nTouched++] = w;
          }
          visited[w] = word | mask;
          if (sp === jobPc.length) growJobs();
          jobPc[sp] = b[pc]!;
          jobPos[sp++] = pos;
          pc = a[pc]!;
        } else if (o === OP_JMP) {
          pc = a[pc]!;
        } else if (o === OP_SAVE) {
          const slot = a[pc]!;
          if (sp === jobPc.length) growJobs();
          jobPc[sp] = -slot - 1;
          jobPos[sp++] = caps[slot]!;
          caps[slot] = pos;
          pc++;
        } else if (o === OP_ASSERT) {
          if (!assertionHolds(a[pc]!, input, len, pos)) break;
          pc++;
        } else if (o === OP_MATCH) {
          clearTouched(visited, nTouched);
          return caps;
        } else {
          break;
        }
      }
    }
  }
  clearTouched(visited, nTouched);
  return null;
}

function canStartWide(prog: PikeProgram, c: number): boolean {
  const w = prog.firstWide!;
  return w.length > 0 && inWide(w, 0, w.length >> 1, c);
}

function clearTouched(visited: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) visited[touched[i]!] = 0;
}
