// The collector's gRPC side: enrolment with the shared token, one Connect
// stream per agent behind its session secret, every message checked before
// anything of it is stored, a batch acknowledged only once the pipeline has
// committed it, tasks handed out and their progress tracked.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  AgentServiceService, TaskProgress_State, type AgentMessage, type BatchAck, type CollectorMessage, type EnrolRequest, type EnrolResponse, type EvidenceBatch, type Task,
} from '../../proto/gen/sextant/v1/agent.ts';
import { isSextantError } from '../../shared/errors.ts';
import { componentLogger, type Logger } from '../../shared/logging.ts';
import { isPermanentRejection, validateBatch } from '../ingest/index.ts';
import { createTaskBoard, type TaskBoard } from './tasks.ts';
import { batchToEvidence, checkEnrol, checkHeartbeat, checkProgress } from './wire.ts';
import type { EvidenceSink } from './types.ts';

export const SESSION_METADATA = 'x-sextant-session';
/** Largest message the server reads; larger ones end the stream with RESOURCE_EXHAUSTED before any byte is stored. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface CollectorServerOptions {
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  token: string;
  pipeline: EvidenceSink;
  log?: Logger;
  heartbeatSeconds?: number;
  maxMessageBytes?: number;
  credentials?: ServerCredentials;
  tasks?: TaskBoard;
}

export interface AgentInfo {
  agentId: string;
  name: string;
  site: string;
  version: string;
  hostname: string;
  addresses: string[];
  connected: boolean;
  enrolledAt: string;
  lastSeen: string;
  tasksRunning: number;
  rssBytes: number;
  batchesStored: number;
  recordsStored: number;
  recordsDuplicate: number;
  batchesRejected: number;
}

export interface CollectorServer {
  readonly port: number;
  readonly tasks: TaskBoard;
  agents(): AgentInfo[];
  close(): Promise<void>;
}

/** Same site and name, same agent id: a re-enrolled agent keeps its identity. */
export function agentIdFor(site: string, name: string): string {
  return `a-${createHash('sha256').update(`${site}\0${name}`).digest('hex').slice(0, 24)}`;
}

function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Recently acknowledged batch ids per agent, so a resend is answered without touching the store. */
const RECENT_ACKS = 4096;

