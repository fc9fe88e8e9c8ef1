// The query table: runZero-style queries over the fixture inventory, each
// answered by SQL through the real SQLite store and by the in-memory matcher.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { matchesAsset, parseQuery, searchableView, type SearchableAsset } from '../../../collector/search/index.ts';
import { openSqliteStore, type Store } from '../../../collector/store/index.ts';
import { LABELS, NOW, labelOf, writeFixture } from './fixture.ts';

const ALL = LABELS;
const except = (...out: string[]) => ALL.filter((l) => !out.includes(l));
const UBUNTU = ['web01', 'db01', 'under', 'k8s'];

export const TABLE: Array<[string, string[]]> = [
  ['', ALL],
  ['os:ubuntu', UBUNTU],
  ['OS:UBUNTU', UBUNTU],
  ['os:="Ubuntu Linux"', UBUNTU],
  ['os:=ubuntu', []],
  ['os:="ubuntu%"', UBUNTU],
  ['os:="%windows%"', ['win01', 'dc01']],
  ['os:windows', ['win01', 'dc01']],
  ['os:"windows server"', ['dc01']],
  ['os:=', ['printer', 'bare']],
  ['hw:=', ['db01', 'old01', 'win01', 'bare', 'dc01', 'v6', 'under', 'k8s']],
  ['hardware:cisco', ['switch']],
  ['has:hw', ['web01', 'printer', 'switch', 'iphone']],
  ['NOT has:os', ['printer', 'bare']],
  ['os_version:<20.04', ['db01', 'old01', 'win01', 'switch', 'iphone', 'dc01', 'v6']],
  ['os_version:<=20.04', ['db01', 'old01', 'win01', 'switch', 'iphone', 'dc01', 'v6', 'under']],
  ['os_version:>20.04', ['web01', 'k8s']],
  ['os_version:>=20.04', ['web01', 'under', 'k8s']],
  ['os_version:18.04-20.04', ['db01', 'under']],
  ['os_version:=20.04', ['under']],
  ['os_version:20.04', ['under', 'k8s']],
  ['os_version:>=10 AND os_version:<11', ['win01', 'dc01']],
  ['port:22', ['web01', 'db01', 'v6']],
  ['port:20-25', ['web01', 'db01', 'old01', 'switch', 'v6']],
  ['port:>=20 AND port:<=25', ['web01', 'db01', 'old01', 'switch', 'v6']],
  ['port:>=8000', ['printer', 'v6', 'k8s']],
  ['port:<100 AND NOT port:<=22', ['printer', 'switch', 'dc01']],
  ['service:ssh', ['web01', 'db01', 'v6', 'under']],
  ['service:tcp/22', ['web01', 'db01', 'v6', 'under']],
  ['service:=tcp/22', ['web01', 'db01', 'v6']],
  ['service:"openssh 8.9p1"', ['web01']],
  ['product:openssh', ['web01', 'db01', 'v6']],
  ['product:=nginx', ['web01']],
  ['product:"hp http"', ['printer']],
  ['protocol:http', ['web01', 'printer', 'v6', 'k8s']],
  ['protocol:=http', ['web01', 'printer', 'v6']],
  ['transport:udp', ['switch', 'dc01']],
  ['version:>=9', ['db01', 'v6', 'under']],
  ['service_count:0', ['bare', 'iphone']],
  ['service_count:>2', ['dc01']],
  ['service_count:<2', ['old01', 'bare', 'iphone', 'under']],
  ['address:198.18.1.', ['web01', 'db01', 'old01', 'printer', 'iphone', 'under', 'k8s']],
  ['address:=198.18.2.20', ['db01']],
  ['address:"2001:db8::10"', ['v6']],
  ['address:198.19.%', ['win01', 'switch', 'dc01']],
  ['ip:=198.18.3.3', ['bare']],
  ['mac:00:11:22', ['web01', 'db01']],
  ['mac:da:a1', ['iphone']],
  ['mac_vendor:dell', ['web01', 'db01']],
  ['mac_vendor:"cisco systems"', ['switch']],
  ['has:mac_vendor', ['web01', 'db01', 'win01', 'printer', 'switch', 'dc01']],
  ['NOT has:mac', ['old01', 'bare', 'v6', 'under', 'k8s']],
  ['name:example.test', ['web01', 'db01', 'v6']],
  ['name:=db01', ['db01']],
  ['hostname:=db01', ['db01']],
  ['name:=win01', ['win01']],
  ['name:lab_host', ['under']],
  ['name:"lab_host_1"', ['under']],
  ['name:-node-', ['k8s']],
  ['site:office', ['win01', 'switch', 'iphone', 'dc01']],
  ['site:lab AND NOT site:office', ['web01', 'db01', 'old01', 'printer', 'bare', 'v6', 'under', 'k8s']],
  ['agent:agent-2', ['db01']],
  ['source:intune', ['iphone', 'dc01']],
  ['source:sextant', except('dc01')],
  ['source:sextant AND NOT source:intune', except('dc01', 'iphone')],
  ['type:server', ['web01', 'db01', 'dc01', 'under', 'k8s']],
  ['type:server OR type:switch', ['web01', 'db01', 'switch', 'dc01', 'under', 'k8s']],
  ['(type:server OR type:desktop) AND os:microsoft', ['win01', 'dc01']],
  ['type:server -os:ubuntu', ['dc01']],
  ['alive:f', ['old01']],
  ['alive:false', ['old01']],
  ['alive:t AND type:printer', ['printer']],
  ['last_seen:<2days', ['web01', 'win01', 'printer', 'switch', 'bare', 'dc01', 'k8s']],
  ['last_seen:>2weeks', ['db01', 'old01', 'under']],
  ['last_seen:>1year', ['old01']],
  ['last_seen:<24hours', ['web01', 'win01', 'switch', 'dc01', 'k8s']],
  ['last_seen:<now', ALL],
  ['first_seen:<1week', ['win01', 'bare']],
  ['first_seen:<2024-01-01', ['db01', 'old01', 'switch', 'dc01']],
  ['first_seen:>=2024-01-01', ['web01', 'win01', 'printer', 'bare', 'iphone', 'v6', 'under', 'k8s']],
  ['last_seen:2024-04', ['db01', 'iphone', 'v6', 'under']],
  ['last_seen:<6months AND first_seen:>30d', ['web01', 'db01', 'printer', 'switch', 'dc01', 'v6', 'under']],
  ['ubuntu', UBUNTU],
  ['dell', ['web01', 'db01']],
  ['printer', ['printer']],
  ['iphone', ['iphone']],
  ['198.19.0.1', ['switch', 'dc01']],
  ['"windows server"', ['dc01']],
  ['openssh', ['web01', 'db01', 'v6']],
  ['fp.os.vendor:=microsoft', ['win01', 'dc01']],
  ['fp.hw.product:catalyst', ['switch']],
  ['has:fp.hw.vendor', ['web01', 'printer', 'switch', 'iphone']],
  ['fp.os.version:>=20', ['web01', 'under', 'k8s']],
  ['fp.service.product:jetty', ['v6']],
  ['fp.os.certainty:>0.5', except('printer', 'bare')],
  ['fp.mac.vendor:intel', ['win01']],
  ['id:=asset-web01', ['web01']],
  ['os:linux AND (port:22 OR port:21) AND NOT name:web', ['db01', 'old01']],
  ['NOT (os:linux OR os:windows)', ['printer', 'switch', 'bare', 'iphone', 'v6']],
  ['os:linux OR os:windows AND alive:f', ['web01', 'db01', 'old01', 'under', 'k8s']],
  ['not os:linux and not os:windows', ['printer', 'switch', 'bare', 'iphone', 'v6']],
  ['hw:apple os:ios', ['iphone']],
  ['os:"cisco ios" hw:2960', ['switch']],
  ['os:freebsd', ['v6']],
];

describe('search: the query table over the fixture inventory', () => {
  let store: Store;
  let views: SearchableAsset[];
  before(async () => {
    store = openSqliteStore(':memory:');
    await writeFixture(store);
    views = (await store.listAssets()).map(searchableView);
  });
  after(() => store.close());

  it('has at least 60 queries', () => assert.ok(TABLE.length >= 60, String(TABLE.length)));

  for (const [query, expected] of TABLE) {
    it(`${query || '(empty)'} -> ${expected.length}`, async () => {
      const page = await store.searchAssets(query, { limit: 100, now: NOW });
      const got = page.assets.map((a) => labelOf(a.id)).sort();
      assert.deepEqual(got, [...expected].sort(), 'SQL');
      assert.equal(page.total, expected.length, 'total');
      const ast = parseQuery(query);
      const mem = views.filter((v) => matchesAsset(ast, v, NOW)).map((v) => labelOf(v.id)).sort();
      assert.deepEqual(mem, [...expected].sort(), 'in memory');
    });
  }
});
