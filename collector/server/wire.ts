// Checks of what agents send over gRPC, field by field, and the conversion of
// wire records into the plain Evidence the pipeline takes. Pure; never throws.
import type { EnrolRequest, EvidenceBatch, Heartbeat, TaskProgress } from '../../proto/gen/sextant/v1/agent.ts';
import { TaskProgress_State } from '../../proto/gen/sextant/v1/agent.ts';
import type { Evidence } from '../../shared/types.ts';

// Sites become NATS subject tokens, so the same alphabet as the pipeline's ingest check.
export const SITE = /^[A-Za-z0-9_-]{1,64}$/;
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const BATCH_ID = /^[\x21-\x7e]{1,200}$/;
const TASK_ID = /^[A-Za-z0-9_.:-]{0,128}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Records in one batch, at most (the agent sends 200). */
export const MAX_BATCH_RECORDS = 2000;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function fail<T>(error: string): Checked<T> {
  return { ok: false, error };
}

export function checkEnrol(req: EnrolRequest): Checked<EnrolRequest> {
  if (req.token.length === 0 || req.token.length > 4096) return fail('token: must be 1-4096 characters');
  if (!AGENT_NAME.test(req.name)) return fail('name: must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
  if (!SITE.test(req.site)) return fail('site: must be 1-64 letters, digits, _ or -');
  if (req.version.length > 64 || !PRINTABLE.test(req.version)) return fail('version: at most 64 printable characters');
  if (req.hostname.length > 255 || !PRINTABLE.test(req.hostname)) return fail('hostname: at most 255 printable characters');
  if (req.addresses.length > 256) return fail('addresses: at most 256');
  for (const [i, a] of req.addresses.entries()) {
    if (a.length > 64 || !/^[0-9A-Fa-f.:/]+$/.test(a)) return fail(`addresses[${i}]: not an address in CIDR form`);
  }
  return { ok: true, value: req };
}

export function checkHeartbeat(h: Heartbeat): Checked<Heartbeat> {
  if (!Number.isSafeInteger(h.sentAtMs) || h.sentAtMs < 0) return fail('heartbeat.sent_at_ms: out of range');
  if (!Number.isSafeInteger(h.rssBytes) || h.rssBytes < 0) return fail('heartbeat.rss_bytes: out of range');
  return { ok: true, value: h };
}

export function checkProgress(p: TaskProgress): Checked<TaskProgress> {
  if (!TASK_ID.test(p.taskId) || p.taskId === '') return fail('progress.task_id: 1-128 letters, digits, _ . : -');
  if (p.hostsDone > p.hostsTotal) return fail('progress.hosts_done: more than hosts_total');
  if (p.hostsAlive > p.hostsDone) return fail('progress.hosts_alive: more than hosts_done');
  if (!(p.state in TaskProgress_State) || p.state === TaskProgress_State.UNRECOGNIZED || p.state === TaskProgress_State.STATE_UNSPECIFIED) {
    return fail('progress.state: not a known state');
  }
  if (p.message.length > 4096) return fail('progress.message: at most 4096 characters');
  return { ok: true, value: p };
}

/**
 * The batch's records as plain evidence objects of this agent and site, not yet
 * range-checked record by record (the ingest check does that and names the field).
 */
export function batchToEvidence(batch: EvidenceBatch, agentId: string, site: string): Checked<Evidence[]> {
  if (!BATCH_ID.test(batch.batchId)) return fail('batch_id: 1-200 printable ASCII characters without spaces');
  if (!TASK_ID.test(batch.taskId)) return fail('task_id: at most 128 letters, digits, _ . : -');
  if (batch.records.length === 0) return fail('records: a batch needs at least one record');
  if (batch.records.length > MAX_BATCH_RECORDS) return fail(`records: ${batch.records.length} records, at most ${MAX_BATCH_RECORDS} allowed`);
  const out: Evidence[] = [];
  // An agent's batch carries few distinct times (one per probe round): each is formatted once.
  let lastMs = NaN;
  let lastIso = '';
  for (let i = 0; i < batch.records.length; i++) {
    const r = batch.records[i]!;
    if (!Number.isSafeInteger(r.observedAtMs) || r.observedAtMs <= 0 || r.observedAtMs > 8.64e15) {
      return fail(`records[${i}].observed_at_ms: out of range`);
    }
    if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) return fail(`records[${i}].port: must be 0-65535`);
    const evidence: Evidence & { status?: string } = {
      id: r.id,
      agentId,
      site,
      target: { ip: r.ip, transport: r.transport as 'tcp' },
      probe: r.probe,
      observedAt: r.observedAtMs === lastMs ? lastIso : (lastIso = new Date((lastMs = r.observedAtMs)).toISOString()),
      facts: { ...r.facts },
    };
    if (r.port !== 0) evidence.target.port = r.port;
    const raw = Object.entries(r.raw);
    if (raw.length > 0) evidence.raw = Object.fromEntries(raw.map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    if (r.status !== '') evidence.status = r.status;
    out.push(evidence);
  }
  return { ok: true, value: out };
}
