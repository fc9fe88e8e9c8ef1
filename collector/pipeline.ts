// The collector's pipeline, stage by stage: validate -> drop known evidence ->
// fingerprint -> observe -> merge -> store (one transaction, outbox included)
// -> publish. Stages are pure functions; the store and the publisher sit
// behind small interfaces. Batches run one at a time, so merges never race.
import { componentLogger, type Logger } from '../shared/logging.ts';
import type { Evidence } from '../shared/types.ts';
import { refingerprintAsset } from './assets/refingerprint.ts';
import {
  applySiteUpdate,
  assetView,
  assetViewJson,
  buildObservations,
  fingerprintEvidence,
  indexSite,
  memoizedRecog,
  planSiteUpdate,
  type AssetChange,
  type AssetEvent,
  type Asset,
  type AssetView,
  type ChangedAsset,
  planScopeRelease,
  type EvidenceFingerprint,
  type SiteUpdate,
  type Matchers,
  type SiteState,
} from './assets/index.ts';
import type { RecogEngine } from './fingerprint/index.ts';
import type { OsDb } from './fingerprint/os/index.ts';
import { DEFAULT_LIMITS, validateBatch, type IngestLimits } from './ingest/index.ts';
import type { OuiTable } from './oui/index.ts';
import { assetSubject, DEFAULT_SUBJECT_PREFIX, type Publisher } from './publish/index.ts';
import type { BatchWrite, OutboxMessage, Store } from './store/index.ts';
import { SextantError } from '../shared/errors.ts';
import type { MergePolicy } from './merge/index.ts';
import type { ScanFinished } from './server/types.ts';
import { parseTargets } from '../agent/scope/targets.ts';
import { diffAssets } from './assets/view.ts';

export { openSqliteStore } from './store/index.ts';
export { connectPublisher, createMemoryPublisher, createNoopPublisher } from './publish/index.ts';
export { isPermanentRejection } from './ingest/index.ts';
export type { AssetView, AssetEvent } from './assets/index.ts';
export type { Store } from './store/index.ts';
export type { Publisher } from './publish/index.ts';

export interface IngestBatch {
  batchId: string;
  agentId: string;
  site: string;
  records: Evidence[];
}

export interface IngestOptions {
  /** Limits for this batch instead of the pipeline's (imports are one large batch). */
  limits?: IngestLimits;
  /** Records keep their own agentId (imports of evidence files); otherwise each must be the batch's. */
  anyAgent?: boolean;
  /** Also count the assets created and updated (imports report them). */
  counts?: boolean;
}

export interface IngestResult {
  stored: number;
  duplicates: number;
  /** With `counts`: assets this batch created, and those it changed enough to announce. */
  created?: number;
  updated?: number;
}

export interface RefingerprintOptions {
  /** Which assets to replay (all when absent). */
  select?: (view: AssetView) => boolean;
  site?: string;
}

export interface RefingerprintResult {
  examined: number;
  evidence: number;
  updated: number;
  /** The changes per updated asset id. */
  changes: Map<string, AssetChange[]>;
}

/** Membership in a task's scope: its targets minus its exclusions (the agent's own parser). */
export function scopeOf(scan: Pick<ScanFinished, 'targets' | 'exclude'>): (ip: string) => boolean {
  const targets = parseTargets(scan.targets);
  const exclude = scan.exclude.length > 0 ? parseTargets(scan.exclude) : undefined;
  if (!targets.ok) return () => false;
  return (ip) => targets.set.contains(ip) && !(exclude?.ok && exclude.set.contains(ip));
}

/** The event of one changed asset, or nothing to publish. */
export function assetEvent(entry: ChangedAsset, prefix: string): { message: OutboxMessage; body: string } | undefined {
  if (!entry.event) return undefined;
  // An asset's events go to its home site, which a merge across sites may make another than the batch's.
  const site = entry.after.site;
  const msgId = `${entry.after.id}:${entry.after.revision}`;
  // JSON.stringify of the AssetEvent { event, site, asset: assetView(after), changes }, assembled
  // from parts so the envelope (the same without the asset) shares the serialization of the changes.
  const head = `{"event":${JSON.stringify(entry.event)},"site":${JSON.stringify(site)}`;
  const changes = `"changes":${JSON.stringify(entry.changes)}}`;
  return {
    message: { subject: assetSubject(site, entry.event, prefix), msgId, assetId: entry.after.id, envelope: `${head},${changes}` },
    body: `${head},"asset":${assetViewJson(entry.after)},${changes}`,
  };
}

