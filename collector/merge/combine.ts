// What merging does to assets: identities and sources recorded on an asset,
// two assets of one device combined into one, an asset split in two, the
// merge log. Pure: inputs are never modified.
import { fromStored } from '../assets/merge.ts';
import type { AddressRecord, Asset, MacRecord, Observation, ServiceRecord } from '../assets/types.ts';
import { indexKey, INTEGRATION_SITE, macKey, SITE_SCOPED } from './identity.ts';
import { observationClaims } from './resolve.ts';
import type { AssetIdentity, IdentityKind, MergeLogEntry } from './types.ts';

/** The log keeps the newest entries; the first (how the asset was created) always stays. */
export const MERGE_LOG_LIMIT = 64;
/** Identity last_seen is refreshed when a week behind: at most that stale, never a whole-document write per rescan. */
export const IDENTITY_SEEN_STEP_MS = 7 * 24 * 3600 * 1000;

export function appendLog(log: MergeLogEntry[] | undefined, entry: MergeLogEntry): MergeLogEntry[] {
  const out = [...(log ?? []), entry];
  if (out.length > MERGE_LOG_LIMIT) out.splice(1, out.length - MERGE_LOG_LIMIT);
  return out;
}

function union<T>(a: T[] | undefined, b: T[] | undefined): T[] {
  const out = [...(a ?? [])];
  for (const x of b ?? []) if (!out.includes(x)) out.push(x);
  return out;
}

/**
 * Records the observation's identities, source and site on the asset it was
 * merged into. Returns the same arrays when nothing is new, so a rescan that
 * says the same keys changes nothing but timestamps.
 */
export function recordIdentities(asset: Asset, obs: Observation): Asset {
  const source = obs.source ?? 'sextant';
  const claims = observationClaims(obs);
  const kept = asset.identities ?? [];
  let identities = kept;
  for (const c of claims) {
    const at = identities.findIndex((i) => i.kind === c.kind && i.value === c.value);
    if (at !== -1) {
      const i = identities[at]!;
      // last_seen moves in steps of a week: refreshing it on every rescan would rewrite the whole
      // stored document where only timestamps change (see volatileOnly and the store's `seen`).
      if (i.first_seen <= obs.firstSeen && Date.parse(obs.lastSeen) - Date.parse(i.last_seen) < IDENTITY_SEEN_STEP_MS) continue;
      if (identities === kept) identities = [...kept];
      identities[at] = { ...i, first_seen: i.first_seen <= obs.firstSeen ? i.first_seen : obs.firstSeen, last_seen: i.last_seen >= obs.lastSeen ? i.last_seen : obs.lastSeen };
      continue;
    }
    if (identities === kept) identities = [...kept];
    const entry: AssetIdentity = { kind: c.kind, value: c.value, source, first_seen: obs.firstSeen, last_seen: obs.lastSeen };
    if (c.randomized) entry.randomized = true;
    if (c.domain) entry.domain = c.domain;
    if (SITE_SCOPED.has(c.kind) && obs.site !== INTEGRATION_SITE) entry.site = obs.site;
    identities.push(entry);
  }
  const sources = asset.sources?.includes(source) ? asset.sources : [...(asset.sources ?? []), source];
  const sites = asset.sites ?? [asset.site];
  const withSite = obs.site && obs.site !== INTEGRATION_SITE && !sites.includes(obs.site) ? [...sites, obs.site] : sites;
  if (identities === asset.identities && sources === asset.sources && withSite === asset.sites) return asset;
  return { ...asset, identities, sources, sites: withSite };
}

function earlier(a: string, b: string): string {
  return a <= b ? a : b;
}

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

function byKey<T>(items: T[], key: (x: T) => string, combine: (a: T, b: T) => T): T[] {
  const map = new Map<string, T>();
  for (const x of items) {
    const k = key(x);
    const prior = map.get(k);
    map.set(k, prior ? combine(prior, x) : x);
  }
  return [...map.values()];
}

/**
 * One asset from several of the same device: `target` keeps its id and home
 * site; everything the others knew is added; the derived fields are ranked again.
 */
