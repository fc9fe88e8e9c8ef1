// Ingest: the gate every evidence batch passes before the pipeline stores it.
export { validateBatch, validateRecord, canonicalIp, isPermanentRejection, DEFAULT_LIMITS } from './validate.ts';
export type { EvidenceBatch, IngestLimits } from './validate.ts';
