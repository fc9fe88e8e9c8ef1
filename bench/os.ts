// npm run bench:os — Nmap-style OS detection speed.
//
// 1. Matching: one subject print (test/fixtures/os/linux-6.18-netns.wrapped.txt)
//    against the whole nmap-os-db; median of --runs passes after a warm-up.
// 2. Probing (root only): a namespace answering for a whole /24 (AnyIP route,
//    network-safety.md) with one listener on port 80 and port 1 closed; every
//    address OS-fingerprinted at once by Sextant (shared raw sockets, Nmap's
//    retry policy: up to 5 rounds until a perfect match), then `nmap -n -Pn -O
//    --osscan-guess -d -p 80,1` on the same addresses in the same run (-d only
//    makes Nmap write every fingerprint). Prints wall times, the ratio, and how
//    the results agree host by host: subject prints on every deterministic
//    attribute, top guess, whole guess list.
//
// Flags: --runs N (default 200), --hosts N (default 256), --only-match, --skip-nmap,
// --details FILE (per-host results of both scanners, as JSON), --nmap-baseline
// (run nmap a second time: how well Nmap agrees with itself),
// --sysctl KEY=VALUE (repeatable: another target personality).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { formatSubjectFingerprint, loadOsDb, matchFingerprint, parseSubjectFingerprint } from '../collector/fingerprint/os/index.ts';
import { runOsScan } from '../shared/cli/os-scan.ts';
import { assertSafeTarget, createLab, labUnavailableReason, startTcpListener } from '../test/helpers/netlab.ts';
import { fingerprintDiff, guessesOf, nmapOs, nmapUnavailableReason, OS_DB, TIMING_DEPENDENT } from '../test/integration/os/support.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const numberArg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback);
const runs = numberArg('--runs', 200);
const hostCount = Math.min(256, numberArg('--hosts', 256));
const OPEN = 80;
const CLOSED = 1;

/** The target namespace: default Linux TCP/IP, but ICMP and SYN queues sized for 256 addresses probed at once (both scanners get the same). */
const TARGET_SYSCTLS: Record<string, string | number> = {
  'net.ipv4.icmp_ratelimit': 0,
  'net.ipv4.icmp_msgs_per_sec': 100000,
  'net.ipv4.icmp_msgs_burst': 100000,
  'net.core.somaxconn': 65535,
  'net.ipv4.tcp_max_syn_backlog': 65536,
};
args.forEach((a, i) => {
  const kv = a === '--sysctl' ? /^([\w.]+)=(.*)$/.exec(args[i + 1] ?? '') : null;
  if (kv) TARGET_SYSCTLS[kv[1] as string] = kv[2] as string;
});

interface HostResult {
  guesses: string[];
  fingerprint: string;
}

/** Host-by-host agreement of two scans; `differences` counts the attributes that differed. */
function agreement(hosts: string[], a: Map<string, HostResult>, b: Map<string, HostResult>) {
  const tally = { prints: 0, top: 0, lists: 0, differences: new Map<string, number>() };
  for (const ip of hosts) {
    const x = a.get(ip);
    const y = b.get(ip);
    if (!x || !y) continue;
    if (x.guesses[0] !== undefined && x.guesses[0] === y.guesses[0]) tally.top++;
    if (JSON.stringify(x.guesses) === JSON.stringify(y.guesses)) tally.lists++;
    if (!x.fingerprint || !y.fingerprint) continue;
    const diffs = fingerprintDiff(x.fingerprint, y.fingerprint, new Set(TIMING_DEPENDENT));
    if (diffs.length === 0) tally.prints++;
    for (const d of diffs) {
      const key = d.replace(/: .*/, '');
      tally.differences.set(key, (tally.differences.get(key) ?? 0) + 1);
    }
  }
  return tally;
}

