import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS, isPermanentRejection, validateBatch } from '../../../collector/ingest/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { batch, record } from './support.ts';

const NOW = Date.parse('2024-05-02T00:00:00Z');

function rejects(input: unknown, field: string, code: 'EVIDENCE_INVALID' | 'EVIDENCE_TOO_LARGE' = 'EVIDENCE_INVALID', limits = DEFAULT_LIMITS) {
  assert.throws(() => validateBatch(input, limits, NOW), (err: unknown) => {
    assert.ok(isSextantError(err, code), `expected ${code}, got ${String(err)}`);
    assert.equal(err.location.field, field);
    assert.ok(err.message.includes(`(${field})`), `message names the field: ${err.message}`);
    assert.ok(isPermanentRejection(err));
    return true;
  });
}

const ssh = () => record({ ip: '198.18.1.2', port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' });

describe('evidence batch validation', () => {
  it('accepts a well-formed batch and normalizes times to UTC and IPv6 to its canonical form', () => {
    const r6 = record({ ip: '2001:DB8:0:0::1', port: 443, transport: 'tcp' }, 'tls', {}, { observedAt: '2024-05-01T14:00:00+02:00' });
    const out = validateBatch(batch([ssh(), r6]), DEFAULT_LIMITS, NOW);
    assert.equal(out.records.length, 2);
    assert.equal(out.records[1]!.target.ip, '2001:db8::1');
    assert.equal(out.records[1]!.observedAt, '2024-05-01T12:00:00.000Z');
  });

  it('treats port 0 as no port, as the wire contract does', () => {
    const r = record({ ip: '198.18.1.2', port: 0, transport: 'icmp' }, 'icmp', {});
    assert.equal(validateBatch(batch([r]), DEFAULT_LIMITS, NOW).records[0]!.target.port, undefined);
  });

  it('rejects a record whose IP is not an address, naming records[i].target.ip', () => {
    const bad = record({ ip: '198.18.1.300', port: 22, transport: 'tcp' }, 'ssh', {});
    rejects(batch([ssh(), bad]), 'records[1].target.ip');
  });

  it('rejects a port outside 0-65535 and a port without tcp or udp', () => {
    rejects(batch([record({ ip: '198.18.1.2', port: 70000, transport: 'tcp' }, 'ssh', {})]), 'records[0].target.port');
    rejects(batch([record({ ip: '198.18.1.2', port: 1.5, transport: 'tcp' }, 'ssh', {})]), 'records[0].target.port');
    rejects(batch([record({ ip: '198.18.1.2', port: 22, transport: 'icmp' }, 'ssh', {})]), 'records[0].target.transport');
  });

  it('reads an empty transport as not set, as proto3 sends it', () => {
    const r = record({ ip: '198.18.1.2', transport: '' as 'tcp' }, 'icmp', {});
    assert.equal(validateBatch(batch([r]), DEFAULT_LIMITS, NOW).records[0]!.target.transport, undefined);
  });

  it('rejects an unknown transport', () => {
    rejects(batch([record({ ip: '198.18.1.2', transport: 'sctp' as 'tcp' }, 'x', {})]), 'records[0].target.transport');
  });

  it('rejects times that are not ISO 8601 with a zone, before 2000 or a day in the future', () => {
    rejects(batch([{ ...ssh(), observedAt: '2024-05-01 12:00' }]), 'records[0].observedAt');
    rejects(batch([{ ...ssh(), observedAt: '1999-12-31T23:59:59Z' }]), 'records[0].observedAt');
    rejects(batch([{ ...ssh(), observedAt: '2024-05-04T00:00:00Z' }]), 'records[0].observedAt');
    rejects(batch([{ ...ssh(), observedAt: '2024-02-30T00:00:00Z' }]), 'records[0].observedAt');
  });

  it('rejects a fact that is not a string, naming the fact key', () => {
    rejects(batch([{ ...ssh(), facts: { 'ssh.banner': 42 as unknown as string } }]), 'records[0].facts.ssh.banner');
  });

  it('rejects a fact key that is not a dotted name', () => {
    rejects(batch([{ ...ssh(), facts: { 'bad key\n': 'x' } }]), 'records[0].facts');
  });

  it('rejects raw bytes that are not base64', () => {
    rejects(batch([{ ...ssh(), raw: { 'ssh.banner': 'not base64!' } }]), 'records[0].raw.ssh.banner');
  });

  it('rejects records of another agent or site than the batch', () => {
    rejects(batch([{ ...ssh(), agentId: 'someone-else' }]), 'records[0].agentId');
    rejects(batch([{ ...ssh(), site: 'elsewhere' }]), 'records[0].site');
  });

  it('rejects a site that cannot be a NATS subject token', () => {
    rejects({ ...batch([]), site: 'a.b' }, 'site');
    rejects({ ...batch([]), site: 'lab>' }, 'site');
  });

  it('rejects unknown fields instead of silently dropping them', () => {
    rejects(batch([{ ...ssh(), extra: 1 } as never]), 'records[0].extra');
    rejects(batch([{ ...ssh(), target: { ip: '198.18.1.2', host: 'x' } } as never]), 'records[0].target.host');
  });

  it('rejects a missing or empty id and a records field that is not an array', () => {
    rejects(batch([{ ...ssh(), id: '' }]), 'records[0].id');
    rejects(batch([{ ...ssh(), id: 'has space' }]), 'records[0].id');
    rejects({ ...batch([]), records: {} }, 'records');
    rejects(null, 'batch');
  });

  it('rejects oversized batches, records and facts as EVIDENCE_TOO_LARGE', () => {
    const small = { ...DEFAULT_LIMITS, maxRecords: 2, maxFactChars: 100, maxRecordChars: 300, maxBatchChars: 350, maxFacts: 3 };
    rejects(batch([ssh(), ssh(), ssh()]), 'records', 'EVIDENCE_TOO_LARGE', small);
    rejects(batch([{ ...ssh(), facts: { 'ssh.banner': 'x'.repeat(101) } }]), 'records[0].facts.ssh.banner', 'EVIDENCE_TOO_LARGE', small);
    rejects(batch([{ ...ssh(), facts: { a: '1', b: '2', c: '3', d: '4' } }]), 'records[0].facts', 'EVIDENCE_TOO_LARGE', small);
    const big = () => ({ ...ssh(), facts: { a: 'x'.repeat(99), b: 'x'.repeat(99), c: 'x'.repeat(99) } });
    rejects(batch([big()]), 'records[0]', 'EVIDENCE_TOO_LARGE', small);
    const mid = () => ({ ...ssh(), facts: { a: 'x'.repeat(90), b: 'x'.repeat(90) } });
    rejects(batch([mid(), mid()]), 'records', 'EVIDENCE_TOO_LARGE', small);
  });

  it('keeps an optional probe status, as the wire record carries one', () => {
    const out = validateBatch(batch([{ ...ssh(), status: 'success' } as never]), DEFAULT_LIMITS, NOW);
    assert.equal((out.records[0] as unknown as { status: string }).status, 'success');
  });
});
