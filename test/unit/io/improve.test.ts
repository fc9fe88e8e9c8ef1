import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImprovement, draftFingerprints, exportImprovements, findAsset, PATTERN_PLACEHOLDER } from '../../../collector/improve/index.ts';
import { loadRecogDirs, verifyDbs } from '../../../collector/fingerprint/index.ts';
import { createNoopPublisher, createPipeline, openSqliteStore, type Store } from '../../../collector/pipeline.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { sextant } from '../../helpers/cli.ts';
import { batch, record, recogEngine, tempDir } from '../collector/support.ts';

let tmp: ReturnType<typeof tempDir>;
let db: string;
let store: Store;
const IP = '198.18.9.7';
const BANNERS = {
  ssh: 'OpenSSH_9.2p1 Debian-2+deb12u3',
  http: 'AcmeHTTPd/2.1',
};
const keys = new Set(loadRecogDirs([join(REPO, 'fingerprints'), SHARED_RECOG_XML]).dbs.map((d) => d.key));
const isRecogKey = (k: string) => keys.has(k);

before(async () => {
  tmp = tempDir();
  db = join(tmp.dir, 'imp.db');
  const p = createPipeline({ store: openSqliteStore(db), publisher: createNoopPublisher(), engine: recogEngine() });
  await p.ingest(batch([
    record({ ip: IP, port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': BANNERS.ssh }),
    record({ ip: IP, port: 80, transport: 'tcp' }, 'http', { 'http_header.server': BANNERS.http, 'http.status': '200' }),
    record({ ip: IP, port: 8080, transport: 'tcp' }, 'http', { 'http_header.server': 'AcmeHTTPd/2.1 <beta> & "more"' }),
  ]));
  await p.close();
  store = openSqliteStore(db);
});
after(async () => {
  await store.close();
  tmp.remove();
});

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What a fingerprint author does: a pattern matching every example of the draft. */
function fillIn(xml: string): string {
  const examples = [...xml.matchAll(/<example>([^<]*)<\/example>/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
  const pattern = `^(?:${examples.map(escapeRegex).join('|')})$`;
  const attr = pattern.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return xml.replace(`pattern="${PATTERN_PLACEHOLDER}"`, `pattern="${attr}"`);
}

function verifyDir(dir: string) {
  const loaded = loadRecogDirs([dir]);
  return verifyDbs(loaded.dbs, loaded.problems, loaded.files.length);
}

describe('fingerprint improvement submissions', () => {
  it('checks what is said and finds the asset by id, prefix or address', async () => {
    const asset = await findAsset(store, IP);
    assert.equal((await findAsset(store, asset.id.slice(0, 8))).id, asset.id);
    assert.ok(isSextantError(await findAsset(store, '198.18.9.99').catch((e: unknown) => e), 'IMPROVE_ASSET_UNKNOWN'));
    const none = (() => { try { buildImprovement(asset, { comment: 'hm' }); } catch (e) { return e as Error; } })();
    assert.ok(isSextantError(none, 'IMPROVE_INVALID'));
    assert.match(none!.message, /at least one of --type, --os, --hw/);
    assert.throws(() => buildImprovement(asset, { os: 'Acme\u0007OS' }), /\(--os\): has a control character at position 5/);
    assert.throws(() => buildImprovement(asset, { hw: 'x'.repeat(201) }), /\(--hw\): is 201 characters/);
    const imp = buildImprovement(asset, { os: 'AcmeOS 2.1', hw: 'Acme X1', type: 'Printer', comment: 'the lab printer' });
    assert.equal(await store.addImprovement(imp), true);
    assert.equal(await store.addImprovement(buildImprovement(asset, { os: 'AcmeOS 2.1', hw: 'Acme X1', type: 'Printer', comment: 'the lab printer' })), false);
    const [back] = await store.listImprovements();
    assert.deepEqual({ ...back, asset: undefined }, { ...imp, asset: undefined });
  });

  it('exports drafts with the banners as examples, which verify rejects until the pattern is filled in', async () => {
    const [exported] = await exportImprovements(store, isRecogKey);
    assert.deepEqual(exported!.drafts.map((d) => [d.key, d.examples]), [['http_header.server', 2], ['ssh.banner', 1]]);
    const http = exported!.drafts[0]!;
    assert.match(http.xml, /<fingerprints matches="http_header.server" protocol="http"/);
    assert.match(http.xml, /<example>AcmeHTTPd\/2\.1<\/example>/);
    assert.match(http.xml, /<example>AcmeHTTPd\/2\.1 &lt;beta&gt; &amp; &quot;more&quot;<\/example>/);
    assert.match(http.xml, /<param pos="0" name="os.product" value="AcmeOS 2.1"\/>/);
    assert.match(http.xml, /<param pos="0" name="hw.device" value="Printer"\/>/);
    assert.doesNotMatch(http.xml, /http\.status/);
    const dir = join(tmp.dir, 'drafts');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    for (const d of exported!.drafts) writeFileSync(join(dir, d.file), d.xml);
    const unfinished = verifyDir(dir);
    assert.equal(unfinished.files, 2);
    assert.equal(unfinished.failed, 3);
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), fillIn(readFileSync(join(dir, f), 'utf8')));
    const done = verifyDir(dir);
    assert.deepEqual([done.failed, done.passed, done.examples], [0, 3, 3]);
  });

  it('writes binary banners as base64 examples', () => {
    const evidence = [{ ...record({ ip: IP, port: 23, transport: 'tcp' }, 'telnet', { 'telnet.banner': '\u00ff\u00fb\u0001login: ' }), batchId: 'b', receivedAt: '2024-05-01T12:00:00.000Z' }];
    const asset = { id: 'a1', site: 'lab', addresses: [] };
    const [draft] = draftFingerprints({ id: 'imp-1', asset_id: 'a1', site: 'lab', submitted_at: '2024-05-01T12:00:00.000Z', type: 'Router', asset: JSON.stringify(asset) }, evidence);
    assert.match(draft!.xml, new RegExp(`<example _encoding="base64">${escapeRegex(Buffer.from('\u00ff\u00fb\u0001login: ', 'latin1').toString('base64'))}</example>`));
  });

  it('the commands record, refuse bad input, export, and verify accepts the filled-in drafts', () => {
    const env = { SEXTANT_DB: db };
    const r = sextant(['improve', IP, '--type', 'Printer', '--os', 'AcmeOS 3'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^recorded imp-[0-9a-f]{16} for asset /);
    assert.match(sextant(['improve', IP, '--type', 'Printer', '--os', 'AcmeOS 3'], { env }).stdout, /already recorded as imp-.*; nothing changed/);
    const unknown = sextant(['improve', '198.18.9.250', '--os', 'x'], { env });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no asset has the id, id prefix or address "198.18.9.250"/);
    const missing = join(tmp.dir, 'missing.db');
    const none = sextant(['improve', IP, '--os', 'x', '--db', missing]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /missing\.db \(db\): no inventory file here/);
    assert.equal(existsSync(missing), false);
    const dir = join(tmp.dir, 'cli-drafts');
    const ex = sextant(['improvements', 'export', dir], { env });
    assert.equal(ex.status, 0, ex.stderr);
    assert.match(ex.stdout, /2 submissions, 4 draft files/);
    assert.equal(sextant(['fingerprints', 'verify', dir]).status, 1);
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), fillIn(readFileSync(join(dir, f), 'utf8')));
    const ok = sextant(['fingerprints', 'verify', dir]);
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /Test completed with 6 successful, 0 warnings, and 0 failures/);
  });
});
