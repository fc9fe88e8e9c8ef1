// The merge stage: asset + observation -> asset, and which asset an
// observation belongs to (MAC first, then IP, never across sites). Pure: the
// input asset is never modified, ids derive from the evidence.
import { createHash } from 'node:crypto';
import { rankCandidates, summarize } from '../fingerprint/index.ts';
import type { FingerprintCandidate } from '../../shared/types.ts';
import type { Asset, MacRecord, Observation, ServiceObservation, ServiceRecord } from './types.ts';

export { macKey } from '../merge/identity.ts';

/**
 * Stable and reproducible: the same evidence replayed (refingerprinting, a
 * rebuilt store) yields the same asset ids.
 */
export function newAssetId(site: string, evidenceId: string): string {
  const h = createHash('sha256').update(`${site}\u0000${evidenceId}`).digest('hex');
  // UUID layout, version 8 (custom), RFC 9562 variant.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function sameClaim(a: FingerprintCandidate, b: FingerprintCandidate): boolean {
  if (a.certainty !== b.certainty || a.match !== b.match || a.rule !== b.rule || Boolean(a.custom) !== Boolean(b.custom)) return false;
  const ka = Object.keys(a.attributes);
  if (ka.length !== Object.keys(b.attributes).length) return false;
  return ka.every((k) => a.attributes[k] === b.attributes[k]);
}

/**
 * Keeps one claim per (category, source): a different newer claim of a source
 * replaces its older one in place; a repeat keeps the first (and so its
 * evidence id). Returns `kept` itself when nothing changed, so callers can skip re-ranking.
 */
function retainCandidates(kept: FingerprintCandidate[], incoming: FingerprintCandidate[]): FingerprintCandidate[] {
  let out = kept;
  for (const c of incoming) {
    const at = out.findIndex((k) => k.category === c.category && k.source === c.source);
    if (at !== -1 && sameClaim(out[at]!, c)) continue;
    if (out === kept) out = [...kept];
    if (at === -1) out.push(c);
    else out[at] = c;
  }
  return out;
}

// Probe names that only show a port is open, never what speaks on it ('tcp-connect': what agents before the SYN scan called 'connect').
// `nmap` (an imported Nmap scan) names the scanner, not the protocol: its -sV claims carry the protocol.
const GENERIC_PROBES = new Set(['syn', 'connect', 'tcp-connect', 'tcp', 'udp', 'icmp', 'arp', 'os', 'portscan', 'nmap']);

function deriveService(svc: ServiceRecord): ServiceRecord {
  const winner = rankCandidates(svc.candidates).service;
  const out: ServiceRecord = { ...svc, attributes: {} };
  delete out.protocol;
  delete out.vendor;
  delete out.product;
  delete out.version;
  delete out.cpe23;
  const named = svc.probes.find((p) => !GENERIC_PROBES.has(p));
  if (winner) {
    const a = winner.attributes;
    if (a.vendor) out.vendor = a.vendor;
    if (a.product ?? a.family) out.product = (a.product ?? a.family)!;
    if (a.version) out.version = a.version;
    if (a.cpe23) out.cpe23 = a.cpe23;
    const { 'fp.build': _build, ...fp } = summarize({ service: winner }).fp;
    out.attributes = fp;
    if (a.protocol) out.protocol = a.protocol;
  }
  out.protocol ??= named;
  if (out.protocol === undefined) delete out.protocol;
  return out;
}

function mergeService(existing: ServiceRecord | undefined, ip: string, s: ServiceObservation): ServiceRecord {
  const base: ServiceRecord = existing ?? {
    address: ip,
    transport: s.transport,
    port: s.port,
    attributes: {},
    components: [],
    probes: [],
    first_seen: s.firstSeen,
    last_seen: s.lastSeen,
    candidates: [],
  };
  let components = base.components;
  for (const c of s.components) {
    const at = components.findIndex((x) => x.product === c.product);
    if (at !== -1 && components[at]!.version === c.version && components[at]!.vendor === c.vendor) continue;
    if (components === base.components) components = [...base.components];
    if (at === -1) components.push(c);
    else components[at] = c;
  }
  const newProbes = s.probes.filter((p) => !base.probes.includes(p));
  const candidates = retainCandidates(base.candidates, s.candidates);
  const merged: ServiceRecord = {
    ...base,
    probes: newProbes.length === 0 ? base.probes : [...base.probes, ...newProbes],
    components,
    first_seen: base.first_seen <= s.firstSeen ? base.first_seen : s.firstSeen,
    last_seen: base.last_seen >= s.lastSeen ? base.last_seen : s.lastSeen,
    candidates,
  };
  // A rescan usually says what was said before: only timestamps move, nothing to re-rank.
  if (existing && candidates === base.candidates && newProbes.length === 0) return merged;
  return deriveService(merged);
}

function serviceOrder(a: ServiceRecord, b: ServiceRecord): number {
  return a.address.localeCompare(b.address) || a.transport.localeCompare(b.transport) || a.port - b.port;
}

/** The fp.* keys and normalized attributes from the retained claims and the newest MAC's vendor. */
function deriveFingerprint(asset: Asset): Asset {
  const summary = summarize(rankCandidates(asset.candidates));
  const out: Asset = { ...asset, attributes: summary.fp };
  delete out.os;
  delete out.os_version;
  delete out.hw;
  delete out.type;
  if (summary.os) out.os = summary.os;
  if (summary.os_version) out.os_version = summary.os_version;
  if (summary.hw) out.hw = summary.hw;
  if (summary.type) out.type = summary.type;
  const vendor = newestMacVendor(asset.macs);
  if (vendor) out.attributes['fp.mac.vendor'] = vendor;
  return out;
}

