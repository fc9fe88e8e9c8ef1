// The agent between its collector link and its scans: runs the tasks it is
// given (each once), batches their evidence into the spool and keeps the
// latest progress of every task for whoever reports it upstream.
import type { Logger } from '../shared/logging.ts';
import { createBatcher, type Batcher, type BatcherOptions } from './batcher.ts';
import type { EvidenceBatchItem } from './evidence.ts';
import { runScanTask, type ScanEnvironment, type ScanTaskSpec, type TaskProgressInfo } from './scan/scheduler.ts';
import type { Spool } from './spool.ts';

export interface AgentRuntimeOptions {
  spool: Spool;
  log: Logger;
  /** Scan settings besides the agent id (pinger, allowed scope, probes, sockets). */
  scan?: Omit<ScanEnvironment, 'agentId' | 'log'>;
  batch?: BatcherOptions;
  /** Progress of finished tasks kept for re-reporting after a reconnect. */
  keepFinished?: number;
}

export interface AgentRuntime {
  /** Starts the task unless this agent already knows its id; returns whether it started. */
  startTask(spec: ScanTaskSpec, agentId: string): boolean;
  cancelTask(taskId: string): void;
  /** Latest progress per task: running ones and recently finished ones. */
  progress(): TaskProgressInfo[];
  readonly running: number;
  onBatch(listener: (batch: EvidenceBatchItem) => void): void;
  onProgress(listener: (progress: TaskProgressInfo) => void): void;
  /** Resolves once no task runs. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Progress is reported at most this often per task, besides its first and last report. */
const PROGRESS_INTERVAL_MS = 1000;

export function createAgentRuntime(options: AgentRuntimeOptions): AgentRuntime {
  const { spool, log } = options;
  const keepFinished = options.keepFinished ?? 200;
  const batchListeners: Array<(b: EvidenceBatchItem) => void> = [];
  const progressListeners: Array<(p: TaskProgressInfo) => void> = [];
  const latest = new Map<string, TaskProgressInfo>();
  const tasks = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const batcher: Batcher = createBatcher((batch) => {
    if (spool.add(batch)) for (const l of batchListeners) l(batch);
  }, options.batch);

  function report(p: TaskProgressInfo, force: boolean, lastSent: { at: number }) {
    latest.set(p.taskId, p);
    const now = Date.now();
    if (!force && now - lastSent.at < PROGRESS_INTERVAL_MS) return;
    lastSent.at = now;
    for (const l of progressListeners) l(p);
  }

  function forgetOldFinished() {
    const finished = [...latest.values()].filter((p) => p.state !== 'running');
    for (const p of finished.slice(0, Math.max(0, finished.length - keepFinished))) latest.delete(p.taskId);
  }

  return {
    startTask(spec, agentId) {
      if (latest.has(spec.taskId) || tasks.has(spec.taskId)) return false;
      const abort = new AbortController();
      const lastSent = { at: 0 };
      const taskLog = log.child({ task: spec.taskId });
      taskLog.info({ targets: spec.targets, ports: spec.ports }, 'task started');
      const sink = {
        evidence: (item: Parameters<Batcher['add']>[1]) => batcher.add(spec.taskId, item),
        progress: (p: TaskProgressInfo) => report(p, p.state !== 'running' || p.hostsDone === 0, lastSent),
      };
      // The final report waits for the task's last batch to be in the spool.
      const done = runScanTask(spec, { ...options.scan, agentId, log: taskLog }, { evidence: sink.evidence, progress: (p) => p.state === 'running' && sink.progress(p) }, abort.signal)
        .then((final) => {
          batcher.flush(spec.taskId);
          taskLog.info({ state: final.state, message: final.message, hostsAlive: final.hostsAlive, hostsDone: final.hostsDone }, 'task finished');
          sink.progress(final);
        })
        .finally(() => {
          tasks.delete(spec.taskId);
          forgetOldFinished();
        });
      tasks.set(spec.taskId, { abort, done });
      return true;
    },
    cancelTask(taskId) {
      tasks.get(taskId)?.abort.abort(new Error('cancelled by the collector'));
    },
    progress: () => [...latest.values()],
    get running() {
      return tasks.size;
    },
    onBatch(listener) {
      batchListeners.push(listener);
    },
    onProgress(listener) {
      progressListeners.push(listener);
    },
    async idle() {
      while (tasks.size > 0) await Promise.all([...tasks.values()].map((t) => t.done));
    },
    async close() {
      for (const t of tasks.values()) t.abort.abort(new Error('agent stopping'));
      await Promise.all([...tasks.values()].map((t) => t.done.catch(() => undefined)));
      batcher.flush();
      batcher.close();
    },
  };
}
