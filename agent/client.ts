// The agent's link to its collector: dial out, enrol with the token, hold one
// Connect stream (tasks and acks down; hello, heartbeats, batches, progress
// up), resend every spooled batch after each (re)connect, and reconnect with
// exponential backoff and jitter while the collector is away.
import { hostname, networkInterfaces } from 'node:os';
import { credentials, Metadata, status as grpcStatus, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  AgentServiceClient, TaskProgress_State, type AgentMessage, type CollectorMessage, type EnrolResponse, type EvidenceRecord, type Task,
} from '../proto/gen/sextant/v1/agent.ts';
import type { Logger } from '../shared/logging.ts';
import type { EvidenceBatchItem } from './evidence.ts';
import type { AgentRuntime } from './runtime.ts';
import type { ScanTaskSpec, TaskProgressInfo, TaskState } from './scan/scheduler.ts';
import type { Spool } from './spool.ts';

export const AGENT_VERSION = '0.1.0';
export const SESSION_METADATA = 'x-sextant-session';
/** Matches the collector's receive limit; batches stay far below it. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface CollectorClientOptions {
  /** HOST:PORT */
  collector: string;
  token: string;
  name: string;
  site: string;
  spool: Spool;
  runtime: AgentRuntime;
  log: Logger;
  credentials?: ChannelCredentials;
  /** Batches sent and not yet acknowledged, at most. */
  window?: number;
  backoff?: { initialMs: number; maxMs: number };
}

export interface CollectorClient {
  readonly agentId: string | undefined;
  readonly connected: boolean;
  /** Resolves once the agent is enrolled and its stream is up (for tests and the CLI). */
  whenConnected(): Promise<void>;
  close(): Promise<void>;
}

const STATE: Record<TaskState, TaskProgress_State> = {
  running: TaskProgress_State.STATE_RUNNING,
  done: TaskProgress_State.STATE_DONE,
  failed: TaskProgress_State.STATE_FAILED,
  refused: TaskProgress_State.STATE_REFUSED,
};

export function taskSpecFromProto(t: Task): ScanTaskSpec {
  return {
    taskId: t.taskId,
    targets: t.targets,
    exclude: t.exclude,
    ports: t.ports,
    probes: t.probes,
    ratePps: t.ratePps,
    hostsInFlight: t.hostsInFlight,
    probeTimeoutMs: t.probeTimeoutMs,
    osDetection: t.osDetection,
  };
}

export function batchToProto(batch: EvidenceBatchItem): AgentMessage {
  const records: EvidenceRecord[] = batch.records.map((r) => ({
    id: r.id,
    probe: r.probe,
    ip: r.ip,
    port: r.port,
    transport: r.transport,
    observedAtMs: r.observedAtMs,
    facts: r.facts,
    raw: Object.fromEntries(Object.entries(r.raw).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    status: r.status,
  }));
  return { body: { $case: 'evidence', value: { batchId: batch.batchId, taskId: batch.taskId, records } } };
}

function progressToProto(p: TaskProgressInfo): AgentMessage {
  return {
    body: {
      $case: 'progress',
      value: { taskId: p.taskId, hostsTotal: p.hostsTotal, hostsDone: p.hostsDone, hostsAlive: p.hostsAlive, state: STATE[p.state], message: p.message.slice(0, 1000) },
    },
  };
}

function ownAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (!i.internal && i.cidr) out.push(i.cidr);
  return out.slice(0, 64);
}

