// The merge rules, scenario by scenario: each builds the evidence agents or
// integrations would send and checks which assets come out, and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planManualMerge, planManualSplit, applySiteUpdate, assetView } from '../../../collector/assets/index.ts';
import { loadPolicy } from '../../../collector/merge/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { arp, assets, cert, ev, fixture, holding, http, imported, ingest, inventory, netbios, ssh, T0, T1, T2, tls } from './support.ts';

describe('merge rules', () => {
  it('multi-homed: two addresses, two MACs, one SSH host key are one asset', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.2', '00:1b:21:00:00:01'), ssh('a', '198.18.1.2', 'SHA256:hostA')]);
    ingest(s, [arp('a', '198.18.2.2', '00:1b:21:00:00:02'), ssh('a', '198.18.2.2', 'SHA256:hostA')]);
    assert.equal(s.assets.size, 1);
    const [a] = assets(s);
    assert.deepEqual(a!.addresses.map((x) => x.address).sort(), ['198.18.1.2', '198.18.2.2']);
    assert.deepEqual(a!.macs.map((m) => m.mac).sort(), ['00:1b:21:00:00:01', '00:1b:21:00:00:02']);
    assert.ok(a!.identities!.some((i) => i.kind === 'ssh_hostkey' && i.value === 'SHA256:hostA'));
  });

  it('multi-homed seen in parts: the key that joins two assets merges them, the absorbed one is deleted', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.2', '00:1b:21:00:00:01'), ssh('a', '198.18.1.2', 'SHA256:hostA')]);
    ingest(s, [arp('a', '198.18.2.2', '00:1b:21:00:00:02')]);
    assert.equal(s.assets.size, 2);
    const second = holding(s, '198.18.2.2')[0]!;
    const update = ingest(s, [arp('a', '198.18.2.2', '00:1b:21:00:00:02', T1), ssh('a', '198.18.2.2', 'SHA256:hostA', T1)]);
    assert.equal(s.assets.size, 1);
    const events = [...update.changed.values()].map((e) => [e.after.id, e.event]);
    assert.ok(events.some(([id, e]) => id === second.id && e === 'deleted'), JSON.stringify(events));
    const survivor = assets(s)[0]!;
    assert.equal(survivor.addresses.length, 2);
    const updated = update.changed.get(survivor.id)!;
    assert.equal(updated.event, 'updated');
    assert.ok(updated.changes.some((c) => c.field === 'addresses'), 'the update carries the differences');
    const log = survivor.merge_log!.find((e) => e.action === 'merged');
    assert.ok(log, 'the merge is logged');
    assert.deepEqual(log.from, [second.id]);
    assert.match(log.reason, /ssh_hostkey SHA256:hostA/);
    assert.equal(log.key, 'ssh_hostkey');
    // Every evidence record of the batch points at the survivor.
    assert.ok([...update.evidenceAsset.values()].every((id) => id === survivor.id));
  });

  it('DHCP: an address that now answers with another burned-in MAC is another device; the MAC takes its asset to the new address', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.10', '00:1b:21:00:00:0a'), http('a', '198.18.1.10')]);
    const laptop = assets(s)[0]!;
    ingest(s, [arp('a', '198.18.1.10', '00:50:56:00:00:0b', T1)]);
    assert.equal(s.assets.size, 2);
    assert.equal(holding(s, '198.18.1.10').length, 1, 'an address belongs to one asset of a site');
    const old = s.assets.get(laptop.id)!;
    assert.equal(old.addresses.length, 0);
    assert.equal(old.services.length, 0, 'the address took its services with it');
    assert.equal(old.alive, false);
    assert.ok(old.merge_log!.some((e) => e.action === 'address_released' && e.value === '198.18.1.10' && /mac differs/.test(e.reason)));
    ingest(s, [arp('a', '198.18.1.77', '00:1b:21:00:00:0a', T2)]);
    assert.deepEqual(s.assets.get(laptop.id)!.addresses.map((x) => x.address), ['198.18.1.77']);
    assert.equal(s.assets.get(laptop.id)!.alive, true);
  });

  it('an address that now answers with another SSH host key (no MAC across a router) is another device', () => {
    const s = inventory();
    ingest(s, [ssh('a', '198.18.5.5', 'SHA256:one')]);
    ingest(s, [ssh('a', '198.18.5.5', 'SHA256:two', T1)]);
    assert.equal(s.assets.size, 2);
    assert.equal(holding(s, '198.18.5.5').length, 1);
  });

  it('randomized (locally administered) MACs do not merge devices', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.20', '02:11:22:33:44:55')]);
    ingest(s, [arp('a', '198.18.1.21', '02:11:22:33:44:55')]);
    assert.equal(s.assets.size, 2);
    assert.ok(assets(s).every((a) => a.identities!.some((i) => i.kind === 'mac' && i.randomized)));
  });

  it('a randomized MAC does not break an address match', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.30', '00:1b:21:00:00:30')]);
    ingest(s, [arp('a', '198.18.1.30', '06:aa:bb:cc:dd:ee', T1)]);
    assert.equal(s.assets.size, 1);
  });

  it('a TLS certificate on devices that MACs tell apart is shared: it merges nothing, then or later', () => {
    const s = inventory();
    const vendorDefault = cert('d');
    ingest(s, [arp('a', '198.18.1.40', '00:1b:21:00:00:40'), tls('a', '198.18.1.40', vendorDefault)]);
    ingest(s, [arp('a', '198.18.1.41', '00:1b:21:00:00:41'), tls('a', '198.18.1.41', vendorDefault)]);
    ingest(s, [tls('a', '198.18.1.42', vendorDefault)]);
    assert.equal(s.assets.size, 3);
    assert.ok(s.shared.has(`tls_cert:${vendorDefault}`));
  });

  it('a TLS certificate that identifies one host joins its addresses (no MAC seen across a router)', () => {
    const s = inventory();
    const own = cert('e');
    ingest(s, [tls('a', '198.18.3.1', own), http('a', '198.18.3.1')]);
    ingest(s, [tls('a', '198.18.4.1', own)]);
    assert.equal(s.assets.size, 1);
    assert.equal(assets(s)[0]!.addresses.length, 2);
  });

  it('joins sites by SSH host key, never by IP alone; the asset keeps its sites', () => {
    const s = inventory();
    ingest(s, [ssh('hq', '198.18.50.5', 'SHA256:roamer'), arp('hq', '198.18.50.5', '00:1b:21:00:00:50')]);
    ingest(s, [ssh('branch', '198.18.59.5', 'SHA256:roamer')]);
    assert.equal(s.assets.size, 1);
    const a = assets(s)[0]!;
    assert.deepEqual(a.sites, ['hq', 'branch']);
    assert.equal(a.site, 'hq');
    assert.ok(a.addresses.some((x) => x.address === '198.18.59.5' && x.site === 'branch'));
    // The same private address in two sites, nothing else in common: two assets.
    ingest(s, [http('hq', '198.18.50.7')]);
    ingest(s, [http('branch', '198.18.50.7')]);
    assert.equal(s.assets.size, 3);
    assert.ok(assets(s).filter((x) => x.addresses.some((y) => y.address === '198.18.50.7')).every((x) => x.sites!.length === 1));
  });

  it('names match inside their site only', () => {
    const s = inventory();
    ingest(s, [netbios('hq', '198.18.50.8', 'FILESRV', 'CORP')]);
    ingest(s, [netbios('hq', '198.18.50.9', 'FILESRV', 'CORP')]);
    ingest(s, [netbios('branch', '198.18.50.8', 'FILESRV', 'CORP')]);
    assert.equal(s.assets.size, 2);
  });

  it('integrations join scan evidence by MAC (Intune), serial (CrowdStrike) and device id (Azure AD)', () => {
    const s = inventory();
    ingest(s, [arp('hq', '198.18.1.2', '00:1b:21:5e:00:01'), http('hq', '198.18.1.2')]);
    const scanned = assets(s)[0]!;
    const intune = ingest(s, imported('intune', fixture('intune-managed-devices.json')));
    ingest(s, imported('crowdstrike', fixture('crowdstrike-devices.json')));
    ingest(s, imported('azuread', fixture('azuread-devices.json')));
    // The iPhone (randomized Wi-Fi MAC, nothing else in common) is its own asset.
    assert.equal(s.assets.size, 2);
    const a = s.assets.get(scanned.id)!;
    assert.deepEqual([...a.sources!].sort(), ['azuread', 'crowdstrike', 'intune', 'sextant']);
    assert.equal(a.site, 'hq');
    assert.deepEqual(a.sites, ['hq'], 'an integration adds no site of its own');
    const view = assetView(a);
    assert.equal(view.attributes['fp.os.source'], 'Intune');
    assert.equal(view.os, 'Microsoft Windows');
    assert.equal(view.os_version, '10.0.22631.3447');
    assert.equal(view.hw, 'Dell Inc. Latitude 7440');
    assert.ok(view.identities!.some((i) => i.kind === 'serial' && i.value === '7XK2Q93' && i.source === 'intune'));
    assert.ok(view.identities!.some((i) => i.kind === 'integration_id' && i.value === 'crowdstrike:4c1e9a7b2d3f4e5a6b7c8d9e0f1a2b3c'));
    assert.ok(view.identities!.some((i) => i.kind === 'ip' && i.value === '198.18.1.2' && i.source === 'crowdstrike'));
    assert.deepEqual(view.addresses, ['198.18.1.2'], 'a self-reported IP is not an address');
    assert.ok(a.merge_log!.some((e) => e.action === 'merged' && e.source === 'intune' && e.key === 'mac'));
    assert.ok(a.merge_log!.some((e) => e.action === 'merged' && e.source === 'crowdstrike' && e.key === 'integration_id' || e.key === 'serial'));
    assert.ok(a.merge_log!.some((e) => e.action === 'merged' && e.source === 'azuread' && e.key === 'integration_id'));
    assert.equal(intune.changed.get(scanned.id)!.event, 'updated');
  });

  it('an asset first known from an integration takes the first scanned site as its home', () => {
    const s = inventory();
    ingest(s, imported('intune', fixture('intune-managed-devices.json')));
    assert.equal(s.assets.size, 2);
    assert.ok(assets(s).every((a) => a.site === 'integrations' && a.addresses.length === 0));
    ingest(s, [arp('hq', '198.18.1.2', '00:1b:21:5e:00:01')]);
    assert.equal(s.assets.size, 2);
    const laptop = holding(s, '198.18.1.2')[0]!;
    assert.equal(laptop.site, 'hq');
    assert.deepEqual(laptop.sources, ['intune', 'sextant']);
  });

  it('policy: a name match broken by differing MACs merges with no-mac-break', () => {
    const records = () => [
      ev('hq', '198.18.1.60', 'netbios', { 'netbios.name': 'KIOSK-1', 'netbios.domain': 'CORP', 'netbios.mac': '00:1b:21:00:00:60' }),
    ];
    const device = { value: [{ id: 'k1', deviceName: 'KIOSK-1', wiFiMacAddress: '001B21000099', operatingSystem: 'Windows' }] };
    const strict = inventory();
    ingest(strict, records());
    ingest(strict, imported('intune', device));
    assert.equal(strict.assets.size, 2, 'by default a different MAC breaks the name match');
    const relaxed = inventory();
    const policy = loadPolicy({ intune: { flags: ['no-mac-break'] } });
    ingest(relaxed, records(), policy);
    ingest(relaxed, imported('intune', device), policy);
    assert.equal(relaxed.assets.size, 1);
    assert.equal(assets(relaxed)[0]!.macs.length, 2);
  });

  it('policy: no-name-match stops names finding assets', () => {
    const s = inventory();
    const policy = loadPolicy({ intune: { flags: ['no-name-match'] } });
    ingest(s, [netbios('hq', '198.18.1.61', 'KIOSK-2', 'CORP')], policy);
    ingest(s, imported('intune', { value: [{ id: 'k2', deviceName: 'KIOSK-2' }] }), policy);
    assert.equal(s.assets.size, 2);
  });

  it('policy errors name the field', () => {
    assert.throws(() => loadPolicy({ intune: { flags: ['no-color-break'] } }, 'sextant.json'), (err: unknown) => isSextantError(err, 'MERGE_POLICY_INVALID') && /sextant\.json \(mergePolicy\.intune\.flags\[0\]\)/.test(err.message));
    assert.throws(() => loadPolicy({ intune: { keys: { mac: { breakOn: ['colour'] } } } }), (err: unknown) => isSextantError(err) && err.location.field === 'mergePolicy.intune.keys.mac.breakOn');
  });

  it('manual merge: two assets become one and later evidence of either keeps them one', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.70', '00:1b:21:00:00:70')]);
    ingest(s, [arp('a', '198.18.1.71', '00:50:56:00:00:71')]);
    const [x, y] = assets(s);
    const update = planManualMerge(s, [x!.id, y!.id], T1, 'same appliance, two NICs');
    applySiteUpdate(s, update);
    assert.equal(update.changed.get(y!.id)!.event, 'deleted');
    assert.equal(s.assets.size, 1);
    ingest(s, [arp('a', '198.18.1.70', '00:1b:21:00:00:70', T2), arp('a', '198.18.1.71', '00:50:56:00:00:71', T2)]);
    assert.equal(s.assets.size, 1);
    const a = s.assets.get(x!.id)!;
    assert.ok(a.merge_log!.some((e) => e.action === 'manual_merge' && e.reason === 'same appliance, two NICs'));
  });

  it('manual split by address: sticky, later evidence with the joining key does not undo it', () => {
    const s = inventory();
    ingest(s, [ssh('a', '198.18.1.80', 'SHA256:cloned'), ssh('a', '198.18.1.81', 'SHA256:cloned')]);
    assert.equal(s.assets.size, 1);
    const id = assets(s)[0]!.id;
    applySiteUpdate(s, planManualSplit(s, id, { address: '198.18.1.81' }, T1));
    assert.equal(s.assets.size, 2);
    ingest(s, [ssh('a', '198.18.1.80', 'SHA256:cloned', T2), ssh('a', '198.18.1.81', 'SHA256:cloned', T2)]);
    assert.equal(s.assets.size, 2);
    assert.deepEqual(s.assets.get(id)!.addresses.map((x) => x.address), ['198.18.1.80']);
    assert.equal(holding(s, '198.18.1.81').length, 1);
    assert.notEqual(holding(s, '198.18.1.81')[0]!.id, id);
  });

  it('manual split by key: the MAC goes to a new asset and stays there', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.90', '00:1b:21:00:00:90'), ssh('a', '198.18.1.90', 'SHA256:k90')]);
    ingest(s, [arp('a', '198.18.1.91', '00:1b:21:00:00:91'), ssh('a', '198.18.1.91', 'SHA256:k90')]);
    const id = assets(s)[0]!.id;
    applySiteUpdate(s, planManualSplit(s, id, { key: { kind: 'mac', value: '00:1b:21:00:00:91' } }, T1));
    ingest(s, [arp('a', '198.18.1.95', '00:1b:21:00:00:91', T2)]);
    const split = assets(s).find((a) => a.id !== id)!;
    assert.deepEqual(split.addresses.map((x) => x.address), ['198.18.1.95']);
    assert.ok(!s.assets.get(id)!.macs.some((m) => m.mac === '00:1b:21:00:00:91'));
  });

  it('manual commands refuse unknown assets and addresses, naming them', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.99', '00:1b:21:00:00:99')]);
    const id = assets(s)[0]!.id;
    assert.throws(() => planManualMerge(s, [id, 'nope'], T1), (e: unknown) => isSextantError(e, 'MERGE_ASSET_UNKNOWN') && /nope/.test(e.message));
    assert.throws(() => planManualSplit(s, id, { address: '198.18.7.7' }, T1), (e: unknown) => isSextantError(e, 'MERGE_REFUSED') && /198\.18\.1\.99/.test(e.message));
    assert.throws(() => planManualMerge(s, [id, id], T1), (e: unknown) => isSextantError(e, 'MERGE_REFUSED'));
  });

  it('a rescan that says the same keys logs nothing and changes nothing but timestamps', () => {
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.2', '00:1b:21:00:00:01'), ssh('a', '198.18.1.2', 'SHA256:r')]);
    const update = ingest(s, [arp('a', '198.18.1.2', '00:1b:21:00:00:01', T1), ssh('a', '198.18.1.2', 'SHA256:r', T1)]);
    const [entry] = [...update.changed.values()];
    assert.equal(entry!.event, undefined);
    assert.equal(entry!.seenOnly, true);
    assert.equal(entry!.after.merge_log!.length, 1);
    assert.equal(T0 < T1, true);
  });
});

