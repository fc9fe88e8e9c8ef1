// Re-merging stored observations from scratch (after a policy change, or for
// the benchmark): the same planner the pipeline runs, batch by batch, over an
// empty inventory. Pure apart from the state it builds and returns.
import { applySiteUpdate, indexSite, planSiteUpdate, type SiteState } from '../assets/inventory.ts';
import type { Observation } from '../assets/types.ts';
import type { MergePolicy } from './types.ts';

export interface RemergeResult {
  state: SiteState;
  observations: number;
  assets: number;
  /** Assets absorbed by merges along the way. */
  absorbed: number;
}

export function remergeObservations(observations: Observation[], options: { policy?: MergePolicy; batch?: number } = {}): RemergeResult {
  const state = indexSite('*', []);
  const size = options.batch ?? 1000;
  for (let i = 0; i < observations.length; i += size) {
    applySiteUpdate(state, planSiteUpdate(state, observations.slice(i, i + size), options.policy ? { policy: options.policy } : {}));
  }
  let absorbed = 0;
  for (const a of state.assets.values()) for (const e of a.merge_log ?? []) if (e.action === 'merged' && e.from) absorbed += e.from.length;
  return { state, observations: observations.length, assets: state.assets.size, absorbed };
}
