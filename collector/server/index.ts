// The collector's gRPC server for agents: enrolment, the Connect stream, message checks, tasks.
export { agentIdFor, DEFAULT_MAX_MESSAGE_BYTES, SESSION_METADATA, startCollectorServer, type AgentInfo, type CollectorServer, type CollectorServerOptions } from './server.ts';
export { createTaskBoard, makeTask, type AgentRef, type AgentTaskStatus, type TaskBoard, type TaskEntry, type TaskInput, type TaskStateName } from './tasks.ts';
export { batchToEvidence, checkEnrol, checkHeartbeat, checkProgress, MAX_BATCH_RECORDS } from './wire.ts';
export type { EvidenceSink, IngestBatch, IngestResult } from './types.ts';
export { splitHostPort, startAdminServer, taskView, type AdminRoute, type AdminServer } from './admin.ts';
export { openPipeline, type OpenPipelineOptions, type PipelineHandle } from './pipeline-port.ts';
