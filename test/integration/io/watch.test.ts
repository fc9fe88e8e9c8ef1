// sextant watch against the real nats-server (127.0.0.1:4222, JetStream), on a
// stream and subject prefix of this run only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRecogEngine } from '../../../collector/fingerprint/index.ts';
import { connectPublisher, createPipeline, openSqliteStore, type Pipeline } from '../../../collector/pipeline.ts';
import { SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { watchAssets, type WatchedEvent } from '../../../collector/publish/watch.ts';
import { REPO } from '../../helpers/recog.ts';
import { batch, debianWebServer, record, recogEngine, tempDir } from '../../unit/collector/support.ts';
import { NATS_URL } from '../collector/nats-support.ts';

const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
const stream = `SEXTANT_ASSETS_WATCH_${tag}`;
const subjectPrefix = `sxwatch.${tag}.assets`;
let nc: NatsConnection;
let tmp: ReturnType<typeof tempDir>;
let pipeline: Pipeline;
let t0: Date;

before(async () => {
  tmp = tempDir();
  nc = await connect({ servers: NATS_URL, name: 'sextant-watch-test' });
  t0 = new Date(Date.now() - 1000);
  const publisher = await connectPublisher(NATS_URL, { stream, subjectPrefix });
  pipeline = createPipeline({ store: openSqliteStore(join(tmp.dir, 'w.db')), publisher, engine: recogEngine(), subjectPrefix });
  await pipeline.ingest(batch(debianWebServer('198.18.9.2', 'dc:a6:32:01:02:03')));
  await pipeline.ingest(batch([record({ ip: '198.18.9.7', port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'AcmeHTTPd/2.1' })]));
});

after(async () => {
  await pipeline.close();
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  await nc.close();
  tmp.remove();
});

async function take(events: AsyncGenerator<WatchedEvent>, n: number): Promise<WatchedEvent[]> {
  const out: WatchedEvent[] = [];
  for await (const e of events) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}

describe('watchAssets (JetStream)', () => {
  it('replays from --since only the events whose asset matches, then deleted events of assets it showed', async () => {
    const events = watchAssets({ nats: nc, stream, subjectPrefix, query: 'os:debian', since: t0 });
    const [created] = await take(events, 1);
    assert.equal(created!.event, 'created');
    assert.equal((created!.asset as { os?: string }).os, 'Debian Linux');
    // MERGE publishes `deleted` when a merge absorbs an asset; its body may carry only the id.
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    await js.publish(`${subjectPrefix}.lab.deleted`, JSON.stringify({ event: 'deleted', site: 'lab', asset: { id: created!.asset.id }, changes: [] }));
    await js.publish(`${subjectPrefix}.lab.deleted`, JSON.stringify({ event: 'deleted', site: 'lab', asset: { id: 'some-other-asset' }, changes: [] }));
    const again = await take(watchAssets({ nats: nc, stream, subjectPrefix, query: 'os:debian', since: t0 }), 2);
    assert.deepEqual(again.map((e) => [e.event, e.asset.id]), [['created', created!.asset.id], ['deleted', created!.asset.id]]);
    assert.ok(again[1]!.seq > again[0]!.seq);
  });

  it('without --since follows new events only, live, with their changes', async () => {
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const events = watchAssets({ nats: NATS_URL, stream, subjectPrefix, query: 'address:198.18.9.7', ready });
    const next = events.next();
    await isReady;
    await pipeline.ingest(batch([record({ ip: '198.18.9.7', port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' })]));
    const { value } = await next;
    await events.return(undefined);
    const e = value as WatchedEvent;
    assert.equal(e.event, 'updated');
    assert.deepEqual(e.changes.find((c) => c.field === 'os'), { field: 'os', before: null, after: 'Debian Linux' });
  });

  it('the command prints matching events and stops after --count', async () => {
    const child = spawn(process.execPath, [join(REPO, 'shared/cli/bin.js'), 'watch', 'port:80', '--since', '10m', '--count', '1', '--json', '--nats', NATS_URL, '--stream', stream, '--subject-prefix', subjectPrefix], { cwd: REPO, env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as WatchedEvent);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.event, 'created');
    assert.ok((lines[0]!.asset as { services: Array<{ port: number }> }).services.some((s) => s.port === 80));
  });

  it('sees the updated event refingerprint publishes, with the differences', async () => {
    const custom = join(tmp.dir, 'custom');
    mkdirSync(custom);
    writeFileSync(join(custom, 'acme.xml'), `<?xml version="1.0"?>
<fingerprints matches="http_header.server" protocol="http" database_type="service" preference="0.95">
  <fingerprint pattern="^AcmeHTTPd/(\\d+\\.\\d+)$">
    <description>Acme appliance web server</description>
    <example service.version="2.1">AcmeHTTPd/2.1</example>
    <param pos="0" name="service.product" value="AcmeHTTPd"/>
    <param pos="1" name="service.version"/>
    <param pos="0" name="hw.vendor" value="Acme"/>
    <param pos="0" name="hw.product" value="X1"/>
  </fingerprint>
</fingerprints>
`);
    await pipeline.close();
    const publisher = await connectPublisher(NATS_URL, { stream, subjectPrefix });
    pipeline = createPipeline({
      store: openSqliteStore(join(tmp.dir, 'w.db')), publisher, subjectPrefix,
      engine: createRecogEngine({ builtinDirs: [join(REPO, 'fingerprints'), SHARED_RECOG_XML], externalDir: custom }),
    });
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const events = watchAssets({ nats: nc, stream, subjectPrefix, query: 'hw:acme', ready });
    const next = events.next();
    await isReady;
    const result = await pipeline.refingerprint();
    assert.equal(result.updated, 1);
    const e = (await next).value as WatchedEvent;
    await events.return(undefined);
    assert.equal(e.event, 'updated');
    assert.deepEqual(e.changes.find((c) => c.field === 'hw'), { field: 'hw', before: null, after: 'Acme X1' });
    assert.deepEqual(e.changes.find((c) => c.field === 'service:198.18.9.7/tcp/80'), { field: 'service:198.18.9.7/tcp/80', before: 'http', after: 'AcmeHTTPd 2.1 (http)' });
  });

  it('rejects a --since it cannot read', () => {
    const r = spawn(process.execPath, [join(REPO, 'shared/cli/bin.js'), 'watch', '--since', 'last tuesday', '--nats', NATS_URL], { cwd: REPO });
    let err = '';
    r.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise<void>((resolve) => r.once('exit', (code) => {
      assert.equal(code, 2);
      assert.match(err, /--since.*neither a duration/);
      resolve();
    }));
  });
});