export function absorbAssets(target: Asset, others: Asset[], entry: MergeLogEntry): Asset {
  let out: Asset = { ...target };
  for (const o of others) {
    const addresses = byKey<AddressRecord>([...out.addresses, ...o.addresses.map((a) => (o.site !== out.site && !a.site ? { ...a, site: o.site } : a))], (a) => `${a.site ?? out.site}|${a.address}`, (a, b) => ({ ...a, first_seen: earlier(a.first_seen, b.first_seen), last_seen: later(a.last_seen, b.last_seen) }));
    const macs = byKey<MacRecord>([...out.macs, ...o.macs], (m) => m.mac, (a, b) => ({ ...a, ...(a.vendor ?? b.vendor ? { vendor: (a.vendor ?? b.vendor)! } : {}), first_seen: earlier(a.first_seen, b.first_seen), last_seen: later(a.last_seen, b.last_seen) }));
    const services = byKey<ServiceRecord>([...out.services, ...o.services], (s) => `${s.address}|${s.transport}|${s.port}`, (a, b) => ({
      ...a,
      probes: union(a.probes, b.probes),
      candidates: [...a.candidates, ...b.candidates.filter((c) => !a.candidates.some((x) => x.source === c.source && x.category === c.category))],
      first_seen: earlier(a.first_seen, b.first_seen),
      last_seen: later(a.last_seen, b.last_seen),
    }));
    const identities = byKey<AssetIdentity>([...(out.identities ?? []), ...(o.identities ?? [])], (i) => `${i.kind}|${i.value}`, (a, b) => ({ ...a, first_seen: earlier(a.first_seen, b.first_seen), last_seen: later(a.last_seen, b.last_seen) }));
    // One claim per (category, source): the newer of the two.
    const candidates = byKey([...out.candidates, ...o.candidates], (c) => `${c.category}|${c.source}`, (a, b) => b);
    out = {
      ...out,
      first_seen: earlier(out.first_seen, o.first_seen),
      last_seen: later(out.last_seen, o.last_seen),
      alive: out.alive || o.alive,
      addresses,
      macs,
      names: union(out.names, o.names),
      agents: union(out.agents, o.agents),
      evidence_count: out.evidence_count + o.evidence_count,
      services,
      candidates,
      identities,
      sources: union(out.sources ?? ['sextant'], o.sources ?? ['sextant']),
      sites: union(out.sites ?? [out.site], o.sites ?? [o.site]),
      pins: union(out.pins, o.pins),
      no_merge: union(out.no_merge, o.no_merge).filter((id) => id !== target.id && !others.some((x) => x.id === id)),
      merge_log: [...(out.merge_log ?? [])],
    };
    // The absorbed asset's own history follows it, marked as such.
    for (const e of o.merge_log ?? []) out.merge_log!.push({ ...e, reason: `[${o.id}] ${e.reason}` });
  }
  out.merge_log = appendLog(out.merge_log!.sort((a, b) => a.at.localeCompare(b.at)), entry);
  if (out.no_merge!.length === 0) delete out.no_merge;
  if (out.pins!.length === 0) delete out.pins;
  out.services.sort((a, b) => a.address.localeCompare(b.address) || a.transport.localeCompare(b.transport) || a.port - b.port);
  return fromStored(out);
}

export type SplitPart = { address: string } | { key: { kind: string; value: string } };

/**
 * Cuts an address (with its services) or an identity key (a MAC takes its
 * MAC record with it) out of an asset into a new one; both remember never to merge again.
 */
export function splitAsset(asset: Asset, part: SplitPart, newId: string, at: string, reason: string): { kept: Asset; split: Asset } {
  const takeAddress = (a: AddressRecord) => 'address' in part && a.address === part.address;
  const takeIdentity = (i: AssetIdentity) => 'key' in part && i.kind === part.key.kind && (i.value === part.key.value || (i.kind === 'mac' && macKey(i.value) === macKey(part.key.value)));
  const takeMac = (m: MacRecord) => 'key' in part && part.key.kind === 'mac' && macKey(m.mac) === macKey(part.key.value.toLowerCase());
  const addresses = asset.addresses.filter(takeAddress);
  const services = asset.services.filter((s) => addresses.some((a) => a.address === s.address));
  const identities = (asset.identities ?? []).filter(takeIdentity);
  const macs = asset.macs.filter(takeMac);
  const what = 'address' in part ? `address ${part.address}` : `${part.key.kind} ${part.key.value}`;
  const keptEntry: MergeLogEntry = { at, action: 'manual_split', reason: `${what} split off into ${newId}: ${reason}`, from: [newId] };
  const splitEntry: MergeLogEntry = { at, action: 'manual_split', reason: `split off ${asset.id} (${what}): ${reason}`, from: [asset.id] };
  if ('key' in part) Object.assign(keptEntry, { key: part.key.kind, value: part.key.value }), Object.assign(splitEntry, { key: part.key.kind, value: part.key.value });
  const kept: Asset = fromStored({
    ...asset,
    addresses: asset.addresses.filter((a) => !takeAddress(a)),
    services: asset.services.filter((s) => !services.includes(s)),
    identities: (asset.identities ?? []).filter((i) => !takeIdentity(i)),
    macs: asset.macs.filter((m) => !takeMac(m)),
    no_merge: union(asset.no_merge, [newId]),
    merge_log: appendLog(asset.merge_log, keptEntry),
  });
  if ('address' in part) kept.pins = (asset.pins ?? []).filter((p) => p !== indexKey('ip', part.address, asset.site));
  kept.alive = asset.alive && kept.addresses.length > 0;
  const first = [...addresses.map((a) => a.first_seen), ...identities.map((i) => i.first_seen), ...macs.map((m) => m.first_seen)].sort()[0] ?? at;
  const last = [...addresses.map((a) => a.last_seen), ...identities.map((i) => i.last_seen), ...macs.map((m) => m.last_seen)].sort().at(-1) ?? at;
  const split: Asset = fromStored({
    id: newId,
    site: asset.site,
    revision: 0,
    first_seen: first,
    last_seen: last,
    alive: addresses.length > 0,
    addresses,
    macs,
    names: [],
    agents: [],
    evidence_count: 0,
    attributes: {},
    services,
    candidates: [],
    sources: asset.sources ?? ['sextant'],
    sites: [asset.site],
    identities,
    merge_log: [splitEntry],
    no_merge: [asset.id],
    pins: 'address' in part ? [indexKey('ip', part.address, asset.site)] : part.key.kind === 'ip' ? [] : [indexKey(part.key.kind as IdentityKind, part.key.value, asset.site)],
  });
  return { kept, split };
}
