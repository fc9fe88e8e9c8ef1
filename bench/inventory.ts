// npm run bench:inventory — the inventory at scale: a synthetic SQLite
// inventory of 1,000,000 assets (written straight into the store's schema:
// the asset documents plus the search index built by the store's own
// search-index code), then
//   1. p50/p95 of ten representative queries: first page of 100, and the total;
//   2. CSV export of everything through the real CLI (`sextant export --format
//      csv --output FILE`) in a child process: wall time, CPU and peak RSS;
//   3. re-merge of 100,000 observations (records/s): MERGE's function, when present.
// No packets are sent: addresses are data.
//
// Flags: --assets N (default 1000000), --runs N per query (default 20),
//        --keep FILE (generate into FILE and keep it) | --reuse FILE (skip generation),
//        --no-export, --no-remerge.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { fromStored, toStored, type Asset, type ServiceRecord } from '../collector/assets/index.ts';
import { migrate, openSqliteStore } from '../collector/store/index.ts';
import { numberOf, searchableView, searchPairs, versionKey } from '../collector/search/index.ts';
import { timeMs } from '../collector/search/match.ts';
import { searchDigest } from '../collector/store/search-index.ts';
import type { FingerprintCandidate } from '../shared/types.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const ASSETS = Number(option('--assets', '1000000'));
const RUNS = Number(option('--runs', '20'));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(1)} ms`;

let seed = 0x1234567;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const NOW = Date.now();
const DAY = 86_400_000;
const OSES = [
  ['Ubuntu', 'Linux', ['18.04', '20.04', '20.04.6', '22.04', '24.04']], ['Debian', 'Linux', ['9.13', '10', '11', '12']],
  ['Microsoft', 'Windows 10', ['10.0.19044', '10.0.19045']], ['Microsoft', 'Windows 11', ['10.0.22631']], ['Microsoft', 'Windows Server 2019', ['10.0.17763']],
  ['Red Hat', 'Enterprise Linux', ['7.9', '8.8', '9.2']], ['Apple', 'macOS', ['13.6', '14.1']], ['Apple', 'iOS', ['16.7', '17.1']], ['Cisco', 'IOS', ['15.2(4)E', '16.12.4']],
  ['FreeBSD', 'FreeBSD', ['13.2', '14.0']], ['Google', 'Android', ['12', '13', '14']],
] as const;
const HWS = [['Dell', 'PowerEdge R640'], ['HP', 'ProLiant DL380'], ['HP', 'LaserJet M404'], ['Cisco', 'Catalyst 2960'], ['Apple', 'iPhone'], ['Lenovo', 'ThinkPad T14'], ['Ubiquiti', 'UniFi AP'], ['Synology', 'DS920+']] as const;
const TYPES = ['server', 'desktop', 'laptop', 'printer', 'switch', 'mobile', 'access point', 'nas'];
const VENDORS = ['Dell Inc.', 'Hewlett Packard', 'Cisco Systems, Inc', 'Apple, Inc.', 'Intel Corporate', 'LCFC(HeFei) Electronics Technology co., ltd', 'Ubiquiti Inc', 'Synology Incorporated', 'Microsoft Corporation', 'VMware, Inc.'];
const SERVICES = [
  [22, 'ssh', 'OpenSSH', ['7.4', '8.2p1', '8.9p1', '9.2p1']], [80, 'http', 'nginx', ['1.18.0', '1.22.1', '1.24.0']], [443, 'https', 'Apache HTTPD', ['2.4.41', '2.4.57']],
  [445, 'smb', undefined, []], [3389, 'rdp', undefined, []], [5432, 'postgresql', 'PostgreSQL', ['12.3', '15.4']], [161, 'snmp', 'Net-SNMP', ['5.9']], [9100, 'jetdirect', undefined, []],
  [8080, 'http', 'Jetty', ['9.4.51', '10.0.15']], [53, 'dns', 'BIND', ['9.16.1', '9.18.19']],
] as const;
const cand = (category: FingerprintCandidate['category'], attributes: Record<string, string>): FingerprintCandidate => ({
  category, attributes, certainty: 0.85, source: `recog:bench.${category}`, match: `bench ${category}`, rule: 'bench.xml:1',
});

function makeAsset(i: number): Asset {
  const site = `site-${i % 10}`;
  const last = NOW - Math.floor(rnd() * 120 * DAY);
  const first = last - Math.floor(rnd() * 300 * DAY);
  const iso = (t: number) => new Date(t).toISOString();
  // 100,000 assets a site, numbered inside the test range 198.18.0.0/15 (131,072 addresses),
  // so the same address recurs once in each of the 10 sites, as IPs may across sites.
  const j = Math.floor(i / 10);
  const ip = `198.${18 + (j >> 16)}.${(j >> 8) & 255}.${j & 255}`;
  const mac = `02:00:${[(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  const candidates: FingerprintCandidate[] = [];
  if (rnd() < 0.9) {
    const [vendor, product, versions] = pick(OSES);
    candidates.push(cand('os', { vendor, product, version: pick(versions) }));
  }
  if (rnd() < 0.5) {
    const [vendor, product] = pick(HWS);
    candidates.push(cand('hw', { vendor, product }));
  }
  if (rnd() < 0.8) candidates.push(cand('type', { type: pick(TYPES) }));
  const services: ServiceRecord[] = [];
  const n = Math.floor(rnd() * 5);
  const used = new Set<number>();
  for (let k = 0; k < n; k++) {
    const [port, protocol, product, versions] = pick(SERVICES);
    if (used.has(port)) continue;
    used.add(port);
    const attrs: Record<string, string> = { protocol };
    if (product) attrs.product = product;
    if (versions.length > 0) attrs.version = pick(versions);
    services.push({ address: ip, transport: port === 161 || port === 53 ? 'udp' : 'tcp', port, attributes: {}, components: [], probes: [protocol], first_seen: iso(first), last_seen: iso(last), candidates: [cand('service', attrs)] });
  }
  const r = rnd();
  const sources = r < 0.85 ? undefined : r < 0.95 ? ['sextant', 'intune'] : ['sextant', 'intune', 'crowdstrike'];
  const role = pick(['web', 'db', 'app', 'ws', 'print', 'ap', 'nas', 'dc']);
  const a: Asset & { sources?: string[] } = {
    id: `bench-${i.toString(36).padStart(6, '0')}`, site, revision: 1, first_seen: iso(first), last_seen: iso(last), alive: rnd() < 0.9,
    addresses: [{ address: ip, first_seen: iso(first), last_seen: iso(last) }],
    macs: [{ mac, vendor: pick(VENDORS), first_seen: iso(first), last_seen: iso(last) }],
    names: [`${role}-${i}.corp.example`], agents: [`agent-${i % 10}`], evidence_count: 4, attributes: {}, services, candidates,
  };
  if (sources) a.sources = sources;
  return a;
}

/**
 * Bulk load: the documents as the store writes them, and the search index
 * rows the store's own code derives (searchPairs, numberOf, versionKey), but
 * written in key order with the secondary index built afterwards, which is
 * what makes a million assets take minutes rather than an hour.
 */
function generate(file: string): number {
  const t0 = performance.now();
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  migrate(db, file);
  db.exec('DROP INDEX asset_values_n');
  const insert = db.prepare(`INSERT INTO assets (id, site, revision, first_seen, last_seen, alive, os, os_version, hw, type, doc) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertRow = db.prepare(`INSERT INTO search_assets (n, asset_id, site, first_seen, last_seen, first_ms, last_ms, alive, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const dictionary = new Map<string, number>();
  let links = new Float64Array(1 << 22);
  let nLinks = 0;
  const CHUNK = 50_000;
  for (let start = 0; start < ASSETS; start += CHUNK) {
    db.transaction(() => {
      for (let i = start; i < Math.min(ASSETS, start + CHUNK); i++) {
        const a = fromStored(makeAsset(i));
        insert.run(a.id, a.site, a.first_seen, a.last_seen, a.alive ? 1 : 0, a.os ?? null, a.os_version ?? null, a.hw ?? null, a.type ?? null, JSON.stringify(toStored(a)));
        const pairs = searchPairs(searchableView(a));
        const n = i + 1;
        insertRow.run(n, a.id, a.site, a.first_seen, a.last_seen, timeMs(a.first_seen), timeMs(a.last_seen), a.alive ? 1 : 0, searchDigest(pairs));
        for (const [k, v] of pairs) {
          const key = `${k}\u0000${v}`;
          let id = dictionary.get(key);
          if (id === undefined) {
            id = dictionary.size + 1;
            dictionary.set(key, id);
          }
          if (nLinks === links.length) {
            const bigger = new Float64Array(links.length * 2);
            bigger.set(links);
            links = bigger;
          }
          links[nLinks++] = id * 2 ** 21 + n;
        }
      }
    })();
    process.stderr.write(`\rgenerated ${fmt(Math.min(ASSETS, start + CHUNK))} assets`);
  }
  process.stderr.write(`, ${fmt(dictionary.size)} distinct values, ${fmt(nLinks)} links; writing the index\n`);
  const insertValue = db.prepare('INSERT INTO search_values (id, key, v, num, ver) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const [key, id] of dictionary) {
      const cut = key.indexOf('\u0000');
      const v = key.slice(cut + 1);
      insertValue.run(id, key.slice(0, cut), v, numberOf(v) ?? null, versionKey(v) ?? null);
    }
  })();
  const sorted = links.subarray(0, nLinks).sort();
  const link = db.prepare('INSERT INTO asset_values (value_id, n) VALUES (?, ?)');
  for (let start = 0; start < nLinks; start += 1_000_000) {
    db.transaction(() => {
      for (let j = start; j < Math.min(nLinks, start + 1_000_000); j++) {
        const x = sorted[j]!;
        const id = Math.floor(x / 2 ** 21);
        link.run(id, x - id * 2 ** 21);
      }
    })();
  }
  db.exec('CREATE INDEX asset_values_n ON asset_values (n)');
  db.prepare("UPDATE search_meta SET value = 'done' WHERE key = 'backfill'").run();
  db.pragma('journal_mode = WAL');
  db.close();
  return (performance.now() - t0) / 1000;
}

const QUERIES = [
  'os:ubuntu',
  'os_version:<20.04',
  'port:22 AND product:openssh',
  'last_seen:<2weeks',
  'address:=198.18.4.5',
  'mac_vendor:dell AND NOT alive:f',
  'type:server OR type:switch',
  'has:fp.hw.vendor AND site:site-3',
  'source:intune AND NOT source:crowdstrike',
  'web',
];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function main(): Promise<void> {
  const reuse = option('--reuse', '');
  const keep = option('--keep', '');
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-inventory-'));
  const file = reuse || keep || join(dir, 'inventory.db');
  console.log(`bench:inventory: ${fmt(ASSETS)} assets, ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  try {
    if (!reuse) {
      if (existsSync(file)) rmSync(file);
      const s = generate(file);
      console.log(`generated in ${s.toFixed(1)} s (${fmt(ASSETS / s)} assets/s), file ${fmt(statSync(file).size / 1e6)} MB`);
    }
    const store = openSqliteStore(file, { synchronous: 'NORMAL' });
    console.log(`\nqueries: ${RUNS} runs each after one warm-up; "page" = first 100 assets with documents, "total" = the count`);
    console.log('| query | matches | page p50 | page p95 | total p50 | total p95 | page+total p95 |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const now = new Date(NOW);
    for (const q of QUERIES) {
      await store.searchAssets(q, { limit: 100, now });
      const page: number[] = [];
      const total: number[] = [];
      const both: number[] = [];
      let matches = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        await store.searchAssets(q, { limit: 100, now, total: false });
        const t1 = performance.now();
        matches = await store.countAssets(q, { now });
        const t2 = performance.now();
        page.push(t1 - t0);
        total.push(t2 - t1);
        both.push(t2 - t0);
      }
      console.log(`| \`${q}\` | ${fmt(matches)} | ${ms(pct(page, 50))} | ${ms(pct(page, 95))} | ${ms(pct(total, 50))} | ${ms(pct(total, 95))} | ${ms(pct(both, 95))} |`);
    }
    await store.close();

    if (!flag('--no-export')) {
      const out = join(dir, 'export.csv');
      const t0 = performance.now();
      const child = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, join(REPO, 'shared/cli/bin.js'), 'export', '--db', file, '--format', 'csv', '--output', out], {
        encoding: 'utf8', env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn' },
      });
      const wall = (performance.now() - t0) / 1000;
      const last = child.stderr.trim().split('\n').pop() ?? '';
      const [rssKb, user, sys] = last.split(' ').map(Number);
      if (child.status !== 0) console.log(`export failed (${child.status}): ${child.stderr.slice(0, 500)}`);
      else {
        const lines = spawnSync('wc', ['-l', out], { encoding: 'utf8' }).stdout.trim().split(' ')[0];
        console.log(`\nCSV export of everything (sextant export --format csv --output FILE, child process): ${wall.toFixed(1)} s wall, ${((user ?? 0) + (sys ?? 0)).toFixed(1)} s CPU, peak RSS ${fmt((rssKb ?? 0) / 1024)} MB, ${fmt(statSync(out).size / 1e6)} MB, ${lines} lines`);
      }
    }

    if (!flag('--no-remerge')) {
      // MERGE's figure: bench/merge.ts runMergeBench (collector/merge/remerge.ts remergeObservations), least CPU of 3.
      const { runMergeBench } = await import('./merge.ts');
      const r = runMergeBench(100_000, 3);
      console.log(`\nre-merge of ${fmt(r.observations)} observations (MERGE's remergeObservations): ${fmt(r.perSecond)} records per CPU-second, ${r.cpuSeconds.toFixed(1)} s CPU, ${r.wallSeconds.toFixed(1)} s wall; ${fmt(r.assets)} assets, ${fmt(r.absorbed)} absorbed`);
    }
    console.log(`\nload average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    if (!reuse && !keep) rmSync(dir, { recursive: true, force: true });
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
