// Groups evidence records of one task into batches by count, size and age,
// and hands each finished batch on (to the spool, then the wire).
import { approximateSize, batchId, type EvidenceBatchItem, type EvidenceItem } from './evidence.ts';

export interface BatcherOptions {
  maxRecords?: number;
  /** Stays well below the collector's receive limit. */
  maxBytes?: number;
  /** A partly filled batch leaves after this long. */
  maxAgeMs?: number;
}

export interface Batcher {
  add(taskId: string, item: EvidenceItem): void;
  /** Sends what is pending (for one task, or all). */
  flush(taskId?: string): void;
  close(): void;
}

export const BATCH_DEFAULTS = { maxRecords: 200, maxBytes: 512 * 1024, maxAgeMs: 1000 } as const;

export function createBatcher(emit: (batch: EvidenceBatchItem) => void, options: BatcherOptions = {}): Batcher {
  const maxRecords = options.maxRecords ?? BATCH_DEFAULTS.maxRecords;
  const maxBytes = options.maxBytes ?? BATCH_DEFAULTS.maxBytes;
  const maxAgeMs = options.maxAgeMs ?? BATCH_DEFAULTS.maxAgeMs;
  const pending = new Map<string, { items: EvidenceItem[]; ids: Set<string>; bytes: number; timer: NodeJS.Timeout }>();

  function flushTask(taskId: string) {
    const p = pending.get(taskId);
    if (!p) return;
    pending.delete(taskId);
    clearTimeout(p.timer);
    if (p.items.length === 0) return;
    emit({ batchId: batchId(taskId, p.items.map((i) => i.id)), taskId, records: p.items });
  }

  return {
    add(taskId, item) {
      let p = pending.get(taskId);
      const size = approximateSize(item);
      if (p && (p.items.length >= maxRecords || p.bytes + size > maxBytes)) {
        flushTask(taskId);
        p = undefined;
      }
      if (!p) {
        p = { items: [], ids: new Set(), bytes: 0, timer: setTimeout(() => flushTask(taskId), maxAgeMs) };
        pending.set(taskId, p);
      }
      // The same observation twice in one batch would only be deduplicated later.
      if (p.ids.has(item.id)) return;
      p.ids.add(item.id);
      p.items.push(item);
      p.bytes += size;
    },
    flush(taskId) {
      if (taskId !== undefined) flushTask(taskId);
      else for (const id of [...pending.keys()]) flushTask(id);
    },
    close() {
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
    },
  };
}