export function startCollectorClient(options: CollectorClientOptions): CollectorClient {
  const { spool, runtime, log } = options;
  const window = options.window ?? 8;
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
  const client = new AgentServiceClient(options.collector, options.credentials ?? credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  let closed = false;
  let session: EnrolResponse | undefined;
  let agentId: string | undefined;
  let stream: ClientDuplexStream<AgentMessage, CollectorMessage> | undefined;
  let connected = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let connectedWaiters: Array<() => void> = [];
  const inFlight = new Set<string>();

  function send(message: AgentMessage) {
    if (stream && connected) stream.write(message);
  }

  /** Sends spooled batches, oldest first, while the window has room. */
  function pump() {
    if (!stream || !connected) return;
    for (const id of spool.ids()) {
      if (inFlight.size >= window) return;
      if (inFlight.has(id)) continue;
      const batch = spool.read(id);
      if (!batch) continue;
      inFlight.add(id);
      send(batchToProto(batch));
    }
  }

  runtime.onBatch(() => pump());
  runtime.onProgress((p) => send(progressToProto(p)));

  function enrol(): Promise<EnrolResponse> {
    return new Promise((resolve, reject) => {
      client.enrol(
        { token: options.token, name: options.name, site: options.site, version: AGENT_VERSION, hostname: hostname(), addresses: ownAddresses() },
        new Metadata(),
        { deadline: Date.now() + 15_000 },
        (err, response) => (err ? reject(err) : resolve(response)),
      );
    });
  }

  function onMessage(message: CollectorMessage) {
    const body = message.body;
    if (!body) return;
    switch (body.$case) {
      case 'task': {
        const spec = taskSpecFromProto(body.value);
        if (!runtime.startTask(spec, agentId ?? '')) {
          // Known already (a re-sent task after a reconnect): report where it stands.
          const known = runtime.progress().find((p) => p.taskId === spec.taskId);
          if (known) send(progressToProto(known));
        }
        break;
      }
      case 'cancel':
        runtime.cancelTask(body.value.taskId);
        break;
      case 'ack': {
        const ack = body.value;
        inFlight.delete(ack.batchId);
        if (ack.stored || ack.permanent) {
          if (!ack.stored) log.error({ batchId: ack.batchId, error: ack.error }, 'collector rejected a batch for good; dropping it');
          spool.remove(ack.batchId);
        } else {
          log.warn({ batchId: ack.batchId, error: ack.error }, 'collector could not store a batch; it will be resent');
          // Not at once: a store that just failed needs a moment.
          setTimeout(pump, 2000).unref();
          return;
        }
        pump();
        break;
      }
    }
  }

  function scheduleRetry(reason: string) {
    if (closed) return;
    failures++;
    const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 16));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    log.warn({ reason, retryInMs: delay, spooled: spool.count }, 'collector unreachable; scanning goes on, evidence is spooled');
    retryTimer = setTimeout(() => void connectOnce(), delay);
  }

  async function connectOnce() {
    retryTimer = undefined;
    if (closed) return;
    try {
      if (!session) {
        session = await enrol();
        agentId = session.agentId;
        log.info({ agentId, collector: options.collector }, 'enrolled');
      }
    } catch (err) {
      const e = err as ServiceError;
      if (e.code === grpcStatus.UNAUTHENTICATED || e.code === grpcStatus.INVALID_ARGUMENT) {
        log.error({ code: e.code, details: e.details }, 'the collector refused the enrolment; check --token, --name and --site');
      }
      return scheduleRetry(e.details ?? e.message);
    }
    const metadata = new Metadata();
    metadata.set(SESSION_METADATA, session.sessionSecret);
    const s = client.connect(metadata);
    stream = s;
    inFlight.clear();
    let heartbeat: NodeJS.Timeout | undefined;
    let ended = false;
    const end = (reason: string, code?: number) => {
      if (ended) return;
      ended = true;
      if (heartbeat) clearInterval(heartbeat);
      if (stream === s) {
        stream = undefined;
        connected = false;
      }
      inFlight.clear();
      // A collector that restarted no longer knows our session: enrol again.
      if (code === grpcStatus.UNAUTHENTICATED) session = undefined;
      if (!closed) scheduleRetry(reason);
    };
    s.on('data', (m: CollectorMessage) => onMessage(m));
    s.on('error', (err: ServiceError) => end(err.details || err.message, err.code));
    s.on('end', () => end('stream ended'));
    s.on('status', (st: { code: number; details: string }) => {
      if (st.code !== grpcStatus.OK) end(st.details, st.code);
    });
    connected = true;
    s.write({ body: { $case: 'hello', value: { agentId: session.agentId, spooledBatches: spool.count } } });
    log.info({ spooled: spool.count }, 'connected to the collector');
    failures = 0;
    for (const p of runtime.progress()) send(progressToProto(p));
    pump();
    const beat = () => send({ body: { $case: 'heartbeat', value: { sentAtMs: Date.now(), tasksRunning: runtime.running, rssBytes: process.memoryUsage.rss() } } });
    heartbeat = setInterval(beat, Math.max(1, session.heartbeatSeconds || 15) * 1000);
    heartbeat.unref();
    const waiters = connectedWaiters;
    connectedWaiters = [];
    for (const w of waiters) w();
  }

  void connectOnce();

  return {
    get agentId() {
      return agentId;
    },
    get connected() {
      return connected;
    },
    whenConnected() {
      if (connected) return Promise.resolve();
      return new Promise((resolve) => connectedWaiters.push(resolve));
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (stream) {
        const s = stream;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          s.once('end', () => { clearTimeout(timer); resolve(); });
          s.once('error', () => { clearTimeout(timer); resolve(); });
          s.end();
        });
        s.cancel();
      }
      connected = false;
      client.close();
    },
  };
}
