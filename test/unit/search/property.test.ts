// Property: over a random inventory, the SQL the store runs and the in-memory
// matcher (`sextant watch`, subscribers) select exactly the same assets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromStored } from '../../../collector/assets/index.ts';
import { matchesAsset, parseQuery, searchableView } from '../../../collector/search/index.ts';
import { openSqliteStore } from '../../../collector/store/index.ts';
import { build, NOW, type Spec } from './fixture.ts';

const OS = [undefined, ['Ubuntu', 'Linux', '22.04'], ['Ubuntu', 'Linux', '18.04.6'], ['Microsoft', 'Windows 10', '10.0.19045'], ['Cisco', 'IOS', '15.2(4)E'], ['Debian', 'Linux', '9.1'], ['Ünïcode', 'ÖS', '1.0rc1']] as const;
const NAMES = ['web01', 'db_01', 'Web-02.example.test', 'ab%c', 'İstanbul', 'x"y'];
const PRODUCTS = ['OpenSSH', 'nginx', 'Apache HTTPD', 'PostgreSQL', 'Microsoft DNS'];
const VERSIONS = ['8.9p1', '1.18.0', '2.4.57', '12.3', '6.1.7601'];
const PORTS = [21, 22, 80, 443, 2222, 8080];
const DAY = 86_400_000;

const assetArb = fc.record({
  os: fc.constantFrom(...OS),
  hw: fc.option(fc.constantFrom('Dell PowerEdge', 'HP LaserJet', 'Apple iPhone'), { nil: undefined }),
  type: fc.option(fc.constantFrom('server', 'printer', 'desktop'), { nil: undefined }),
  names: fc.subarray(NAMES, { maxLength: 2 }),
  services: fc.uniqueArray(fc.record({ port: fc.constantFrom(...PORTS), t: fc.constantFrom('tcp' as const, 'udp' as const), product: fc.option(fc.constantFrom(...PRODUCTS), { nil: undefined }), version: fc.option(fc.constantFrom(...VERSIONS), { nil: undefined }) }), { maxLength: 3, selector: (s) => `${s.t}/${s.port}` }),
  site: fc.constantFrom('lab', 'office'),
  sources: fc.option(fc.subarray(['sextant', 'intune', 'crowdstrike'], { minLength: 1 }), { nil: undefined }),
  alive: fc.boolean(),
  firstDays: fc.integer({ min: 0, max: 400 }),
  lastDays: fc.integer({ min: 0, max: 400 }),
  mac: fc.option(fc.constantFrom(['00:11:22:33:44:55', 'Dell Inc.'] as [string, string], ['da:a1:19:00:00:01'] as [string]), { nil: undefined }),
  address: fc.constantFrom('198.18.1.10', '198.18.1.100', '198.19.0.1', '2001:db8::1'),
});

