import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IMPORT_LIMITS, parseImport, readImportFile } from '../../../collector/import/index.ts';
import { createMemoryPublisher, createPipeline, openSqliteStore } from '../../../collector/pipeline.ts';
import { loadOsDb, type OsDb } from '../../../collector/fingerprint/os/index.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { sextant } from '../../helpers/cli.ts';
import { OUI_FILE, recogEngine, tempDir } from '../collector/support.ts';

const FIXTURE = new URL('../../fixtures/io/nmap-sshd-nginx.xml', import.meta.url).pathname;
const XML = readFileSync(FIXTURE, 'utf8');
let osDb: OsDb;
let tmp: ReturnType<typeof tempDir>;
before(() => {
  tmp = tempDir();
  osDb = loadOsDb('/usr/share/nmap/nmap-os-db');
});
after(() => tmp.remove());

let n = 0;
function pipeline(withOsDb = true) {
  const store = openSqliteStore(join(tmp.dir, `i${++n}.db`));
  const publisher = createMemoryPublisher();
  return { store, publisher, pipeline: createPipeline({ store, publisher, engine: recogEngine(), oui: loadOuiTable(OUI_FILE), osDb: withOsDb ? osDb : undefined }) };
}

async function importText(p: ReturnType<typeof pipeline>, text: string, file = 'scan.xml', site?: string) {
  const parsed = parseImport(text, { file, site });
  return p.pipeline.ingest({ batchId: parsed.batchId, agentId: parsed.agentId, site: parsed.site, records: parsed.records }, { limits: IMPORT_LIMITS, anyAgent: true, counts: true });
}

function thrown(fn: () => unknown): Error & { code?: string; location?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected an error');
}

