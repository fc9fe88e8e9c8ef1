// One pass over the input rules out most fingerprints of a database before any
// regex runs: an Aho-Corasick automaton over every required literal of the
// database (case-folded), then only fingerprints whose requirements all hold
// are tried, still in file order. Hand-written because no maintained npm
// package offers a case-folding, allocation-free scanner over UTF-16 strings
// that reports literal ids; the automaton is ~100 lines.
import { bestRequirement } from './literals.ts';

export interface Prefilter {
  /** Indices of the fingerprints that may match, ascending (file order). */
  candidates(input: string): Int32Array | number[];
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
  const reqIds: Int32Array[][] = [];
  const postingsByLiteral = new Map<number, number[]>();
  requirementsPerFingerprint.forEach((reqs, fp) => {
    reqIds.push(reqs.map((r) => Int32Array.from(r.map(idOf))));
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
  if (literals.length === 0) {
    const all = requirementsPerFingerprint.map((_, i) => i);
    return { candidates: () => all };
  }
  const auto = buildAutomaton(literals);
  const postings: Array<Int32Array | undefined> = literals.map((_, id) => {
    const list = postingsByLiteral.get(id);
    return list ? Int32Array.from(list) : undefined;
  });
  const seenGen = new Uint32Array(literals.length);
  let gen = 0;
  const found: number[] = [];
  const alwaysList = Int32Array.from(always);
  const gathered = new Int32Array(always.length + [...postingsByLiteral.values()].reduce((n, l) => n + l.length, 0));

  return {
    candidates(input: string) {
      gen = (gen + 1) >>> 0;
      if (gen === 0) {
        seenGen.fill(0);
        gen = 1;
      }
      found.length = 0;
      const { delta, cols, colOf, outStart, outIds } = auto;
      let s = 0;
      for (let i = 0; i < input.length; i++) {
        const c = input.charCodeAt(i);
        const col = c < 128 ? colOf[c]! : c === KELVIN ? colOf[0x6b]! : c === LONG_S ? colOf[0x73]! : 0;
        let next = delta[s * cols + col]!;
        if (next < 0) {
          // This state ends one or more literals.
          next = ~next;
          for (let k = outStart[next]!, end = outStart[next + 1]!; k < end; k++) {
            const id = outIds[k]!;
            if (seenGen[id] !== gen) {
              seenGen[id] = gen;
              found.push(id);
            }
          }
        }
        s = next;
      }
      if (found.length === 0) return alwaysList;
      let n = 0;
      for (let k = 0; k < alwaysList.length; k++) gathered[n++] = alwaysList[k]!;
      for (const id of found) {
        const list = postings[id];
        if (list) for (let k = 0; k < list.length; k++) gathered[n++] = list[k]!;
      }
      const view = gathered.subarray(0, n);
      if (n > 1) view.sort();
      // Drop duplicates and fingerprints with another requirement that does not hold.
      const out: number[] = [];
      let last = -1;
      for (let k = 0; k < n; k++) {
        const fp = view[k]!;
        if (fp === last) continue;
        last = fp;
        if (requirementsHold(reqIds[fp]!, seenGen, gen)) out.push(fp);
      }
      return out;
    },
  };
}

function requirementsHold(reqs: Int32Array[], seen: Uint32Array, gen: number): boolean {
  for (const alternatives of reqs) {
    let ok = false;
    for (const id of alternatives) {
      if (seen[id] === gen) {
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
