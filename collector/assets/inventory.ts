// The inventory's assets with their identity index, and the update a batch
// makes to them. The update is computed on an overlay and applied only after
// the store has committed it, so a failed commit changes nothing. Which asset
// an observation belongs to is decided in collector/merge/ (keys, policy).
import { diffAssets } from './view.ts';
import { mergeObservation, newAssetId, releaseAddress } from './merge.ts';
import { SextantError } from '../../shared/errors.ts';
import type { Asset, AssetChange, AssetEventKind, Observation } from './types.ts';
import {
  absorbAssets,
  appendLog,
  assetIndexKeys,
  DEFAULT_POLICY,
  indexKey,
  INTEGRATION_SITE,
  recordIdentities,
  resolveObservation,
  splitAsset,
  type MergeIndex,
  type SplitPart,
  type MergeLogEntry,
  type MergePolicy,
} from '../merge/index.ts';

/** Every site's assets: strong keys join sites, so one index serves them all. */
export interface SiteState {
  /** `*` for the whole inventory (what the pipeline keeps); a site name in tests of one site. */
  site: string;
  assets: Map<string, Asset>;
  /** Index key (collector/merge/identity.ts indexKey) -> asset id. */
  keys: Map<string, string>;
  /** Keys found on devices that other keys tell apart: never matched again. */
  shared: Set<string>;
}

export interface ChangedAsset {
  before: Asset | undefined;
  after: Asset;
  changes: AssetChange[];
  /** Undefined when only last_seen-like fields moved: stored, not published. */
  event: AssetEventKind | undefined;
  /** Only last_seen, evidence_count and per-item last_seen moved: the store may write just those. */
  seenOnly: boolean;
  /** Absorbed by a merge into this asset: removed from the store, published as `deleted`. */
  mergedInto?: string;
}

export interface SiteUpdate {
  site: string;
  changed: Map<string, ChangedAsset>;
  /** evidence id -> the asset it was merged into. */
  evidenceAsset: Map<string, string>;
  /** Index entries to set; an id of null removes the entry. */
  keyIndex: Map<string, string | null>;
  shared: Set<string>;
}

export interface PlanOptions {
  policy?: MergePolicy;
}

export function indexSite(site: string, assets: Iterable<Asset>): SiteState {
  const state: SiteState = { site, assets: new Map(), keys: new Map(), shared: new Set() };
  for (const a of assets) {
    state.assets.set(a.id, a);
    for (const key of assetIndexKeys(a)) {
      const holder = state.keys.get(key);
      // A certificate two assets hold is what kept them apart: shared.
      if (holder !== undefined && holder !== a.id && key.startsWith('tls_cert:')) state.shared.add(key);
      state.keys.set(key, a.id);
    }
  }
  return state;
}

