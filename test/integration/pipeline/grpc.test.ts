// The collector's gRPC server over real gRPC on 127.0.0.1: enrolment, sessions,
// rejection of malformed and oversized messages (nothing stored), resends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { startCollectorServer, type CollectorServer } from '../../../collector/server/index.ts';
import type { AgentMessage, EvidenceRecord } from '../../../proto/gen/sextant/v1/agent.ts';
import { enrol, memoryPipeline, openStream, rawClient, type MemoryPipeline } from './support.ts';

const TOKEN = 'grpc-test-token';
const MAX = 64 * 1024;

const record = (over: Partial<EvidenceRecord> = {}): EvidenceRecord => ({
  id: 'e-0001', probe: 'ssh', ip: '127.0.0.1', port: 22, transport: 'tcp', observedAtMs: Date.now(),
  facts: { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' }, raw: { 'ssh.banner': Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3') }, status: 'success', ...over,
});
const evidence = (batchId: string, records: EvidenceRecord[]): AgentMessage => ({ body: { $case: 'evidence', value: { batchId, taskId: 't-1', records } } });

describe('the collector gRPC server', () => {
  let server: CollectorServer;
  let pipeline: MemoryPipeline;
  let client: ReturnType<typeof rawClient>;

  before(async () => {
    pipeline = memoryPipeline();
    server = await startCollectorServer({ listen: '127.0.0.1:0', token: TOKEN, pipeline, maxMessageBytes: MAX, heartbeatSeconds: 1 });
    client = rawClient(server.port);
  });
  after(async () => {
    client.close();
    await server.close();
  });

  async function session(name = 'n1') {
    const r = await enrol(client, { token: TOKEN, name });
    assert.ok(r.ok);
    const s = openStream(client, r.res.sessionSecret);
    s.stream.write({ body: { $case: 'hello', value: { agentId: r.res.agentId, spooledBatches: 0 } } });
    return { ...s, agentId: r.res.agentId };
  }

  it('refuses enrolment with a wrong token as UNAUTHENTICATED', async () => {
    const r = await enrol(client, { token: 'wrong' });
    assert.ok(!r.ok);
    assert.equal(r.err.code, status.UNAUTHENTICATED);
  });

  it('refuses enrolment with a malformed site or name as INVALID_ARGUMENT', async () => {
    for (const req of [{ site: 'a.b' }, { site: '' }, { name: '../x' }, { addresses: ['not an address'] }]) {
      const r = await enrol(client, { token: TOKEN, ...req });
      assert.ok(!r.ok, JSON.stringify(req));
      assert.equal(r.err.code, status.INVALID_ARGUMENT);
      assert.match(r.err.details, /enrolment rejected: (site|name|addresses)/);
    }
  });

  it('gives the same agent id to the same site and name, a fresh secret each time', async () => {
    const a = await enrol(client, { token: TOKEN, name: 'same' });
    const b = await enrol(client, { token: TOKEN, name: 'same' });
    assert.ok(a.ok && b.ok);
    assert.equal(a.res.agentId, b.res.agentId);
    assert.notEqual(a.res.sessionSecret, b.res.sessionSecret);
  });

  it('refuses a stream without a valid session secret', async () => {
    for (const secret of [undefined, 'forged']) {
      const s = openStream(client, secret);
      s.stream.write({ body: { $case: 'hello', value: { agentId: 'a-x', spooledBatches: 0 } } });
      const end = await s.ended;
      assert.equal(end.code, status.UNAUTHENTICATED);
    }
  });

  it('ends a stream whose first message is not a hello, or whose hello names another agent', async () => {
    const r = await enrol(client, { token: TOKEN, name: 'order' });
    assert.ok(r.ok);
    const s = openStream(client, r.res.sessionSecret);
    s.stream.write(evidence('b-order', [record({ id: 'e-order' })]));
    assert.equal((await s.ended).code, status.FAILED_PRECONDITION);
    const t = openStream(client, r.res.sessionSecret);
    t.stream.write({ body: { $case: 'hello', value: { agentId: 'a-someone-else', spooledBatches: 0 } } });
    assert.equal((await t.ended).code, status.PERMISSION_DENIED);
    assert.ok(!pipeline.records.has('e-order'));
  });

  it('stores a valid batch, acknowledges it after the pipeline resolves, and treats a resend as a no-op', async () => {
    const s = await session('good');
    s.stream.write(evidence('b-good', [record({ id: 'e-good-1' }), record({ id: 'e-good-2', port: 80, probe: 'http', facts: { 'http_header.server': 'nginx/1.22.1' }, raw: {} })]));
    const ack = await s.next((m) => m.body?.$case === 'ack' && m.body.value.batchId === 'b-good');
    assert.deepEqual(ack.body?.$case === 'ack' && { stored: ack.body.value.stored, n: ack.body.value.recordsStored }, { stored: true, n: 2 });
    const stored = pipeline.records.get('e-good-1');
    assert.equal(stored?.agentId, s.agentId);
    assert.equal(stored?.site, 'lab');
    assert.equal(stored?.raw?.['ssh.banner'], Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3').toString('base64'));
    // The same batch again: acknowledged as stored, nothing new.
    s.stream.write(evidence('b-good', [record({ id: 'e-good-1' }), record({ id: 'e-good-2', port: 80, probe: 'http', facts: { 'http_header.server': 'nginx/1.22.1' }, raw: {} })]));
    await s.next((m) => m.body?.$case === 'ack' && m.body.value.batchId === 'b-good' && m.body.value.recordsDuplicate === 2);
    // A new batch holding an old record: only the new one counts.
    s.stream.write(evidence('b-good-2', [record({ id: 'e-good-1' }), record({ id: 'e-good-3', ip: '127.0.0.2' })]));
    const third = await s.next((m) => m.body?.$case === 'ack' && m.body.value.batchId === 'b-good-2');
    assert.ok(third.body?.$case === 'ack' && third.body.value.recordsStored === 1 && third.body.value.recordsDuplicate === 1);
    s.stream.end();
  });

  it('rejects a malformed batch for good, naming the field, and stores none of its records', async () => {
    const s = await session('bad');
    const cases: Array<[string, EvidenceRecord[], RegExp]> = [
      ['b-bad-ip', [record({ id: 'e-bad-1' }), record({ id: 'e-bad-2', ip: '999.1.1.1' })], /records\[1\]\.target\.ip/],
      ['b-bad-port', [record({ id: 'e-bad-3', port: 70000 })], /records\[0\]\.port/],
      ['b-bad-transport', [record({ id: 'e-bad-4', transport: 'carrier-pigeon' })], /transport/],
      ['b-bad-time', [record({ id: 'e-bad-5', observedAtMs: Date.now() + 7 * 86400_000 })], /future/],
      ['b-bad-key', [record({ id: 'e-bad-6', facts: { 'bad key\n': 'x' } })], /dotted fact name/],
      ['b-bad-id', [record({ id: '' })], /records\[0\]\.id/],
      ['b-empty', [], /at least one record/],
    ];
    for (const [batchId, records, why] of cases) {
      s.stream.write(evidence(batchId, records));
      const ack = await s.next((m) => m.body?.$case === 'ack' && m.body.value.batchId === batchId);
      assert.ok(ack.body?.$case === 'ack');
      assert.deepEqual({ stored: ack.body.value.stored, permanent: ack.body.value.permanent }, { stored: false, permanent: true }, batchId);
      assert.match(ack.body.value.error, why, batchId);
    }
    for (const id of ['e-bad-1', 'e-bad-2', 'e-bad-3', 'e-bad-4', 'e-bad-5', 'e-bad-6']) assert.ok(!pipeline.records.has(id), id);
    assert.ok(!pipeline.batches.some((b) => b.batchId.startsWith('b-bad') || b.batchId === 'b-empty'));
    const info = server.agents().find((a) => a.name === 'bad');
    assert.equal(info?.batchesRejected, cases.length);
    s.stream.end();
  });

  it('ends the stream with RESOURCE_EXHAUSTED on an oversized message and stores nothing of it', async () => {
    const s = await session('big');
    const huge = record({ id: 'e-huge', facts: { 'http.body': 'x'.repeat(MAX * 2) } });
    s.stream.write(evidence('b-huge', [huge]));
    const end = await s.ended;
    assert.equal(end.code, status.RESOURCE_EXHAUSTED);
    assert.match(end.details, /larger than max|message/i);
    assert.ok(!pipeline.records.has('e-huge'));
  });

  it('ends the stream on out-of-range progress and heartbeats', async () => {
    const s = await session('progress');
    s.stream.write({ body: { $case: 'progress', value: { taskId: 't-1', hostsTotal: 1, hostsDone: 5, hostsAlive: 0, state: 1, message: '' } } });
    const end = await s.ended;
    assert.equal(end.code, status.INVALID_ARGUMENT);
    assert.match(end.details, /hosts_done/);
  });

  it('ends the stream on bytes that are not a message at all', async () => {
    const r = await enrol(client, { token: TOKEN, name: 'garbage' });
    assert.ok(r.ok);
    const { Metadata } = await import('@grpc/grpc-js');
    const md = new Metadata();
    md.set('x-sextant-session', r.res.sessionSecret);
    const call = client.makeBidiStreamRequest('/sextant.v1.AgentService/Connect', (b: Buffer) => b, (b: Buffer) => b, md);
    const ended = new Promise<number>((resolve) => call.on('status', (st: { code: number }) => resolve(st.code)));
    call.on('error', () => undefined);
    call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.notEqual(await ended, status.OK);
  });

  it('hands tasks of the agent\'s site to its stream, and records their progress', async () => {
    const s = await session('tasks');
    server.tasks.add({ site: 'lab', targets: ['127.0.0.1'], ports: '22', taskId: 't-handed', agent: 'tasks' });
    const task = await s.next((m) => m.body?.$case === 'task');
    assert.ok(task.body?.$case === 'task' && task.body.value.taskId === 't-handed');
    s.stream.write({ body: { $case: 'progress', value: { taskId: 't-handed', hostsTotal: 1, hostsDone: 1, hostsAlive: 1, state: 2, message: '' } } });
    for (let i = 0; i < 50 && [...(server.tasks.get('t-handed')?.agents.values() ?? [])][0]?.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal([...(server.tasks.get('t-handed')?.agents.values() ?? [])][0]?.state, 'done');
    s.stream.end();
  });
});
