// Checks an evidence batch before anything of it is stored: shapes, field
// ranges and size limits. Every rejection names the field it is about, so an
// agent's log says exactly which record of which batch was wrong.
import { isIP } from 'node:net';
import { SextantError } from '../../shared/errors.ts';
import type { Evidence, Target } from '../../shared/types.ts';

export interface EvidenceBatch {
  batchId: string;
  agentId: string;
  site: string;
  records: Evidence[];
}

export interface IngestLimits {
  maxRecords: number;
  /** Sum of a batch's string lengths (ids, facts, raw) in characters. */
  maxBatchChars: number;
  maxRecordChars: number;
  maxFacts: number;
  maxFactChars: number;
  maxRawChars: number;
  /** How far in the future an observation may be dated (agent clock skew). */
  maxClockSkewMs: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxRecords: 10_000,
  maxBatchChars: 32 * 1024 * 1024,
  maxRecordChars: 2 * 1024 * 1024,
  maxFacts: 256,
  maxFactChars: 256 * 1024,
  maxRawChars: 1024 * 1024,
  maxClockSkewMs: 24 * 3600 * 1000,
};

// Sites become NATS subject tokens (sextant.assets.<site>.created), so no dots, wildcards or spaces.
const SITE = /^[A-Za-z0-9_-]{1,64}$/;
const ID = /^[\x21-\x7e]{1,200}$/;
const PROBE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// Recog match keys: `ssh.banner`, `http_header.x-powered-by`, `mdns.device-info.txt`.
const FACT_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const TRANSPORTS = new Set(['tcp', 'udp', 'icmp', 'arp']);
const RECORD_FIELDS = new Set(['id', 'agentId', 'site', 'target', 'probe', 'observedAt', 'facts', 'raw', 'status']);
const TARGET_FIELDS = new Set(['ip', 'port', 'transport']);
const EARLIEST = Date.UTC(2000, 0, 1);

function invalid(field: string, detail: string): SextantError {
  return new SextantError('EVIDENCE_INVALID', detail, { field });
}

