// A JetStream stream of its own for each test run (unique name and subjects,
// so runs never see each other's messages), read back with a pull consumer,
// deleted at the end.
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export const NATS_URL = process.env.SEXTANT_TEST_NATS_URL ?? '127.0.0.1:4222';

export interface TestStream {
  nc: NatsConnection;
  stream: string;
  subjectPrefix: string;
  /** Every message in the stream so far, in order. */
  read(expected: number, timeoutMs?: number): Promise<JsMsg[]>;
  remove(): Promise<void>;
}

export async function testStream(): Promise<TestStream> {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const stream = `SEXTANT_ASSETS_TEST_${tag}`;
  const subjectPrefix = `sxtest.${tag}.assets`;
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: NATS_URL, name: 'sextant-test' });
  } catch (err) {
    throw new Error(`these tests need nats-server with JetStream on ${NATS_URL} (nats-server -js): ${(err as Error).message}`);
  }
  const jsm = await jetstreamManager(nc);
  let consumer: string | undefined;
  const all: JsMsg[] = [];
  return {
    nc,
    stream,
    subjectPrefix,
    async read(expected, timeoutMs = 3000) {
      // The stream is created by the code under test, so the consumer is made on first read.
      if (!consumer) {
        consumer = `reader_${tag}`;
        await jsm.consumers.add(stream, { durable_name: consumer, ack_policy: AckPolicy.Explicit });
      }
      const c = await jetstream(nc).consumers.get(stream, consumer);
      const deadline = Date.now() + timeoutMs;
      while (all.length < expected && Date.now() < deadline) {
        const batch = await c.fetch({ max_messages: expected - all.length, expires: Math.max(1000, deadline - Date.now()) });
        for await (const m of batch) {
          m.ack();
          all.push(m);
        }
      }
      return [...all];
    },
    async remove() {
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  };
}
