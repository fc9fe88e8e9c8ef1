// Scores a subject fingerprint against every nmap-os-db reference and ranks
// the results exactly as Nmap 7.93 does (nmap-os-detection.md §5.1–5.2:
// compare_fingerprints, AVal_match, match_fingerprint).
import { subjectPoints, subjectSlots, type CompiledDb, type SubjectPoints } from './compile.ts';
import type { CompiledExpr } from './expr.ts';
import type { OsDb } from './db-parse.ts';
import type { OsMatch, OsMatchResult, SubjectFingerprint } from './types.ts';

/** Nmap's OSSCAN_GUESS_THRESHOLD. */
export const GUESS_THRESHOLD = 0.85;
/** Nmap's MAX_FP_RESULTS. */
export const MAX_RESULTS = 36;

/**
 * matched / possible over the attributes both prints carry, or 0 when they
 * share none. Gives up once the lost points exceed (1 − entrance) of the
 * reference's total: such a reference can no longer reach the entrance bar,
 * so the shortcut never changes which references are admitted or their scores.
 */
export function scoreReference(db: CompiledDb, index: number, points: SubjectPoints, entrance = 0): number {
  const maxLost = Math.floor((1 - entrance) * (db.referenceTotals[index] as number));
  const conditions = db.referenceConditions;
  const { possible: stake, lost: loss } = points;
  const end = db.referenceStarts[index + 1] as number;
  let possible = 0;
  let lost = 0;
  for (let k = db.referenceStarts[index] as number; k < end; k++) {
    const c = conditions[k] as number;
    possible += stake[c] as number;
    lost += loss[c] as number;
    if (lost > maxLost) break;
  }
  return possible === 0 ? 0 : (possible - lost) / possible;
}

/** Accuracy of one reference (by index) against a subject, without early exit or ranking. */
export function scoreAgainst(db: OsDb, subject: SubjectFingerprint, referenceIndex: number): number {
  const c = db.compiled;
  if (referenceIndex < 0 || referenceIndex >= db.references.length) return 0;
  const values = subjectSlots(c, subject);
  let possible = 0;
  let matched = 0;
  for (let k = c.referenceStarts[referenceIndex] as number; k < (c.referenceStarts[referenceIndex + 1] as number); k++) {
    const cond = c.referenceConditions[k] as number;
    const slot = c.conditionSlots[cond] as number;
    const value = values[slot];
    if (value === undefined) continue;
    possible += c.weights[slot] as number;
    if ((c.conditionPredicates[cond] as CompiledExpr)(value)) matched += c.weights[slot] as number;
  }
  return possible === 0 ? 0 : matched / possible;
}

/** Matches a subject against the whole database; pure. */
export function matchFingerprint(db: OsDb, subject: SubjectFingerprint, threshold = GUESS_THRESHOLD): OsMatchResult {
  const points = subjectPoints(db.compiled, subject);
  const listed: number[] = []; // reference indexes, best first
  const scores: number[] = [];
  let entrance = threshold;
  let perfectCount = 0;
  for (let r = 0; r < db.references.length; r++) {
    const acc = scoreReference(db.compiled, r, points, entrance);
    if (!(acc >= entrance || acc === 1)) continue;
    const name = (db.references[r] as { name: string }).name;
    // One entry per OS name: a better-scoring print of the same name replaces the old one.
    const same = listed.findIndex((i) => (db.references[i] as { name: string }).name === name);
    if (same !== -1) {
      if ((scores[same] as number) >= acc) continue;
      listed.splice(same, 1);
      scores.splice(same, 1);
    }
    if (acc === 1) {
      if (perfectCount === MAX_RESULTS) return build(db, listed, scores, perfectCount, true);
      perfectCount++;
    }
    // Inserted after entries of equal accuracy, so ties keep database order.
    let at = scores.findIndex((s) => s < acc);
    if (at === -1) at = scores.length;
    listed.splice(at, 0, r);
    scores.splice(at, 0, acc);
    if (listed.length > MAX_RESULTS) {
      listed.length = MAX_RESULTS;
      scores.length = MAX_RESULTS;
    }
    if (listed.length === MAX_RESULTS) entrance = Math.min((scores[MAX_RESULTS - 1] as number) + 0.00001, 1);
  }
  return build(db, listed, scores, perfectCount, false);
}

function build(db: OsDb, listed: number[], scores: number[], perfectCount: number, tooManyMatches: boolean): OsMatchResult {
  const matches = listed.map((r, i): OsMatch => {
    const ref = db.references[r] as OsDb['references'][number];
    const score = scores[i] as number;
    return {
      name: ref.name,
      accuracy: Math.floor(score * 100),
      score,
      line: ref.line,
      classes: ref.classes.map((c) => ({ ...c, cpe: [...c.cpe] })),
    };
  });
  return { perfect: perfectCount > 0, matches, tooManyMatches };
}