/** What a manual merge or split writes: its assets and events, no evidence. */
export function manualWrite(update: SiteUpdate, at: string, outbox: OutboxMessage[]): BatchWrite {
  return {
    batchId: `manual:${at}:${[...update.changed.keys()].join(',').slice(0, 120)}`,
    agentId: 'manual',
    site: update.site,
    receivedAt: at,
    evidence: [],
    assets: [...update.changed.values()].filter((e) => !e.mergedInto).map((e) => ({ asset: e.after, previous: e.before, seenOnly: false })),
    deleted: [...update.changed.values()].filter((e) => e.mergedInto).map((e) => ({ id: e.after.id, into: e.mergedInto! })),
    outbox,
  };
}

/**
 * A manual merge or split straight on a store (`sextant merge --db`): the
 * events go to the outbox, which the collector publishes when it next runs.
 * While a collector runs on the same file, use its API (Pipeline.adjust) instead.
 */
export async function adjustStore(store: Store, plan: (state: SiteState) => SiteUpdate, options: { prefix?: string; now?: Date } = {}): Promise<SiteUpdate> {
  const state = indexSite(ALL_SITES, await store.listAssets());
  const update = plan(state);
  const outbox = [...update.changed.values()].flatMap((e) => assetEvent(e, options.prefix ?? DEFAULT_SUBJECT_PREFIX)?.message ?? []);
  await store.commitBatch(manualWrite(update, (options.now ?? new Date()).toISOString(), outbox));
  return update;
}

export interface Pipeline {
  /** The store behind it: read paths such as the search API, and tables outside the pipeline's own flow (improvement submissions). */
  readonly store: Store;
  /** A finished scan: in-scope addresses that did not answer leave their assets (in turn with batches). */
  scanFinished(scan: ScanFinished): Promise<SiteUpdate>;
  /** A manual merge or split, in turn with the batches; resolves after commit (events published like a batch's). */
  adjust(plan: (state: SiteState) => SiteUpdate): Promise<SiteUpdate>;
  /** Validates, stores (one transaction), fingerprints, merges and publishes. Resolves only after commit. */
  ingest(batch: IngestBatch, options?: IngestOptions): Promise<IngestResult>;
  /**
   * Replays each selected asset's stored evidence through the current engine
   * and stores (one transaction) and publishes `updated` for those whose
   * fingerprints changed; unchanged assets are not written and raise no event.
   */
  refingerprint(options?: RefingerprintOptions): Promise<RefingerprintResult>;
  assets(site?: string): Promise<AssetView[]>;
  /** One asset as stored, with its keys and merge log (after the batches before the call). */
  asset(id: string): Promise<Asset | undefined>;
  /** Waits for running batches, tries once more to publish, then closes the store and the publisher. */
  close(): Promise<void>;
}

export interface PipelineOptions {
  store: Store;
  publisher: Publisher;
  engine: RecogEngine;
  osDb?: OsDb | undefined;
  oui?: OuiTable | undefined;
  logger?: Logger | undefined;
  limits?: IngestLimits;
  subjectPrefix?: string;
  /** After a failed publish, how long ingest stops waiting for NATS (events stay in the outbox). */
  publishRetryMs?: number;
  /** Remembered Recog results by (key, value); 0 turns the memo off. */
  recogMemoSize?: number;
  now?: () => number;
  /** Which keys may match and break per source (collector/merge/policy.ts); default DEFAULT_POLICY. */
  mergePolicy?: MergePolicy;
}

/** Strong keys join sites, so the pipeline keeps one state for the whole inventory. */
const ALL_SITES = '*';

const OUTBOX_PAGE = 1000;
/** Batches planned (merged in memory) ahead of the one being committed. */
const MAX_AHEAD = 2;
/** Bodies held in memory for publishing; beyond this they are rebuilt from the store. */
const MAX_HELD_BODIES = 20_000;