function printAgreement(label: string, hosts: number, t: ReturnType<typeof agreement>): void {
  console.log(`${label}: same print on every deterministic attribute ${t.prints}/${hosts}; same top guess ${t.top}/${hosts}; same whole guess list ${t.lists}/${hosts}`);
  if (t.differences.size > 0) console.log(`  attributes that differed (hosts): ${[...t.differences].map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] as number;

console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''}`);
const loadStart = performance.now();
const db = loadOsDb(OS_DB);
console.log(`nmap-os-db: ${db.references.length} references loaded in ${(performance.now() - loadStart).toFixed(0)} ms`);

// ---- 1. matching ----
const subject = parseSubjectFingerprint(readFileSync(fileURLToPath(new URL('../test/fixtures/os/linux-6.18-netns.wrapped.txt', import.meta.url)), 'utf8'));
for (let i = 0; i < 20; i++) matchFingerprint(db, subject);
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  matchFingerprint(db, subject);
  times.push(performance.now() - t);
}
const top = matchFingerprint(db, subject).matches[0];
console.log(`match one subject against ${db.references.length} references: median ${median(times).toFixed(3)} ms, p95 ${quantile(times, 0.95).toFixed(3)} ms over ${runs} runs (top: ${top?.name} ${top?.accuracy}%)`);

// ---- 2. probing a /24 ----
const skipReason = flag('--only-match') ? '--only-match' : labUnavailableReason() ?? nmapUnavailableReason();
if (skipReason) {
  console.log(`probing benchmark skipped: ${skipReason}`);
  process.exit(0);
}
const lab = await createLab({ anyIp: true, sysctls: TARGET_SYSCTLS });
try {
  await startTcpListener(lab, OPEN);
  const hosts = lab.anyIpAddresses().slice(0, hostCount);
  for (const h of hosts) assertSafeTarget(h);
  console.log(`lab ${lab.name}: ${hosts.length} hosts in ${lab.anyIpRange} via ${lab.hostInterface}; open ${OPEN}, closed ${CLOSED}; sysctls ${Object.entries(TARGET_SYSCTLS).map(([k, v]) => `${k}=${v}`).join(' ')}`);

  const started = performance.now();
  const scans = await Promise.all(hosts.map((ip) => runOsScan(db, ip, { openTcpPort: OPEN, closedTcpPort: CLOSED })));
  const sextantSeconds = (performance.now() - started) / 1000;
  const statuses = new Map<string, number>();
  for (const s of scans) statuses.set(s.result.status, (statuses.get(s.result.status) ?? 0) + 1);
  const rounds = scans.reduce((n, s) => n + (s.report?.rounds.length ?? 0), 0);
  console.log(`sextant: ${hosts.length} hosts in ${sextantSeconds.toFixed(1)} s (${rounds} rounds; ${[...statuses].map(([k, v]) => `${v} ${k}`).join(', ')})`);
  const ours = new Map<string, HostResult>(hosts.map((ip, i) => {
    const report = scans[i]?.report;
    return [ip, { guesses: guessesOf(report?.lines ?? []), fingerprint: report ? formatSubjectFingerprint(report.subject) : '' }];
  }));
  const runsOfNmap: Array<Map<string, HostResult>> = [];
  if (!flag('--skip-nmap')) {
    for (let n = 0; n < (flag('--nmap-baseline') ? 2 : 1); n++) {
      // Let the target's half-open connections and rate limits settle between scans.
      await delay(3000);
      const nmap = await nmapOs(hosts, OPEN, CLOSED);
      const seconds = [...nmap.values()][0]?.seconds ?? NaN;
      runsOfNmap.push(nmap);
      if (n === 0) {
        console.log(`nmap -O: ${nmap.size} hosts in ${seconds.toFixed(1)} s`);
        console.log(`ratio sextant/nmap: ${(sextantSeconds / seconds).toFixed(3)} (target <= 0.25)`);
        printAgreement('sextant vs nmap', hosts.length, agreement(hosts, ours, nmap));
      } else {
        console.log(`nmap -O again: ${seconds.toFixed(1)} s`);
        printAgreement('nmap vs nmap', hosts.length, agreement(hosts, runsOfNmap[0] as Map<string, HostResult>, nmap));
      }
    }
  }
  if (flag('--details')) {
    const details = hosts.map((ip) => ({ ip, sextant: ours.get(ip), nmap: runsOfNmap.map((r) => r.get(ip)) }));
    writeFileSync(args[args.indexOf('--details') + 1] as string, JSON.stringify(details, null, 1));
  }
} finally {
  await lab.teardown();
}
