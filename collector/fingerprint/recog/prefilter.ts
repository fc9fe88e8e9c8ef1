// One pass over the input rules out most fingerprints of a database before any
// regex runs: an Aho-Corasick automaton over every required literal of the
// database (case-folded), then only fingerprints whose requirements all hold
// are tried, still in file order. Hand-written because no maintained npm
// package offers a case-folding, allocation-free scanner over UTF-16 strings
// that reports literal ids; the automaton is ~100 lines.
import { codeUnits } from './codes.ts';
import { bestRequirement } from './literals.ts';

/**
 * One database's prefilter: plain typed arrays, read by the module-level
 * candidates() (one function for every database, so V8 optimises it once).
 */
export interface Prefilter {
  /** No literals at all: every fingerprint is a candidate. */
  all: Int32Array | undefined;
  auto: Automaton;
  /** Fingerprints without a usable literal: always candidates. */
  always: Int32Array;
  /** Per literal id: the fingerprints keyed on it, postings[postStart[id] .. postStart[id + 1]). */
  postings: Int32Array;
  postStart: Int32Array;
  /**
   * Per fingerprint, its requirements: groups reqStart[fp] .. reqStart[fp + 1], each
   * group altStart[g] .. altStart[g + 1] of literal ids in altIds, one of which must occur.
   */
  reqStart: Int32Array;
  altStart: Int32Array;
  altIds: Int32Array;
  /** Literal ids seen in the current input carry the current generation. */
  seenGen: Uint32Array;
  /** Fingerprints already gathered for the current input carry the current generation. */
  fpGen: Uint32Array;
  gen: number;
  found: Int32Array;
  /** The candidates of the last candidates() call, ascending (file order). */
  out: Int32Array;
}

const KELVIN = 0x212a;
const LONG_S = 0x17f;

export function buildPrefilter(requirementsPerFingerprint: string[][][]): Prefilter {
  const literalIds = new Map<string, number>();
  const idOf = (s: string) => {
    let id = literalIds.get(s);
    if (id === undefined) literalIds.set(s, (id = literalIds.size));
    return id;
  };
  const always: number[] = [];
  const postingsByLiteral = new Map<number, number[]>();
  const reqStart = [0];
  const altStart = [0];
  const altIds: number[] = [];
  requirementsPerFingerprint.forEach((reqs, fp) => {
    for (const r of reqs) {
      for (const lit of r) altIds.push(idOf(lit));
      altStart.push(altIds.length);
    }
    reqStart.push(altStart.length - 1);
    const key = bestRequirement(reqs);
    if (!key) {
      always.push(fp);
      return;
    }
    for (const lit of key) {
      const id = idOf(lit);
      const list = postingsByLiteral.get(id) ?? [];
      if (list[list.length - 1] !== fp) list.push(fp);
      postingsByLiteral.set(id, list);
    }
  });
  const literals = [...literalIds.keys()];
  const postStart = new Int32Array(literals.length + 1);
  const postings: number[] = [];
  for (let id = 0; id < literals.length; id++) {
    postings.push(...(postingsByLiteral.get(id) ?? []));
    postStart[id + 1] = postings.length;
  }
  const n = requirementsPerFingerprint.length;
  return {
    all: literals.length === 0 ? Int32Array.from({ length: n }, (_, i) => i) : undefined,
    auto: buildAutomaton(literals),
    always: Int32Array.from(always),
    postings: Int32Array.from(postings),
    postStart,
    reqStart: Int32Array.from(reqStart),
    altStart: Int32Array.from(altStart),
    altIds: Int32Array.from(altIds),
    seenGen: new Uint32Array(literals.length),
    fpGen: new Uint32Array(n),
    gen: 0,
    found: new Int32Array(literals.length),
    out: new Int32Array(n),
  };
}

/**
 * The fingerprints of the database that may match the input, ascending (file
 * order), in pf.out; returns how many. One pass of the automaton over the
 * input's code units, then only fingerprints whose every requirement holds.
 * pf.out is overwritten by the next call on the same prefilter.
 */
