import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { batchId, createBatcher, evidenceId, itemToEvidence, makeItem, openSpool, type EvidenceBatchItem } from '../../../agent/index.ts';
import { memoryLogger } from '../../../shared/logging.ts';

const ctx = { agentId: 'a-1', taskId: 't-1' };

describe('evidence ids', () => {
  it('are the same for the same observation, whenever it was made', () => {
    const a = makeItem(ctx, { probe: 'ssh', target: { ip: '127.0.0.1', port: 22, transport: 'tcp' }, facts: { 'ssh.banner': 'OpenSSH_9.2p1', b: '1' }, observedAtMs: 1 });
    const b = makeItem(ctx, { probe: 'ssh', target: { ip: '127.0.0.1', port: 22, transport: 'tcp' }, facts: { b: '1', 'ssh.banner': 'OpenSSH_9.2p1' }, observedAtMs: 2 });
    assert.equal(a.id, b.id);
    assert.match(a.id, /^e-[0-9a-f]{32}$/);
  });

  it('differ when the agent, task, target, probe or facts differ', () => {
    const base = { probe: 'ssh', ip: '127.0.0.1', port: 22, transport: 'tcp' as const, status: 'success' as const, facts: { k: 'v' }, raw: {} };
    const ids = new Set([
      evidenceId('a-1', 't-1', base),
      evidenceId('a-2', 't-1', base),
      evidenceId('a-1', 't-2', base),
      evidenceId('a-1', 't-1', { ...base, port: 2222 }),
      evidenceId('a-1', 't-1', { ...base, ip: '127.0.0.2' }),
      evidenceId('a-1', 't-1', { ...base, probe: 'http' }),
      evidenceId('a-1', 't-1', { ...base, facts: { k: 'w' } }),
      evidenceId('a-1', 't-1', { ...base, raw: { k: 'AAAA' } }),
    ]);
    assert.equal(ids.size, 8);
  });

  it('batch ids do not depend on record order', () => {
    assert.equal(batchId('t', ['x', 'y', 'z']), batchId('t', ['z', 'x', 'y']));
    assert.notEqual(batchId('t', ['x', 'y']), batchId('u', ['x', 'y']));
  });

  it('become plain Evidence with the agent and site, the status kept beside the facts', () => {
    const item = makeItem(ctx, { probe: 'ftp', target: { ip: '198.18.0.2', port: 21, transport: 'tcp' }, status: 'no-match', facts: {}, raw: { 'ftp.banner': 'MjIw' }, observedAtMs: Date.UTC(2024, 0, 1) });
    const e = itemToEvidence(item, 'a-9', 'lab');
    assert.deepEqual(e, {
      id: item.id, agentId: 'a-9', site: 'lab', target: { ip: '198.18.0.2', port: 21, transport: 'tcp' }, probe: 'ftp',
      observedAt: '2024-01-01T00:00:00.000Z', facts: {}, raw: { 'ftp.banner': 'MjIw' }, status: 'no-match',
    });
  });
});

describe('the batcher', () => {
  it('cuts batches by count, drops a repeated record, and flushes per task', () => {
    const out: EvidenceBatchItem[] = [];
    const b = createBatcher((x) => out.push(x), { maxRecords: 2, maxAgeMs: 60_000 });
    const item = (n: number) => makeItem(ctx, { probe: 'p', target: { ip: `198.18.0.${n}` }, facts: { n: String(n) } });
    b.add('t-1', item(1));
    b.add('t-1', item(1));
    b.add('t-1', item(2));
    b.add('t-1', item(3));
    b.add('t-2', item(4));
    b.flush('t-1');
    assert.deepEqual(out.map((x) => [x.taskId, x.records.length]), [['t-1', 2], ['t-1', 1]]);
    b.flush();
    assert.deepEqual(out.map((x) => [x.taskId, x.records.length]), [['t-1', 2], ['t-1', 1], ['t-2', 1]]);
    b.close();
  });

  it('sends a partly filled batch after its age limit', async () => {
    const out: EvidenceBatchItem[] = [];
    const b = createBatcher((x) => out.push(x), { maxAgeMs: 20 });
    b.add('t', makeItem(ctx, { probe: 'p', target: { ip: '127.0.0.1' } }));
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(out.length, 1);
    b.close();
  });
});

describe('the spool', () => {
  const batch = (n: number, size = 10): EvidenceBatchItem => {
    const records = [makeItem(ctx, { probe: 'p', target: { ip: '127.0.0.1' }, facts: { pad: 'x'.repeat(size), n: String(n) } })];
    return { batchId: batchId('t', records.map((r) => r.id)), taskId: 't', records };
  };

  it('keeps batches across a restart until they are removed, oldest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sx-spool-'));
    try {
      const { logger } = memoryLogger();
      const s = openSpool(dir, 1 << 20, logger);
      const [a, b, c] = [batch(1), batch(2), batch(3)];
      s.add(a);
      s.add(b);
      s.add(c);
      s.add(a);
      assert.equal(s.count, 3);
      s.remove(b.batchId);
      const again = openSpool(dir, 1 << 20, logger);
      assert.deepEqual(again.ids(), [a.batchId, c.batchId]);
      assert.deepEqual(again.read(c.batchId), c);
      again.add(batch(4));
      assert.equal(again.ids()[2], batch(4).batchId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stays within its byte limit by dropping the oldest batches, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sx-spool-'));
    try {
      const { logger, entries } = memoryLogger();
      const s = openSpool(dir, 3000, logger);
      const batches = [1, 2, 3, 4, 5].map((n) => batch(n, 900));
      for (const b of batches) s.add(b);
      assert.ok(s.bytes <= 3000, String(s.bytes));
      assert.ok(s.dropped >= 2);
      assert.equal(s.ids().at(-1), batches[4]!.batchId);
      assert.ok(!s.has(batches[0]!.batchId));
      assert.equal(readdirSync(dir).length, s.count);
      assert.ok(entries.some((e) => String(e.msg).includes('spool full')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
