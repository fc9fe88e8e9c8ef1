// The agent side of bench/scan.ts, in a process of its own so its RSS is the
// agent's alone: loads the whole agent (client, probes, scheduler), runs one
// discovery task over BENCH_TARGET, prints one JSON line. Targets were checked
// by the parent with the lab guard before this process was started.
// BENCH_MODE=syn (default: raw sockets, as the agent runs as root or with
// CAP_NET_RAW) or connect (as it runs without).
import { openRawAccess, runScanTask, type EvidenceItem } from '../agent/index.ts';
import type { SynStats } from '../agent/net/syn.ts';
import { memoryLogger } from '../shared/logging.ts';

const target = process.env.BENCH_TARGET ?? '';
const ports = process.env.BENCH_PORTS ?? '1-1000';
const rate = Number(process.env.BENCH_RATE ?? 100_000);
const sockets = Number(process.env.BENCH_SOCKETS ?? 256);
const hostsInFlight = Number(process.env.BENCH_HOSTS ?? 32);
const mode = process.env.BENCH_MODE ?? 'syn';
const log = memoryLogger('warn').logger;
const open = new Set<string>();
let peak = process.memoryUsage.rss();
const before = peak;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
const raw = mode === 'syn' ? openRawAccess(log) : undefined;
if (mode === 'syn' && !raw) throw new Error('BENCH_MODE=syn needs raw sockets (root or CAP_NET_RAW)');
let stats: SynStats | undefined;
const started = performance.now();
let cpu = process.cpuUsage();
const final = await runScanTask(
  { taskId: 'bench', targets: [target], exclude: [], ports, probes: [], ratePps: rate, hostsInFlight, probeTimeoutMs: 1000, osDetection: false },
  // Discovery only: no service probes, no ICMP, no neighbour look-ups.
  { agentId: 'bench', log, probes: [], mac: () => undefined, socketsInFlight: sockets, raw: raw?.transport, onSynStats: (s) => { stats = s; } },
  { evidence: (e: EvidenceItem) => { if (e.facts['port.state'] === 'open') open.add(`${e.ip}:${e.port}`); }, progress: () => undefined },
  new AbortController().signal,
);
const seconds = (performance.now() - started) / 1000;
cpu = process.cpuUsage(cpu);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
raw?.close();
process.stdout.write(`${JSON.stringify({ mode: raw ? 'syn' : 'connect', state: final.state, hosts: final.hostsDone, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, open: open.size, stats, rssBeforeMb: before / 1048576, peakRssMb: peak / 1048576 })}\n`);
