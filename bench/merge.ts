// npm run bench:merge — re-merge of N observations (default 100,000) through the
// merge stage alone (identity keys, policy, resolution, asset merge), in
// batches of 1,000 like the pipeline's, over an empty inventory.
//
// Synthetic devices in 4 sites: burned-in MACs, SSH host keys on 60%, TLS
// certificates on 30% (a vendor default shared by 2% of devices), NetBIOS
// names on 40%, 5% multi-homed (a second address + MAC, joined by the host
// key), 5% moving address (DHCP), 3% randomized MACs, each device seen 2-3
// times with its keys in parts, plus Intune-like records for 10% (serial + MAC).
//
// Flags: --observations N, --runs N (least CPU time of N is reported).
// SEARCH's bench:inventory may import runMergeBench() for its report.
import { loadavg } from 'node:os';
import { remergeObservations } from '../collector/merge/remerge.ts';
import type { Observation } from '../collector/assets/types.ts';
import type { IdentityClaim } from '../collector/merge/types.ts';

let seed = 0x3e46e;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
const mac = (n: number, oui = '00:1b:21') => `${oui}:${hex2(n >> 16)}:${hex2(n >> 8)}:${hex2(n)}`;

export function syntheticObservations(count: number): Observation[] {
  const out: Observation[] = [];
  const sites = ['hq', 'branch1', 'branch2', 'dc'];
  let device = 0;
  const t = (d: number) => new Date(Date.UTC(2024, 4, 1) + d * 3600_000).toISOString();
  while (out.length < count) {
    device++;
    const site = sites[device % 4]!;
    // Addresses are data (nothing is sent), kept in the test range all the same:
    // first addresses in 198.18.0.0/16, moved ones in 198.19.0.0/17, second interfaces in 198.19.128.0/17.
    const ip = `198.18.${(device >> 8) & 0xff}.${device & 0xff}`;
    const randomized = rand() < 0.03;
    const m = randomized ? mac(device, '02:aa:bb') : mac(device);
    const keys: IdentityClaim[] = [];
    if (rand() < 0.6) keys.push({ kind: 'ssh_hostkey', value: `SHA256:host${device}` });
    if (rand() < 0.3) keys.push({ kind: 'tls_cert', value: (rand() < 0.07 ? 'd' : device.toString(16)).padStart(64, '0') });
    if (rand() < 0.4) keys.push({ kind: 'netbios_name', value: `ws-${device}`, domain: 'corp' });
    const seen = 2 + Math.floor(rand() * 2);
    const multi = rand() < 0.05 && keys.some((k) => k.kind === 'ssh_hostkey');
    const moves = rand() < 0.05;
    for (let i = 0; i < seen && out.length < count; i++) {
      const at = t(device % 500 + i * 24);
      const address = moves && i > 0 ? `198.19.${(device >> 8) & 0x7f}.${device & 0xff}` : ip;
      // Keys in parts: the MAC always (ARP on the segment), other keys sometimes.
      const part = keys.filter(() => rand() < 0.7);
      out.push({ site, ip: address, agentId: `agent-${site}`, macs: [{ mac: m }], names: [], candidates: [], services: [], firstSeen: at, lastSeen: at, evidenceIds: [`e${out.length}`], identities: part });
      if (multi && out.length < count) {
        out.push({ site, ip: `198.19.${128 | ((device >> 8) & 0x7f)}.${device & 0xff}`, agentId: `agent-${site}`, macs: [{ mac: mac(device, '00:50:56') }], names: [], candidates: [], services: [], firstSeen: at, lastSeen: at, evidenceIds: [`e${out.length}`], identities: keys.filter((k) => k.kind === 'ssh_hostkey') });
      }
    }
    if (rand() < 0.1 && out.length < count && !randomized) {
      const at = t(device % 500 + 100);
      out.push({ site: 'integrations', ip: '', agentId: 'import:intune', source: 'intune', answered: false, macs: [{ mac: m }], names: [], candidates: [], services: [], firstSeen: at, lastSeen: at, evidenceIds: [`e${out.length}`], identities: [{ kind: 'serial', value: `SN${device}` }, { kind: 'integration_id', value: `intune:${device}` }] });
    }
  }
  return out;
}

export interface MergeBenchResult {
  observations: number;
  assets: number;
  absorbed: number;
  cpuSeconds: number;
  wallSeconds: number;
  perSecond: number;
}

/** Least CPU time of `runs` re-merges of `count` observations. */
export function runMergeBench(count = 100_000, runs = 3): MergeBenchResult {
  const observations = syntheticObservations(count);
  let best: MergeBenchResult | undefined;
  for (let r = 0; r < runs; r++) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const result = remergeObservations(observations);
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    const run: MergeBenchResult = { observations: count, assets: result.assets, absorbed: result.absorbed, cpuSeconds, wallSeconds: (performance.now() - wall) / 1000, perSecond: count / cpuSeconds };
    if (!best || run.cpuSeconds < best.cpuSeconds) best = run;
  }
  return best!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
  const count = Number(option('--observations', '100000'));
  const runs = Number(option('--runs', '3'));
  console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const r = runMergeBench(count, runs);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`re-merge of ${fmt(r.observations)} observations: ${fmt(r.perSecond)} observations/s of CPU time (least of ${runs}: ${r.cpuSeconds.toFixed(2)} s CPU, ${r.wallSeconds.toFixed(2)} s wall); ${fmt(r.assets)} assets, ${fmt(r.absorbed)} absorbed by merges`);
  console.log(`load after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
