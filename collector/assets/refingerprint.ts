// Refingerprinting one asset: its stored evidence, fingerprinted again by the
// current engine, replaces the asset's claims (host and per service), MAC
// vendors and component lists; addresses, timestamps, agents and counts stay
// as they are. Pure: the fingerprints are computed by the caller.
import type { Evidence, FingerprintCandidate } from '../../shared/types.ts';
import type { EvidenceFingerprint } from './fingerprint.ts';
import { fromStored } from './merge.ts';
import { buildObservations } from './observe.ts';
import type { Asset, ServiceComponent } from './types.ts';

/** One claim per (category, source), the newer replacing the older: the merge's rule. */
function retain(kept: FingerprintCandidate[], incoming: FingerprintCandidate[]): FingerprintCandidate[] {
  const out = [...kept];
  for (const c of incoming) {
    const at = out.findIndex((k) => k.category === c.category && k.source === c.source);
    if (at === -1) out.push(c);
    else out[at] = c;
  }
  return out;
}

/**
 * The asset as the current engine sees its evidence. `records` must be in
 * arrival order (store.readEvidence gives that), `fingerprints` aligned with them.
 */
export function refingerprintAsset(asset: Asset, records: Evidence[], fingerprints: EvidenceFingerprint[]): Asset {
  if (records.length === 0) return asset;
  let candidates: FingerprintCandidate[] = [];
  const services = new Map<string, { candidates: FingerprintCandidate[]; components: ServiceComponent[] }>();
  const vendors = new Map<string, string>();
  const names: string[] = [];
  // One observation per record keeps the arrival order of claims across addresses.
  for (let i = 0; i < records.length; i++) {
    for (const obs of buildObservations([records[i]!], [fingerprints[i]!])) {
      candidates = retain(candidates, obs.candidates);
      for (const s of obs.services) {
        const key = `${obs.ip}/${s.transport}/${s.port}`;
        const entry = services.get(key) ?? { candidates: [], components: [] };
        entry.candidates = retain(entry.candidates, s.candidates);
        for (const c of s.components) {
          const at = entry.components.findIndex((x) => x.product === c.product);
          if (at === -1) entry.components.push(c);
          else entry.components[at] = c;
        }
        services.set(key, entry);
      }
      for (const m of obs.macs) if (m.vendor) vendors.set(m.mac, m.vendor);
      for (const n of obs.names) if (!names.includes(n)) names.push(n);
    }
  }
  const next: Asset = {
    ...asset,
    candidates,
    macs: asset.macs.map((m) => {
      const vendor = vendors.get(m.mac);
      return vendor === undefined || vendor === m.vendor ? m : { ...m, vendor };
    }),
    names: names.every((n) => asset.names.includes(n)) ? asset.names : [...asset.names, ...names.filter((n) => !asset.names.includes(n))],
    services: asset.services.map((s) => {
      const entry = services.get(`${s.address}/${s.transport}/${s.port}`);
      return entry ? { ...s, candidates: entry.candidates, components: entry.components } : s;
    }),
  };
  return fromStored(next);
}
