// An agent and a collector with the real pipeline over gRPC on 127.0.0.1: the
// collector goes away after handing out a task, the agent scans on and
// spools, then resends to the restarted collector, which stores it once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../../../agent/index.ts';
import { openPipeline, startCollectorServer } from '../../../collector/server/index.ts';
import { memoryLogger } from '../../../shared/logging.ts';
import { assertSafeTarget } from '../../helpers/netlab.ts';
import { SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { loadConfig } from '../../../shared/config.ts';
import { waitFor } from './support.ts';

const TOKEN = 'spool-test-token';
/** Recog's own database (shared/recog/xml) besides the project's fingerprints: it knows OpenSSH. */
const config = { ...loadConfig({}), recogDirs: [SHARED_RECOG_XML] };
const BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';

/** A loopback listener that greets like Debian's OpenSSH and then hangs up. */
function fakeSsh(): Promise<net.Server> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.end(BANNER);
  });
  server.on('close', () => sockets.forEach((c) => c.destroy()));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the agent spool against a collector that goes away', () => {
  it('keeps scanning while the collector is away, spools, and resends once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sx-agent-spool-'));
    const { logger } = memoryLogger('warn');
    const ssh = await fakeSsh();
    const sshPort = (ssh.address() as net.AddressInfo).port;
    const closers: Array<() => Promise<unknown> | unknown> = [() => new Promise((r) => { ssh.close(r); ssh.emit('close'); })];
    try {
      assertSafeTarget('127.0.0.1');
      const db = join(dir, 'inventory.db');
      const first = await openPipeline({ db, log: logger, config });
      const server = await startCollectorServer({ listen: '127.0.0.1:0', token: TOKEN, pipeline: first, log: logger });
      const port = server.port;
      const agent = await startAgent({
        collector: `127.0.0.1:${port}`, token: TOKEN, name: 'spooler', site: 'loop', spoolDir: join(dir, 'spool'),
        raw: false, log: logger, backoff: { initialMs: 100, maxMs: 400 },
      });
      closers.push(() => agent.stop());
      await agent.client.whenConnected(); 
      server.tasks.add({ site: 'loop', targets: ['127.0.0.1'], ports: `${sshPort}`, probes: ['ssh', 'snmp'], probeTimeoutMs: 1500, taskId: 't-spool' });
      await waitFor(() => (server.tasks.get('t-spool')?.agents.size ?? 0) > 0, 5000, 'the task to be handed out');
      // The collector goes away before the first batch (sent after 1 s) is out.
      await server.close();
      await first.close(); 

      await agent.runtime.idle(); 
      assert.ok(agent.spool.count > 0, 'the scan went on and its evidence waits in the spool');
      const spooled = agent.spool.ids();

      const second = await openPipeline({ db, log: logger, config });
      closers.push(() => second.close());
      const again = await startCollectorServer({ listen: `127.0.0.1:${port}`, token: TOKEN, pipeline: second, log: logger });
      closers.push(() => again.close());
      await waitFor(() => agent.spool.count === 0, 15_000, 'the spool to drain');
      const info = again.agents().find((a) => a.name === 'spooler');
      assert.ok(info && info.batchesStored >= spooled.length);

      const assets = (await second.assets('loop')) as Array<{ addresses: string[]; services: Array<{ port: number; product?: string; version?: string }> }>;
      const host = assets.find((a) => a.addresses.includes('127.0.0.1'));
      assert.ok(host, 'the loopback host is in the inventory');
      const svc = host.services.find((s) => s.port === sshPort);
      assert.equal(svc?.product, 'OpenSSH');
      assert.equal(svc?.version, '9.2p1');
    } finally {
      for (const close of closers.reverse()) await close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