export function candidates(pf: Prefilter, input: string): number {
  if (pf.all) {
    pf.out.set(pf.all);
    return pf.all.length;
  }
  let gen = (pf.gen + 1) >>> 0;
  if (gen === 0) {
    pf.seenGen.fill(0);
    pf.fpGen.fill(0);
    gen = 1;
  }
  pf.gen = gen;
  const { seenGen, found, out, fpGen, always, postings, postStart } = pf;
  const { delta, cols, colOf, outStart, outIds } = pf.auto;
  const units = codeUnits(input);
  const len = input.length;
  let nFound = 0;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const c = units[i]!;
    const col = c < 128 ? colOf[c]! : c === KELVIN ? colOf[0x6b]! : c === LONG_S ? colOf[0x73]! : 0;
    let next = delta[s * cols + col]!;
    if (next < 0) {
      // This state ends one or more literals.
      next = ~next;
      for (let k = outStart[next]!, end = outStart[next + 1]!; k < end; k++) {
        const id = outIds[k]!;
        if (seenGen[id] !== gen) {
          seenGen[id] = gen;
          found[nFound++] = id;
        }
      }
    }
    s = next;
  }
  let n = 0;
  for (let k = 0; k < always.length; k++) {
    const fp = always[k]!;
    fpGen[fp] = gen;
    out[n++] = fp;
  }
  for (let f = 0; f < nFound; f++) {
    const id = found[f]!;
    for (let k = postStart[id]!, end = postStart[id + 1]!; k < end; k++) {
      const fp = postings[k]!;
      if (fpGen[fp] === gen) continue;
      fpGen[fp] = gen;
      if (!requirementsHold(pf, fp, gen)) continue;
      // Insertion into the sorted run: candidates are few.
      let j = n++;
      while (j > 0 && out[j - 1]! > fp) {
        out[j] = out[j - 1]!;
        j--;
      }
      out[j] = fp;
    }
  }
  return n;
}

function requirementsHold(pf: Prefilter, fp: number, gen: number): boolean {
  const { reqStart, altStart, altIds, seenGen } = pf;
  for (let g = reqStart[fp]!, gEnd = reqStart[fp + 1]!; g < gEnd; g++) {
    let ok = false;
    for (let k = altStart[g]!, end = altStart[g + 1]!; k < end; k++) {
      if (seenGen[altIds[k]!] === gen) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

interface Automaton {
  delta: Int16Array | Int32Array;
  cols: number;
  colOf: Uint8Array;
  outStart: Int32Array;
  outIds: Int32Array;
}

/** Literals are lower-case; upper-case ASCII letters share their lower-case column. */
function buildAutomaton(literals: string[]): Automaton {
  const colOf = new Uint8Array(128);
  let cols = 1; // column 0: any character no literal contains
  for (const lit of literals) {
    for (let i = 0; i < lit.length; i++) {
      const c = lit.charCodeAt(i);
      if (c < 128 && colOf[c] === 0) {
        colOf[c] = cols;
        if (c >= 0x61 && c <= 0x7a) colOf[c - 32] = cols;
        cols++;
      }
    }
  }
  // Trie.
  const next: number[][] = [new Array(cols).fill(-1)];
  const outs: number[][] = [[]];
  literals.forEach((lit, id) => {
    let s = 0;
    for (let i = 0; i < lit.length; i++) {
      const c = lit.charCodeAt(i);
      const col = c < 128 ? colOf[c]! : 0;
      if (next[s]![col] === -1) {
        next[s]![col] = next.length;
        next.push(new Array(cols).fill(-1));
        outs.push([]);
      }
      s = next[s]![col]!;
    }
    outs[s]!.push(id);
  });
  // Breadth-first: failure links complete the transition table and merge outputs.
  const fail = new Int32Array(next.length);
  const queue: number[] = [];
  for (let col = 0; col < cols; col++) {
    const t = next[0]![col]!;
    if (t === -1) next[0]![col] = 0;
    else {
      fail[t] = 0;
      queue.push(t);
    }
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    outs[s]!.push(...outs[fail[s]!]!);
    for (let col = 0; col < cols; col++) {
      const t = next[s]![col]!;
      if (t === -1) next[s]![col] = next[fail[s]!]![col]!;
      else {
        fail[t] = next[fail[s]!]![col]!;
        queue.push(t);
      }
    }
  }
  // Entries hold the next state; one that ends a literal is stored as ~state. Two
  // bytes an entry where the states fit keeps the table in cache.
  const delta = next.length < 0x7fff ? new Int16Array(next.length * cols) : new Int32Array(next.length * cols);
  next.forEach((row, s) => {
    for (let col = 0; col < cols; col++) {
      const t = row[col]!;
      delta[s * cols + col] = outs[t]!.length > 0 ? ~t : t;
    }
  });
  const outStart = new Int32Array(next.length + 1);
  const flat: number[] = [];
  outs.forEach((o, s) => {
    outStart[s] = flat.length;
    flat.push(...new Set(o));
  });
  outStart[next.length] = flat.length;
  return { delta, cols, colOf, outStart, outIds: Int32Array.from(flat) };
}
