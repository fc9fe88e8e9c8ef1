// Properties of the merge: which evidence ends up together does not depend on
// arrival order when the devices' keys are consistent, and an IP alone never
// joins two sites.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Evidence } from '../../../shared/types.ts';
import { arp, assets, ev, ingest, inventory, ssh, T0 } from './support.ts';

interface Device {
  site: string;
  ip: string;
  mac: string;
  hostkey: string;
}

/** Devices with keys of their own (no two share a MAC, host key or site+IP). */
const devices = fc.uniqueArray(fc.record({ site: fc.constantFrom('a', 'b'), host: fc.integer({ min: 1, max: 40 }), mac: fc.integer({ min: 1, max: 250 }), key: fc.integer({ min: 1, max: 1000 }) }), {
  minLength: 1,
  maxLength: 8,
  selector: (d) => d.host,
}).filter((ds) => new Set(ds.map((d) => d.mac)).size === ds.length && new Set(ds.map((d) => d.key)).size === ds.length)
  .map((ds): Device[] => ds.map((d) => ({ site: d.site, ip: `198.18.0.${d.host}`, mac: `00:1b:21:00:01:${d.mac.toString(16).padStart(2, '0')}`, hostkey: `SHA256:k${d.key}` })));

/** Each device seen in parts: its MAC, its SSH key, or both, each record its own batch. */
function sightings(ds: Device[], parts: number[]): Evidence[][] {
  const out: Evidence[][] = [];
  ds.forEach((d, i) => {
    const p = parts[i % parts.length]!;
    if (p === 0 || p === 2) out.push([arp(d.site, d.ip, d.mac)]);
    if (p === 1 || p === 2) out.push([ssh(d.site, d.ip, d.hostkey)]);
    // Always one record with both, so the device's parts are provably one.
    out.push([arp(d.site, d.ip, d.mac, T0), ssh(d.site, d.ip, d.hostkey, T0)]);
  });
  return out;
}

/** Which device each asset holds, by the MACs and host keys it carries. */
function partition(batches: Evidence[][]): string[] {
  const s = inventory();
  for (const b of batches) ingest(s, b);
  return assets(s)
    .map((a) => [...a.macs.map((m) => m.mac), ...(a.identities ?? []).filter((i) => i.kind === 'ssh_hostkey').map((i) => i.value)].sort().join(' '))
    .sort();
}

describe('merge properties', () => {
  it('the same evidence in any order gives the same assets (one per device)', () => {
    fc.assert(
      fc.property(devices, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (ds, parts, rand) => {
        const batches = sightings(ds, parts);
        const shuffled = batches.map((b) => ({ b, k: rand.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.b);
        const expected = partition(batches);
        assert.equal(expected.length, ds.length);
        assert.deepEqual(partition(shuffled), expected);
      }),
      { numRuns: 60 },
    );
  });

  it('never joins two sites on an IP alone', () => {
    const sighting = fc.record({ site: fc.constantFrom('a', 'b', 'c'), host: fc.integer({ min: 1, max: 6 }), port: fc.constantFrom(22, 80, 443) });
    fc.assert(
      fc.property(fc.array(fc.array(sighting, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }), (batches) => {
        const s = inventory();
        for (const b of batches) {
          // One batch comes from one site (one agent).
          const site = b[0]!.site;
          ingest(s, b.map((x) => ev(site, { ip: `198.18.50.${x.host}`, port: x.port, transport: 'tcp' }, 'connect', {})));
        }
        for (const a of assets(s)) {
          assert.equal((a.sites ?? [a.site]).length, 1, JSON.stringify(a.sites));
          assert.ok(a.addresses.every((x) => x.site === undefined));
        }
        // One asset per (site, address) that answered.
        const pairs = new Set(batches.flatMap((b) => b.map((x) => `${b[0]!.site}|${x.host}`)));
        assert.equal(s.assets.size, pairs.size);
      }),
      { numRuns: 100 },
    );
  });
});

describe('hostile input', () => {
  it('an integration export of any JSON shape gives evidence or a SextantError naming where, never a crash', async () => {
    const { SOURCES } = await import('../../../collector/assets/sources/index.ts');
    const { isSextantError } = await import('../../../shared/errors.ts');
    const device = fc.dictionary(fc.constantFrom('id', 'device_id', 'deviceId', 'deviceName', 'hostname', 'serialNumber', 'serial_number', 'wiFiMacAddress', 'mac_address', 'operatingSystem', 'osVersion', 'lastSyncDateTime', 'last_seen', 'local_ip'), fc.jsonValue());
    fc.assert(
      fc.property(fc.constantFrom('intune', 'crowdstrike', 'azuread'), fc.oneof(fc.jsonValue(), fc.record({ value: fc.array(device) }), fc.record({ resources: fc.array(device) })), (source, parsed) => {
        try {
          const records = SOURCES[source]!.toEvidence(parsed, { source, site: 'integrations', file: 'x.json', now: T0 });
          for (const r of records) assert.ok(r.id.startsWith(`${source}:`) && Object.values(r.facts).every((v) => typeof v === 'string'));
        } catch (err) {
          assert.ok(isSextantError(err, 'IMPORT_SOURCE_INVALID'), String(err));
          assert.ok(err.location.file === 'x.json');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an agent cannot claim an integration id', () => {
    const s = inventory();
    ingest(s, [ev('hq', '198.18.1.5', 'http', { 'integration.id': 'intune:7c2f3a51-0d6e-4b1a-9c3e-1f2a3b4c5d6e' })]);
    assert.ok(!assets(s)[0]!.identities!.some((i) => i.kind === 'integration_id'));
  });
});