/** Merges the observations, in order, into a copy-on-write view of the inventory. */
export function planSiteUpdate(state: SiteState, observations: Observation[], options: PlanOptions = {}): SiteUpdate {
  const policy = options.policy ?? DEFAULT_POLICY;
  const update: SiteUpdate = { site: state.site, changed: new Map(), evidenceAsset: new Map(), keyIndex: new Map(), shared: new Set() };
  const current = (id: string | null | undefined): Asset | undefined => {
    if (id == null) return undefined;
    const entry = update.changed.get(id);
    if (entry) return entry.mergedInto ? undefined : entry.after;
    return state.assets.get(id);
  };
  const lookup = (key: string): string | undefined => {
    const id = update.keyIndex.has(key) ? update.keyIndex.get(key) : state.keys.get(key);
    return id ?? undefined;
  };
  const index: MergeIndex = {
    lookup,
    asset: (id) => current(id),
    isShared: (key) => update.shared.has(key) || state.shared.has(key),
  };
  const put = (asset: Asset, mergedInto?: string) => {
    const prior = update.changed.get(asset.id);
    const entry: ChangedAsset = { before: prior ? prior.before : state.assets.get(asset.id), after: asset, changes: [], event: undefined, seenOnly: false };
    if (mergedInto) entry.mergedInto = mergedInto;
    update.changed.set(asset.id, entry);
  };
  const indexAsset = (asset: Asset) => {
    for (const key of assetIndexKeys(asset)) if (!update.shared.has(key) && !state.shared.has(key)) update.keyIndex.set(key, asset.id);
  };
  for (const obs of observations) {
    const siteless = obs.site === INTEGRATION_SITE;
    const r = resolveObservation(index, policy, obs, siteless ? undefined : obs.site);
    for (const key of r.shared) {
      update.shared.add(key);
      update.keyIndex.set(key, null);
    }
    let target = r.target === undefined ? undefined : current(r.target);
    if (target && r.absorb.length > 0) {
      // The oldest asset keeps its id (then the one with more evidence): ids users saw first stay.
      const group = [target, ...r.absorb.map((m) => current(m.assetId)!).filter(Boolean)].sort(
        (a, b) => a.first_seen.localeCompare(b.first_seen) || b.evidence_count - a.evidence_count || a.id.localeCompare(b.id),
      );
      target = group[0]!;
      const others = group.slice(1);
      const why = r.absorb.map((m) => `${m.kind} ${m.value}`).join(', ');
      const entry: MergeLogEntry = {
        at: obs.lastSeen,
        action: 'merged',
        key: r.absorb[0]!.kind,
        value: r.absorb[0]!.value,
        source: obs.source ?? 'sextant',
        reason: `one device: ${r.matched!.kind} ${r.matched!.value} found ${r.matched!.assetId} and ${why} found ${r.absorb.map((m) => m.assetId).join(', ')} (evidence ${obs.evidenceIds[0] ?? obs.ip})`,
        from: others.map((o) => o.id),
      };
      target = absorbAssets(target, others, entry);
      for (const o of others) {
        put({ ...o, alive: false, merge_log: appendLog(o.merge_log, { at: obs.lastSeen, action: 'merged', reason: `absorbed into ${target.id}`, from: [target.id] }) }, target.id);
        for (const key of assetIndexKeys(o)) if (lookup(key) === o.id) update.keyIndex.set(key, target.id);
      }
    }
    let merged = recordIdentities(mergeObservation(target, obs), obs);
    if (!target) {
      const how = r.refused.length > 0 ? `; not ${r.refused.map((x) => `${x.assetId} by ${x.kind} ${x.value} (${x.reason})`).join(', ')}` : '';
      merged = { ...merged, merge_log: [{ at: obs.firstSeen, action: 'created', source: obs.source ?? 'sextant', reason: `no asset had any key of ${obs.ip || obs.evidenceIds[0]}${how}` }] };
    } else if (r.matched && (merged.sources !== target.sources || merged.sites !== target.sites)) {
      // A new source or site joined: say by which key. Rescans that add nothing log nothing.
      merged = { ...merged, merge_log: appendLog(merged.merge_log, { at: obs.lastSeen, action: 'merged', key: r.matched.kind, value: r.matched.value, source: obs.source ?? 'sextant', reason: `${obs.source ?? 'sextant'} evidence from site ${obs.site} matched by ${r.matched.kind} ${r.matched.value}` }) };
    }
    // An asset first known from an integration alone takes the first real site that sees it as home.
    if (merged.site === INTEGRATION_SITE && !siteless) merged = { ...merged, site: obs.site, sites: [obs.site, ...(merged.sites ?? []).filter((s) => s !== obs.site)] };
    // The address moves to this asset: whoever held it before lets it go.
    if (obs.ip && (obs.answered ?? true)) {
      const ipKey = indexKey('ip', obs.ip, obs.site);
      const holder = current(lookup(ipKey));
      if (holder && holder.id !== merged.id) {
        const released = releaseAddress(holder, obs.ip, obs.site);
        put({ ...released, merge_log: appendLog(holder.merge_log, { at: obs.lastSeen, action: 'address_released', value: obs.ip, reason: `${obs.ip} now answers as ${merged.id}${r.refused.length > 0 ? ` (${r.refused[0]!.reason})` : ''}` }) });
      }
    }
    put(merged);
    indexAsset(merged);
    for (const id of obs.evidenceIds) update.evidenceAsset.set(id, merged.id);
  }
  for (const entry of update.changed.values()) {
    if (entry.mergedInto) {
      entry.changes = [{ field: 'merged_into', before: null, after: entry.mergedInto }];
      entry.event = entry.before ? 'deleted' : undefined;
    } else {
      entry.changes = diffAssets(entry.before, entry.after);
      entry.event = entry.before === undefined ? 'created' : entry.changes.length > 0 ? 'updated' : undefined;
    }
    const revision = (entry.before?.revision ?? 0) + (entry.event ? 1 : 0);
    entry.after = { ...entry.after, revision };
    entry.seenOnly = !entry.mergedInto && entry.before !== undefined && volatileOnly(entry.before, entry.after);
  }
  // Absorbed in the same batch they were created in: never stored, nothing to say.
  for (const [id, entry] of update.changed) if (entry.mergedInto && !entry.before) update.changed.delete(id);
  for (const [eid, id] of update.evidenceAsset) {
    const entry = update.changed.get(id);
    if (entry?.mergedInto) update.evidenceAsset.set(eid, entry.mergedInto);
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
  // Identity timestamps live in the document; a rescan that refreshes them rewrites it.
  if (before.identities !== after.identities || before.sources !== after.sources || before.sites !== after.sites || before.merge_log !== after.merge_log || before.site !== after.site) return false;
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

/** Makes a committed update part of the inventory. */
export function applySiteUpdate(state: SiteState, update: SiteUpdate): void {
  for (const [id, entry] of update.changed) {
    if (entry.mergedInto) state.assets.delete(id);
    else state.assets.set(id, entry.after);
  }
  for (const [key, id] of update.keyIndex) {
    if (id === null) state.keys.delete(key);
    else state.keys.set(key, id);
  }
  for (const key of update.shared) state.shared.add(key);
}

/** The update of a manual command: same shape as a batch's, so the store and events treat it alike. */
function manualUpdate(state: SiteState, changed: Array<{ asset: Asset; mergedInto?: string }>): SiteUpdate {
  const update: SiteUpdate = { site: state.site, changed: new Map(), evidenceAsset: new Map(), keyIndex: new Map(), shared: new Set() };
  for (const { asset, mergedInto } of changed) {
    const before = state.assets.get(asset.id);
    const entry: ChangedAsset = { before, after: asset, changes: [], event: undefined, seenOnly: false };
    if (mergedInto) {
      entry.mergedInto = mergedInto;
      entry.changes = [{ field: 'merged_into', before: null, after: mergedInto }];
      entry.event = 'deleted';
    } else {
      entry.changes = diffAssets(before, asset);
      entry.event = before ? 'updated' : 'created';
    }
    entry.after = { ...asset, revision: (before?.revision ?? 0) + 1 };
    update.changed.set(asset.id, entry);
  }
  for (const { asset, mergedInto } of changed) {
    if (mergedInto) {
      for (const key of assetIndexKeys(asset)) if (state.keys.get(key) === asset.id) update.keyIndex.set(key, mergedInto);
    }
  }
  for (const { asset, mergedInto } of changed) {
    if (mergedInto) continue;
    // A split takes keys away: their entries go before the new holder's are set.
    const before = state.assets.get(asset.id);
    const now = new Set(assetIndexKeys(asset));
    if (before) for (const key of assetIndexKeys(before)) if (!now.has(key) && state.keys.get(key) === asset.id && !update.keyIndex.has(key)) update.keyIndex.set(key, null);
  }
  for (const { asset, mergedInto } of changed) if (!mergedInto) for (const key of assetIndexKeys(asset)) update.keyIndex.set(key, asset.id);
  return update;
}

function existing(state: SiteState, id: string): Asset {
  const asset = state.assets.get(id);
  if (!asset) throw new SextantError('MERGE_ASSET_UNKNOWN', `no asset ${JSON.stringify(id)}`, { field: 'id' });
  return asset;
}

/**
 * `sextant merge ID ID...`: the first asset absorbs the others, whatever their
 * keys say; recorded as manual (later evidence finds the one asset by any of their keys).
 */
export function planManualMerge(state: SiteState, ids: string[], at: string, reason = 'merged by hand'): SiteUpdate {
  const unique = [...new Set(ids)];
  if (unique.length < 2) throw new SextantError('MERGE_REFUSED', 'name at least two different assets to merge', { field: 'id' });
  const [target, ...others] = unique.map((id) => existing(state, id));
  const merged = absorbAssets({ ...target!, no_merge: (target!.no_merge ?? []).filter((id) => !unique.includes(id)) }, others.map((o) => ({ ...o, no_merge: (o.no_merge ?? []).filter((id) => !unique.includes(id)) })), {
    at,
    action: 'manual_merge',
    reason,
    from: others.map((o) => o.id),
  });
  return manualUpdate(state, [
    { asset: merged },
    ...others.map((o) => ({ asset: { ...o, alive: false, merge_log: appendLog(o.merge_log, { at, action: 'manual_merge' as const, reason: `merged by hand into ${target!.id}`, from: [target!.id] }) }, mergedInto: target!.id })),
  ]);
}

/**
 * `sextant split ID --address A | --key KIND:VALUE`: the address (with its
 * services) or the key becomes a new asset, pinned there; the two are never
 * merged again automatically.
 */
export function planManualSplit(state: SiteState, id: string, part: SplitPart, at: string, reason = 'split by hand'): SiteUpdate {
  const asset = existing(state, id);
  if ('address' in part && !asset.addresses.some((a) => a.address === part.address)) {
    throw new SextantError('MERGE_REFUSED', `asset ${id} has no address ${part.address} (it has ${asset.addresses.map((a) => a.address).join(', ') || 'none'})`, { field: 'address' });
  }
  if ('key' in part && !(asset.identities ?? []).some((i) => i.kind === part.key.kind && i.value === part.key.value) && !(part.key.kind === 'mac' && asset.macs.some((m) => m.mac === part.key.value))) {
    throw new SextantError('MERGE_REFUSED', `asset ${id} has no key ${part.key.kind}:${part.key.value} (see sextant asset explain ${id})`, { field: 'key' });
  }
  const newId = newAssetId(asset.site, `split:${id}:${'address' in part ? part.address : `${part.key.kind}:${part.key.value}`}:${at}`);
  const { kept, split } = splitAsset(asset, part, newId, at, reason);
  return manualUpdate(state, [{ asset: kept }, { asset: split }]);
}

export interface ScopeRelease {
  site: string;
  /** The scanned scope: targets minus exclusions. */
  inScope: (ip: string) => boolean;
  /** When the scan started: an address last seen before it did not answer this scan. */
  before: string;
  at: string;
  reason: string;
}

/**
 * A finished scan of a scope: addresses inside it that did not answer leave
 * their assets (runZero ages addresses out this way, never assets). An asset
 * left without addresses is no longer alive; it keeps its keys, so a MAC or
 * host key seen again brings it back. Once per finished task, not per record.
 */
export function planScopeRelease(state: SiteState, scan: ScopeRelease): SiteUpdate {
  const changed: Array<{ asset: Asset }> = [];
  for (const asset of state.assets.values()) {
    const gone = asset.addresses.filter((a) => (a.site ?? asset.site) === scan.site && a.last_seen < scan.before && scan.inScope(a.address));
    if (gone.length === 0) continue;
    let next = asset;
    for (const a of gone) {
      next = releaseAddress(next, a.address, scan.site);
      next = { ...next, merge_log: appendLog(next.merge_log, { at: scan.at, action: 'address_released', value: a.address, reason: `${a.address} did not answer ${scan.reason} (last seen ${a.last_seen})` }) };
    }
    changed.push({ asset: next });
  }
  return manualUpdate(state, changed);
}
