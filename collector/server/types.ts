// What the gRPC server needs from the collector's pipeline (collector/pipeline.ts):
// ingest resolves only once the batch is committed, so the ack can follow.
import type { Evidence } from '../../shared/types.ts';

export interface IngestBatch {
  batchId: string;
  agentId: string;
  site: string;
  records: Evidence[];
}

export interface IngestResult {
  stored: number;
  duplicates: number;
}

export interface ScanFinished {
  site: string;
  taskId: string;
  targets: string[];
  exclude: string[];
  /** When the task was created: evidence of this scan is no older. */
  startedAt: string;
}

export interface EvidenceSink {
  ingest(batch: IngestBatch): Promise<IngestResult>;
  /** A task finished on an agent: addresses of its scope that did not answer leave their assets. */
  scanFinished?(scan: ScanFinished): Promise<unknown>;
}