export async function startCollectorServer(options: CollectorServerOptions): Promise<CollectorServer> {
  if (!options.token) throw new Error('the collector needs an enrolment token (--token or SEXTANT_ENROL_TOKEN)');
  const log = options.log ?? componentLogger('collector-server');
  const heartbeatSeconds = options.heartbeatSeconds ?? 15;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const tasks = options.tasks ?? createTaskBoard();
  const agents = new Map<string, AgentInfo>();
  const sessions = new Map<string, string>(); // secret -> agentId
  const streams = new Map<string, { call: ServerDuplexStream<AgentMessage, CollectorMessage>; hand(task: Task): void }>();
  const acked = new Map<string, Set<string>>();

  function enrol(call: ServerUnaryCall<EnrolRequest, EnrolResponse>, callback: sendUnaryData<EnrolResponse>) {
    const req = call.request;
    if (!tokenMatches(req.token, options.token)) {
      log.warn({ peer: call.getPeer(), name: req.name.slice(0, 64), site: req.site.slice(0, 64) }, 'enrolment refused: wrong token');
      return callback({ code: status.UNAUTHENTICATED, details: 'enrolment token refused' });
    }
    const checked = checkEnrol(req);
    if (!checked.ok) return callback({ code: status.INVALID_ARGUMENT, details: `enrolment rejected: ${checked.error}` });
    const agentId = agentIdFor(req.site, req.name);
    for (const [secret, id] of sessions) if (id === agentId) sessions.delete(secret);
    const secret = randomBytes(32).toString('base64url');
    sessions.set(secret, agentId);
    const now = new Date().toISOString();
    const previous = agents.get(agentId);
    agents.set(agentId, {
      agentId, name: req.name, site: req.site, version: req.version, hostname: req.hostname, addresses: req.addresses,
      connected: previous?.connected ?? false, enrolledAt: now, lastSeen: now, tasksRunning: 0, rssBytes: 0,
      batchesStored: previous?.batchesStored ?? 0, recordsStored: previous?.recordsStored ?? 0,
      recordsDuplicate: previous?.recordsDuplicate ?? 0, batchesRejected: previous?.batchesRejected ?? 0,
    });
    log.info({ agentId, name: req.name, site: req.site, version: req.version, peer: call.getPeer() }, 'agent enrolled');
    callback(null, { agentId, sessionSecret: secret, heartbeatSeconds });
  }

  function connect(call: ServerDuplexStream<AgentMessage, CollectorMessage>) {
    const secret = call.metadata.get(SESSION_METADATA)[0];
    const agentId = typeof secret === 'string' ? sessions.get(secret) : undefined;
    const info = agentId ? agents.get(agentId) : undefined;
    if (!agentId || !info) {
      call.emit('error', { code: status.UNAUTHENTICATED, details: 'unknown or expired session: enrol first' });
      return;
    }
    const alog = log.child({ agentId, agent: info.name, site: info.site });
    let helloSeen = false;
    let closed = false;
    // Batches are stored one after another, in the order they arrived.
    let queue: Promise<void> = Promise.resolve();
    const recent = acked.get(agentId) ?? new Set<string>();
    acked.set(agentId, recent);

    const reject = (code: status, details: string) => {
      if (closed) return;
      alog.warn({ code, details }, 'agent stream rejected');
      closed = true;
      call.emit('error', { code, details });
    };
    const write = (m: CollectorMessage) => {
      if (!closed && !call.destroyed && !call.writableEnded) call.write(m);
    };
    const hand = (task: Task) => {
      tasks.markHanded(task.taskId, agentId);
      write({ body: { $case: 'task', value: task } });
      alog.info({ taskId: task.taskId }, 'task handed to agent');
    };
    const ack = (a: BatchAck) => write({ body: { $case: 'ack', value: a } });

    async function store(batch: EvidenceBatch) {
      if (recent.has(batch.batchId)) {
        return ack({ batchId: batch.batchId, stored: true, recordsStored: 0, recordsDuplicate: batch.records.length, error: '', permanent: false });
      }
      const converted = batchToEvidence(batch, agentId!, info!.site);
      const refuse = (error: string) => {
        info!.batchesRejected++;
        alog.warn({ batchId: batch.batchId.slice(0, 200), error }, 'evidence batch rejected; nothing of it stored');
        ack({ batchId: batch.batchId, stored: false, recordsStored: 0, recordsDuplicate: 0, error, permanent: true });
      };
      if (!converted.ok) return refuse(converted.error);
      let checked;
      try {
        checked = validateBatch({ batchId: batch.batchId, agentId, site: info!.site, records: converted.value });
      } catch (err) {
        return refuse(isSextantError(err) ? err.message : String(err));
      }
      try {
        const result = await options.pipeline.ingest(checked);
        info!.batchesStored++;
        info!.recordsStored += result.stored;
        info!.recordsDuplicate += result.duplicates;
        recent.add(batch.batchId);
        if (recent.size > RECENT_ACKS) recent.delete(recent.values().next().value as string);
        ack({ batchId: batch.batchId, stored: true, recordsStored: result.stored, recordsDuplicate: result.duplicates, error: '', permanent: false });
      } catch (err) {
        const permanent = isPermanentRejection(err);
        if (permanent) return refuse((err as Error).message);
        alog.error({ err, batchId: batch.batchId }, 'storing a batch failed; the agent will resend it');
        ack({ batchId: batch.batchId, stored: false, recordsStored: 0, recordsDuplicate: 0, error: `not stored: ${(err as Error).message}`, permanent: false });
      }
    }

    call.on('data', (m: AgentMessage) => {
      if (closed) return;
      info.lastSeen = new Date().toISOString();
      const body = m.body;
      if (!body) return reject(status.INVALID_ARGUMENT, 'message without a body');
      if (!helloSeen && body.$case !== 'hello') return reject(status.FAILED_PRECONDITION, 'the first message must be a hello');
      switch (body.$case) {
        case 'hello': {
          if (helloSeen) return reject(status.INVALID_ARGUMENT, 'a second hello on one stream');
          if (body.value.agentId !== agentId) return reject(status.PERMISSION_DENIED, 'hello.agent_id is not the id of this session');
          helloSeen = true;
          streams.get(agentId)?.call.emit('error', { code: status.ABORTED, details: 'replaced by a newer stream of the same agent' });
          streams.set(agentId, { call, hand });
          info.connected = true;
          alog.info({ spooled: body.value.spooledBatches }, 'agent connected');
          for (const t of tasks.dueFor({ agentId, site: info.site, name: info.name })) hand(t);
          return;
        }
        case 'heartbeat': {
          const h = checkHeartbeat(body.value);
          if (!h.ok) return reject(status.INVALID_ARGUMENT, h.error);
          info.tasksRunning = body.value.tasksRunning;
          info.rssBytes = body.value.rssBytes;
          return;
        }
        case 'progress': {
          const p = checkProgress(body.value);
          if (!p.ok) return reject(status.INVALID_ARGUMENT, p.error);
          tasks.progress(agentId, body.value);
          // After the evidence this stream already delivered (same queue), addresses of the
          // scope that did not answer leave their assets. Only a complete scan says that.
          const entry = tasks.get(body.value.taskId);
          if (entry && body.value.state === TaskProgress_State.STATE_DONE && options.pipeline.scanFinished) {
            const scan = { site: entry.site, taskId: entry.task.taskId, targets: [...entry.task.targets], exclude: [...entry.task.exclude], startedAt: entry.createdAt };
            queue = queue.then(async () => { await options.pipeline.scanFinished!(scan); }).catch((err: unknown) => alog.error({ err }, 'releasing unanswered addresses failed'));
          }
          return;
        }
        case 'evidence': {
          const batch = body.value;
          queue = queue.then(() => store(batch)).catch((err: unknown) => alog.error({ err }, 'batch handling failed'));
          return;
        }
      }
    });
    const finish = () => {
      if (streams.get(agentId)?.call === call) {
        streams.delete(agentId);
        info.connected = false;
        alog.info('agent disconnected');
      }
      closed = true;
    };
    call.on('end', () => {
      void queue.finally(() => {
        if (!closed) call.end();
        finish();
      });
    });
    call.on('error', finish);
    call.on('cancelled', finish);
    call.on('close', finish);
  }

  tasks.onAdded((entry) => {
    for (const [agentId, s] of streams) {
      const info = agents.get(agentId);
      if (!info || info.site !== entry.site || (entry.agent !== undefined && entry.agent !== info.name)) continue;
      s.hand(entry.task);
    }
  });

  const server = new Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  });
  server.addService(AgentServiceService, { enrol, connect });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, options.credentials ?? ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  log.info({ listen: options.listen, port }, 'collector listening for agents');

  return {
    port,
    tasks,
    agents: () => [...agents.values()].map((a) => ({ ...a })),
    close() {
      return new Promise<void>((resolve) => {
        for (const s of streams.values()) s.call.end();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
