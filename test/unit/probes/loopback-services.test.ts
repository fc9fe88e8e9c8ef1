import assert from 'node:assert/strict';
import net from 'node:net';
import { before, describe, it } from 'node:test';
import { amqpProbe, mysqlProbe, natsProbe, postgresqlProbe, redisProbe } from '../../../agent/probes/index.ts';
import { createRecogEngine, type RecogEngine } from '../../../collector/fingerprint/index.ts';
import type { Probe } from '../../../shared/types.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { ctx } from './support.ts';

// Real daemons this kind of machine may run on 127.0.0.1 (deploy/services.sh starts NATS and PostgreSQL).
// A test is skipped when nothing listens on its port.

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(500);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

let engine: RecogEngine;
before(() => {
  engine = createRecogEngine({ builtinDirs: [`${REPO}fingerprints`, SHARED_RECOG_XML] });
});

const cases: Array<[Probe, number, string, string]> = [
  [natsProbe, 4222, 'nats.info', 'NATS Server'],
  [postgresqlProbe, 5432, 'postgresql.error', 'PostgreSQL'],
  [redisProbe, 6379, 'redis.info', ''],
  [mysqlProbe, 3306, 'mysql.banners', ''],
  [amqpProbe, 5672, 'amqp.server_properties', 'RabbitMQ'],
];

describe('the probes against real services on 127.0.0.1', () => {
  for (const [probe, port, key, product] of cases) {
    it(`${probe.name} on port ${port} yields a ${key} fact the Recog engine recognises`, async (t) => {
      if (!(await listening(port))) {
        t.skip(`nothing listens on 127.0.0.1:${port}`);
        return;
      }
      const r = await probe.run({ ip: '127.0.0.1', port }, ctx(3000));
      const fact = r.facts?.[key];
      // A configured server may refuse us (auth, protected mode): then the fact is its error line.
      if (r.status !== 'success' || fact === undefined) {
        t.skip(`${probe.name} answered ${r.status}: ${r.error ?? ''}`);
        return;
      }
      const m = engine.match(key, fact);
      assert.ok(m, `${key} ${JSON.stringify(fact).slice(0, 200)} matched nothing`);
      if (product) assert.equal(m['service.product'], product);
      else assert.ok(m['service.product']);
    });
  }
});
