// Following the asset stream: an ordered JetStream consumer on the assets
// stream (from a time, or new events only), each event filtered by a query.
// For programmatic subscribers as much as for `sextant watch`.
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SextantError } from '../../shared/errors.ts';
import type { AssetChange, AssetView } from '../assets/types.ts';
import { compileAssetFilter, type AssetFilter } from './asset-filter.ts';
import { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from './types.ts';

/** An asset event as published, with `deleted` (an asset absorbed by a merge) besides created/updated. */
export interface WatchedEvent {
  event: 'created' | 'updated' | 'deleted' | string;
  site: string;
  asset: AssetView | { id: string };
  changes: AssetChange[];
  /** The stream sequence and the time JetStream stored it. */
  seq: number;
  time: string;
  subject: string;
}

export interface WatchOptions {
  /** A NATS URL (a connection of its own, closed when the iteration ends) or an open connection. */
  nats: string | NatsConnection;
  query?: string | undefined;
  /** Events stored at or after this time; without it only new events. */
  since?: Date | undefined;
  stream?: string;
  subjectPrefix?: string;
  /** Overrides `query`: any filter over the asset view. */
  filter?: AssetFilter;
  /** Called once the consumer exists: events published from then on are seen. */
  ready?: () => void;
}

const isView = (a: unknown): a is AssetView => typeof a === 'object' && a !== null && Array.isArray((a as AssetView).addresses);

/**
 * `30m`, `2h`, `1d`, `2weeks` (ago) or an ISO 8601 time. Throws WATCH_INVALID otherwise.
 */
export function parseSince(text: string, now = new Date()): Date {
  const rel = /^(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$/i.exec(text.trim());
  if (rel) {
    const unit = rel[2]!.toLowerCase()[0]!;
    const ms = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[unit as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(rel[1]) * ms);
  }
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || !Number.isFinite(t)) {
    throw new SextantError('WATCH_INVALID', `"${text}" is neither a duration (30m, 2h, 1d, 2weeks) nor an ISO 8601 time`, { field: '--since' });
  }
  return new Date(t);
}

/**
 * The matching asset events, live, in stream order. A `deleted` event is
 * passed when its asset matches or an earlier event of this watch showed it.
 * Breaking out of the loop stops the consumer (and closes the connection when
 * this function opened it).
 */
export async function* watchAssets(options: WatchOptions): AsyncGenerator<WatchedEvent> {
  const filter = options.filter ?? compileAssetFilter(options.query);
  const stream = options.stream ?? DEFAULT_STREAM;
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  let nc: NatsConnection;
  const own = typeof options.nats === 'string';
  try {
    nc = typeof options.nats === 'string' ? await connect({ servers: options.nats, name: 'sextant-watch' }) : options.nats;
  } catch (err) {
    throw new SextantError('PUBLISH_UNAVAILABLE', `cannot connect to ${String(options.nats)}: ${(err as Error).message}`, { field: '--nats' }, err);
  }
  let messages: ConsumerMessages | undefined;
  try {
    let consumer;
    try {
      consumer = await jetstream(nc).consumers.get(stream, {
        // One subject as a string: nats-server before 2.10 (Debian 12) knows only a single filter.
        filter_subjects: `${prefix}.>`,
        ...(options.since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.since.toISOString() } : { deliver_policy: DeliverPolicy.New }),
      });
    } catch (err) {
      throw new SextantError('PUBLISH_UNAVAILABLE', `JetStream stream ${stream}: ${(err as Error).message}`, { field: '--nats' }, err);
    }
    messages = await consumer.consume();
    options.ready?.();
    const shown = new Set<string>();
    for await (const m of messages) {
      let body: Omit<WatchedEvent, 'seq' | 'time' | 'subject'>;
      try {
        body = m.json();
      } catch {
        continue;
      }
      if (typeof body !== 'object' || body === null || typeof body.asset?.id !== 'string') continue;
      const matches = isView(body.asset) ? filter(body.asset) : false;
      const pass = matches || (body.event === 'deleted' && (shown.has(body.asset.id) || options.query === undefined || options.query.trim() === ''));
      if (!pass) continue;
      shown.add(body.asset.id);
      yield { ...body, changes: Array.isArray(body.changes) ? body.changes : [], seq: m.seq, time: new Date(Number(m.timestampNanos / 1_000_000n)).toISOString(), subject: m.subject };
    }
  } finally {
    await messages?.close().catch(() => undefined);
    if (own) await nc.close().catch(() => undefined);
  }
}
