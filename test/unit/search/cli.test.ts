// `sextant query` and `sextant export` as a user runs them, over a fixture
// inventory file written through the real store.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { openSqliteStore } from '../../../collector/store/index.ts';
import { csvCell, xmlText } from '../../../shared/cli/export-formats.ts';
import { sextant } from '../../helpers/cli.ts';
import { tempDir } from '../collector/support.ts';
import { SPECS, labelOf, writeFixture } from './fixture.ts';

/** RFC 4180 reader, enough for our own output. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

/** The attributes nmap.dtd marks #REQUIRED, and the enumerations, per element. */
function dtdRules(): Map<string, Array<{ name: string; required: boolean; values?: string[] }>> {
  const dtd = readFileSync('/usr/share/nmap/nmap.dtd', 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  const entities = new Map<string, string>();
  for (const m of dtd.matchAll(/<!ENTITY\s+%\s+(\S+)\s+"([^"]*)"\s*>/g)) entities.set(m[1]!, m[2]!);
  const rules = new Map<string, Array<{ name: string; required: boolean; values?: string[] }>>();
  for (const m of dtd.matchAll(/<!ATTLIST\s+(\S+)([\s\S]*?)>/g)) {
    const body = m[2]!.replace(/%([\w-]+);/g, (_, e: string) => entities.get(e) ?? '');
    const list: Array<{ name: string; required: boolean; values?: string[] }> = [];
    for (const a of body.matchAll(/([\w-]+)\s+(\([^)]*\)|CDATA|NMTOKEN)\s+(#REQUIRED|#IMPLIED|"[^"]*")/g)) {
      const enumeration = a[2]!.startsWith('(') ? a[2]!.slice(1, -1).split('|').map((x) => x.trim()) : undefined;
      list.push({ name: a[1]!, required: a[3] === '#REQUIRED', ...(enumeration ? { values: enumeration } : {}) });
    }
    rules.set(m[1]!, list);
  }
  return rules;
}

describe('sextant query / export', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'inv.db');
  before(async () => {
    const store = openSqliteStore(db);
    await writeFixture(store);
    await store.close();
  });
  after(() => tmp.remove());

  it('query prints the table of the matching assets', () => {
    const r = sextant(['query', '--db', db, 'os:ubuntu', 'AND', 'port:22']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ADDRESS\s+MAC \(VENDOR\)\s+OS/);
    assert.match(r.stdout, /198\.18\.1\.10 .*Ubuntu Linux 22\.04/);
    assert.match(r.stdout, /\n2 assets, 4 services\n$/);
  });

  it('query --json prints one array; an empty query lists every asset', () => {
    const r = sextant(['query', '--db', db, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const all = JSON.parse(r.stdout) as Array<{ id: string; sources?: string[] }>;
    assert.equal(all.length, SPECS.length);
    assert.deepEqual(all.find((a) => a.id === 'asset-dc01')?.sources, ['intune', 'crowdstrike']);
    const some = JSON.parse(sextant(['query', '--db', db, '--json', 'source:intune']).stdout) as Array<{ id: string }>;
    assert.deepEqual(some.map((a) => labelOf(a.id)).sort(), ['dc01', 'iphone']);
    assert.deepEqual(JSON.parse(sextant(['query', '--db', db, '--json', 'os:nothing-like-this']).stdout), []);
  });

  it('a bad query fails with its position; a missing file is named', () => {
    const r = sextant(['query', '--db', db, 'os:linux AND (port:22']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not closed at position 22/);
    assert.match(r.stderr, /\n {2}os:linux AND \(port:22\n {23}\^/);
    const missing = sextant(['query', '--db', join(tmp.dir, 'nope.db')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.db \(db\): no inventory file/);
    assert.ok(!existsSync(join(tmp.dir, 'nope.db')));
  });

  it('export json and jsonl hold the same assets as query --json', () => {
    const q = JSON.parse(sextant(['query', '--db', db, '--json', 'site:office']).stdout) as unknown[];
    const json = sextant(['export', '--db', db, '--format', 'json', 'site:office']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), q);
    assert.equal(json.stdout, `${JSON.stringify(q, null, 2)}\n`);
    const jsonl = sextant(['export', '--db', db, '--format', 'jsonl', 'site:office']);
    assert.deepEqual(jsonl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)), q);
    assert.equal(sextant(['export', '--db', db, '--format', 'json', 'os:nothing']).stdout, '[]\n');
  });

  it('export csv has the fp.* keys as columns, quoted per RFC 4180', () => {
    const r = sextant(['export', '--db', db, '--format', 'csv']);
    assert.equal(r.status, 0, r.stderr);
    const rows = parseCsv(r.stdout);
    const header = rows[0]!;
    assert.equal(rows.length, SPECS.length + 1);
    for (const key of ['id', 'addresses', 'os', 'os_version', 'services', 'fp.os.vendor', 'fp.hw.product', 'fp.mac.vendor']) assert.ok(header.includes(key), key);
    assert.ok(!header.some((h) => h.startsWith('fp.service.')));
    const sw = rows.find((row) => row[0] === 'asset-switch')!;
    const col = (name: string) => sw[header.indexOf(name)];
    assert.equal(col('mac_vendors'), 'Cisco Systems, Inc');
    assert.equal(col('fp.hw.product'), 'Catalyst 2960');
    assert.equal(col('udp_ports'), '161');
    assert.equal(col('os_version'), '15.2(4)E');
    const db01 = rows.find((row) => row[0] === 'asset-db01')!;
    assert.equal(db01[header.indexOf('addresses')], '198.18.1.20; 198.18.2.20');
    assert.equal(db01[header.indexOf('fp.hw.product')], '');
    assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
    assert.equal(csvCell('a\nb'), '"a\nb"');
    assert.equal(csvCell('plain'), 'plain');
  });

  it('export nmap-xml follows nmap.dtd and reads back', () => {
    const r = sextant(['export', '--db', db, '--format', 'nmap-xml']);
    assert.equal(r.status, 0, r.stderr);
    const rules = dtdRules();
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['host', 'address', 'port', 'hostname', 'osmatch', 'osclass', 'cpe'].includes(name) }).parse(r.stdout) as Record<string, unknown>;
    const run = doc.nmaprun as Record<string, unknown> & { host: Array<Record<string, unknown>> };
    // Every element we write: required attributes present, enumerated ones within their values.
    const check = (name: string, node: unknown) => {
      if (typeof node !== 'object' || node === null) return;
      const list = Array.isArray(node) ? node : [node];
      for (const el of list as Array<Record<string, unknown>>) {
        for (const rule of rules.get(name) ?? []) {
          const v = el[rule.name];
          if (rule.required) assert.ok(v !== undefined, `${name}@${rule.name} missing`);
          if (v !== undefined && rule.values) assert.ok(rule.values.includes(String(v)), `${name}@${rule.name}="${String(v)}" not in ${rule.values.join('|')}`);
        }
        for (const [child, value] of Object.entries(el)) if (rules.has(child) || typeof value === 'object') check(child, value);
      }
    };
    check('nmaprun', run);
    const hosts = run.host;
    assert.equal(hosts.length, SPECS.reduce((n, s) => n + (s.addresses?.length ?? 0), 0));
    const web = hosts.find((h) => (h.address as Array<{ addr: string }>)[0]!.addr === '198.18.1.10')!;
    assert.equal((web.address as Array<{ addr: string; addrtype: string }>)[1]!.addrtype, 'mac');
    const ports = (web.ports as { port: Array<{ portid: string; service: { name: string; product: string; version: string } }> }).port;
    assert.deepEqual(ports.map((p) => [p.portid, p.service.name, p.service.product, p.service.version]), [['22', 'ssh', 'OpenSSH', '8.9p1'], ['80', 'http', 'nginx', '1.18.0']]);
    assert.equal((web.os as { osmatch: Array<{ name: string }> }).osmatch[0]!.name, 'Ubuntu Linux 22.04');
    const old = hosts.find((h) => (h.address as Array<{ addr: string }>)[0]!.addr === '198.18.1.30')!;
    assert.equal((old.status as { state: string }).state, 'down');
    assert.deepEqual((run.runstats as { hosts: Record<string, string> }).hosts, { up: String(hosts.length - 1), down: '1', total: String(hosts.length) });
    assert.equal(xmlText('a\u0001<b>&"'), 'a\\x01&lt;b&gt;&amp;&quot;');
  });

  it('--output writes the file whole, and a bad format is refused', () => {
    const out = join(tmp.dir, 'out.csv');
    const r = sextant(['export', '--db', db, '--format', 'csv', '--output', out, 'type:server']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /exported 5 assets to/);
    assert.equal(parseCsv(readFileSync(out, 'utf8')).length, 6);
    assert.ok(!readdirSync(tmp.dir).some((f) => f.includes('.partial')));
    const bad = sextant(['export', '--db', db, '--format', 'xlsx']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /"xlsx": use one of json, jsonl, csv, nmap-xml/);
    const badQuery = sextant(['export', '--db', db, '--format', 'csv', '--output', join(tmp.dir, 'x.csv'), 'port:>x']);
    assert.equal(badQuery.status, 2);
    assert.ok(!existsSync(join(tmp.dir, 'x.csv')));
  });
});
