// Evidence as the agent keeps it: one plain record per observation, with an id
// that depends only on what was observed (so a resend, or a repeat within the
// same task, is a no-op at the collector), and batches with equally stable ids.
import { createHash } from 'node:crypto';
import type { Evidence, ProbeResult, ProbeStatus, Target } from '../shared/types.ts';

/** What goes into the spool and onto the wire (EvidenceRecord), bytes as base64. */
export interface EvidenceItem {
  id: string;
  probe: string;
  ip: string;
  /** 0 when not a port-level observation. */
  port: number;
  transport: 'tcp' | 'udp' | 'icmp' | 'arp';
  observedAtMs: number;
  facts: Record<string, string>;
  raw: Record<string, string>;
  status: ProbeStatus;
}

export interface EvidenceBatchItem {
  batchId: string;
  taskId: string;
  records: EvidenceItem[];
}

function sortedEntries(map: Record<string, string>): Array<[string, string]> {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** sha256 over everything that makes the observation what it is, except when it was made. */
export function evidenceId(agentId: string, taskId: string, item: Omit<EvidenceItem, 'id' | 'observedAtMs'>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([agentId, taskId, item.probe, item.ip, item.port, item.transport, item.status, sortedEntries(item.facts), sortedEntries(item.raw)]));
  return `e-${h.digest('hex').slice(0, 32)}`;
}

export function batchId(taskId: string, recordIds: readonly string[]): string {
  const h = createHash('sha256');
  h.update(taskId);
  for (const id of [...recordIds].sort()) h.update(`\0${id}`);
  return `b-${h.digest('hex').slice(0, 32)}`;
}

export interface ItemContext {
  agentId: string;
  taskId: string;
}

/** Builds one record; facts and raw are copied so later changes by the caller cannot alter its id. */
export function makeItem(
  ctx: ItemContext,
  fields: { probe: string; target: Target; status?: ProbeStatus; facts?: Record<string, string>; raw?: Record<string, string>; observedAtMs?: number },
): EvidenceItem {
  const transport = fields.target.transport ?? 'tcp';
  const base = {
    probe: fields.probe,
    ip: fields.target.ip,
    port: fields.target.port ?? 0,
    transport: transport === 'udp' || transport === 'icmp' || transport === 'arp' ? transport : 'tcp',
    facts: { ...(fields.facts ?? {}) },
    raw: { ...(fields.raw ?? {}) },
    status: fields.status ?? 'success',
  } satisfies Omit<EvidenceItem, 'id' | 'observedAtMs'>;
  return { id: evidenceId(ctx.agentId, ctx.taskId, base), observedAtMs: fields.observedAtMs ?? Date.now(), ...base };
}

/** Statuses that say something about the target even without facts. */
const INFORMATIVE = new Set<ProbeStatus>(['success']);

/**
 * A probe result worth keeping: a success, or any outcome that carries
 * partial evidence (facts or raw bytes). Silence and refusals are not evidence.
 */
export function itemFromResult(ctx: ItemContext, result: ProbeResult): EvidenceItem | undefined {
  const hasData = Object.keys(result.facts ?? {}).length > 0 || Object.keys(result.raw ?? {}).length > 0;
  if (!INFORMATIVE.has(result.status) && !hasData) return undefined;
  const observed = Date.parse(result.startedAt);
  return makeItem(ctx, {
    probe: result.probe,
    target: result.target,
    status: result.status,
    facts: result.facts ?? {},
    raw: result.raw ?? {},
    observedAtMs: Number.isFinite(observed) ? observed + result.durationMs : Date.now(),
  });
}

/** The plain `Evidence` the collector's pipeline takes, the probe's status beside it (the ingest check accepts `status`). */
export function itemToEvidence(item: EvidenceItem, agentId: string, site: string): Evidence & { status: string } {
  const facts = { ...item.facts };
  const target: Target = { ip: item.ip, transport: item.transport };
  if (item.port > 0) target.port = item.port;
  const evidence: Evidence & { status: string } = {
    id: item.id,
    agentId,
    site,
    target,
    probe: item.probe,
    observedAt: new Date(item.observedAtMs).toISOString(),
    facts,
    status: item.status,
  };
  if (Object.keys(item.raw).length > 0) evidence.raw = { ...item.raw };
  return evidence;
}

/** Bytes a record takes on the wire, roughly (for batch sizing). */
export function approximateSize(item: EvidenceItem): number {
  let n = 64 + item.id.length + item.probe.length + item.ip.length;
  for (const [k, v] of Object.entries(item.facts)) n += k.length + Buffer.byteLength(v) + 8;
  for (const [k, v] of Object.entries(item.raw)) n += k.length + Math.ceil((v.length * 3) / 4) + 8;
  return n;
}
