// The agent's disk spool: every evidence batch is written here before it is
// sent, and removed only when the collector has acknowledged it (stored, or
// rejected for good). Bounded: past the byte limit the oldest batches go.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logging.ts';
import type { EvidenceBatchItem } from './evidence.ts';

export interface SpoolEntry {
  batchId: string;
  file: string;
  bytes: number;
}

export interface Spool {
  readonly dir: string;
  /** Writes the batch (a batch already spooled is kept once). Returns false when it could not be written. */
  add(batch: EvidenceBatchItem): boolean;
  read(batchId: string): EvidenceBatchItem | undefined;
  remove(batchId: string): void;
  /** Batch ids, oldest first. */
  ids(): string[];
  has(batchId: string): boolean;
  readonly count: number;
  readonly bytes: number;
  /** Batches dropped to stay within the limit since the spool was opened. */
  readonly dropped: number;
}

export const DEFAULT_SPOOL_BYTES = 256 * 1024 * 1024;
const NAME = /^(\d{12})-(b-[0-9a-f]{32})\.json$/;

export function openSpool(dir: string, maxBytes: number, log: Logger): Spool {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entries = new Map<string, SpoolEntry>();
  let seq = 0;
  let bytes = 0;
  let dropped = 0;
  for (const name of readdirSync(dir).sort()) {
    const m = NAME.exec(name);
    if (!m) {
      // A write that died before its rename.
      if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
      continue;
    }
    const size = statSync(join(dir, name)).size;
    entries.set(m[2] as string, { batchId: m[2] as string, file: name, bytes: size });
    bytes += size;
    seq = Math.max(seq, Number(m[1]));
  }
  if (entries.size > 0) log.info({ batches: entries.size, bytes }, 'spool holds batches from before; they will be resent');

  function removeEntry(e: SpoolEntry) {
    try {
      unlinkSync(join(dir, e.file));
    } catch {
      // already gone
    }
    entries.delete(e.batchId);
    bytes -= e.bytes;
  }

  return {
    dir,
    add(batch) {
      if (entries.has(batch.batchId)) return true;
      const text = JSON.stringify(batch);
      const size = Buffer.byteLength(text);
      const file = `${String(++seq).padStart(12, '0')}-${batch.batchId}.json`;
      try {
        writeFileSync(join(dir, `${file}.tmp`), text, { mode: 0o600 });
        renameSync(join(dir, `${file}.tmp`), join(dir, file));
      } catch (err) {
        log.error({ err, batchId: batch.batchId }, 'cannot write to the spool');
        return false;
      }
      entries.set(batch.batchId, { batchId: batch.batchId, file, bytes: size });
      bytes += size;
      while (bytes > maxBytes && entries.size > 1) {
        const oldest = entries.values().next().value as SpoolEntry;
        removeEntry(oldest);
        dropped++;
        log.warn({ batchId: oldest.batchId, maxBytes, dropped }, 'spool full: dropped the oldest unacknowledged batch');
      }
      return true;
    },
    read(batchId) {
      const e = entries.get(batchId);
      if (!e) return undefined;
      try {
        return JSON.parse(readFileSync(join(dir, e.file), 'utf8')) as EvidenceBatchItem;
      } catch (err) {
        log.error({ err, batchId }, 'spooled batch is unreadable; dropping it');
        removeEntry(e);
        return undefined;
      }
    },
    remove(batchId) {
      const e = entries.get(batchId);
      if (e) removeEntry(e);
    },
    ids: () => [...entries.keys()],
    has: (batchId) => entries.has(batchId),
    get count() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
    get dropped() {
      return dropped;
    },
  };
}