export function createPipeline(opts: PipelineOptions): Pipeline {
  const child = (component: string) => (opts.logger ? opts.logger.child({ component }) : componentLogger(component));
  const log = { pipeline: child('pipeline'), ingest: child('ingest'), fingerprint: child('fingerprint'), merge: child('merge'), store: child('store'), publish: child('publish') };
  const now = opts.now ?? Date.now;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const importLimits: IngestLimits = { ...limits, maxRecords: Math.max(limits.maxRecords, 1_000_000), maxBatchChars: Math.max(limits.maxBatchChars, 1024 * 1024 * 1024) };
  const prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const retryMs = opts.publishRetryMs ?? 5000;
  const recog = opts.recogMemoSize === 0 ? (key: string, value: string) => opts.engine.matchEach(key, value) : memoizedRecog(opts.engine, opts.recogMemoSize);
  const matchers: Matchers = { recog, osDb: opts.osDb, oui: opts.oui };
  const { store, publisher } = opts;
  const durableEvents = publisher.kind !== 'none';
  const sites = new Map<string, Promise<SiteState>>();
  let queue: Promise<unknown> = Promise.resolve();
  let draining: Promise<void> = Promise.resolve();
  let publishPausedUntil = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const siteState = (site: string): Promise<SiteState> => {
    let state = sites.get(site);
    if (!state) {
      state = (site === ALL_SITES ? store.listAssets() : store.loadSite(site)).then((assets) => indexSite(site, assets));
      // A failed load is retried by the next batch rather than cached.
      state.catch(() => sites.delete(site));
      sites.set(site, state);
    }
    return state;
  };

  // Event bodies of this process, by msgId, until published; the outbox only keeps the envelope.
  const bodies = new Map<string, string>();

  /**
   * An event left by an earlier run, or dropped from memory while NATS was
   * down for long: the asset as stored now, which may be a later revision than
   * the one that raised the event (the msgId still names that revision).
   */
  const rebuildBody = async (m: OutboxMessage): Promise<string> => {
    const envelope = JSON.parse(m.envelope) as Omit<AssetEvent, 'asset'>;
    const asset = await store.getAsset(m.assetId);
    return JSON.stringify({ event: envelope.event, site: envelope.site, asset: asset ? assetView(asset) : { id: m.assetId }, changes: envelope.changes });
  };

  // Acknowledged outbox entries are deleted by the next batch's transaction
  // (one disk sync instead of two); a crash before then only resends them, and
  // JetStream drops the repeats by Nats-Msg-Id.
  let published: number[] = [];
  let lastSent = 0;

  /** One run at a time; each run empties the outbox or stops at the first failure. */
  const drainOutbox = (): Promise<void> => {
    draining = draining.then(async () => {
      for (;;) {
        const page = await store.pendingMessages(OUTBOX_PAGE, lastSent);
        if (page.length === 0) return;
        try {
          const messages = await Promise.all(page.map(async (m) => ({ subject: m.subject, msgId: m.msgId, body: bodies.get(m.msgId) ?? (await rebuildBody(m)) })));
          const outcome = await publisher.publish(messages);
          for (const m of page) bodies.delete(m.msgId);
          log.publish.debug({ ...outcome }, 'asset events published');
        } catch (err) {
          publishPausedUntil = now() + retryMs;
          log.publish.warn({ err, pending: page.length }, 'publishing asset events failed; they stay in the outbox and are retried');
          if (!closed && !retryTimer) {
            retryTimer = setTimeout(() => {
              retryTimer = undefined;
              void drainOutbox();
            }, retryMs);
            retryTimer.unref();
          }
          return;
        }
        for (const m of page) published.push(m.seq!);
        lastSent = page[page.length - 1]!.seq!;
      }
    }).catch((err: unknown) => log.publish.error({ err }, 'outbox could not be read'));
    return draining;
  };

  const fingerprint = (record: Evidence): EvidenceFingerprint => {
    try {
      const fp = fingerprintEvidence(record, matchers);
      if (fp.problems.length > 0) log.fingerprint.debug({ evidence: record.id, problems: fp.problems }, 'part of the evidence gave no fingerprint');
      return fp;
    } catch (err) {
      // The record is still stored: a fixed engine can refingerprint it later.
      log.fingerprint.error({ err, evidence: record.id }, 'fingerprinting failed for one record');
      return { candidates: [], macs: [], names: [], components: [], problems: [] };
    }
  };

  // Pipelining. Batches are planned (validate, drop known evidence,
  // fingerprint, merge) one at a time and committed one at a time, in the same
  // order; planning batch N+1 overlaps the commit of batch N (which, with the
  // worker-thread store, runs on another core). A plan is made on top of the
  // plans before it: its merge is applied to the site state at once, and its
  // evidence ids count as known until committed. If a commit fails, every
  // plan made on top of it is void: those batches are rejected unstored (the
  // agent resends them), the site states are dropped and reloaded from the
  // store, so the inventory in memory is again exactly what was committed.
  let epoch = 0;
  /**
   * Evidence ids of planned batches: 0 while uncommitted, then the number of
   * the commit that stored them, until no plan can hold an id lookup older
   * than that commit (a lookup that started before it did not see them).
   */
  const pendingIds = new Map<string, number>();
  let commits = 0;
  /** Commits not yet settled, oldest first; planning stays at most MAX_AHEAD batches ahead. */
  const uncommitted: Array<Promise<unknown>> = [];
  let planQueue: Promise<unknown> = Promise.resolve();

  const invalidate = () => {
    epoch++;
    sites.clear();
    pendingIds.clear();
  };

  interface Planned {
    epoch: number;
    batch: ReturnType<typeof validateBatch>;
    received: number;
    started: number;
    fresh: Evidence[];
    write: Omit<BatchWrite, 'published'>;
    created: number;
    updated: number;
  }

  const plan = async (input: IngestBatch, received: number, options: IngestOptions = {}): Promise<Planned> => {
    const started = performance.now();
    // One import is one batch (one transaction), as large as the export: agents' limits do not fit it.
    const batch = validateBatch(input, options.limits ?? (input.agentId.startsWith('import:') ? importLimits : limits), received, { anyAgent: options.anyAgent === true });
    const ids = batch.records.map((r) => r.id);
    for (;;) {
      const at = epoch;
      const since = commits;
      const known = await store.knownEvidence(ids);
      const state = await siteState(ALL_SITES);
      // A commit failed while waiting: plan again on the reloaded state.
      if (at !== epoch) continue;
      const seen = new Set<string>();
      const fresh = batch.records.filter((r) => {
        const pending = pendingIds.get(r.id);
        if (known.has(r.id) || (pending !== undefined && (pending === 0 || pending > since)) || seen.has(r.id)) return false;
        seen.add(r.id);
        return true;
      });
      const fingerprints = fresh.map(fingerprint);
      const observations = buildObservations(fresh, fingerprints);
      const update = planSiteUpdate(state, observations, opts.mergePolicy ? { policy: opts.mergePolicy } : {});
      log.merge.debug({ batch: batch.batchId, site: batch.site, observations: observations.length, assets: update.changed.size }, 'observations merged');
      let created = 0;
      let updated = 0;
      const outbox: OutboxMessage[] = [];
      const assets: BatchWrite['assets'] = [];
      const deleted: NonNullable<BatchWrite['deleted']> = [];
      for (const entry of update.changed.values()) {
        if (entry.mergedInto) deleted.push({ id: entry.after.id, into: entry.mergedInto });
        else assets.push({ asset: entry.after, previous: entry.before, seenOnly: entry.seenOnly });
        if (entry.event === 'created') created++;
        else if (entry.event === 'updated') updated++;
        // With no publisher there is no one to tell: no event is even built.
        if (!entry.event || !durableEvents) continue;
        const ev = assetEvent(entry, prefix)!;
        outbox.push(ev.message);
        if (bodies.size < MAX_HELD_BODIES) bodies.set(ev.message.msgId, ev.body);
      }
      const write: Planned['write'] = {
        batchId: batch.batchId,
        agentId: batch.agentId,
        site: batch.site,
        receivedAt: new Date(received).toISOString(),
        evidence: fresh.map((record) => ({ record, assetId: update.evidenceAsset.get(record.id) })),
        assets,
        deleted,
        outbox,
      };
      // Nothing below throws: the plan becomes part of the state the next one builds on.
      applySiteUpdate(state, update);
      // Plans run one at a time, so later ones look ids up after commit `since`: older entries are done.
      for (const [id, n] of pendingIds) if (n !== 0 && n <= since) pendingIds.delete(id);
      for (const r of fresh) pendingIds.set(r.id, 0);
      return { epoch: at, batch, received, started, fresh, write, created, updated };
    }
  };

  const commitPlanned = async (p: Planned) => {
    const { batch, write, fresh } = p;
    if (p.epoch !== epoch) {
      for (const m of write.outbox) bodies.delete(m.msgId);
      throw new SextantError('STORE_UNAVAILABLE', 'not stored: an earlier batch failed to commit and this one was merged on top of it; resend it', { field: 'batch' });
    }
    const acknowledged = published;
    published = [];
    let result: Awaited<ReturnType<Store['commitBatch']>>;
    const committing = performance.now();
    try {
      result = await store.commitBatch({ ...write, published: acknowledged });
    } catch (err) {
      published = acknowledged.concat(published);
      for (const m of write.outbox) bodies.delete(m.msgId);
      invalidate();
      throw err;
    }
    commits++;
    for (const r of fresh) pendingIds.set(r.id, commits);
    log.store.debug({ batch: batch.batchId, ...result, assets: write.assets.length, events: write.outbox.length, ms: Math.round(performance.now() - committing) }, 'batch stored');
    const duplicates = batch.records.length - fresh.length + result.duplicates;
    log.pipeline.debug({
      batch: batch.batchId, agent: batch.agentId, site: batch.site, records: batch.records.length, stored: result.stored, duplicates,
      created: p.created, updated: p.updated,
      ms: Math.round(performance.now() - p.started),
    }, 'batch committed');
    return { stored: result.stored, duplicates, events: write.outbox.length, created: p.created, updated: p.updated };
  };

  const runRefingerprint = async (options: RefingerprintOptions): Promise<RefingerprintResult> => {
    const result: RefingerprintResult = { examined: 0, evidence: 0, updated: 0, changes: new Map() };
    // TODO(search): stream the selection from the store (streamAssets(query)) instead of listing every asset.
    const assets = await store.listAssets(options.site);
    const bySite = new Map<string, Array<{ before: Asset; after: Asset; changes: AssetChange[] }>>();
    // The collector's own copy is the newest (it may hold a batch the listing raced with).
    const loaded = await sites.get(ALL_SITES);
    for (const stored of assets) {
      const current = loaded?.assets.get(stored.id) ?? stored;
      if (options.select && !options.select(assetView(current))) continue;
      result.examined++;
      const evidence = await store.readEvidence({ assetId: current.id });
      result.evidence += evidence.length;
      const after = refingerprintAsset(current, evidence, evidence.map(fingerprint));
      const changes = diffAssets(current, after);
      if (changes.length === 0) continue;
      const list = bySite.get(current.site) ?? [];
      list.push({ before: current, after: { ...after, revision: current.revision + 1 }, changes });
      bySite.set(current.site, list);
    }
    // Outbox entries JetStream acknowledged meanwhile are deleted by the first commit.
    let acknowledged = published;
    published = [];
    try {
      for (const [site, list] of bySite) {
        const outbox: OutboxMessage[] = [];
        for (const { after, changes } of list) {
          if (!durableEvents) continue;
          const event: AssetEvent = { event: 'updated', site, asset: assetView(after), changes };
          const msgId = `${after.id}:${after.revision}`;
          outbox.push({ subject: assetSubject(site, 'updated', prefix), msgId, assetId: after.id, envelope: JSON.stringify({ event: event.event, site, changes }) });
          if (bodies.size < MAX_HELD_BODIES) bodies.set(msgId, JSON.stringify(event));
        }
        const at = new Date(now()).toISOString();
        try {
          await store.commitBatch({
            batchId: `refingerprint-${at}-${site}`,
            agentId: 'refingerprint',
            site,
            receivedAt: at,
            evidence: [],
            assets: list.map(({ before, after }) => ({ asset: after, previous: before })),
            outbox,
            published: acknowledged,
          });
        } catch (err) {
          for (const m of outbox) bodies.delete(m.msgId);
          throw err;
        }
        acknowledged = [];
        if (loaded) for (const { after } of list) loaded.assets.set(after.id, after);
        for (const { after, changes } of list) result.changes.set(after.id, changes);
        result.updated += list.length;
      }
    } finally {
      published = acknowledged.concat(published);
    }
    log.pipeline.info({ examined: result.examined, evidence: result.evidence, updated: result.updated }, 'refingerprint done');
    return result;
  };

  const runBatch = (input: IngestBatch, received: number, options?: IngestOptions): Promise<Awaited<ReturnType<typeof commitPlanned>>> => {
    let self: Promise<unknown> | undefined;
    const planned = planQueue.then(async () => {
      // At most MAX_AHEAD older batches may still wait for their commit.
      while (uncommitted.indexOf(self!) > MAX_AHEAD) await uncommitted[0];
      return plan(input, received, options);
    });
    planQueue = planned.catch(() => undefined);
    // Commits follow plan order: both chains are extended in the same synchronous call.
    const run = queue.then(() => planned).then(commitPlanned);
    self = run.catch(() => undefined).finally(() => uncommitted.splice(uncommitted.indexOf(self!), 1));
    uncommitted.push(self);
    return run;
  };

  // Events an earlier run committed but could not publish go out first.
  if (durableEvents) void drainOutbox();

  const runAdjust = async (plan: (state: SiteState) => SiteUpdate): Promise<SiteUpdate> => {
    const state = await siteState(ALL_SITES);
    const update = plan(state);
    const outbox: OutboxMessage[] = [];
    for (const entry of update.changed.values()) {
      const ev = durableEvents ? assetEvent(entry, prefix) : undefined;
      if (!ev) continue;
      outbox.push(ev.message);
      bodies.set(ev.message.msgId, ev.body);
    }
    await store.commitBatch(manualWrite(update, new Date(now()).toISOString(), outbox));
    applySiteUpdate(state, update);
    log.merge.info({ assets: [...update.changed.keys()] }, 'manual merge/split committed');
    return update;
  };

  const adjust = async (plan: (state: SiteState) => SiteUpdate): Promise<SiteUpdate> => {
    if (closed) throw new Error('pipeline is closed');
    // After every batch planned before it has committed, and before any later one is planned.
    const run = Promise.all([planQueue, queue]).then(() => runAdjust(plan));
    planQueue = run.catch(() => undefined);
    queue = run.catch(() => undefined);
    const update = await run;
    if (durableEvents) await drainOutbox();
    return update;
  };

  return {
    store,
    adjust,
    scanFinished(scan) {
      const inScope = scopeOf(scan);
      const at = new Date(now()).toISOString();
      return adjust((state) => planScopeRelease(state, { site: scan.site, inScope, before: scan.startedAt, at, reason: `the scan of task ${scan.taskId} (${scan.targets.join(',')})` }));
    },
    async ingest(input, options) {
      if (closed) throw new Error('pipeline is closed');
      const received = now();
      const run = runBatch(input, received, options);
      // The next batch's commit waits for this one whatever its outcome.
      queue = run.catch(() => undefined);
      let outcome: Awaited<ReturnType<typeof runBatch>>;
      try {
        outcome = await run;
      } catch (err) {
        const level = (err as { code?: string }).code?.startsWith('EVIDENCE_') ? 'warn' : 'error';
        log.ingest[level]({ err, batch: input?.batchId, agent: input?.agentId }, `batch rejected: ${(err as Error).message}`);
        throw err;
      }
      // Waiting for JetStream's acknowledgements paces agents to what NATS takes; while NATS is failing, don't.
      if (outcome.events > 0 && now() >= publishPausedUntil) await drainOutbox();
      const result: IngestResult = { stored: outcome.stored, duplicates: outcome.duplicates };
      if (options?.counts) Object.assign(result, { created: outcome.created, updated: outcome.updated });
      return result;
    },
    async refingerprint(options = {}) {
      if (closed) throw new Error('pipeline is closed');
      // Like a manual adjustment: after every batch planned before it has committed, before any later one is planned.
      const run = Promise.all([planQueue, queue]).then(() => runRefingerprint(options));
      planQueue = run.catch(() => undefined);
      queue = run.catch(() => undefined);
      const outcome = await run;
      if (outcome.updated > 0 && durableEvents && now() >= publishPausedUntil) await drainOutbox();
      return outcome;
    },
    async asset(id) {
      await queue;
      return store.getAsset(id);
    },
    async assets(site) {
      await queue;
      return (await store.listAssets(site)).map(assetView);
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      if (retryTimer) clearTimeout(retryTimer);
      if (durableEvents) await drainOutbox();
      await draining;
      await store.deleteMessages(published).catch((err: unknown) => log.store.warn({ err }, 'published events stay in the outbox; they are resent (and dropped as duplicates) at the next start'));
      await publisher.close().catch((err: unknown) => log.publish.warn({ err }, 'closing the publisher failed'));
      await store.close();
    },
  };
}
