// Assets: evidence -> fingerprint claims -> per-address observations -> assets
// of a site, and what changed. Everything here is pure.
export type {
  AddressRecord,
  Asset,
  AssetChange,
  AssetEvent,
  AssetEventKind,
  AssetView,
  MacObservation,
  MacRecord,
  Observation,
  ServiceComponent,
  ServiceObservation,
  ServiceRecord,
  ServiceTransport,
  ServiceView,
} from './types.ts';
export { fingerprintEvidence, memoizedRecog, OS_PROBES_KEY, type EvidenceFingerprint, type Matchers, type RecogMatch, type RecogMatcher } from './fingerprint.ts';
export { buildObservations } from './observe.ts';
export { fromStored, macKey, mergeObservation, newAssetId, releaseAddress, toStored } from './merge.ts';
export { assetView, diffAssets, serviceView } from './view.ts';
export { applySiteUpdate, indexSite, planManualMerge, planManualSplit, planScopeRelease, planSiteUpdate, type ScopeRelease, volatileOnly, type ChangedAsset, type PlanOptions, type SiteState, type SiteUpdate } from './inventory.ts';
