// `npm run bench:scan`: port-scan throughput and accuracy on a namespace lab
// whose whole /24 answers (AnyIP), the agent's SYN scanner against `nmap -sS
// --min-rate` and `zmap` on the same targets in the same run (ratios printed
// against both); plus the agent's peak RSS and CPU time while scanning.
// Prints one JSON object per scanner and a summary.
// Options (env): BENCH_PORTS (default 1-1000), BENCH_RATE (default 100000),
// BENCH_OPEN (listening ports, default 22,80,443), BENCH_SOCKETS (default 256),
// BENCH_HOSTS (hosts in flight, default 64), BENCH_REPEAT (default 1) runs
// every scanner that many times and keeps each one's fastest run,
// BENCH_SCANNERS (default syn,real,nmap,zmap; also: connect, the agent's TCP
// connect scan as without CAP_NET_RAW): which runs to make; "real" is
// `sextant agent` itself against a collector, for its memory, with the
// environment of its systemd unit (BENCH_REAL_BARE=1: without; BENCH_REAL_PROBES:
// the task's probe names, default all; BENCH_REAL_SOCKETS: its --sockets).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePorts } from '../agent/index.ts';
import { openPipeline, startCollectorServer } from '../collector/server/index.ts';
import { memoryLogger } from '../shared/logging.ts';
import { REPO } from '../test/helpers/recog.ts';
import { assertSafeTarget, createLab, labUnavailableReason, startTcpListener, type Lab } from '../test/helpers/netlab.ts';

const PORTS = process.env.BENCH_PORTS ?? '1-1000';
const RATE = Number(process.env.BENCH_RATE ?? 100_000);
const OPEN = (process.env.BENCH_OPEN ?? '22,80,443').split(',').map(Number);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 256);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 64);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
const SCANNERS = new Set((process.env.BENCH_SCANNERS ?? 'syn,real,nmap,zmap').split(','));
/** Extra node options for bench/scan-agent.ts (none by default). */
const AGENT_NODE_OPTIONS = process.env.BENCH_AGENT_NODE_OPTIONS ?? '';
/**
 * The real agent runs with the environment its systemd unit gives it
 * (NODE_OPTIONS, MALLOC_ARENA_MAX), read from the unit file itself;
 * BENCH_REAL_BARE=1 runs it with none of that.
 */
