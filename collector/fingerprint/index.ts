// Fingerprinting: evidence facts -> candidates -> certainty-ranked fp.* keys. Pure.
import type { FingerprintCandidate } from '../../shared/types.ts';
import { candidatesFromRecog, rankCandidates, summarize, type FingerprintSummary } from './certainty.ts';
import type { RecogEngine } from './recog/index.ts';

export * from './recog/index.ts';
export { candidatesFromRecog, rankCandidates, summarize, ENGINE_BUILD, RECOG_DEFAULT_CERTAINTY } from './certainty.ts';
export type { FingerprintSummary } from './certainty.ts';

/**
 * Runs every fact whose key names a Recog database through it and returns the
 * candidates (first match per database), in the order the facts were given.
 */
export function recogCandidates(facts: Record<string, string | Uint8Array>, engine: RecogEngine, evidenceId?: string): FingerprintCandidate[] {
  const out: FingerprintCandidate[] = [];
  for (const [key, value] of Object.entries(facts)) {
    for (const m of engine.matchEach(key, value)) out.push(...candidatesFromRecog(m.result, m.fingerprint, m.db, evidenceId));
  }
  return out;
}

/** Facts and other matchers' candidates -> the winning fp.* keys and normalized attributes. */
export function fingerprintFacts(facts: Record<string, string | Uint8Array>, engine: RecogEngine, extra: FingerprintCandidate[] = []): FingerprintSummary & { candidates: FingerprintCandidate[] } {
  const candidates = [...recogCandidates(facts, engine), ...extra];
  return { ...summarize(rankCandidates(candidates)), candidates };
}
