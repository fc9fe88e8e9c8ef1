// The agent: target and port scopes, the scan scheduler, evidence, batching,
// the disk spool, the collector client and the runtime that joins them.
export * from './scope/index.ts';
export { connectPort, createPinger, macOf, openPinger, openRawAccess, type EchoReply, type Pinger, type PortState, type RawAccess } from './scan/discovery.ts';
export { createGate, createRateLimiter, type Gate, type RateLimiter } from './scan/limits.ts';
export { probeForGreeting, probesForPort, probeUnknownPort, selectProbes, type ProbeSet } from './scan/services.ts';
export { runScanTask, TASK_DEFAULTS, type OsDetector, type ScanEnvironment, type ScanSink, type ScanTaskSpec, type TaskProgressInfo, type TaskState } from './scan/scheduler.ts';
export { approximateSize, batchId, evidenceId, itemFromResult, itemToEvidence, makeItem, type EvidenceBatchItem, type EvidenceItem } from './evidence.ts';
export { BATCH_DEFAULTS, createBatcher, type Batcher, type BatcherOptions } from './batcher.ts';
export { DEFAULT_SPOOL_BYTES, openSpool, type Spool } from './spool.ts';
export { createAgentRuntime, type AgentRuntime, type AgentRuntimeOptions } from './runtime.ts';
export { startAgent, type AgentOptions, type RunningAgent } from './agent.ts';
