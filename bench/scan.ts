// `npm run bench:scan`: port-scan throughput and accuracy on a namespace lab
// whose whole /24 answers (AnyIP), the agent's SYN scanner against `nmap -sS
// --min-rate` and `zmap` on the same targets in the same run (ratios printed
// against both); plus the agent's peak RSS and CPU time while scanning.
// Prints one JSON object per scanner and a summary.
// Options (env): BENCH_PORTS (default 1-1000), BENCH_RATE (default 100000),
// BENCH_OPEN (listening ports, default 22,80,443), BENCH_SOCKETS (default 256),
// BENCH_HOSTS (hosts in flight, default 64), BENCH_CONNECT=1 also runs the
// agent's TCP connect scan (as without CAP_NET_RAW), BENCH_REPEAT (default 1)
// runs every scanner that many times and keeps each one's fastest run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePorts } from '../agent/index.ts';
import { REPO } from '../test/helpers/recog.ts';
import { assertSafeTarget, createLab, labUnavailableReason, startTcpListener, type Lab } from '../test/helpers/netlab.ts';

const PORTS = process.env.BENCH_PORTS ?? '1-1000';
const RATE = Number(process.env.BENCH_RATE ?? 100_000);
const OPEN = (process.env.BENCH_OPEN ?? '22,80,443').split(',').map(Number);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 256);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 64);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
/** Extra node options for the agent process (none by default: the agent as `sextant agent` runs it). */
const AGENT_NODE_OPTIONS = process.env.BENCH_AGENT_NODE_OPTIONS ?? '';

interface Result {
  scanner: string;
  command: string;
  probes: number;
  seconds: number;
  pps: number;
  openFound: number;
  openExpected: number;
  missed: number;
  note?: string;
  peakRssMb?: number;
  cpuSeconds?: number;
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

function agentScan(lab: Lab, hosts: string[], ports: number[], mode: 'syn' | 'connect'): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'bench/scan-agent.ts')], {
    encoding: 'utf8',
    env: {
      ...process.env, BENCH_TARGET: lab.anyIpRange!, BENCH_PORTS: PORTS, BENCH_RATE: String(RATE), BENCH_SOCKETS: String(SOCKETS), BENCH_HOSTS: String(HOSTS), BENCH_MODE: mode,
      NODE_ENV: 'production', NODE_OPTIONS: AGENT_NODE_OPTIONS,
    },
  });
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) || '{}') as { state: string; seconds: number; cpuSeconds: number; open: number; rssBeforeMb: number; peakRssMb: number; stats?: { sent: number; retransmitted: number; sendFailures: number } };
  if (!out.state) throw new Error(`bench/scan-agent.ts failed: ${r.stderr.slice(-800)}`);
  const probes = hosts.length * ports.length;
  const expected = hosts.length * OPEN.filter((p) => ports.includes(p)).length;
  const counters = out.stats ? `, ${out.stats.sent} packets sent, ${out.stats.retransmitted} retransmitted, ${out.stats.sendFailures} send failures` : '';
  return {
    scanner: mode === 'syn' ? 'sextant agent (SYN)' : 'sextant agent (TCP connect)',
    command: `BENCH_TARGET=${lab.anyIpRange} BENCH_MODE=${mode} BENCH_PORTS=${PORTS} BENCH_RATE=${RATE} BENCH_HOSTS=${HOSTS}${mode === 'connect' ? ` BENCH_SOCKETS=${SOCKETS}` : ''}${AGENT_NODE_OPTIONS ? ` NODE_OPTIONS='${AGENT_NODE_OPTIONS}'` : ''} node --import tsx bench/scan-agent.ts (state ${out.state})`,
    probes, seconds: round(out.seconds), pps: Math.round(probes / out.seconds), openFound: out.open, openExpected: expected, missed: expected - out.open,
    peakRssMb: round(out.peakRssMb, 1), cpuSeconds: round(out.cpuSeconds),
    note: `RSS before scanning ${round(out.rssBeforeMb, 1)} MB (node + the agent's modules)${counters}`,
  };
}

