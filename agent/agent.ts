// `sextant agent`: the spool, the runtime and the collector client put together.
import { join } from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { componentLogger, type Logger } from '../shared/logging.ts';
import type { Probe, ProbeContext, ProbeResult } from '../shared/types.ts';
import { startCollectorClient, type CollectorClient } from './client.ts';
import { createAgentRuntime, type AgentRuntime } from './runtime.ts';
import { openRawAccess, type RawAccess } from './scan/discovery.ts';
import type { OsDetector, ScanEnvironment } from './scan/scheduler.ts';
import type { TargetSet } from './scope/index.ts';
import { DEFAULT_SPOOL_BYTES, openSpool, type Spool } from './spool.ts';

export interface AgentOptions {
  collector: string;
  token: string;
  name: string;
  site: string;
  /** Default ./.sextant/spool-<site>-<name>. */
  spoolDir?: string;
  spoolMaxBytes?: number;
  /** The agent refuses tasks with targets outside this set. */
  allowed?: TargetSet;
  /** False: no ICMP echo, no SYN scan (ports by connect) and no OS detection even as root. */
  raw?: boolean;
  log?: Logger;
  credentials?: ChannelCredentials;
  scan?: Partial<Omit<ScanEnvironment, 'agentId' | 'log'>>;
  backoff?: { initialMs: number; maxMs: number };
}

export interface RunningAgent {
  readonly client: CollectorClient;
  readonly runtime: AgentRuntime;
  readonly spool: Spool;
  stop(): Promise<void>;
}

/** OS detection through the raw-socket engine's probe, when that module is there. */
async function loadOsDetector(log: Logger): Promise<OsDetector | undefined> {
  try {
    const mod = (await import('./probes/os.ts')) as { osProbe?: Probe };
    const probe = mod.osProbe;
    if (!probe) return undefined;
    return (target, openPort, closedPort, signal) => {
      const ctx: ProbeContext & { os?: { closedTcpPort?: number } } = { timeoutMs: 10_000, signal };
      if (closedPort !== undefined) ctx.os = { closedTcpPort: closedPort };
      return probe.run(openPort === undefined ? { ip: target.ip } : { ip: target.ip, port: openPort, transport: 'tcp' }, ctx) as Promise<ProbeResult>;
    };
  } catch (err) {
    log.debug({ err }, 'OS detection unavailable');
    return undefined;
  }
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? componentLogger('agent', { agent: options.name, site: options.site });
  const spoolDir = options.spoolDir ?? join('.sextant', `spool-${options.site}-${options.name}`);
  const spool = openSpool(spoolDir, options.spoolMaxBytes ?? DEFAULT_SPOOL_BYTES, log.child({ component: 'spool' }));
  const useRaw = options.raw !== false;
  // Root or CAP_NET_RAW: ICMP echo and SYN port scans over one set of raw sockets; else connect scans.
  let rawAccess: RawAccess | undefined;
  if (useRaw && options.scan?.pinger === undefined && options.scan?.raw === undefined) rawAccess = openRawAccess(log);
  const pinger = rawAccess?.pinger;
  const raw = rawAccess?.transport;
  const osDetector = useRaw && options.scan?.osDetector === undefined ? await loadOsDetector(log) : undefined;
  const runtime = createAgentRuntime({
    spool,
    log,
    scan: { pinger, raw, osDetector, ...options.scan, ...(options.allowed ? { allowed: options.allowed } : {}) },
  });
  const client = startCollectorClient({
    collector: options.collector,
    token: options.token,
    name: options.name,
    site: options.site,
    spool,
    runtime,
    log: log.child({ component: 'collector-client' }),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  return {
    client,
    runtime,
    spool,
    async stop() {
      await runtime.close();
      await client.close();
      rawAccess?.close();
    },
  };
}
