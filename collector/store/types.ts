// What the pipeline needs from a store: small enough that PostgreSQL can
// implement it later. Methods are async for that reason, even where SQLite is not.
import type { Asset } from '../assets/index.ts';
import type { Evidence } from '../../shared/types.ts';

/**
 * An event waiting to be published, written in the same transaction as the
 * change it announces. The asset itself is not repeated here: the publisher
 * gets it from memory, or after a restart from the assets table.
 */
export interface OutboxMessage {
  /** Set by the store. */
  seq?: number;
  subject: string;
  /** Nats-Msg-Id: stable across retries, so a republish is a no-op for JetStream. */
  msgId: string;
  assetId: string;
  /** JSON of {event, site, changes}. */
  envelope: string;
}

export interface BatchWrite {
  batchId: string;
  agentId: string;
  site: string;
  receivedAt: string;
  evidence: Array<{ record: Evidence; assetId: string | undefined }>;
  /**
   * Every asset the batch changed, with the version it replaces. `seenOnly`:
   * only last_seen-like fields moved, so a store may write just those.
   */
  assets: Array<{ asset: Asset; previous: Asset | undefined; seenOnly?: boolean }>;
  /** Assets a merge absorbed: removed, their evidence now points at `into`. */
  deleted?: Array<{ id: string; into: string }>;
  outbox: OutboxMessage[];
  /** Outbox entries JetStream has acknowledged since the last commit; deleted in this transaction. */
  published?: number[];
}

export interface CommitResult {
  stored: number;
  duplicates: number;
}

export interface StoredEvidence extends Evidence {
  batchId: string;
  assetId?: string;
  receivedAt: string;
}

/** A fingerprint improvement submission (`sextant improve`). */
export interface Improvement {
  id: string;
  asset_id: string;
  site: string;
  submitted_at: string;
  type?: string;
  os?: string;
  hw?: string;
  comment?: string;
  /** The asset's view when it was submitted, JSON. */
  asset: string;
}

export interface SearchOptions {
  /** Anchors relative times (`last_seen:<2weeks`); default: the current time. */
  now?: Date;
}

export interface SearchPage {
  assets: Asset[];
  /** Cursor of the next page; absent on the last. */
  next?: string;
  /** Assets matching in all (unless asked not to count). */
  total: number | undefined;
}

export interface Store {
  readonly kind: string;
  /** Which of these evidence ids the log already holds. */
  knownEvidence(ids: string[]): Promise<Set<string>>;
  /** Every asset of a site, as last committed. */
  loadSite(site: string): Promise<Asset[]>;
  /** All of it in one transaction; resolves after the commit. A record already logged is a duplicate, not an error. */
  commitBatch(write: BatchWrite): Promise<CommitResult>;
  listAssets(site?: string): Promise<Asset[]>;
  getAsset(id: string): Promise<Asset | undefined>;
  /** The evidence log in arrival order, for replays and tests. */
  readEvidence(options?: { assetId?: string; afterSeq?: number; limit?: number }): Promise<Array<StoredEvidence & { seq: number }>>;
  evidenceCount(): Promise<number>;
  /** One page of the assets matching a runZero-style query (SEARCH_SYNTAX on a bad one), in a stable order. */
  searchAssets(query: string, opts: SearchOptions & { limit: number; cursor?: string | undefined; total?: boolean }): Promise<SearchPage>;
  /** Every matching asset, read page by page: never all in memory. */
  streamAssets(query: string, opts?: SearchOptions): AsyncIterable<Asset>;
  countAssets(query: string, opts?: SearchOptions): Promise<number>;
  /** The fp.* keys assets hold (lower case, services' fp.service.* left out), sorted. */
  attributeKeys(): Promise<string[]>;
  /** Outbox entries in order, after `afterSeq` (those already sent but not yet deleted are skipped that way). */
  pendingMessages(limit: number, afterSeq?: number): Promise<OutboxMessage[]>;
  deleteMessages(seqs: number[]): Promise<void>;
  /** Records a submission; false when one with this id exists already. */
  addImprovement(improvement: Improvement): Promise<boolean>;
  listImprovements(): Promise<Improvement[]>;
  close(): Promise<void>;
}