const VALUES = ['ubuntu', 'linux', 'win', 'ios', '%', '_', 'a_c', 'ab%c', 'web', 'WEB', '01', 'dell', 'openssh', 'tcp/22', '22', '8.9', '198.18.1.1', '00:11', 'istanbul', 'i̇stanbul', 'x"y', 'ös', 'server', 'intune', ''];
const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const termArb = fc.oneof(
  fc.tuple(fc.constantFrom('os', 'hw', 'type', 'name', 'address', 'mac', 'mac_vendor', 'site', 'source', 'service', 'product', 'protocol', 'transport', 'fp.os.vendor', 'fp.service.product'), fc.constantFrom(':', ':='), fc.constantFrom(...VALUES))
    .filter(([, op, v]) => v !== '' || op === ':=')
    .map(([f, op, v]) => `${f}${op}${v === '' ? '' : q(v)}`),
  fc.tuple(fc.constantFrom('os_version', 'version', 'fp.os.version'), fc.constantFrom('<', '<=', '>', '>='), fc.constantFrom('9', '9.1', '10.0', '18.04', '20.04', '22.04', '1.18', '1.18.0', '12.3', '15.2(4)', '1.0')).map(([f, op, v]) => `${f}:${op}${q(v)}`),
  fc.tuple(fc.constantFrom('port', 'service_count', 'fp.os.certainty'), fc.constantFrom('', '<', '<=', '>', '>='), fc.constantFrom('0', '1', '22', '80', '443', '0.5', '2')).map(([f, op, v]) => `${f}:${op}${v}`),
  fc.constantFrom('port:20-100', 'os_version:9-19', 'version:1-9'),
  fc.tuple(fc.constantFrom('first_seen', 'last_seen'), fc.constantFrom('<', '<=', '>', '>='), fc.constantFrom('1d', '2weeks', '30d', '6months', '1year', 'now', '2024-03-01')).map(([f, op, v]) => `${f}:${op}${v}`),
  fc.constantFrom('alive:t', 'alive:f', 'has:hw', 'has:os', 'has:mac', 'has:fp.hw.vendor', 'os:=', 'last_seen:2024-0', 'first_seen:=2024%'),
  fc.constantFrom(...VALUES.filter((v) => v !== '')).map((v) => q(v)),
);
const queryArb: fc.Arbitrary<string> = fc.letrec<{ query: string }>((tie) => ({
  query: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    termArb,
    fc.tuple(tie('query'), fc.constantFrom(' AND ', ' OR ', ' '), tie('query')).map(([a, op, b]) => `(${a})${op}(${b})`),
    tie('query').map((a) => `NOT (${a})`),
    tie('query').map((a) => `-(${a})`),
  ),
})).query;

type Rec = typeof assetArb extends fc.Arbitrary<infer T> ? T : never;

function toSpec(r: Rec, i: number): Spec {
  const iso = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
  const first = Math.max(r.firstDays, r.lastDays);
  const spec: Spec = {
    label: `p${i}`, site: r.site, alive: r.alive, first: iso(first), last: iso(r.lastDays), addresses: [r.address], names: r.names,
    services: r.services.map((s) => ({ port: s.port, t: s.t, protocol: s.port === 22 ? 'ssh' : 'http', ...(s.product ? { product: s.product } : {}), ...(s.version ? { version: s.version } : {}) })),
  };
  if (r.os) spec.os = { vendor: r.os[0], product: r.os[1], version: r.os[2] };
  if (r.hw) spec.hw = { vendor: r.hw.split(' ')[0]!, product: r.hw.split(' ').slice(1).join(' ') };
  if (r.type) spec.type = r.type;
  if (r.sources) spec.sources = r.sources;
  if (r.mac) spec.macs = [r.mac];
  return spec;
}

describe('search: SQL and in-memory agree', () => {
  it('on random queries over random inventories', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(assetArb, { minLength: 1, maxLength: 12 }), fc.array(queryArb, { minLength: 1, maxLength: 8 }), fc.constantFrom(0, 2, Infinity), async (records, queries, broadHits) => {
        // broadHits 0: every term takes the probe-per-asset spelling; Infinity: the collect-first one; 2: a mix.
        const store = openSqliteStore(':memory:', { searchBroadHits: broadHits });
        try {
          const assets = records.map((r, i) => fromStored(build(toSpec(r, i))));
          await store.commitBatch({ batchId: 'p', agentId: 'agent-1', site: 'lab', receivedAt: NOW.toISOString(), evidence: [], assets: assets.map((asset) => ({ asset, previous: undefined })), outbox: [] });
          const views = (await store.listAssets()).map(searchableView);
          for (const query of queries) {
            const ast = parseQuery(query);
            const mem = views.filter((v) => matchesAsset(ast, v, NOW)).map((v) => v.id).sort();
            const page = await store.searchAssets(query, { limit: 100, now: NOW });
            assert.deepEqual(page.assets.map((a) => a.id).sort(), mem, query);
            assert.equal(page.total, mem.length, query);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
