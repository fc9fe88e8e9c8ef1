// The publisher contract and subject naming, shared by every implementation.
export interface PublishMessage {
  subject: string;
  /** Sent as Nats-Msg-Id: JetStream drops a repeat inside the stream's duplicate window. */
  msgId: string;
  /** JSON text. */
  body: string;
}

export interface PublishOutcome {
  published: number;
  /** Messages JetStream had already stored (a retry after a lost acknowledgement). */
  duplicates: number;
}

export interface Publisher {
  /** `none` keeps no messages, so the pipeline writes no outbox for it. */
  readonly kind: 'nats' | 'memory' | 'none';
  /** Resolves once every message is acknowledged; rejects if any is not (the caller retries them all). */
  publish(messages: PublishMessage[]): Promise<PublishOutcome>;
  close(): Promise<void>;
}

export const DEFAULT_SUBJECT_PREFIX = 'sextant.assets';
export const DEFAULT_STREAM = 'SEXTANT_ASSETS';

/** `sextant.assets.<site>.<event>`; sites are validated as subject tokens at ingest. */
export function assetSubject(site: string, event: string, prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${prefix}.${site}.${event}`;
}