function nmapScan(lab: Lab, hosts: string[], ports: number[]): Result {
  const args = ['-n', '-Pn', '-sS', '--min-rate', String(RATE), '--max-retries', '1', '-p', PORTS, '-e', lab.hostInterface, '-oG', '-', lab.anyIpRange!];
  const started = performance.now();
  const r = spawnSync('nmap', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  let open = 0;
  for (const m of r.stdout.matchAll(/(\d+)\/open\/tcp/g)) if (m[1]) open++;
  const probes = hosts.length * ports.length;
  const expected = hosts.length * OPEN.filter((p) => ports.includes(p)).length;
  return { scanner: 'nmap -sS', command: `nmap ${args.join(' ')}`, probes, seconds: round(seconds), pps: Math.round(probes / seconds), openFound: open, openExpected: expected, missed: expected - open, ...(r.status !== 0 ? { note: r.stderr.slice(0, 300) } : {}) };
}

/**
 * zmap scans one port per run: the open port 80 of every host, each target
 * probed as many times as the other scanners have ports (-P), so the packet
 * count matches; the rate is packets over the run time less zmap's 1 s cooldown.
 */
function zmapScan(lab: Lab, hosts: string[], ports: number[], dir: string): Result | undefined {
  if (!existsSync('/usr/sbin/zmap')) return undefined;
  const gatewayMac = lab.exec('cat', [`/sys/class/net/${lab.nsInterface}/address`]).trim();
  const allow = join(dir, 'allow.txt');
  const block = join(dir, 'block.txt');
  const meta = join(dir, 'zmap.json');
  writeFileSync(allow, `${lab.anyIpRange}\n`);
  writeFileSync(block, '');
  const port = OPEN[0] ?? 80;
  const args = ['-q', '-p', String(port), '-P', String(ports.length), '-i', lab.hostInterface, '-S', lab.hostAddress, '-G', gatewayMac, '-w', allow, '-b', block, '-r', String(RATE), '-c', '1', '-m', meta, '-o', '-', '--disable-syslog'];
  const started = performance.now();
  const r = spawnSync('zmap', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Math.max(0.001, (performance.now() - started) / 1000 - 1);
  const command = `zmap ${args.join(' ')}`;
  if (r.status !== 0) return { scanner: 'zmap', command, probes: 0, seconds: 0, pps: 0, openFound: 0, openExpected: 0, missed: 0, note: r.stderr.slice(-400) };
  const m = JSON.parse(readFileSync(meta, 'utf8')) as { success_unique?: number; pcap_drop?: number };
  const packets = hosts.length * ports.length;
  return {
    scanner: 'zmap', command, probes: packets, seconds: round(seconds), pps: Math.round(packets / seconds),
    openFound: m.success_unique ?? 0, openExpected: hosts.length, missed: hosts.length - (m.success_unique ?? 0),
    note: `one port (${port}) probed ${ports.length} times per host; open counted once per host`,
  };
}

async function main() {
  const reason = labUnavailableReason();
  if (reason) {
    process.stdout.write(`${JSON.stringify({ skipped: reason })}\n`);
    return;
  }
  const ports = parsePorts(PORTS);
  if (!ports.ok) throw new Error(ports.error);
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-scan-'));
  const lab = await createLab({ anyIp: true });
  // An interrupted run still removes its namespace.
  const interrupted = () => void lab.teardown().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const hosts = lab.anyIpAddresses();
    for (const h of hosts) assertSafeTarget(h);
    for (const p of OPEN) await startTcpListener(lab, p);
    const results: Result[] = [];
    const step = (what: string) => process.stderr.write(`bench:scan: ${what}\n`);
    const best = (runs: Result[]) => runs.reduce((a, b) => (b.pps > a.pps ? b : a));
    const repeat = (name: string, once: () => Result | undefined) => {
      const runs: Result[] = [];
      for (let i = 0; i < REPEAT; i++) {
        step(`${name} (${i + 1}/${REPEAT})`);
        const r = once();
        if (!r) return;
        step(`${name}: ${r.pps}/s, ${r.openFound}/${r.openExpected} open`);
        runs.push(r);
      }
      const r = best(runs);
      if (REPEAT > 1) r.note = `${r.note ? `${r.note}; ` : ''}fastest of ${REPEAT}: ${runs.map((x) => x.pps).join(', ')} /s`;
      results.push(r);
    };
    repeat('agent SYN scan', () => agentScan(lab, hosts, ports.ports, 'syn'));
    if (process.env.BENCH_CONNECT === '1') repeat('agent connect scan', () => agentScan(lab, hosts, ports.ports, 'connect'));
    if (existsSync('/usr/bin/nmap')) repeat('nmap', () => nmapScan(lab, hosts, ports.ports));
    repeat('zmap', () => zmapScan(lab, hosts, ports.ports, dir));
    for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    const line = (r: Result) => `${r.scanner.padEnd(28)} ${String(r.pps).padStart(8)} probes/s  ${String(r.seconds).padStart(7)} s  ${r.openFound}/${r.openExpected} open found${r.cpuSeconds !== undefined ? `  CPU ${r.cpuSeconds} s` : ''}${r.peakRssMb ? `  peak RSS ${r.peakRssMb} MB` : ''}`;
    const load = (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ');
    process.stdout.write(`\n${hosts.length} hosts x ${ports.ports.length} ports (${PORTS}), open: ${OPEN.join(',')} on every host, rate asked ${RATE}/s, load average at the end ${load}\n${results.map(line).join('\n')}\n`);
    const syn = results.find((r) => r.scanner === 'sextant agent (SYN)');
    for (const peer of results.filter((r) => r.scanner === 'nmap -sS' || r.scanner === 'zmap')) {
      if (syn && peer.pps > 0) process.stdout.write(`sextant SYN / ${peer.scanner}: ${(syn.pps / peer.pps).toFixed(2)}x the packet rate; missed open ports ${syn.missed} vs ${peer.missed}\n`);
    }
    process.stdout.write(`kernel: ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, cores: ${(await import('node:os')).cpus().length}\n`);
  } finally {
    await lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
