// `sextant scan --evidence FILE` writes what `sextant import` reads: the same
// records, so importing them into the scan's own inventory changes nothing
// and into another gives the same asset.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../../collector/store/index.ts';
import { sextant } from '../../helpers/cli.ts';
import { assertSafeTarget } from '../../helpers/netlab.ts';
import { tempDir } from '../../unit/collector/support.ts';

let tmp: ReturnType<typeof tempDir>;
let server: Server;
let port = 0;

before(async () => {
  tmp = tempDir();
  server = createServer((c) => c.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  tmp.remove();
});

describe('scan --evidence and import', () => {
  it('round-trips the evidence; re-importing into the scan\'s inventory changes nothing', async () => {
    assertSafeTarget('127.0.0.1');
    const scanDb = join(tmp.dir, 'scan.db');
    const file = join(tmp.dir, 'ev.jsonl');
    const scan = sextant(['scan', '127.0.0.1', '--ports', String(port), '--no-raw', '--no-progress', '--db', scanDb, '--evidence', file, '--site', 'lab']);
    assert.equal(scan.status, 0, scan.stderr);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(lines.length >= 1);
    for (const l of lines) assert.equal((JSON.parse(l) as { site: string }).site, 'lab');
    const same = sextant(['import', file, '--db', scanDb]);
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, new RegExp(`0 new records, ${lines.length} already imported; nothing changed`));
    const otherDb = join(tmp.dir, 'other.db');
    const other = sextant(['import', file, '--db', otherDb]);
    assert.match(other.stdout, new RegExp(`${lines.length} new records, 0 already imported; 1 assets created`));
    const a = openSqliteStore(scanDb);
    const b = openSqliteStore(otherDb);
    try {
      const [x] = await a.listAssets();
      const [y] = await b.listAssets();
      assert.equal(y!.id, x!.id);
      assert.deepEqual(y!.agents, x!.agents);
      assert.deepEqual(y!.services.map((s) => [s.port, s.protocol]), x!.services.map((s) => [s.port, s.protocol]));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
