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

export interface EvidenceSink {
  ingest(batch: IngestBatch): Promise<IngestResult>;
}
