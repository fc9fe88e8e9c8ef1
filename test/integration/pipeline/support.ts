// Helpers for the pipeline integration tests: a raw gRPC client speaking the
// contract directly (to send what a well-behaved agent never would), and a
// small in-memory pipeline that deduplicates by record id.
import { credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { AgentServiceClient, type AgentMessage, type CollectorMessage, type EnrolRequest, type EnrolResponse } from '../../../proto/gen/sextant/v1/agent.ts';
import type { EvidenceSink, IngestBatch } from '../../../collector/server/index.ts';
import type { Evidence } from '../../../shared/types.ts';

export function rawClient(port: number): AgentServiceClient {
  return new AgentServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
}

export function enrol(client: AgentServiceClient, req: Partial<EnrolRequest>): Promise<{ ok: true; res: EnrolResponse } | { ok: false; err: ServiceError }> {
  const full: EnrolRequest = { token: '', name: 'n1', site: 'lab', version: 'test', hostname: 'h', addresses: [], ...req };
  return new Promise((resolve) => {
    client.enrol(full, (err, res) => resolve(err ? { ok: false, err } : { ok: true, res }));
  });
}

export interface OpenStream {
  stream: ClientDuplexStream<AgentMessage, CollectorMessage>;
  messages: CollectorMessage[];
  /** Resolves with the final status code and details. */
  ended: Promise<{ code: number; details: string }>;
  next(predicate: (m: CollectorMessage) => boolean, timeoutMs?: number): Promise<CollectorMessage>;
}

export function openStream(client: AgentServiceClient, secret?: string): OpenStream {
  const md = new Metadata();
  if (secret !== undefined) md.set('x-sextant-session', secret);
  const stream = client.connect(md);
  const messages: CollectorMessage[] = [];
  const waiters: Array<() => void> = [];
  stream.on('data', (m: CollectorMessage) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('status', (s: { code: number; details: string }) => resolve({ code: s.code, details: s.details }));
    stream.on('error', () => undefined);
  });
  return {
    stream,
    messages,
    ended,
    async next(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('no such message in time');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

export interface MemoryPipeline extends EvidenceSink {
  records: Map<string, Evidence>;
  batches: IngestBatch[];
}

export function memoryPipeline(): MemoryPipeline {
  const records = new Map<string, Evidence>();
  const batches: IngestBatch[] = [];
  return {
    records,
    batches,
    async ingest(batch) {
      batches.push(batch);
      let stored = 0;
      for (const r of batch.records) {
        if (records.has(r.id)) continue;
        records.set(r.id, r);
        stored++;
      }
      return { stored, duplicates: batch.records.length - stored };
    },
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
