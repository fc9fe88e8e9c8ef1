// How OS-probe evidence travels inside a probe result: the whole OsHostEvidence
// as JSON under the fact key `tcpip.os_probes` (architecture.md, "Evidence").
import type { ProbeResult } from '../../shared/types.ts';
import type { OsHostEvidence } from './os-engine.ts';

export const OS_EVIDENCE_KEY = 'tcpip.os_probes';

export function encodeOsEvidence(evidence: OsHostEvidence): string {
  return JSON.stringify(evidence);
}

/** The evidence an OS probe result carries, or undefined when it has none or it is not ours. */
export function osEvidenceOf(result: ProbeResult): OsHostEvidence | undefined {
  const text = result.facts?.[OS_EVIDENCE_KEY];
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as OsHostEvidence;
    return typeof value === 'object' && value !== null && Array.isArray(value.rounds) ? value : undefined;
  } catch {
    return undefined;
  }
}
