// Groups a batch's fingerprinted records into one observation per address:
// host-level claims (os, hw, type, MACs, names) and one service per
// (transport, port). Pure.
import type { Evidence } from '../../shared/types.ts';
import type { EvidenceFingerprint } from './fingerprint.ts';
import type { Observation, ServiceObservation, ServiceTransport } from './types.ts';
import { sourceOf } from './sources/index.ts';

function earlier(a: string, b: string): string {
  return a <= b ? a : b;
}

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

/**
 * Records must already be validated (canonical IPs, UTC ISO times, so times
 * compare as strings). Observations come out in order of each address's first record.
 */
export function buildObservations(records: Evidence[], fingerprints: EvidenceFingerprint[]): Observation[] {
  const byIp = new Map<string, Observation>();
  const services = new Map<Observation, Map<string, ServiceObservation>>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const fp = fingerprints[i]!;
    const at = record.observedAt;
    const source = sourceOf(record);
    // An integration's device is its own observation: its IP (if any) is what it says, not what answered.
    const integration = source !== 'sextant' && source !== 'nmap';
    // Keyed by agent too: an imported evidence file may hold several agents' records for one address.
    const groupKey = integration ? `\u0000${record.id}` : `${record.target.ip}\u0000${record.agentId}`;
    let obs = byIp.get(groupKey);
    if (!obs) {
      obs = {
        site: record.site,
        ip: record.target.ip,
        agentId: record.agentId,
        macs: [],
        names: [],
        candidates: [],
        services: [],
        firstSeen: at,
        lastSeen: at,
        evidenceIds: [],
      };
      if (source !== 'sextant') obs.source = source;
      if (integration) obs.answered = false;
      byIp.set(groupKey, obs);
      services.set(obs, new Map());
    }
    obs.firstSeen = earlier(obs.firstSeen, at);
    obs.lastSeen = later(obs.lastSeen, at);
    obs.evidenceIds.push(record.id);
    for (const mac of fp.macs) if (!obs.macs.some((m) => m.mac === mac.mac)) obs.macs.push(mac);
    for (const name of fp.names) if (!obs.names.includes(name)) obs.names.push(name);
    if (fp.identities) {
      obs.identities ??= [];
      for (const c of fp.identities) if (!obs.identities.some((x) => x.kind === c.kind && x.value === c.value)) obs.identities.push(c);
    }
    if (integration && record.target.ip) {
      obs.identities ??= [];
      obs.identities.push({ kind: 'ip', value: record.target.ip });
    }
    const transport = record.target.transport;
    const port = record.target.port;
    const serviceLevel = port !== undefined && (transport === 'tcp' || transport === 'udp');
    let service: ServiceObservation | undefined;
    if (serviceLevel) {
      const key = `${transport}/${port}`;
      const byKey = services.get(obs)!;
      service = byKey.get(key);
      if (!service) {
        service = { transport: transport as ServiceTransport, port, probes: [], candidates: [], components: [], firstSeen: at, lastSeen: at };
        byKey.set(key, service);
        obs.services.push(service);
      }
      service.firstSeen = earlier(service.firstSeen, at);
      service.lastSeen = later(service.lastSeen, at);
      if (!service.probes.includes(record.probe)) service.probes.push(record.probe);
      for (const c of fp.components) if (!service.components.some((x) => x.product === c.product)) service.components.push(c);
    }
    for (const c of fp.candidates) {
      if (c.category !== 'service') obs.candidates.push(c);
      // A service claim without a port (rare: a banner seen in ICMP data) has nowhere to go.
      else service?.candidates.push(c);
    }
  }
  return [...byIp.values()];
}
