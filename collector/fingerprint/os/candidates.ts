// Turns the best TCP/IP OS match into fingerprint candidates for the
// certainty-ranked merge (architecture.md "Fingerprints and certainty").
import type { FingerprintCandidate } from '../../../shared/types.ts';
import { cpe22To23 } from './cpe.ts';
import type { OsMatchResult } from './types.ts';

export interface CandidateOptions {
  /** The evidence record the subject print came from. */
  evidenceId?: string;
}

/**
 * An `os` candidate (vendor, family, product = family unless "embedded", version = generation,
 * cpe23) and a `type` candidate (device type) from the best match's first
 * class. Certainty is Nmap's accuracy: there is no separate confidence.
 */
export function osCandidates(result: OsMatchResult, options: CandidateOptions = {}): FingerprintCandidate[] {
  const best = result.matches[0];
  const cls = best?.classes[0];
  if (!best || !cls) return [];
  const common = {
    certainty: best.accuracy / 100,
    source: 'tcpip',
    match: best.name,
    rule: `nmap-os-db:${best.line}`,
    ...(options.evidenceId === undefined ? {} : { evidenceId: options.evidenceId }),
  };
  // Nmap has no product field; its OS family is the closest, except "embedded",
  // which is Nmap's placeholder for firmware with no named OS.
  const attributes: Record<string, string> = { vendor: cls.vendor, family: cls.family };
  if (cls.family !== 'embedded') attributes.product = cls.family;
  if (cls.generation) attributes.version = cls.generation;
  const cpe23 = cls.cpe[0] === undefined ? undefined : cpe22To23(cls.cpe[0]);
  if (cpe23) attributes.cpe23 = cpe23;
  return [
    { category: 'os', attributes, ...common },
    { category: 'type', attributes: { type: cls.type }, ...common },
  ];
}
