// The merge stage (pure): identity keys of evidence, the policy as data, which
// asset an observation is about and why, and what merging/splitting does to assets.
export * from './types.ts';
export { assetIndexKeys, identitiesOfFacts, indexKey, INTEGRATION_SITE, macClaim, macKey, NAME_KINDS, shortName, SITE_SCOPED } from './identity.ts';
export { DEFAULT_POLICY, loadPolicy, sourcePolicy } from './policy.ts';
export { breakingKind, claimKey, observationClaims, resolveObservation, type KeyMatch, type MergeIndex, type Resolution } from './resolve.ts';
export { absorbAssets, appendLog, IDENTITY_SEEN_STEP_MS, MERGE_LOG_LIMIT, recordIdentities, splitAsset, type SplitPart } from './combine.ts';
