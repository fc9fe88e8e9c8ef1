// Runs one scan task: every host of its scope (hosts in flight, packets per
// second), discovery first, then service probes on what answered; evidence
// and progress go to the caller's sink as they are made.
import { setMaxListeners } from 'node:events';
import { isIPv4 } from 'node:net';
import type { Logger } from '../../shared/logging.ts';
import type { Probe, ProbeContext, ProbeResult, Target } from '../../shared/types.ts';
import { probes as allProbes } from '../probes/index.ts';
import { buildTaskScope, type TargetSet, type TopPorts } from '../scope/index.ts';
import { itemFromResult, makeItem, type EvidenceItem, type ItemContext } from '../evidence.ts';
import { createSynScanner, SYN_CLOSED, SYN_OPEN, type SynScanner, type SynStats } from '../net/syn.ts';
import type { PacketTransport } from '../net/raw.ts';
import { connectPort, macOf, type Pinger, type PortState } from './discovery.ts';
import { createGate, createRateLimiter, type Gate, type RateLimiter } from './limits.ts';
import { probesForPort, probeUnknownPort, selectProbes, type ProbeSet } from './services.ts';

export interface ScanTaskSpec {
  taskId: string;
  targets: string[];
  exclude: string[];
  /** Empty = top-100. */
  ports: string;
  /** Probe names; empty = every probe. */
  probes: string[];
  /** 0 = default. */
  ratePps: number;
  hostsInFlight: number;
  probeTimeoutMs: number;
  osDetection: boolean;
}

export type TaskState = 'running' | 'done' | 'failed' | 'refused';

export interface TaskProgressInfo {
  taskId: string;
  hostsTotal: number;
  hostsDone: number;
  hostsAlive: number;
  state: TaskState;
  message: string;
}

export interface ScanSink {
  evidence(item: EvidenceItem): void;
  progress(progress: TaskProgressInfo): void;
}

/** OS detection, when the raw-socket engine is there: returns the probe result carrying `tcpip.os_probes`. */
export type OsDetector = (target: Target, openPort: number | undefined, closedPort: number | undefined, signal: AbortSignal) => Promise<ProbeResult | undefined>;

export interface ScanEnvironment {
  agentId: string;
  log: Logger;
  probes?: readonly Probe[];
  /** The agent's own scope: a task reaching outside it is refused. */
  allowed?: TargetSet;
  pinger?: Pinger | undefined;
  osDetector?: OsDetector | undefined;
  connect?: (ip: string, port: number, timeoutMs: number, signal?: AbortSignal) => Promise<PortState>;
  /**
   * Raw sockets (root or CAP_NET_RAW): ports are found by SYN scan over
   * them. Without (or with `connect` given) every port is a TCP connect.
   */
  raw?: PacketTransport | undefined;
  /** Called once at the task's end with the SYN scanner's counters (benchmarks, logs). */
  onSynStats?: (stats: SynStats) => void;
  mac?: (ip: string) => string | undefined;
  /** Open sockets at once across the task (connect scan and probes). */
  socketsInFlight?: number;
  topPorts?: TopPorts;
}

export const TASK_DEFAULTS = { ratePps: 1000, hostsInFlight: 64, probeTimeoutMs: 3000, socketsInFlight: 512 } as const;
const UINT32_MAX = 0xffffffff;

interface HostRun {
  spec: ScanTaskSpec;
  env: ScanEnvironment;
  items: ItemContext;
  set: ProbeSet;
  ports: number[];
  limiter: RateLimiter;
  sockets: Gate;
  ctx: ProbeContext;
  connectTimeoutMs: number;
  portsPerHost: number;
  /** Set when ports are SYN-scanned; evidence then names the probe 'syn', else 'connect'. */
  syn: SynScanner | undefined;
  sink: ScanSink;
  signal: AbortSignal;
}