function unitEnvironment(): Record<string, string> {
  if (process.env.BENCH_REAL_BARE === '1') return { NODE_OPTIONS: '' };
  const unit = readFileSync(join(REPO, 'deploy/systemd/sextant-agent.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(\w+)=(?:"([^"]*)"|(\S*))$/gm)) env[m[1]!] = m[2] ?? m[3] ?? '';
  return env;
}

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

/** VmRSS and VmHWM (the kernel's peak RSS of the process), MB. */
function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * The real thing: `sextant agent` (shared/cli/bin.js, as systemd starts it)
 * enrolled with a collector in this process, given the same targets and
 * ports with every probe (service probes on what is open, UDP probes, ICMP),
 * its peak RSS read from /proc (VmHWM, start-up included).
 */
async function realAgentScan(lab: Lab, hosts: string[], ports: number[], dir: string): Promise<Result> {
  const { logger } = memoryLogger('warn');
  const pipeline = await openPipeline({ db: join(dir, 'inventory.db'), log: logger });
  const token = `bench-${process.pid}`;
  const server = await startCollectorServer({ listen: '127.0.0.1:0', token, pipeline, log: logger, heartbeatSeconds: 2 });
  const args = [join(REPO, 'shared/cli/bin.js'), 'agent', '--collector', `127.0.0.1:${server.port}`, '--name', 'bench', '--site', 'bench', '--spool', join(dir, 'spool'), ...(process.env.BENCH_REAL_SOCKETS ? ['--sockets', process.env.BENCH_REAL_SOCKETS] : [])];
  const unitEnv = unitEnvironment();
  const agent = spawn(process.execPath, args, { env: { ...process.env, SEXTANT_ENROL_TOKEN: token, SEXTANT_LOG_LEVEL: 'warn', ...unitEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  agent.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, procMemory(agent.pid!)?.rss ?? 0); }, 25);
  try {
    for (let i = 0; !server.agents().some((a) => a.connected); i++) {
      if (i > 600 || agent.exitCode !== null) throw new Error(`the agent did not connect: ${stderr}`);
      await delay(50);
    }
    const idle = procMemory(agent.pid!);
    const taskId = `bench-${Date.now()}`;
    const started = performance.now();
    const probeNames = process.env.BENCH_REAL_PROBES?.split(',').filter(Boolean);
    server.tasks.add({ site: 'bench', targets: [lab.anyIpRange!], ports: PORTS, ratePps: RATE, hostsInFlight: HOSTS, probeTimeoutMs: 1000, taskId, ...(probeNames ? { probes: probeNames } : {}) });
    let state = 'pending';
    for (;;) {
      const st = [...(server.tasks.get(taskId)?.agents.values() ?? [])][0];
      state = st?.state ?? 'pending';
      if (state === 'done' || state === 'failed' || state === 'refused') break;
      if (agent.exitCode !== null) throw new Error(`the agent exited: ${stderr}`);
      await delay(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const end = procMemory(agent.pid!);
    peak = Math.max(peak, end?.rss ?? 0);
    const probes = hosts.length * ports.length;
    return {
      scanner: 'sextant agent, real process',
      command: `${Object.entries(unitEnv).map(([k, v]) => `${k}='${v}'`).join(' ')} node shared/cli/bin.js ${args.slice(1).join(' ')} (task: ${lab.anyIpRange} ports ${PORTS}, ${process.env.BENCH_REAL_PROBES ? `probes ${process.env.BENCH_REAL_PROBES}` : 'all probes'}, rate ${RATE}, hosts ${HOSTS}; state ${state})`,
      probes, seconds: round(seconds), pps: Math.round(probes / seconds), openFound: 0, openExpected: 0, missed: 0,
      peakRssMb: round(Math.max(peak, end?.hwm ?? 0), 1),
      note: `peak RSS = VmHWM from /proc (start-up included); RSS when connected and idle ${round(idle?.rss ?? 0, 1)} MB; sampled peak while scanning ${round(peak, 1)} MB; time includes service and UDP probes`,
    };
  } finally {
    clearInterval(sampler);
    agent.kill('SIGTERM');
    await new Promise((resolve) => (agent.exitCode !== null ? resolve(undefined) : agent.once('exit', resolve)));
    await server.close();
    await pipeline.close();
  }
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
    if (SCANNERS.has('syn')) repeat('agent SYN scan', () => agentScan(lab, hosts, ports.ports, 'syn'));
    if (SCANNERS.has('real')) {
      step('the real agent process');
      results.push(await realAgentScan(lab, hosts, ports.ports, dir));
      step(`real agent: ${JSON.stringify(results.at(-1))}`);
    }
    if (SCANNERS.has('connect')) repeat('agent connect scan', () => agentScan(lab, hosts, ports.ports, 'connect'));
    if (SCANNERS.has('nmap') && existsSync('/usr/bin/nmap')) repeat('nmap', () => nmapScan(lab, hosts, ports.ports));
    if (SCANNERS.has('zmap')) repeat('zmap', () => zmapScan(lab, hosts, ports.ports, dir));
    for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    const line = (r: Result) => `${r.scanner.padEnd(28)} ${String(r.pps).padStart(8)} probes/s  ${String(r.seconds).padStart(7)} s  ${r.openExpected ? `${r.openFound}/${r.openExpected} open found` : 'with service probes'}${r.cpuSeconds !== undefined ? `  CPU ${r.cpuSeconds} s` : ''}${r.peakRssMb ? `  peak RSS ${r.peakRssMb} MB` : ''}`;
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