function newestMacVendor(macs: MacRecord[]): string | undefined {
  let newest: MacRecord | undefined;
  for (const m of macs) if (!newest || m.last_seen > newest.last_seen) newest = m;
  return newest?.vendor;
}

function mergeMacs(kept: MacRecord[], obs: Observation): MacRecord[] {
  const out = kept.map((m) => ({ ...m }));
  for (const m of obs.macs) {
    const found = out.find((k) => k.mac === m.mac);
    if (found) {
      if (obs.lastSeen > found.last_seen) found.last_seen = obs.lastSeen;
      if (obs.firstSeen < found.first_seen) found.first_seen = obs.firstSeen;
      if (m.vendor) found.vendor = m.vendor;
    } else {
      out.push({ mac: m.mac, ...(m.vendor ? { vendor: m.vendor } : {}), first_seen: obs.firstSeen, last_seen: obs.lastSeen });
    }
  }
  return out;
}

/** The asset after one observation; `id` is used only when `asset` is undefined (a new asset). */
export function mergeObservation(asset: Asset | undefined, obs: Observation, id?: string): Asset {
  // The id hash is only worth computing for a new asset.
  const base: Asset = asset ?? {
    id: id ?? newAssetId(obs.site, obs.evidenceIds[0] ?? obs.ip),
    site: obs.site,
    revision: 0,
    first_seen: obs.firstSeen,
    last_seen: obs.lastSeen,
    alive: true,
    addresses: [],
    macs: [],
    names: [],
    agents: [],
    evidence_count: 0,
    attributes: {},
    services: [],
    candidates: [],
  };
  const addresses = base.addresses.map((a) => ({ ...a }));
  // Only addresses that answered are the asset's; an integration's self-reported IP is an identity.
  const primary = obs.ip !== '' && (obs.answered ?? true);
  const home = !base.site || obs.site === base.site;
  const address = primary ? addresses.find((a) => a.address === obs.ip && (a.site === undefined ? home : a.site === obs.site)) : undefined;
  if (!primary) {
    // nothing to add
  } else if (address) {
    if (obs.lastSeen > address.last_seen) address.last_seen = obs.lastSeen;
    if (obs.firstSeen < address.first_seen) address.first_seen = obs.firstSeen;
  } else {
    addresses.push({ address: obs.ip, ...(home ? {} : { site: obs.site }), first_seen: obs.firstSeen, last_seen: obs.lastSeen });
  }
  const services = [...base.services];
  for (const s of obs.services) {
    const at = services.findIndex((x) => x.address === obs.ip && x.transport === s.transport && x.port === s.port);
    if (at === -1) services.push(mergeService(undefined, obs.ip, s));
    else services[at] = mergeService(services[at], obs.ip, s);
  }
  services.sort(serviceOrder);
  const candidates = retainCandidates(base.candidates, obs.candidates);
  const macs = mergeMacs(base.macs, obs);
  const merged: Asset = {
    ...base,
    first_seen: base.first_seen <= obs.firstSeen ? base.first_seen : obs.firstSeen,
    last_seen: base.last_seen >= obs.lastSeen ? base.last_seen : obs.lastSeen,
    alive: true,
    addresses,
    macs,
    names: obs.names.every((n) => base.names.includes(n)) ? base.names : [...base.names, ...obs.names.filter((n) => !base.names.includes(n))],
    agents: base.agents.includes(obs.agentId) ? base.agents : [...base.agents, obs.agentId],
    evidence_count: base.evidence_count + obs.evidenceIds.length,
    services,
    candidates,
  };
  // The winners only move when the claims do; the MAC vendor key follows the newest MAC.
  if (!asset || candidates !== base.candidates) return deriveFingerprint(merged);
  const vendor = newestMacVendor(macs);
  if (vendor !== merged.attributes['fp.mac.vendor']) {
    merged.attributes = { ...merged.attributes };
    if (vendor === undefined) delete merged.attributes['fp.mac.vendor'];
    else merged.attributes['fp.mac.vendor'] = vendor;
  }
  return merged;
}

/**
 * The asset without an address that now belongs to another device, and without
 * that address's services; with no address left it is no longer alive.
 */
export function releaseAddress(asset: Asset, ip: string, site = asset.site): Asset {
  const addresses = asset.addresses.filter((a) => a.address !== ip || (a.site ?? asset.site) !== site);
  return {
    ...asset,
    addresses,
    services: asset.services.filter((s) => s.address !== ip || addresses.some((a) => a.address === ip)),
    alive: asset.alive && addresses.length > 0,
  };
}

/**
 * The asset as the store keeps it: without what derives from the kept claims
 * (fp.* keys, os/hw/type, service product fields), which is most of its size.
 * `fromStored` derives them again, exactly as the merge did.
 */
export function toStored(asset: Asset): Asset {
  const { attributes: _a, os: _o, os_version: _v, hw: _h, type: _t, ...rest } = asset;
  return {
    ...rest,
    attributes: {},
    services: asset.services.map(({ attributes: _sa, protocol: _p, vendor: _sv, product: _sp, version: _sx, cpe23: _c, ...s }) => ({ ...s, attributes: {} })),
  };
}

export function fromStored(stored: Asset): Asset {
  return deriveFingerprint({ ...stored, services: stored.services.map(deriveService) });
}