function tooLarge(field: string, detail: string): SextantError {
  return new SextantError('EVIDENCE_TOO_LARGE', detail, { field });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkString(value: unknown, field: string, pattern: RegExp, what: string): string {
  if (typeof value !== 'string') throw invalid(field, `must be a string (${what})`);
  if (!pattern.test(value)) throw invalid(field, `must be ${what}`);
  return value;
}

/** IPv6 in its canonical compressed lower-case form, so one host has one key. */
export function canonicalIp(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6 || ip.includes('%')) return undefined;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function checkTarget(value: unknown, field: string, imported = false): Target {
  if (!isPlainObject(value)) throw invalid(field, 'must be an object {ip, port?, transport?}');
  for (const key of Object.keys(value)) if (!TARGET_FIELDS.has(key)) throw invalid(`${field}.${key}`, 'is not a target field');
  // An integration's device record (agentId import:<source>) may have no address at all.
  if (imported && value.ip === '' && value.port === undefined) return { ip: '' };
  const ip = typeof value.ip === 'string' ? canonicalIp(value.ip) : undefined;
  if (ip === undefined) throw invalid(`${field}.ip`, 'must be an IPv4 or IPv6 address without a zone');
  const target: Target = { ip };
  if (value.port !== undefined) {
    if (!Number.isInteger(value.port) || (value.port as number) < 0 || (value.port as number) > 65535) {
      throw invalid(`${field}.port`, 'must be an integer 0-65535');
    }
    if (value.port !== 0) target.port = value.port as number;
  }
  // An empty transport is proto3's "not set".
  if (value.transport !== undefined && value.transport !== '') {
    if (typeof value.transport !== 'string' || !TRANSPORTS.has(value.transport)) throw invalid(`${field}.transport`, 'must be one of tcp, udp, icmp, arp');
    target.transport = value.transport as Target['transport'];
  }
  if (target.port !== undefined && target.transport !== 'tcp' && target.transport !== 'udp') {
    throw invalid(`${field}.transport`, 'must be tcp or udp when a port is given');
  }
  return target;
}

/**
 * Canonical forms of times already accepted in this batch: a batch's records
 * mostly share a handful of observedAt values, and parsing each again was a
 * tenth of validation. Keyed per batch, since the future-skew check depends on `now`.
 */
export type TimeCache = Map<string, string>;

function checkTime(value: unknown, field: string, now: number, skew: number, cache?: TimeCache): string {
  if (cache && typeof value === 'string') {
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const canonical = checkTime(value, field, now, skew);
    if (cache.size < 4096) cache.set(value, canonical);
    return canonical;
  }
  if (typeof value !== 'string' || !ISO_8601.test(value)) throw invalid(field, 'must be an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00.000Z');
  const ms = Date.parse(value);
  // Date.parse rolls 2024-02-30 over into March; a calendar date must exist as written.
  const [y, mo, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(y, mo - 1, d));
  if (!Number.isFinite(ms) || calendar.getUTCMonth() !== mo - 1 || calendar.getUTCDate() !== d) throw invalid(field, 'is not a valid date');
  if (ms < EARLIEST) throw invalid(field, 'is before 2000-01-01');
  if (ms > now + skew) throw invalid(field, `is more than ${Math.round(skew / 3600_000)} h in the future (agent clock?)`);
  return new Date(ms).toISOString();
}

function checkMap(value: unknown, field: string, limits: IngestLimits, maxValue: number, base64: boolean): { map: Record<string, string>; chars: number } {
  if (!isPlainObject(value)) throw invalid(field, 'must be an object of string values');
  const keys = Object.keys(value);
  if (keys.length > limits.maxFacts) throw tooLarge(field, `has ${keys.length} entries, at most ${limits.maxFacts} allowed`);
  let chars = 0;
  // Checked in place and kept as it is: copying every fact map costs more than the checks.
  const map = value as Record<string, string>;
  for (const key of keys) {
    // Untrusted keys go into the message as JSON so control characters stay visible.
    if (!FACT_KEY.test(key)) throw invalid(field, `key ${JSON.stringify(key.slice(0, 80))} is not a dotted fact name`);
    const v = value[key];
    if (typeof v !== 'string') throw invalid(`${field}.${key}`, 'must be a string');
    if (v.length > maxValue) throw tooLarge(`${field}.${key}`, `is ${v.length} characters, at most ${maxValue} allowed`);
    if (base64 && !BASE64.test(v)) throw invalid(`${field}.${key}`, 'must be base64');
    chars += key.length + v.length;
  }
  return { map, chars };
}

/** One record, checked and normalized (canonical IP, ISO time in UTC); throws naming the field. */
export function validateRecord(value: unknown, field: string, batch: { agentId: string; site: string }, limits: IngestLimits, now: number, times?: TimeCache): { record: Evidence; chars: number } {
  if (!isPlainObject(value)) throw invalid(field, 'must be an evidence object');
  for (const key of Object.keys(value)) if (!RECORD_FIELDS.has(key)) throw invalid(`${field}.${key}`, 'is not an evidence field');
  const id = checkString(value.id, `${field}.id`, ID, '1-200 printable ASCII characters without spaces');
  if (value.agentId !== batch.agentId) throw invalid(`${field}.agentId`, `must be the batch's agent id ${JSON.stringify(batch.agentId)}`);
  if (value.site !== batch.site) throw invalid(`${field}.site`, `must be the batch's site ${JSON.stringify(batch.site)}`);
  const probe = checkString(value.probe, `${field}.probe`, PROBE, 'a probe name (letters, digits, _ . -)');
  const target = checkTarget(value.target, `${field}.target`, batch.agentId.startsWith('import:'));
  const observedAt = checkTime(value.observedAt, `${field}.observedAt`, now, limits.maxClockSkewMs, times);
  const facts = checkMap(value.facts, `${field}.facts`, limits, limits.maxFactChars, false);
  const record: Evidence = { id, agentId: batch.agentId, site: batch.site, target, probe, observedAt, facts: facts.map };
  let chars = id.length + probe.length + facts.chars;
  if (value.raw !== undefined) {
    const raw = checkMap(value.raw, `${field}.raw`, limits, limits.maxRawChars, true);
    record.raw = raw.map;
    chars += raw.chars;
  }
  if (value.status !== undefined) {
    (record as Evidence & { status?: string }).status = checkString(value.status, `${field}.status`, /^[a-z-]{1,32}$/, 'a probe status such as success or timeout');
  }
  if (chars > limits.maxRecordChars) throw tooLarge(field, `is ${chars} characters, at most ${limits.maxRecordChars} allowed`);
  return { record, chars };
}

/**
 * The whole batch or nothing: the first bad record rejects it (EVIDENCE_INVALID
 * or EVIDENCE_TOO_LARGE, both permanent, so the agent must not resend it).
 */
export function validateBatch(batch: unknown, limits: IngestLimits = DEFAULT_LIMITS, now = Date.now(), options: { anyAgent?: boolean } = {}): EvidenceBatch {
  if (!isPlainObject(batch)) throw invalid('batch', 'must be an object {batchId, agentId, site, records}');
  const batchId = checkString(batch.batchId, 'batchId', ID, '1-200 printable ASCII characters without spaces');
  const agentId = checkString(batch.agentId, 'agentId', ID, '1-200 printable ASCII characters without spaces');
  const site = checkString(batch.site, 'site', SITE, '1-64 letters, digits, _ or - (it becomes a NATS subject token)');
  if (!Array.isArray(batch.records)) throw invalid('records', 'must be an array');
  if (batch.records.length > limits.maxRecords) throw tooLarge('records', `has ${batch.records.length} records, at most ${limits.maxRecords} allowed`);
  const records: Evidence[] = [];
  let total = 0;
  const times: TimeCache = new Map();
  const owner = { agentId, site };
  for (let i = 0; i < batch.records.length; i++) {
    // An import (anyAgent) keeps each record's own agent: one file may hold several agents' evidence.
    const own = options.anyAgent ? (batch.records[i] as { agentId?: unknown } | null)?.agentId : undefined;
    const recordOwner = typeof own === 'string' && ID.test(own) ? { agentId: own, site } : owner;
    const { record, chars } = validateRecord(batch.records[i], `records[${i}]`, recordOwner, limits, now, times);
    total += chars;
    if (total > limits.maxBatchChars) throw tooLarge('records', `exceed ${limits.maxBatchChars} characters in total at records[${i}]`);
    records.push(record);
  }
  return { batchId, agentId, site, records };
}

/** True for rejections that resending cannot fix (BatchAck.permanent). */
export function isPermanentRejection(err: unknown): boolean {
  return err instanceof SextantError && (err.code === 'EVIDENCE_INVALID' || err.code === 'EVIDENCE_TOO_LARGE');
}
