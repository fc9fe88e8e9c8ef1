import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNatsPublisher, connectPublisher, type Publisher } from '../../../collector/publish/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { NATS_URL, testStream, type TestStream } from './nats-support.ts';

let ts: TestStream;
let publisher: Publisher;
before(async () => {
  ts = await testStream();
  publisher = await connectNatsPublisher({ servers: NATS_URL, stream: ts.stream, subjectPrefix: ts.subjectPrefix });
});
after(async () => {
  await publisher?.close();
  await ts?.remove();
});

describe('publishing asset events to NATS JetStream', () => {
  it('creates the stream with <prefix>.> when it is missing', async () => {
    const info = await (await jetstreamManager(ts.nc)).streams.info(ts.stream);
    assert.deepEqual(info.config.subjects, [`${ts.subjectPrefix}.>`]);
    assert.ok(info.config.duplicate_window > 0);
  });

  it('leaves an existing stream as it is when connecting again', async () => {
    const again = await connectNatsPublisher({ servers: NATS_URL, stream: ts.stream, subjectPrefix: ts.subjectPrefix });
    await again.close();
    const info = await (await jetstreamManager(ts.nc)).streams.info(ts.stream);
    assert.equal(info.state.messages, 0);
  });

  it('publishes created and updated events with Nats-Msg-Id, and drops a repeat of the same id', async () => {
    const created = { subject: `${ts.subjectPrefix}.lab.created`, msgId: 'asset-1:1', body: JSON.stringify({ event: 'created', site: 'lab', asset: { id: 'asset-1' }, changes: [] }) };
    const updated = { subject: `${ts.subjectPrefix}.lab.updated`, msgId: 'asset-1:2', body: JSON.stringify({ event: 'updated', site: 'lab', asset: { id: 'asset-1' }, changes: [{ field: 'os' }] }) };
    assert.deepEqual(await publisher.publish([created, updated]), { published: 2, duplicates: 0 });
    // A retry after a lost acknowledgement: JetStream recognises the id and stores nothing.
    assert.deepEqual(await publisher.publish([created]), { published: 0, duplicates: 1 });
    const messages = await ts.read(3, 1500);
    assert.equal(messages.length, 2, 'the repeat was not stored');
    assert.deepEqual(messages.map((m) => m.subject), [created.subject, updated.subject]);
    assert.deepEqual(messages.map((m) => m.headers?.get('Nats-Msg-Id')), ['asset-1:1', 'asset-1:2']);
    assert.deepEqual(messages.map((m) => (m.json() as { event: string }).event), ['created', 'updated']);
  });

  it('uses the no-op publisher when no NATS URL is configured', async () => {
    const none = await connectPublisher(undefined);
    assert.equal(none.kind, 'none');
    assert.deepEqual(await none.publish([{ subject: 'x', msgId: 'y', body: '{}' }]), { published: 1, duplicates: 0 });
  });

  it('fails at start with PUBLISH_UNAVAILABLE when nothing listens at the URL', async () => {
    await assert.rejects(connectPublisher('127.0.0.1:1'), (err: unknown) => isSextantError(err, 'PUBLISH_UNAVAILABLE') && err.message.includes('127.0.0.1:1'));
  });
});
