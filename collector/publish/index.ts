// Publishing asset events: JetStream when a NATS URL is configured, otherwise
// a publisher that keeps nothing (or, for tests and `scan`, keeps everything).
import type { Logger } from '../../shared/logging.ts';
import { connectNatsPublisher, type NatsPublisherOptions } from './nats.ts';
import type { Publisher, PublishMessage } from './types.ts';

export { assetSubject, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from './types.ts';
export type { PublishMessage, PublishOutcome, Publisher } from './types.ts';

export function createNoopPublisher(): Publisher {
  return {
    kind: 'none',
    publish: async (messages) => ({ published: messages.length, duplicates: 0 }),
    close: async () => {},
  };
}

export interface MemoryPublisher extends Publisher {
  readonly messages: PublishMessage[];
}

/** Keeps every message in order, dropping repeated msgIds as JetStream would. */
export function createMemoryPublisher(): MemoryPublisher {
  const messages: PublishMessage[] = [];
  const seen = new Set<string>();
  return {
    kind: 'memory',
    messages,
    async publish(batch) {
      let duplicates = 0;
      for (const m of batch) {
        if (seen.has(m.msgId)) {
          duplicates++;
          continue;
        }
        seen.add(m.msgId);
        messages.push(m);
      }
      return { published: batch.length - duplicates, duplicates };
    },
    close: async () => {},
  };
}

/** JetStream for a URL, the no-op publisher for none. */
export async function connectPublisher(natsUrl: string | undefined, options: Omit<NatsPublisherOptions, 'servers'> & { logger?: Logger } = {}): Promise<Publisher> {
  if (!natsUrl) {
    options.logger?.info('no NATS URL configured: asset events are not published');
    return createNoopPublisher();
  }
  return connectNatsPublisher({ ...options, servers: natsUrl });
}

export { connectNatsPublisher, ensureStream, type NatsPublisherOptions } from './nats.ts';
