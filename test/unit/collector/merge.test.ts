import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  applySiteUpdate,
  assetView,
  buildObservations,
  fingerprintEvidence,
  indexSite,
  memoizedRecog,
  fromStored,
  mergeObservation,
  planSiteUpdate,
  toStored,
  type Matchers,
  type SiteState,
} from '../../../collector/assets/index.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import type { Evidence } from '../../../shared/types.ts';
import { debianWebServer, OUI_FILE, record, recogEngine, SITE } from './support.ts';

let matchers: Matchers;
before(() => {
  matchers = { recog: memoizedRecog(recogEngine()), oui: loadOuiTable(OUI_FILE) };
});

/** Runs records through fingerprint -> observe -> merge and commits the result to the site. */
function ingest(state: SiteState, records: Evidence[]) {
  const observations = buildObservations(records, records.map((r) => fingerprintEvidence(r, matchers)));
  const update = planSiteUpdate(state, observations);
  applySiteUpdate(state, update);
  return update;
}

const arp = (ip: string, mac: string, observedAt = '2024-05-01T12:00:00.000Z') => record({ ip, transport: 'arp' }, 'arp', { 'mac.address': mac }, { observedAt });
const ssh = (ip: string, banner: string, observedAt = '2024-05-01T12:00:00.000Z') => record({ ip, port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': banner }, { observedAt });

describe('merging observations into assets', () => {
  it('makes one asset of everything a batch says about one address', () => {
    const state = indexSite(SITE, []);
    const update = ingest(state, debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'));
    assert.equal(state.assets.size, 1);
    const [entry] = [...update.changed.values()];
    assert.equal(entry!.event, 'created');
    const a = assetView(entry!.after);
    assert.equal(a.revision, 1);
    assert.equal(a.os, 'Debian Linux');
    assert.equal(a.os_version, '12.0');
    assert.equal(a.attributes['fp.os.source'], 'recog:ssh.banner');
    assert.deepEqual(a.names, ['web01']);
    assert.deepEqual(a.services.map((s) => [s.transport, s.port, s.protocol, s.product, s.version]), [
      ['tcp', 22, 'ssh', 'OpenSSH', '9.2p1'],
      ['tcp', 80, 'http', 'nginx', '1.22.1'],
      ['udp', 161, 'snmp', undefined, undefined],
    ]);
    assert.equal(a.evidence_count, 4);
  });

  it('finds the same asset by MAC first, even when its address changed (DHCP)', () => {
    const state = indexSite(SITE, []);
    ingest(state, [arp('198.18.1.2', '00:1a:11:00:00:01')]);
    const update = ingest(state, [arp('198.18.1.9', '00:1a:11:00:00:01', '2024-05-02T12:00:00.000Z')]);
    assert.equal(state.assets.size, 1);
    const a = assetView([...update.changed.values()][0]!.after);
    assert.deepEqual(a.addresses, ['198.18.1.2', '198.18.1.9']);
    assert.equal(a.last_seen, '2024-05-02T12:00:00.000Z');
    assert.equal(a.first_seen, '2024-05-01T12:00:00.000Z');
  });

  it('falls back to the IP within the site when no MAC is known, across batches', () => {
    const state = indexSite(SITE, []);
    ingest(state, [ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3')]);
    const update = ingest(state, [record({ ip: '198.18.1.2', port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'nginx/1.22.1' })]);
    assert.equal(state.assets.size, 1);
    const entry = [...update.changed.values()][0]!;
    assert.equal(entry.event, 'updated');
    assert.equal(entry.after.revision, 2);
    assert.deepEqual(entry.after.services.map((s) => s.port), [22, 80], 'services accumulate across batches');
    assert.deepEqual(entry.changes.map((c) => c.field), ['service:198.18.1.2/tcp/80']);
    assert.deepEqual(entry.changes[0], { field: 'service:198.18.1.2/tcp/80', before: null, after: 'nginx 1.22.1 (http)' });
  });

  it('attaches a MAC learnt later to the asset known by IP', () => {
    const state = indexSite(SITE, []);
    ingest(state, [ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3')]);
    const update = ingest(state, [arp('198.18.1.2', 'dc:a6:32:01:02:03')]);
    assert.equal(state.assets.size, 1);
    const entry = [...update.changed.values()][0]!;
    assert.deepEqual(entry.after.macs.map((m) => m.mac), ['dc:a6:32:01:02:03']);
    const fields = entry.changes.map((c) => c.field);
    assert.ok(fields.includes('macs') && fields.includes('hw') && fields.includes('fp.mac.vendor'), fields.join(','));
  });

  it('makes a new asset when the address now answers with another burned-in MAC, and the old one lets the address go', () => {
    const state = indexSite(SITE, []);
    ingest(state, [arp('198.18.1.2', '00:1a:11:00:00:01'), ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3')]);
    const update = ingest(state, [arp('198.18.1.2', 'dc:a6:32:01:02:03', '2024-05-03T00:00:00.000Z')]);
    assert.equal(state.assets.size, 2);
    const events = [...update.changed.values()].map((e) => [e.event, e.after.addresses.map((x) => x.address), e.after.alive]);
    assert.deepEqual(events, [['updated', [], false], ['created', ['198.18.1.2'], true]]);
    const old = [...update.changed.values()][0]!;
    assert.equal(old.after.services.length, 0, 'services on the address moved away with it');
  });

  it('does not let a randomized (locally administered) MAC break an address match', () => {
    const state = indexSite(SITE, []);
    ingest(state, [arp('198.18.1.2', '00:1a:11:00:00:01')]);
    ingest(state, [arp('198.18.1.2', '3a:1b:2c:3d:4e:5f')]);
    assert.equal(state.assets.size, 1);
    const [asset] = [...state.assets.values()];
    assert.deepEqual(asset!.macs.map((m) => m.mac), ['00:1a:11:00:00:01', '3a:1b:2c:3d:4e:5f']);
    assert.equal(asset!.macs[1]!.vendor, undefined, 'no vendor for a locally administered MAC');
  });

  it('keeps sites apart: the same IP in two sites is two assets', () => {
    const a = indexSite('site-a', []);
    const b = indexSite('site-b', []);
    ingest(a, [{ ...ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3'), site: 'site-a' }]);
    ingest(b, [{ ...ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3'), site: 'site-b' }]);
    assert.notEqual([...a.assets.keys()][0], [...b.assets.keys()][0]);
  });

  it('lets a more certain claim win and a newer claim of the same source replace the older', () => {
    const state = indexSite(SITE, []);
    ingest(state, [record({ ip: '198.18.1.2', port: 161, transport: 'udp' }, 'snmp', {
      'snmp.sys_description': 'Linux web01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64',
    })]);
    assert.equal([...state.assets.values()][0]!.attributes['fp.os.certainty'], '0.5');
    ingest(state, [ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3')]);
    let a = [...state.assets.values()][0]!;
    assert.equal(a.attributes['fp.os.source'], 'recog:ssh.banner');
    assert.equal(a.os_version, '12.0');
    const update = ingest(state, [ssh('198.18.1.2', 'OpenSSH_8.1p1 Debian-1+deb11u1')]);
    a = [...state.assets.values()][0]!;
    assert.equal(a.os_version, '11.0');
    assert.equal(a.services[0]!.version, '8.1p1');
    const changes = [...update.changed.values()][0]!.changes;
    assert.deepEqual(changes.find((c) => c.field === 'os_version'), { field: 'os_version', before: '12.0', after: '11.0' });
  });

  it('publishes nothing when only last_seen moved', () => {
    const state = indexSite(SITE, []);
    ingest(state, [ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3')]);
    const update = ingest(state, [ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3', '2024-05-09T00:00:00.000Z')]);
    const entry = [...update.changed.values()][0]!;
    assert.equal(entry.event, undefined);
    assert.deepEqual(entry.changes, []);
    assert.equal(entry.after.revision, 1);
    assert.equal(entry.after.last_seen, '2024-05-09T00:00:00.000Z');
  });

  it('does not modify the asset it merges into', () => {
    const state = indexSite(SITE, []);
    ingest(state, [ssh('198.18.1.2', 'OpenSSH_9.2p1 Debian-2+deb12u3')]);
    const asset = [...state.assets.values()][0]!;
    const frozen = JSON.stringify(asset);
    const obs = buildObservations([arp('198.18.1.2', '00:1a:11:00:00:01')], [fingerprintEvidence(arp('198.18.1.2', '00:1a:11:00:00:01'), matchers)]);
    mergeObservation(asset, obs[0]!);
    assert.equal(JSON.stringify(asset), frozen);
  });

  it('stores assets without their derived fields and derives them back exactly', () => {
    const state = indexSite(SITE, []);
    ingest(state, [...debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'),
      record({ ip: '198.18.1.2', port: 8080, transport: 'tcp' }, 'http', { 'http_header.server': 'Apache/2.4.57 (Debian) mod_ssl/2.4.57 OpenSSL/3.0.11' })]);
    const asset = [...state.assets.values()][0]!;
    const stored = toStored(asset);
    assert.deepEqual(stored.attributes, {});
    assert.equal(stored.os, undefined);
    assert.ok(JSON.stringify(stored).length < JSON.stringify(asset).length * 0.8);
    assert.deepEqual(fromStored(JSON.parse(JSON.stringify(stored))), asset);
  });

  it('runs the Apache second pass: OS from the Server header and its modules as components', () => {
    const r = record({ ip: '198.18.1.3', port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'Apache/2.4.57 (Debian) mod_ssl/2.4.57 OpenSSL/3.0.11' });
    const state = indexSite(SITE, []);
    ingest(state, [r]);
    const a = assetView([...state.assets.values()][0]!);
    assert.equal(a.os, 'Debian Linux');
    assert.equal(a.attributes['fp.os.source'], 'recog:apache_os');
    assert.deepEqual(a.services[0]!.components?.map((c) => c.product), ['mod_ssl', 'OpenSSL']);
    assert.equal(a.services[0]!.version, '2.4.57');
  });
});
