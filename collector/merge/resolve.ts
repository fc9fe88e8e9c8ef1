// Which asset an observation is about, and why: each matchable key of the
// observation (in order of strength) looks up the identity index; a found
// asset is taken unless a conflicting key breaks the match (policy). Several
// assets found by agreeing keys are one device seen in parts: they merge.
// Pure: the index is read through the MergeIndex interface, nothing is changed.
import type { Asset, Observation } from '../assets/types.ts';
import { indexKey, macClaim, NAME_KINDS, shortName, SITE_SCOPED } from './identity.ts';
import { sourcePolicy } from './policy.ts';
import { IDENTITY_KINDS, type IdentityClaim, type IdentityKind, type KeyRule, type MergePolicy } from './types.ts';

export interface MergeIndex {
  /** Asset id holding an index key. */
  lookup(key: string): string | undefined;
  asset(id: string): Asset | undefined;
  /** Keys seen on devices that other keys tell apart (a vendor's default certificate). */
  isShared(key: string): boolean;
}

export interface KeyMatch {
  key: string;
  kind: IdentityKind;
  value: string;
  assetId: string;
}

export interface Resolution {
  /** The asset to merge into; undefined: a new asset. */
  target?: string;
  /** How the target was found. */
  matched?: KeyMatch;
  /** Other assets the observation proves are the same device, merged into the target. */
  absorb: Array<KeyMatch>;
  /** Matches a conflicting key refused, with the conflict. */
  refused: Array<KeyMatch & { reason: string }>;
  /** Keys that turned out to be on more than one device. */
  shared: string[];
}

/** All of an observation's identities, MACs included. */
export function observationClaims(obs: Observation): IdentityClaim[] {
  const out: IdentityClaim[] = obs.macs.map((m) => macClaim(m.mac));
  for (const c of obs.identities ?? []) out.push(c);
  return out;
}

/** An asset's values of one kind that may break a match (randomized MACs never do). */
function valuesOf(asset: Asset, kind: IdentityKind): string[] {
  const out: string[] = [];
  for (const i of asset.identities ?? []) if (i.kind === kind && !i.randomized) out.push(comparable(kind, i.value));
  // Assets stored before identities existed still have their MACs.
  if (kind === 'mac' && asset.identities === undefined) for (const m of asset.macs) if (!macClaim(m.mac).randomized) out.push(m.mac);
  return out;
}

function comparable(kind: IdentityKind, value: string): string {
  return NAME_KINDS.has(kind) ? shortName(value) : value;
}

/** Integration ids conflict only within one product: `intune:a` vs `intune:b`, not `intune:a` vs `azuread:x`. */
function disjoint(kind: IdentityKind, ours: string[], theirs: string[]): boolean {
  if (ours.length === 0 || theirs.length === 0) return false;
  if (kind === 'integration_id') {
    const ns = (v: string) => v.slice(0, v.indexOf(':'));
    return ours.some((o) => {
      const same = theirs.filter((t) => ns(t) === ns(o));
      return same.length > 0 && !same.includes(o);
    }) && !ours.some((o) => theirs.includes(o));
  }
  return !ours.some((o) => theirs.includes(o));
}

/** The first kind on which the two sides disagree, per the rule. */
export function breakingKind(rule: KeyRule, ours: (k: IdentityKind) => string[], theirs: (k: IdentityKind) => string[]): IdentityKind | undefined {
  for (const kind of rule.breakOn) if (disjoint(kind, ours(kind), theirs(kind))) return kind;
  return undefined;
}

function refusedBy(a: Asset | undefined, b: Asset | undefined): boolean {
  if (!a || !b) return false;
  return (a.no_merge ?? []).includes(b.id) || (b.no_merge ?? []).includes(a.id);
}

/** Index keys of a claim for a lookup: a site-less integration record looks names up across sites (`*`). */
export function claimKey(claim: IdentityClaim, site: string | undefined): string {
  return indexKey(claim.kind, claim.value, SITE_SCOPED.has(claim.kind) ? site : undefined);
}

const ORDER = new Map(IDENTITY_KINDS.map((k, i) => [k, i]));

/**
 * The observation's site is `undefined` for integration records imported without
 * a site: their names then match any site's (a managed laptop is the same laptop everywhere).
 */
export function resolveObservation(index: MergeIndex, policy: MergePolicy, obs: Observation, site: string | undefined): Resolution {
  const rules = sourcePolicy(policy, obs.source ?? 'sextant');
  const claims = observationClaims(obs);
  const mine = new Map<IdentityKind, string[]>();
  for (const c of claims) {
    if (c.randomized) continue;
    const list = mine.get(c.kind) ?? [];
    list.push(comparable(c.kind, c.value));
    mine.set(c.kind, list);
  }
  const ours = (k: IdentityKind) => mine.get(k) ?? [];
  const keys: Array<{ claim: IdentityClaim; rule: KeyRule }> = [];
  for (const c of claims) {
    const rule = rules[c.kind];
    // Randomized MACs do not merge devices.
    if (!rule?.match || c.randomized) continue;
    keys.push({ claim: c, rule });
  }
  const answered = obs.answered ?? true;
  const ipRule = rules.ip;
  if (obs.ip && answered && ipRule?.match) keys.push({ claim: { kind: 'ip', value: obs.ip }, rule: ipRule });
  keys.sort((a, b) => ORDER.get(a.claim.kind)! - ORDER.get(b.claim.kind)!);

  const out: Resolution = { absorb: [], refused: [], shared: [] };
  // A manual split pinned some keys (an address, a MAC) to an asset: that decision wins.
  for (const { claim } of keys) {
    const key = claimKey(claim, site);
    const pinned = index.lookup(`pin:${key}`);
    const asset = pinned === undefined ? undefined : index.asset(pinned);
    if (asset) return { ...out, target: asset.id, matched: { key, kind: claim.kind, value: claim.value, assetId: asset.id } };
  }
  let target: Asset | undefined;
  const group: Asset[] = [];
  for (const { claim, rule } of keys) {
    const key = claimKey(claim, site);
    if (index.isShared(key)) continue;
    // The IP is only a fallback: an address says nothing once a stronger key has spoken.
    if (claim.kind === 'ip' && target) continue;
    const id = index.lookup(key);
    if (id === undefined || group.some((a) => a.id === id)) continue;
    const asset = index.asset(id);
    if (!asset) continue;
    const match: KeyMatch = { key, kind: claim.kind, value: claim.value, assetId: id };
    const against = (k: IdentityKind) => valuesOf(asset, k);
    let broken = breakingKind(rule, ours, against);
    // The device found must also agree with every asset already taken.
    if (!broken) for (const other of group) broken ??= breakingKind(rule, (k) => valuesOf(other, k), against);
    if (!broken && group.some((other) => refusedBy(other, asset))) {
      out.refused.push({ ...match, reason: 'kept apart by a manual split' });
      continue;
    }
    if (broken) {
      out.refused.push({ ...match, reason: `${broken} differs` });
      // A certificate on two devices that other keys tell apart identifies neither.
      if (claim.kind === 'tls_cert') out.shared.push(key);
      continue;
    }
    group.push(asset);
    if (!target) {
      target = asset;
      out.matched = match;
    } else out.absorb.push(match);
  }
  if (target) out.target = target.id;
  return out;
}
