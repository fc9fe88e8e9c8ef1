// The search API of a real collector process (`sextant collector --admin`),
// and `sextant query/export --collector URL` through it. Loopback only.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../../collector/store/index.ts';
import { sextant } from '../../helpers/cli.ts';
import { REPO } from '../../helpers/recog.ts';
import { tempDir } from '../../unit/collector/support.ts';
import { SPECS, labelOf, writeFixture } from '../../unit/search/fixture.ts';

const TOKEN = `search-${process.pid}`;

describe('search API on a running collector', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'inv.db');
  let child: ChildProcess | undefined;
  let base = '';
  const get = (path: string, token = TOKEN) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    const store = openSqliteStore(db);
    await writeFixture(store);
    await store.close();
    child = spawn(process.execPath, [join(REPO, 'shared/cli/bin.js'), 'collector', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--db', db, '--token', TOKEN], {
      cwd: REPO, env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', SEXTANT_NATS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /admin (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`collector exited ${code}: ${stderr}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    tmp.remove();
  });

  it('pages with a cursor and reports the total', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get(`/api/v1/assets?search=${encodeURIComponent('os:ubuntu OR os:windows')}&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { assets: Array<{ id: string }>; total: number; next?: string };
      assert.equal(body.total, 6);
      seen.push(...body.assets.map((a) => labelOf(a.id)));
      cursor = body.next;
      pages++;
    } while (cursor);
    assert.equal(pages, 2);
    assert.deepEqual(seen.sort(), ['db01', 'dc01', 'k8s', 'under', 'web01', 'win01']);
    const all = (await (await get('/api/v1/assets')).json()) as { assets: unknown[]; total: number; next?: string };
    assert.equal(all.total, SPECS.length);
    assert.equal(all.assets.length, SPECS.length);
    assert.equal(all.next, undefined);
  });

  it('refuses a missing token, a bad query (with its position), a bad limit and a forged cursor', async () => {
    assert.equal((await get('/api/v1/assets', 'wrong')).status, 401);
    const bad = await get(`/api/v1/assets?search=${encodeURIComponent('os:linux AND')}`);
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { code: string; position: number; error: string };
    assert.equal(body.code, 'SEARCH_SYNTAX');
    assert.equal(body.position, 12);
    assert.equal((await get('/api/v1/assets?limit=0')).status, 400);
    assert.equal((await get('/api/v1/assets?limit=100000')).status, 400);
    const forged = (await (await get('/api/v1/assets?cursor=AAAA')).json()) as { code: string };
    assert.equal(forged.code, 'SEARCH_CURSOR_INVALID');
  });

  it('sextant query and export work through --collector', () => {
    const env = { SEXTANT_ENROL_TOKEN: TOKEN };
    const q = sextant(['query', '--collector', base, '--json', 'site:office'], { env });
    assert.equal(q.status, 0, q.stderr);
    assert.deepEqual((JSON.parse(q.stdout) as Array<{ id: string }>).map((a) => labelOf(a.id)).sort(), ['dc01', 'iphone', 'switch', 'win01']);
    const local = sextant(['query', '--db', db, '--json', 'site:office']);
    assert.deepEqual(JSON.parse(q.stdout), JSON.parse(local.stdout));
    const csv = sextant(['export', '--collector', base, '--format', 'csv'], { env });
    assert.equal(csv.status, 0, csv.stderr);
    assert.equal(csv.stdout, sextant(['export', '--db', db, '--format', 'csv']).stdout);
    const bad = sextant(['query', '--collector', base, 'os:('], { env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /at position 4/);
    const noToken = sextant(['query', '--collector', base], { env: { SEXTANT_ENROL_TOKEN: '' } });
    assert.equal(noToken.status, 2);
    assert.match(noToken.stderr, /no token/);
  });
});
