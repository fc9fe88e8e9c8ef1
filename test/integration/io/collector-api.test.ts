// IO's commands through a running collector (--collector URL): the real
// `sextant collector` process with its admin endpoint on 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../../helpers/recog.ts';
import { sextant } from '../../helpers/cli.ts';
import { openSqliteStore } from '../../../collector/store/index.ts';
import { tempDir } from '../../unit/collector/support.ts';

const FIXTURE = join(REPO, 'test/fixtures/io/nmap-sshd-nginx.xml');
const TOKEN = 'io-test-token';
let tmp: ReturnType<typeof tempDir>;
let collector: ChildProcess;
let url: string;
let db: string;

before(async () => {
  tmp = tempDir();
  db = join(tmp.dir, 'c.db');
  collector = spawn(process.execPath, [join(REPO, 'shared/cli/bin.js'), 'collector', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--db', db, '--token', TOKEN], {
    cwd: REPO,
    env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', SEXTANT_NATS_URL: '', SEXTANT_RECOG_DIR: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${out}`)), 60_000);
    collector.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /admin (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    collector.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
});

after(async () => {
  if (collector.exitCode === null) {
    const exited = new Promise((resolve) => collector.once('exit', resolve));
    collector.kill('SIGTERM');
    await exited;
  }
  tmp.remove();
});

const remote = (args: string[], token = TOKEN) => sextant([...args, '--collector', url, '--token', token]);

describe('import, refingerprint and improvements through the collector API', () => {
  it('imports once, then says nothing changed', () => {
    const first = remote(['import', FIXTURE, '--site', 'lab']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /3 new records, 0 already imported; 1 assets created/);
    const again = remote(['import', FIXTURE, '--site', 'lab']);
    assert.match(again.stdout, /0 new records, 3 already imported; nothing changed/);
    const jsonl = join(tmp.dir, 'e.jsonl');
    writeFileSync(jsonl, `${JSON.stringify({ id: 'api-e1', agentId: 'agent-x', site: 'lab', target: { ip: '198.18.9.40', port: 80, transport: 'tcp' }, probe: 'http', observedAt: '2024-05-01T12:00:00.000Z', facts: { 'http_header.server': 'AcmeHTTPd/2.1' } })}\n`);
    assert.match(remote(['import', jsonl]).stdout, /1 new records, 0 already imported; 1 assets created/);
  });

  it('refingerprints inside the collector', () => {
    const r = remote(['refingerprint', 'site:lab', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { examined: number; evidence: number; updated: number };
    assert.deepEqual([summary.examined, summary.evidence, summary.updated], [2, 4, 0]);
  });

  it('records a submission and exports its draft; errors come back with their message', () => {
    const r = remote(['improve', '198.18.9.40', '--type', 'Printer', '--hw', 'Acme X1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^recorded imp-/);
    const unknown = remote(['improve', '198.18.9.99', '--os', 'x']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /HTTP 404: .*no asset has the id, id prefix or address "198\.18\.9\.99"/);
    const unsaid = remote(['improve', '198.18.9.40']);
    assert.match(unsaid.stderr, /HTTP 400: .*at least one of --type, --os, --hw/);
    const dir = join(tmp.dir, 'drafts');
    const ex = remote(['improvements', 'export', dir]);
    assert.equal(ex.status, 0, ex.stderr);
    assert.deepEqual(readdirSync(dir).map((f) => f.replace(/^imp-[0-9a-f]+\./, '')), ['http_header.server.xml']);
    const denied = remote(['improvements', 'list'], 'wrong');
    assert.equal(denied.status, 2);
    assert.match(denied.stderr, /HTTP 401/);
  });

  it('the collector\'s file holds it all', async () => {
    // Read while the collector runs (WAL): what the API wrote is committed.
    const store = openSqliteStore(db);
    try {
      assert.equal(await store.evidenceCount(), 4);
      assert.equal((await store.listImprovements()).length, 1);
    } finally {
      await store.close();
    }
  });
});
