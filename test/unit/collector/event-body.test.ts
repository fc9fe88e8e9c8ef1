// The event body and envelope are assembled from parts on the hot path; they
// must stay byte for byte what JSON.stringify of the AssetEvent (with
// assetView) gives, which is what subscribers were promised.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  applySiteUpdate, assetView, assetViewJson, buildObservations, fingerprintEvidence, indexSite, memoizedRecog, planSiteUpdate,
  type Asset, type ChangedAsset, type Matchers, type SiteState,
} from '../../../collector/assets/index.ts';
import { loadOuiTable } from '../../../collector/oui/index.ts';
import { assetEvent } from '../../../collector/pipeline.ts';
import type { Evidence } from '../../../shared/types.ts';
import { debianWebServer, OUI_FILE, record, recogEngine, SITE } from './support.ts';

let matchers: Matchers;
before(() => {
  matchers = { recog: memoizedRecog(recogEngine()), oui: loadOuiTable(OUI_FILE) };
});

function ingest(state: SiteState, records: Evidence[]) {
  const update = planSiteUpdate(state, buildObservations(records, records.map((r) => fingerprintEvidence(r, matchers))));
  applySiteUpdate(state, update);
  return [...update.changed.values()];
}

function expectSame(entry: ChangedAsset) {
  const ev = assetEvent(entry, 'sextant.assets');
  if (!entry.event) return assert.equal(ev, undefined);
  assert.ok(ev);
  const site = entry.after.site;
  assert.equal(assetViewJson(entry.after), JSON.stringify(assetView(entry.after)));
  assert.equal(ev.body, JSON.stringify({ event: entry.event, site, asset: assetView(entry.after), changes: entry.changes }));
  assert.equal(ev.message.envelope, JSON.stringify({ event: entry.event, site, changes: entry.changes }));
}

describe('asset event bodies', () => {
  it('match JSON.stringify of the event for created and updated assets', () => {
    const state = indexSite(SITE, []);
    const created = ingest(state, [
      ...debianWebServer('198.18.1.2', 'dc:a6:32:01:02:03'),
      record({ ip: '198.18.1.2', port: 8080, transport: 'tcp' }, 'http', { 'http_header.server': 'Apache/2.4.57 (Debian) OpenSSL/3.0.11 mod_perl/2.0.12' }),
      record({ ip: '198.18.1.2', transport: 'arp' }, 'arp', { 'mac.address': '00:1a:11:00:00:09' }, { observedAt: '2024-05-01T12:00:01.000Z' }),
      ...debianWebServer('198.18.1.10', '00:16:3e:00:00:01'),
    ]);
    assert.ok(created.length >= 2 && created.every((e) => e.event === 'created'));
    for (const e of created) expectSame(e);
    const withComponents = created.find((e) => e.after.services.some((s) => s.components.length > 0));
    assert.ok(withComponents, 'Apache modules give a service with components');
    assert.ok(created.some((e) => e.after.macs.length === 2), 'an asset with two MACs (sorted, vendors de-duplicated)');
    const updated = ingest(state, [record({ ip: '198.18.1.10', port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.6p1 Ubuntu-3ubuntu13' }, { observedAt: '2024-05-02T12:00:00.000Z' })]);
    assert.ok(updated.some((e) => e.event === 'updated'));
    for (const e of updated) expectSame(e);
  });

  it('match for an asset with the optional fields set and unset (identities, sources, sites, no MAC)', () => {
    const base: Asset = {
      id: 'as-1', site: 'lab', revision: 3, first_seen: '2024-05-01T12:00:00.000Z', last_seen: '2024-05-02T12:00:00.000Z', alive: false,
      addresses: [{ address: 'fe80::1' }, { address: '198.18.0.10' }, { address: '198.18.0.9' }] as Asset['addresses'],
      macs: [], names: ['b', 'a'], attributes: { 'fp.os.vendor': 'Cisco', z: '1', a: '2' }, services: [], agents: ['x'], evidence_count: 7,
    } as unknown as Asset;
    const full = { ...base, os: 'IOS', hw: 'router', sources: ['sextant', 'intune'], sites: ['lab', 'hq'], identities: [{ kind: 'serial', value: 'S1', source: 'intune', extra: 1 }] } as unknown as Asset;
    for (const a of [base, full]) {
      assert.equal(assetViewJson(a), JSON.stringify(assetView(a)));
      expectSame({ event: 'updated', before: undefined, after: a, changes: [{ field: 'os', before: null, after: a.os ?? null }] } as unknown as ChangedAsset);
    }
  });
});
