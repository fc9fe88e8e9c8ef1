// One site's assets with their MAC and address indexes, and the update a
// batch makes to them. The update is computed on an overlay and applied to the
// site only after the store has committed it, so a failed commit changes nothing.
import { diffAssets } from './view.ts';
import { macKey, mergeObservation, releaseAddress, resolveAsset, type AssetLookup } from './merge.ts';
import type { Asset, AssetChange, AssetEventKind, Observation } from './types.ts';

export interface SiteState {
  site: string;
  assets: Map<string, Asset>;
  /** macKey -> asset id. */
  byMac: Map<string, string>;
  /** address -> asset id; an address belongs to one asset of a site at a time. */
  byIp: Map<string, string>;
}

export interface ChangedAsset {
  before: Asset | undefined;
  after: Asset;
  changes: AssetChange[];
  /** Undefined when only last_seen-like fields moved: stored, not published. */
  event: AssetEventKind | undefined;
  /** Only last_seen, evidence_count and per-item last_seen moved: the store may write just those. */
  seenOnly: boolean;
}

export interface SiteUpdate {
  site: string;
  changed: Map<string, ChangedAsset>;
  /** evidence id -> the asset it was merged into. */
  evidenceAsset: Map<string, string>;
  /** Index entries to set; an id of null removes the entry. */
  macIndex: Map<string, string | null>;
  ipIndex: Map<string, string | null>;
}

export function indexSite(site: string, assets: Iterable<Asset>): SiteState {
  const state: SiteState = { site, assets: new Map(), byMac: new Map(), byIp: new Map() };
  for (const a of assets) {
    state.assets.set(a.id, a);
    for (const m of a.macs) state.byMac.set(macKey(m.mac), a.id);
    for (const x of a.addresses) state.byIp.set(x.address, a.id);
  }
  return state;
}

/** Merges the observations, in order, into a copy-on-write view of the site. */
export function planSiteUpdate(state: SiteState, observations: Observation[]): SiteUpdate {
  const update: SiteUpdate = { site: state.site, changed: new Map(), evidenceAsset: new Map(), macIndex: new Map(), ipIndex: new Map() };
  const current = (id: string | null | undefined): Asset | undefined => {
    if (id == null) return undefined;
    return update.changed.get(id)?.after ?? state.assets.get(id);
  };
  const lookup: AssetLookup = {
    byMac: (key) => current(update.macIndex.has(key) ? update.macIndex.get(key) : state.byMac.get(key)),
    byIp: (ip) => current(update.ipIndex.has(ip) ? update.ipIndex.get(ip) : state.byIp.get(ip)),
  };
  const put = (asset: Asset) => {
    const prior = update.changed.get(asset.id);
    update.changed.set(asset.id, { before: prior ? prior.before : state.assets.get(asset.id), after: asset, changes: [], event: undefined, seenOnly: false });
  };
  for (const obs of observations) {
    const resolution = resolveAsset(lookup, obs);
    const target = resolution.kind === 'new' ? undefined : resolution.asset;
    const merged = mergeObservation(target, obs);
    // The address moves to this asset: whoever held it before lets it go.
    const holder = lookup.byIp(obs.ip);
    if (holder && holder.id !== merged.id) put(releaseAddress(holder, obs.ip));
    put(merged);
    update.ipIndex.set(obs.ip, merged.id);
    for (const m of merged.macs) update.macIndex.set(macKey(m.mac), merged.id);
    for (const id of obs.evidenceIds) update.evidenceAsset.set(id, merged.id);
  }
  for (const entry of update.changed.values()) {
    entry.changes = diffAssets(entry.before, entry.after);
    entry.event = entry.before === undefined ? 'created' : entry.changes.length > 0 ? 'updated' : undefined;
    const revision = (entry.before?.revision ?? 0) + (entry.event ? 1 : 0);
    entry.after = { ...entry.after, revision };
    entry.seenOnly = entry.before !== undefined && volatileOnly(entry.before, entry.after);
  }
  return update;
}

/**
 * True when two versions differ at most in the fields a rescan moves
 * (last_seen, evidence_count, per-address/MAC/service last_seen). Merge keeps
 * unchanged parts by reference, so this is mostly identity checks.
 */
export function volatileOnly(before: Asset, after: Asset): boolean {
  if (before.first_seen !== after.first_seen || before.alive !== after.alive || before.revision !== after.revision) return false;
  if (before.attributes !== after.attributes || before.candidates !== after.candidates || before.names !== after.names || before.agents !== after.agents) return false;
  if (before.addresses.length !== after.addresses.length || before.macs.length !== after.macs.length || before.services.length !== after.services.length) return false;
  for (let i = 0; i < after.addresses.length; i++) {
    const a = after.addresses[i]!;
    const b = before.addresses[i]!;
    if (a.address !== b.address || a.first_seen !== b.first_seen) return false;
  }
  for (let i = 0; i < after.macs.length; i++) {
    const a = after.macs[i]!;
    const b = before.macs[i]!;
    if (a.mac !== b.mac || a.vendor !== b.vendor || a.first_seen !== b.first_seen) return false;
  }
  for (let i = 0; i < after.services.length; i++) {
    const a = after.services[i]!;
    const b = before.services[i]!;
    if (a.address !== b.address || a.transport !== b.transport || a.port !== b.port || a.first_seen !== b.first_seen) return false;
    if (a.candidates !== b.candidates || a.probes !== b.probes || a.components !== b.components || a.attributes !== b.attributes) return false;
  }
  return true;
}

/** Makes a committed update part of the site. */
export function applySiteUpdate(state: SiteState, update: SiteUpdate): void {
  for (const [id, entry] of update.changed) state.assets.set(id, entry.after);
  for (const [key, id] of update.macIndex) {
    if (id === null) state.byMac.delete(key);
    else state.byMac.set(key, id);
  }
  for (const [ip, id] of update.ipIndex) {
    if (id === null) state.byIp.delete(ip);
    else state.byIp.set(ip, id);
  }
}
