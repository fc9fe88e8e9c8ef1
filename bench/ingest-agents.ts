// Synthetic agents for bench:ingest, run in a child process so their CPU is
// not the collector's: each enrols with the token, opens its Connect stream,
// says hello, streams its share of the evidence batches (proto/sextant/v1/
// agent.proto, the same messages agent/client.ts sends) with a window of
// batches awaiting acknowledgement, and waits for every ack.
//
// Parent protocol (IPC): {examples, hosts, batch, collector, token, agents, window}
// -> 'ready'; {phase: scan, observedAt} -> {done, records, stored, duplicates, ms}.
import { credentials, Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { AgentServiceClient, type AgentMessage, type CollectorMessage, type EnrolResponse, type EvidenceRecord } from '../proto/gen/sextant/v1/agent.ts';
import { createGenerator, type BenchBatch } from './ingest-data.ts';

interface Setup {
  examples: Array<[string, string[]]>;
  hosts: number;
  batch: number;
  collector: string;
  token: string;
  agents: number;
  window: number;
}

const send = (m: unknown) => process.send!(m);

function toProto(b: BenchBatch): AgentMessage {
  const records: EvidenceRecord[] = b.records.map((r) => ({
    id: r.id, probe: r.probe, ip: r.target.ip, port: r.target.port ?? 0, transport: r.target.transport ?? '',
    observedAtMs: Date.parse(r.observedAt), facts: r.facts, raw: {}, status: '',
  }));
  return { body: { $case: 'evidence', value: { batchId: b.batchId, taskId: '', records } } };
}

interface Agent {
  stream: ClientDuplexStream<AgentMessage, CollectorMessage>;
  run(batches: AgentMessage[]): Promise<{ stored: number; duplicates: number }>;
}

async function startAgent(setup: Setup, k: number): Promise<Agent> {
  const client = new AgentServiceClient(setup.collector, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const session = await new Promise<EnrolResponse>((resolve, reject) =>
    client.enrol({ token: setup.token, name: `bench-agent-${k}`, site: 'bench', version: 'bench', hostname: 'bench', addresses: [] }, (err, res) => (err ? reject(err) : resolve(res!))),
  );
  const metadata = new Metadata();
  metadata.set('x-sextant-session', session.sessionSecret);
  const stream = client.connect(metadata);
  stream.write({ body: { $case: 'hello', value: { agentId: session.agentId, spooledBatches: 0 } } });
  let onAck: ((m: CollectorMessage) => void) | undefined;
  stream.on('data', (m: CollectorMessage) => onAck?.(m));
  stream.on('error', (err) => {
    console.error(`agent ${k}: stream error ${err.message}`);
    process.exit(1);
  });
  return {
    stream,
    run(batches) {
      return new Promise((resolve, reject) => {
        let next = 0;
        let acked = 0;
        let stored = 0;
        let duplicates = 0;
        const pump = () => {
          while (next < batches.length && next - acked < setup.window) stream.write(batches[next++]!);
        };
        onAck = (m) => {
          if (m.body?.$case !== 'ack') return;
          const a = m.body.value;
          if (!a.stored) return reject(new Error(`batch ${a.batchId} not stored: ${a.error}`));
          stored += a.recordsStored;
          duplicates += a.recordsDuplicate;
          acked++;
          if (acked === batches.length) return resolve({ stored, duplicates });
          pump();
        };
        if (batches.length === 0) return resolve({ stored, duplicates });
        pump();
      });
    },
  };
}

let setup: Setup | undefined;
let generator: ReturnType<typeof createGenerator> | undefined;
let agents: Agent[] = [];

process.on('message', async (m: any) => {
  try {
    if (m.setup) {
      setup = m.setup as Setup;
      generator = createGenerator(new Map(setup.examples), setup.hosts, setup.batch);
      agents = await Promise.all(Array.from({ length: setup.agents }, (_, k) => startAgent(setup!, k)));
      send({ ready: true });
    } else if (m.phase !== undefined) {
      // Encoded before the clock starts: an agent's own work is not the collector's.
      const all = generator!.batches(m.phase, m.observedAt);
      const records = all.reduce((n, b) => n + b.records.length, 0);
      const shares: AgentMessage[][] = agents.map(() => []);
      all.forEach((b, j) => shares[j % agents.length]!.push(toProto(b)));
      send({ generated: true, records, batches: all.length });
      await new Promise<void>((resolve) => process.once('message', () => resolve()));
      const started = performance.now();
      const results = await Promise.all(agents.map((a, k) => a.run(shares[k]!)));
      const ms = performance.now() - started;
      send({ done: true, records, ms, stored: results.reduce((n, r) => n + r.stored, 0), duplicates: results.reduce((n, r) => n + r.duplicates, 0) });
    } else if (m.close) {
      for (const a of agents) a.stream.end();
      setTimeout(() => process.exit(0), 200);
    }
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
});
