// One file per evidence source that is not a probe: the fingerprint stage
// dispatches a record here by its probe name. IO adds `nmap` the same way.
import type { Evidence, FingerprintCandidate } from '../../../shared/types.ts';
import type { ImportContext } from './common.ts';
import * as azuread from './azuread.ts';
import * as crowdstrike from './crowdstrike.ts';
import * as intune from './intune.ts';

export interface EvidenceSource {
  PRODUCT: string;
  toEvidence(parsed: unknown, ctx: ImportContext): Evidence[];
  candidates(record: Evidence): FingerprintCandidate[];
}

export const SOURCES: Record<string, EvidenceSource> = { intune, crowdstrike, azuread };

/** The source of a record: `intune` for agentId `import:intune`, `sextant` for agents' evidence. */
export function sourceOf(record: Pick<Evidence, 'agentId'>): string {
  return record.agentId.startsWith('import:') ? record.agentId.slice('import:'.length) : 'sextant';
}

export { INTEGRATION_PRODUCTS, macOf, type ImportContext } from './common.ts';
