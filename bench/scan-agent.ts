// The agent side of bench/scan.ts, in a process of its own so its RSS is the
// agent's alone: loads the whole agent (client, probes, scheduler), runs one
// discovery task over BENCH_TARGET, prints one JSON line. Targets were checked
// by the parent with the lab guard before this process was started.
import { runScanTask, type EvidenceItem } from '../agent/index.ts';
import { memoryLogger } from '../shared/logging.ts';

const target = process.env.BENCH_TARGET ?? '';
const ports = process.env.BENCH_PORTS ?? '1-1000';
const rate = Number(process.env.BENCH_RATE ?? 100_000);
const sockets = Number(process.env.BENCH_SOCKETS ?? 256);
const hostsInFlight = Number(process.env.BENCH_HOSTS ?? 32);
const open = new Set<string>();
let peak = process.memoryUsage.rss();
const before = peak;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
const started = performance.now();
const final = await runScanTask(
  { taskId: 'bench', targets: [target], exclude: [], ports, probes: [], ratePps: rate, hostsInFlight, probeTimeoutMs: 1000, osDetection: false },
  // Discovery only: no service probes, no ICMP, no neighbour look-ups.
  { agentId: 'bench', log: memoryLogger('warn').logger, probes: [], mac: () => undefined, socketsInFlight: sockets },
  { evidence: (e: EvidenceItem) => { if (e.facts['port.state'] === 'open') open.add(`${e.ip}:${e.port}`); }, progress: () => undefined },
  new AbortController().signal,
);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
process.stdout.write(`${JSON.stringify({ state: final.state, hosts: final.hostsDone, seconds, open: open.size, rssBeforeMb: before / 1048576, peakRssMb: peak / 1048576 })}\n`);
