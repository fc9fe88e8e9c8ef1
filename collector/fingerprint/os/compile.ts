// Turns nmap-os-db entries into flat arrays the matcher can walk quickly
// (nmap-os-detection.md §9 "Match performance"). Every (test, attribute) pair
// of MatchPoints gets a slot; every distinct (slot, expression) pair becomes
// one pre-compiled condition. 540k reference attributes share about 16k
// conditions, so a subject settles each condition once and scoring a
// reference is only array reads.
import { compileExpr, observe, plainLiteral, type CompiledExpr, type ObservedValue } from './expr.ts';
import type { AttributeWeight, FingerprintTest, SubjectFingerprint } from './types.ts';

export interface CompiledDb {
  /** Test name → attribute name → slot. */
  slotOf: Map<string, Map<string, number>>;
  /** Weight of each slot. */
  weights: Int32Array;
  /** Slot of each condition. */
  conditionSlots: Int32Array;
  /** Predicate of each condition. */
  conditionPredicates: CompiledExpr[];
  /** Per slot: all its conditions. */
  slotConditions: Int32Array[];
  /** Per slot: conditions that are exact string compares, by literal. */
  literalConditions: Array<Map<string, number[]>>;
  /** Per slot: every other condition (ranges, alternatives, bounds). */
  otherConditions: Int32Array[];
  /** The conditions of all references, one after the other. */
  referenceConditions: Int32Array;
  /** Where each reference's conditions start; one extra entry marks the end. */
  referenceStarts: Int32Array;
  /** Sum of the weights of every attribute each reference carries (Nmap's numprints). */
  referenceTotals: Float64Array;
}

export interface ReferenceCompiler {
  /** Adds one test line of the reference being built. */
  addTest(test: FingerprintTest): void;
  /** Closes the reference being built. */
  finishReference(): void;
  /** The compiled database. */
  result(): CompiledDb;
}

export function referenceCompiler(weights: AttributeWeight[]): ReferenceCompiler {
  const slotOf = new Map<string, Map<string, number>>();
  const weightBySlot = new Int32Array(weights.length);
  weights.forEach((w, i) => {
    let attrs = slotOf.get(w.test);
    if (!attrs) slotOf.set(w.test, (attrs = new Map()));
    attrs.set(w.attribute, i);
    weightBySlot[i] = w.points;
  });
  const conditionIds = weights.map(() => new Map<string, number>());
  const literalConditions = weights.map(() => new Map<string, number[]>());
  const otherConditions = weights.map((): number[] => []);
  const conditionSlots: number[] = [];
  const conditionPredicates: CompiledExpr[] = [];
  const predicateCache = new Map<string, CompiledExpr>();
  const conditions: number[] = [];
  const starts: number[] = [0];
  const totals: number[] = [];
  let total = 0;

  const conditionFor = (slot: number, expr: string): number => {
    const ids = conditionIds[slot] as Map<string, number>;
    let id = ids.get(expr);
    if (id !== undefined) return id;
    let predicate = predicateCache.get(expr);
    if (!predicate) predicateCache.set(expr, (predicate = compileExpr(expr)));
    id = conditionSlots.length;
    conditionSlots.push(slot);
    conditionPredicates.push(predicate);
    ids.set(expr, id);
    const literal = plainLiteral(expr);
    if (literal === undefined) (otherConditions[slot] as number[]).push(id);
    else {
      const byLiteral = literalConditions[slot] as Map<string, number[]>;
      const list = byLiteral.get(literal);
      if (list) list.push(id);
      else byLiteral.set(literal, [id]);
    }
    return id;
  };

  return {
    addTest(test) {
      const attrs = slotOf.get(test.name);
      for (const attr of test.attributes) {
        const slot = attrs?.get(attr.name);
        if (slot === undefined) continue; // unweighted (OPS(R=N)): never compared
        conditions.push(conditionFor(slot, attr.value));
        total += weightBySlot[slot] as number;
      }
    },
    finishReference() {
      starts.push(conditions.length);
      totals.push(total);
      total = 0;
    },
    result() {
      return {
        slotOf,
        weights: weightBySlot,
        conditionSlots: Int32Array.from(conditionSlots),
        conditionPredicates,
        slotConditions: conditionIds.map((ids) => Int32Array.from(ids.values())),
        literalConditions,
        otherConditions: otherConditions.map((ids) => Int32Array.from(ids)),
        referenceConditions: Int32Array.from(conditions),
        referenceStarts: Int32Array.from(starts),
        referenceTotals: Float64Array.from(totals),
      };
    },
  };
}

/**
 * The subject's values by slot. When a test is repeated (merged rounds), the
 * first occurrence is compared: it is the one Nmap's first round produced.
 */
export function subjectSlots(db: CompiledDb, subject: SubjectFingerprint): Array<ObservedValue | undefined> {
  const values = new Array<ObservedValue | undefined>(db.weights.length).fill(undefined);
  const seenTests = new Set<string>();
  for (const test of subject.tests) {
    if (seenTests.has(test.name)) continue;
    seenTests.add(test.name);
    const attrs = db.slotOf.get(test.name);
    if (!attrs) continue;
    for (const attr of test.attributes) {
      const slot = attrs.get(attr.name);
      if (slot !== undefined && values[slot] === undefined) values[slot] = observe(attr.value);
    }
  }
  return values;
}

/** Per condition: the points it puts at stake for this subject, and the points it loses. */
export interface SubjectPoints {
  possible: Int32Array;
  lost: Int32Array;
}

/** Settles every condition once against the subject. */
export function subjectPoints(db: CompiledDb, subject: SubjectFingerprint): SubjectPoints {
  const values = subjectSlots(db, subject);
  const n = db.conditionSlots.length;
  const possible = new Int32Array(n);
  const lost = new Int32Array(n);
  values.forEach((value, slot) => {
    if (value === undefined) return;
    const w = db.weights[slot] as number;
    // Every condition of the slot is at stake and lost, except literals spelling
    // the value and other expressions accepting it.
    const all = db.slotConditions[slot] as Int32Array;
    for (let i = 0; i < all.length; i++) {
      possible[all[i] as number] = w;
      lost[all[i] as number] = w;
    }
    const hits = (db.literalConditions[slot] as Map<string, number[]>).get(value.text);
    if (hits) for (const c of hits) lost[c] = 0;
    const others = db.otherConditions[slot] as Int32Array;
    for (let i = 0; i < others.length; i++) {
      const c = others[i] as number;
      if ((db.conditionPredicates[c] as CompiledExpr)(value)) lost[c] = 0;
    }
  });
  return { possible, lost };
}