describe('addresses that stop answering', () => {
  it('leave their asset once a scan of their scope finished without them; addresses outside the scope stay', async () => {
    const { planScopeRelease } = await import('../../../collector/assets/index.ts');
    const { scopeOf } = await import('../../../collector/pipeline.ts');
    const s = inventory();
    ingest(s, [arp('a', '198.18.1.2', '00:1b:21:00:00:01'), ssh('a', '198.18.1.2', 'SHA256:m')]);
    ingest(s, [arp('a', '198.18.9.2', '00:1b:21:00:00:02'), ssh('a', '198.18.9.2', 'SHA256:m')]);
    ingest(s, [arp('a', '198.18.1.3', '00:1b:21:00:00:03')]);
    // The scan of 198.18.1.0/24 (198.18.1.3 excluded) started at T1; only 198.18.1.2 did not answer again.
    const update = planScopeRelease(s, { site: 'a', inScope: scopeOf({ targets: ['198.18.1.0/24'], exclude: ['198.18.1.3'] }), before: T1, at: T2, reason: 'the scan of task t1' });
    applySiteUpdate(s, update);
    const host = assets(s).find((a) => a.identities!.some((i) => i.value === 'SHA256:m'))!;
    assert.deepEqual(host.addresses.map((x) => x.address), ['198.18.9.2']);
    assert.equal(host.alive, true);
    assert.ok(host.merge_log!.some((e) => e.action === 'address_released' && e.value === '198.18.1.2' && /did not answer the scan of task t1/.test(e.reason)));
    assert.equal(holding(s, '198.18.1.3').length, 1, 'excluded addresses stay');
    assert.equal(update.changed.size, 1);
    assert.equal([...update.changed.values()][0]!.event, 'updated');
    // The address is free: the next device answering there is not matched to the old one by IP.
    ingest(s, [http('a', '198.18.1.2', T2)]);
    assert.equal(holding(s, '198.18.1.2').length, 1);
    assert.notEqual(holding(s, '198.18.1.2')[0]!.id, host.id);
  });
});
