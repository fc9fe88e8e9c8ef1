// The MERGE commands on an inventory file, as a user runs them: import
// --source, asset explain, merge, split, and their errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sextant } from '../helpers/cli.ts';
import { REPO } from '../helpers/recog.ts';

const fixture = (name: string) => join(REPO, 'test/fixtures/merge', name);

describe('sextant import --source, asset explain, merge, split', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sx-merge-cli-'));
    env = { SEXTANT_DB: join(dir, 'inv.db'), SEXTANT_NATS_URL: '' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ids = () => {
    const db = new Database(join(dir, 'inv.db'), { readonly: true });
    const rows = db.prepare("SELECT id, json_extract(doc, '$.sources') AS sources FROM assets ORDER BY id").all() as Array<{ id: string; sources: string }>;
    db.close();
    return rows;
  };

  it('imports three products into the same laptop, and says when nothing changed', () => {
    for (const [source, file] of [['intune', 'intune-managed-devices.json'], ['crowdstrike', 'crowdstrike-devices.json'], ['azuread', 'azuread-devices.json']]) {
      const r = sextant(['import', '--source', source!, fixture(file!)], { env });
      assert.equal(r.status, 0, r.stderr);
    }
    const again = sextant(['import', '--source', 'crowdstrike', fixture('crowdstrike-devices.json')], { env });
    assert.match(again.stdout, /1 crowdstrike devices; nothing changed \(already imported\)/);
    const rows = ids();
    assert.equal(rows.length, 2);
    assert.ok(rows.some((r) => JSON.parse(r.sources).sort().join() === 'azuread,crowdstrike,intune'));
  });

  it('explains an asset: its keys and why it was merged', () => {
    const laptop = ids().find((r) => r.sources.includes('crowdstrike'))!;
    const r = sextant(['asset', 'explain', laptop.id], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /serial 7XK2Q93 {2}from intune/);
    assert.match(r.stdout, /ip 198\.18\.1\.2 {2}from crowdstrike .*reported, not answering: not matched/);
    assert.match(r.stdout, /merged by serial 7XK2Q93 \[crowdstrike\]/);
    assert.match(r.stdout, /merged by integration_id azuread:5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9 \[azuread\]/);
    const json = JSON.parse(sextant(['asset', 'explain', laptop.id, '--json'], { env }).stdout) as { merge_log: unknown[]; identities: unknown[] };
    assert.equal(json.merge_log.length, 3);
  });

  it('merges two assets by hand and splits a key off again', () => {
    const [a, b] = ids();
    const merged = sextant(['merge', a!.id, b!.id, '--reason', 'one owner'], { env });
    assert.equal(merged.status, 0, merged.stderr);
    assert.equal(ids().length, 1);
    const survivor = ids()[0]!.id;
    assert.match(sextant(['asset', 'explain', survivor], { env }).stdout, /manual_merge: one owner/);
    const split = sextant(['split', survivor, '--key', 'serial:F4GZK1XYN6'], { env });
    assert.equal(split.status, 0, split.stderr);
    assert.equal(ids().length, 2);
    assert.match(sextant(['asset', 'explain', survivor], { env }).stdout, /never merged with: /);
  });

  it('names the file, line and field of a bad export, and the asset of a bad command', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"value": [\n  {"id": "x",}\n]}');
    const r1 = sextant(['import', '--source', 'intune', bad], { env });
    assert.equal(r1.status, 2);
    assert.match(r1.stderr, /bad\.json:2:\d+: not valid JSON/);
    writeFileSync(bad, '{"resources": [{"hostname": "x"}]}');
    const r2 = sextant(['import', '--source', 'crowdstrike', bad], { env });
    assert.match(r2.stderr, /bad\.json \(resources\[0\]\.device_id\): is missing/);
    const r3 = sextant(['import', '--source', 'intune', fixture('crowdstrike-devices.json')], { env });
    assert.match(r3.stderr, /expected a "value" array of devices/);
    const r4 = sextant(['import', '--source', 'jamf', bad], { env });
    assert.match(r4.stderr, /unknown source "jamf"; one of intune, crowdstrike, azuread/);
    const r5 = sextant(['split', 'no-such-id', '--address', '198.18.0.1'], { env });
    assert.equal(r5.status, 2);
    assert.match(r5.stderr, /no asset "no-such-id"/);
    const r6 = sextant(['split', ids()[0]!.id, '--key', 'colour:red'], { env });
    assert.match(r6.stderr, /is not KIND:VALUE/);
    // Nothing of the failed imports was stored.
    assert.equal(ids().length, 2);
  });
});
