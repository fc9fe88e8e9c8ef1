// JetStream publishing: the stream is created when missing, every message
// carries Nats-Msg-Id so retries within the duplicate window store nothing twice.
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { SextantError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, type Publisher } from './types.ts';

export interface NatsPublisherOptions {
  servers: string;
  stream?: string;
  /** Subjects are `<prefix>.<site>.<event>`; the stream is created with `<prefix>.>`. */
  subjectPrefix?: string;
  /** How long JetStream remembers message ids (default 2 minutes, JetStream's own default). */
  duplicateWindowMs?: number;
  /** Per-message acknowledgement timeout. */
  timeoutMs?: number;
  logger?: Logger | undefined;
}

/** Creates the stream with `<prefix>.>` when it does not exist; an existing stream is left as it is. */
export async function ensureStream(jsm: JetStreamManager, name: string, prefix: string, duplicateWindowMs: number, logger?: Logger): Promise<void> {
  try {
    const info = await jsm.streams.info(name);
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(`${prefix}.>`)) logger?.warn({ stream: name, subjects }, `stream ${name} exists without ${prefix}.>: events may not be kept`);
    return;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
  }
  await jsm.streams.add({ name, subjects: [`${prefix}.>`], duplicate_window: nanos(duplicateWindowMs) });
  logger?.info({ stream: name, subjects: [`${prefix}.>`] }, `created JetStream stream ${name}`);
}

export async function connectNatsPublisher(options: NatsPublisherOptions): Promise<Publisher> {
  const stream = options.stream ?? DEFAULT_STREAM;
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const log = options.logger;
  let nc: NatsConnection;
  try {
    // Reconnects forever once connected; the first connection must work, so a typo fails at start.
    nc = await connect({ servers: options.servers, name: 'sextant-collector', maxReconnectAttempts: -1, noAsyncTraces: true });
  } catch (err) {
    throw new SextantError('PUBLISH_UNAVAILABLE', `cannot connect to ${options.servers}: ${(err as Error).message}`, { field: 'natsUrl' }, err);
  }
  try {
    await ensureStream(await jetstreamManager(nc), stream, prefix, options.duplicateWindowMs ?? 120_000, log);
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw new SextantError('PUBLISH_UNAVAILABLE', `JetStream stream ${stream}: ${(err as Error).message}`, { field: 'natsUrl' }, err);
  }
  const js = jetstream(nc, { timeout: options.timeoutMs ?? 5000 });
  const encoder = new TextEncoder();
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') log?.warn({ status: s.type, server: 'server' in s ? s.server : undefined }, `NATS ${s.type}`);
    }
  })().catch(() => undefined);
  return {
    kind: 'nats',
    async publish(messages) {
      // Sent in order on one connection, acknowledged concurrently.
      const acks = await Promise.all(messages.map((m) => js.publish(m.subject, encoder.encode(m.body), { msgID: m.msgId })));
      const duplicates = acks.filter((a) => a.duplicate).length;
      return { published: acks.length - duplicates, duplicates };
    },
    async close() {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