/** Runs the task to its end (or until `signal` aborts); resolves with the final progress, never rejects. */
export async function runScanTask(spec: ScanTaskSpec, env: ScanEnvironment, sink: ScanSink, signal: AbortSignal): Promise<TaskProgressInfo> {
  // Every socket and probe in flight listens for the task's abort.
  setMaxListeners(0, signal);
  const progress: TaskProgressInfo = { taskId: spec.taskId, hostsTotal: 0, hostsDone: 0, hostsAlive: 0, state: 'running', message: '' };
  const finish = (state: TaskState, message: string) => {
    Object.assign(progress, { state, message });
    sink.progress({ ...progress });
    return { ...progress };
  };
  const scope = buildTaskScope({ targets: spec.targets, exclude: spec.exclude, ports: spec.ports, allowed: env.allowed }, env.topPorts);
  if (!scope.ok) return finish('refused', scope.error);
  const { set, unknown } = selectProbes(env.probes ?? allProbes, spec.probes);
  if (unknown.length > 0) return finish('refused', `unknown probes: ${unknown.join(', ')}`);
  const size = scope.scope.hosts.size;
  progress.hostsTotal = size > BigInt(UINT32_MAX) ? UINT32_MAX : Number(size);
  sink.progress({ ...progress });

  const probeTimeoutMs = spec.probeTimeoutMs || TASK_DEFAULTS.probeTimeoutMs;
  const limiter = createRateLimiter(spec.ratePps || TASK_DEFAULTS.ratePps);
  const connectTimeoutMs = Math.min(probeTimeoutMs, 1500);
  const syn = env.raw && !env.connect ? createSynScanner(env.raw, { limiter, maxWaitMs: connectTimeoutMs }) : undefined;
  if (env.raw && !env.connect && !syn) env.log.info('SYN scan unavailable on this raw transport: TCP connect instead');
  const run: HostRun = {
    spec,
    env,
    items: { agentId: env.agentId, taskId: spec.taskId },
    set,
    ports: scope.scope.ports,
    limiter,
    sockets: createGate(env.socketsInFlight ?? TASK_DEFAULTS.socketsInFlight),
    ctx: { timeoutMs: probeTimeoutMs, signal, checkTarget: scope.scope.checkTarget },
    connectTimeoutMs,
    syn,
    portsPerHost: Math.max(4, Math.ceil((env.socketsInFlight ?? TASK_DEFAULTS.socketsInFlight) / (spec.hostsInFlight || TASK_DEFAULTS.hostsInFlight))),
    sink,
    signal,
  };
  const hostsInFlight = spec.hostsInFlight || TASK_DEFAULTS.hostsInFlight;
  const running = new Set<Promise<void>>();
  try {
    for (const ip of scope.scope.hosts.hosts()) {
      if (signal.aborted) break;
      while (running.size >= hostsInFlight) await Promise.race(running);
      const p: Promise<void> = scanHost(run, ip)
        .then((alive) => {
          progress.hostsDone++;
          if (alive) progress.hostsAlive++;
          sink.progress({ ...progress });
        })
        .catch((err: unknown) => {
          progress.hostsDone++;
          if (!signal.aborted) env.log.warn({ err, ip }, 'host scan failed');
        })
        .finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all(running);
  } catch (err) {
    return finish('failed', (err as Error).message);
  } finally {
    if (syn) {
      syn.close();
      env.log.debug({ syn: syn.stats }, 'SYN scan counters');
      env.onSynStats?.({ ...syn.stats });
    }
  }
  if (signal.aborted) return finish('failed', 'cancelled');
  return finish('done', '');
}

/** Everything for one host; resolves with whether it is alive. */
async function scanHost(run: HostRun, ip: string): Promise<boolean> {
  const { env, signal, sink, items } = run;
  run.ctx.checkTarget?.(ip);
  const ping = env.pinger ? run.limiter.take(1, signal).then(() => env.pinger!.ping(ip, run.connectTimeoutMs, signal)) : Promise.resolve(undefined);
  const open: number[] = [];
  let closed: number | undefined;
  // The SYN scanner speaks IPv4; IPv6 targets are connect-scanned.
  let syn = run.syn && isIPv4(ip) ? run.syn : undefined;
  if (syn) {
    // One promise per host; the scanner paces and retries every port itself.
    const states = await syn.scan(ip, run.ports, signal);
    if (syn.stats.sent === 0 && syn.stats.sendFailures > 0 && run.syn === syn) {
      // Raw sockets opened but the kernel refuses every crafted packet (an
      // OUTPUT firewall, a sandbox): connect-scan the rest of the task instead.
      env.log.warn({ failures: syn.stats.sendFailures }, 'SYN probes cannot be sent: TCP connect for the rest of the task');
      run.syn = undefined;
    }
    if (run.syn !== syn) syn = undefined;
    else {
      for (let i = 0; i < states.length; i++) {
        if (states[i] === SYN_OPEN) open.push(run.ports[i] as number);
        else if (states[i] === SYN_CLOSED) closed ??= run.ports[i];
      }
    }
  }
  if (!syn) {
    const connect = env.connect ?? connectPort;
    // A few workers per host pull ports in turn: sockets are opened as fast as the rate allows, never all at once.
    let next = 0;
    const workers = Math.min(run.ports.length, run.portsPerHost);
    await Promise.all(Array.from({ length: workers }, async () => {
      while (next < run.ports.length && !signal.aborted) {
        const port = run.ports[next++] as number;
        await run.limiter.take(1, signal);
        const state = await run.sockets.run(() => connect(ip, port, run.connectTimeoutMs, signal));
        if (state === 'open') open.push(port);
        else if (state === 'closed') closed ??= port;
      }
    }));
  }
  open.sort((a, b) => a - b);
  const echo = await ping.catch(() => undefined);
  const mac = (env.mac ?? macOf)(ip);
  const alive = open.length > 0 || closed !== undefined || echo !== undefined || mac !== undefined;
  if (!alive || signal.aborted) return false;

  if (echo) sink.evidence(makeItem(items, { probe: 'icmp-echo', target: { ip, transport: 'icmp' }, facts: { 'icmp.echo_reply': 'true', 'icmp.ttl': String(echo.ttl) } }));
  if (mac) sink.evidence(makeItem(items, { probe: 'arp', target: { ip, transport: 'arp' }, facts: { 'mac.address': mac } }));
  const portProbe = syn ? 'syn' : 'connect';
  for (const port of open) sink.evidence(makeItem(items, { probe: portProbe, target: { ip, port, transport: 'tcp' }, facts: { 'port.state': 'open' } }));
  if (open.length === 0 && closed !== undefined) {
    sink.evidence(makeItem(items, { probe: portProbe, target: { ip, transport: 'tcp' }, facts: { 'host.state': 'up' } }));
  }

  const runProbe = async (probe: Probe, target: Target): Promise<ProbeResult> => {
    await run.limiter.take(1, signal);
    return run.sockets.run(() => probe.run(target, run.ctx));
  };
  const keep = (r: ProbeResult) => {
    if (r.status === 'blocked') env.log.warn({ ip, probe: r.probe, error: r.error }, 'probe refused a target outside the task');
    const item = itemFromResult(items, r);
    if (item) sink.evidence(item);
  };
  const jobs: Array<Promise<void>> = [];
  for (const port of open) {
    const matching = probesForPort(run.set, port);
    if (matching.length > 0) {
      for (const probe of matching) jobs.push(runProbe(probe, { ip, port, transport: 'tcp' }).then(keep));
    } else {
      jobs.push(probeUnknownPort(run.set, ip, port, runProbe).then((rs) => rs.forEach(keep)));
    }
  }
  for (const probe of run.set.udp) {
    for (const port of probe.defaultPorts.slice(0, 1)) jobs.push(runProbe(probe, { ip, port, transport: 'udp' }).then(keep));
  }
  if (run.spec.osDetection && env.osDetector) {
    jobs.push(env.osDetector({ ip }, open[0], closed, signal).then((r) => r && keep(r)).catch((err: unknown) => env.log.warn({ err, ip }, 'OS detection failed')));
  }
  await Promise.all(jobs);
  return true;
}