describe('Nmap XML import (captured nmap -oX -O -sV of sshd + nginx)', () => {
  it('maps the host and its open ports to evidence records, closed ports left out', () => {
    const parsed = readImportFile(FIXTURE, { site: 'lab' });
    assert.equal(parsed.format, 'nmap-xml');
    assert.equal(parsed.records.length, 3);
    const [host, ssh, http] = parsed.records;
    assert.deepEqual(host!.target, { ip: '198.19.179.10' });
    assert.equal(host!.facts['mac.address'], '00:1b:21:5e:00:01');
    assert.equal(host!.facts['nmap.mac_vendor'], 'Intel Corporate');
    assert.match(host!.facts['nmap.os_fingerprint']!, /^OS:SCAN\(V=7\.93.*\nOS:/s);
    assert.equal(JSON.parse(host!.facts['nmap.os_matches']!)[0].name, 'Linux 5.3 - 5.4');
    assert.equal(host!.observedAt, '2026-11-25T18:10:06.000Z');
    assert.deepEqual(ssh!.target, { ip: '198.19.179.10', port: 22, transport: 'tcp' });
    assert.equal(ssh!.facts['nmap.service.product'], 'OpenSSH');
    assert.equal(ssh!.facts['nmap.service.version'], '9.2p1 Debian 2+deb12u10');
    assert.equal(ssh!.facts['nmap.service.cpe'], 'cpe:/a:openbsd:openssh:9.2p1 cpe:/o:linux:linux_kernel');
    assert.equal(http!.target.port, 80);
    assert.ok(parsed.records.every((r) => r.probe === 'nmap' && r.agentId === 'import:nmap' && r.site === 'lab'));
    // Same content, same ids; another file, other ids.
    assert.deepEqual(parseImport(XML, { file: 'x' }).records.map((r) => r.id), parsed.records.map((r) => r.id));
    assert.notEqual(parseImport(XML.replace('18.32 seconds', '18.33 seconds'), { file: 'x' }).records[0]!.id, parsed.records[0]!.id);
  });

  it('fingerprints the OS with Sextant\'s own matcher and -sV products as Nmap service claims', async () => {
    const p = pipeline();
    const result = await importText(p, XML);
    assert.deepEqual(result, { stored: 3, duplicates: 0, created: 1, updated: 0 });
    const [asset] = await p.pipeline.assets();
    assert.equal(asset!.os, 'Linux');
    assert.equal(asset!.os_version, '5.X');
    assert.equal(asset!.attributes['fp.os.source'], 'Nmap');
    assert.match(asset!.attributes['fp.os.rule']!, /^nmap-os-db:\d+$/);
    assert.deepEqual(asset!.macs, ['00:1b:21:5e:00:01']);
    assert.deepEqual((asset as { sources?: string[] }).sources, ['nmap']);
    const ssh = asset!.services.find((s) => s.port === 22)!;
    assert.equal(ssh.protocol, 'ssh');
    assert.equal(ssh.product, 'OpenSSH');
    assert.equal(ssh.version, '9.2p1 Debian 2+deb12u10');
    assert.equal(ssh.cpe23, 'cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*');
    assert.equal(ssh.attributes['fp.service.source'], 'Nmap');
    const http = asset!.services.find((s) => s.port === 80)!;
    assert.equal(http.product, 'nginx');
    assert.equal(asset!.services.length, 2);
    await p.pipeline.close();
  });

  it('does not trust Nmap\'s guess when the fingerprint matches here', async () => {
    const p = pipeline();
    const lying = XML.replace(/<osmatch name="Linux 5.3 - 5.4"[^]*?<\/osmatch>/, '<osmatch name="Microsoft Windows 10" accuracy="100" line="1"><osclass type="general purpose" vendor="Microsoft" osfamily="Windows" osgen="10" accuracy="100"><cpe>cpe:/o:microsoft:windows_10</cpe></osclass></osmatch>');
    assert.notEqual(lying, XML);
    await importText(p, lying);
    const [asset] = await p.pipeline.assets();
    assert.equal(asset!.os, 'Linux');
    await p.pipeline.close();
  });

  it('falls back to Nmap\'s own guess, less certain, without nmap-os-db', async () => {
    const p = pipeline(false);
    await importText(p, XML);
    const [asset] = await p.pipeline.assets();
    assert.equal(asset!.os, 'Linux');
    assert.equal(asset!.attributes['fp.os.rule'], 'nmap-xml:osmatch:nmap-os-db:68140');
    assert.equal(asset!.attributes['fp.os.certainty'], '0.864');
    await p.pipeline.close();
  });

  it('re-importing the same file stores nothing and raises no event', async () => {
    const p = pipeline();
    await importText(p, XML);
    const events = p.publisher.messages.length;
    assert.equal(events, 1);
    assert.deepEqual(await importText(p, XML), { stored: 0, duplicates: 3, created: 0, updated: 0 });
    assert.equal(p.publisher.messages.length, events);
    assert.equal(await p.store.evidenceCount(), 3);
    await p.pipeline.close();
  });

  it('names line and column of XML that is not well-formed', () => {
    const broken = XML.replace('</ports>', '</port>');
    const err = thrown(() => parseImport(broken, { file: 'broken.xml' }));
    assert.ok(isSextantError(err, 'IMPORT_MALFORMED'));
    assert.match(err.message, /^broken\.xml:23:\d+: not well-formed XML/);
    const truncated = XML.slice(0, 3000);
    assert.match(thrown(() => parseImport(truncated, { file: 't.xml' })).message, /^t\.xml:\d+:\d+: not well-formed XML/);
    assert.match(thrown(() => parseImport('<?xml version="1.0"?>\n<scan><host/></scan>', { file: 'o.xml' })).message, /root element is <scan>, not Nmap's <nmaprun>/);
    assert.ok(isSextantError(thrown(() => parseImport('hello', { file: 'h.txt' })), 'IMPORT_FORMAT_UNKNOWN'));
  });
});

const line = (over: Record<string, unknown> = {}) => JSON.stringify({
  id: `ev-${Math.random().toString(36).slice(2)}`, agentId: 'agent-a', site: 'lab', target: { ip: '198.18.7.2', port: 22, transport: 'tcp' },
  probe: 'ssh', observedAt: '2024-05-01T12:00:00.000Z', facts: { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' }, ...over,
});

describe('evidence JSONL import', () => {
  it('keeps each record\'s agent and id, and is idempotent', async () => {
    const text = [line({ id: 'e1' }), line({ id: 'e2', agentId: 'agent-b', target: { ip: '198.18.7.2', port: 80, transport: 'tcp' }, probe: 'http', facts: { 'http_header.server': 'nginx/1.22.1' } }), ''].join('\n');
    const parsed = parseImport(text, { file: 'e.jsonl' });
    assert.equal(parsed.format, 'evidence-jsonl');
    assert.equal(parsed.site, 'lab');
    const p = pipeline();
    assert.deepEqual(await importText(p, text, 'e.jsonl'), { stored: 2, duplicates: 0, created: 1, updated: 0 });
    const [asset] = await p.pipeline.assets();
    assert.deepEqual([...asset!.agents].sort(), ['agent-a', 'agent-b']);
    assert.equal(asset!.os, 'Debian Linux');
    assert.deepEqual(await importText(p, text, 'e.jsonl'), { stored: 0, duplicates: 2, created: 0, updated: 0 });
    await p.pipeline.close();
  });

  it('names the line and field of a bad record', () => {
    const badJson = [line(), line(), '{"id": "x",'].join('\n');
    assert.match(thrown(() => parseImport(badJson, { file: 'e.jsonl' })).message, /^e\.jsonl:3: not JSON/);
    const badIp = [line(), line({ target: { ip: '999.1.1.1' } })].join('\n');
    const err = thrown(() => parseImport(badIp, { file: 'e.jsonl' }));
    assert.ok(isSextantError(err, 'IMPORT_MALFORMED'));
    assert.match(err.message, /^e\.jsonl:2 \(target\.ip\): must be an IPv4 or IPv6 address/);
    const twoSites = [line(), line({ site: 'other' })].join('\n');
    assert.match(thrown(() => parseImport(twoSites, { file: 'e.jsonl' })).message, /^e\.jsonl:2 \(site\): site "other" differs from "lab" of line 1/);
    // --site puts every record into one site.
    assert.equal(parseImport(twoSites, { file: 'e.jsonl', site: 'hq' }).records.every((r) => r.site === 'hq'), true);
    assert.match(thrown(() => parseImport('[1,2]', { file: 'a.json' })).message, /IMPORT|expected Nmap XML/);
  });
});

describe('sextant import (the command)', () => {
  it('imports, says "nothing changed" on re-import, and writes nothing for a bad file', () => {
    const db = join(tmp.dir, 'cli.db');
    const env = { SEXTANT_OUI_FILE: OUI_FILE };
    const first = sextant(['import', FIXTURE, '--db', db, '--site', 'lab'], { env });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /3 new records, 0 already imported; 1 assets created, 0 updated/);
    const again = sextant(['import', FIXTURE, '--db', db, '--site', 'lab'], { env });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 new records, 3 already imported; nothing changed/);
    const bad = join(tmp.dir, 'bad.jsonl');
    writeFileSync(bad, [line({ id: 'ok-1' }), line({ id: 'ok-2' }), line({ id: 'bad', observedAt: 'yesterday' })].join('\n'));
    const failed = sextant(['import', bad, '--db', db]);
    assert.equal(failed.status, 2);
    assert.match(failed.stderr, /bad\.jsonl:3 \(observedAt\): must be an ISO 8601 time/);
    const store = openSqliteStore(db);
    return store.evidenceCount().then(async (count) => {
      assert.equal(count, 3);
      await store.close();
    });
  });
});

describe('Nmap XML details', () => {
  const run = (hosts: string) => `<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap" start="1714564800" version="7.93">\n${hosts}\n<runstats><finished time="1714564900"/></runstats></nmaprun>\n`;
  it('keeps IPv6 hosts, every hostname, TLS-wrapped services and script output; skips hosts that are down', () => {
    const parsed = parseImport(run(`
<host><status state="down" reason="no-response"/><address addr="198.18.5.1" addrtype="ipv4"/></host>
<host starttime="1714564810" endtime="1714564820"><status state="up" reason="echo-reply"/>
<address addr="2001:DB8::0:1" addrtype="ipv6"/>
<hostnames><hostname name="web.example.test" type="user"/><hostname name="www.example.test" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="443"><state state="open"/><service name="http" product="nginx" tunnel="ssl" method="probed" conf="10"/>
<script id="ssl-cert" output="Subject: commonName=web.example.test"/></port>
<port protocol="udp" portid="161"><state state="open|filtered"/><service name="snmp" method="table" conf="3"/></port>
<port protocol="udp" portid="123"><state state="open"/><service name="ntp" method="table" conf="3"/></port></ports>
</host>`), { file: 'v6.xml', site: 'lab' });
    assert.deepEqual(parsed.skipped, ['host 1: status down']);
    assert.equal(parsed.records.length, 3);
    const [host, https, ntp] = parsed.records;
    assert.equal(host!.target.ip, '2001:db8::1');
    assert.equal(host!.observedAt, '2024-05-01T12:00:20.000Z');
    assert.equal(host!.facts['host.name'], 'web.example.test');
    assert.deepEqual(JSON.parse(host!.facts['nmap.hostnames']!), [{ name: 'web.example.test', type: 'user' }, { name: 'www.example.test', type: 'PTR' }]);
    assert.equal(https!.facts['nmap.service.name'], 'ssl/http');
    assert.equal(https!.facts['nmap.script.ssl-cert'], 'Subject: commonName=web.example.test');
    assert.deepEqual(ntp!.target, { ip: '2001:db8::1', port: 123, transport: 'udp' });
  });

  it('turns them into one asset with both names; a port-table guess names the protocol only', async () => {
    const p = pipeline(false);
    await importText(p, run(`<host><status state="up"/><address addr="198.18.5.2" addrtype="ipv4"/>
<hostnames><hostname name="a.example.test" type="user"/><hostname name="b.example.test" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="443"><state state="open"/><service name="http" product="nginx" version="1.22.1" tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx:1.22.1</cpe></service></port>
<port protocol="udp" portid="123"><state state="open"/><service name="ntp" method="table" conf="3"/></port></ports></host>`));
    const [asset] = await p.pipeline.assets();
    assert.deepEqual(asset!.names, ['a.example.test', 'b.example.test']);
    const https = asset!.services.find((s) => s.port === 443)!;
    assert.deepEqual([https.protocol, https.product, https.version], ['http', 'nginx', '1.22.1']);
    const ntp = asset!.services.find((s) => s.port === 123)!;
    assert.deepEqual([ntp.protocol, ntp.product], ['ntp', undefined]);
    assert.equal(ntp.attributes['fp.service.certainty'], '0.1');
    await p.pipeline.close();
  });
});
