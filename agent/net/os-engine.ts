// The shared OS-probe engine: any number of hosts probed at once over one set
// of raw sockets, each captured reply routed to its round by target address,
// then by port or ICMP id. It returns raw evidence; the caller may ask for
// further rounds after looking at each one (Nmap's tries, §1.10).
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { OsScanEvidence } from '../../collector/fingerprint/os/index.ts';
import { componentLogger, type Logger } from '../../shared/logging.ts';
import { drawRoundValues } from './os-probes.ts';
import { createRoundSession, DEFAULT_TIMING, TCP_PORT_BLOCK, UDP_PORT_BLOCK, type RoundSession, type RoundTiming, type SessionIo } from './os-session.ts';
import { readCaptured } from './parse.ts';
import { openRawTransport, type PacketTransport, type TransportOpening } from './raw.ts';
import { neighbourMac, routeTo, type TargetRoute } from './route.ts';

export interface OsScanRequest {
  /** An IPv4 literal. */
  target: string;
  openTcpPort?: number;
  /** A TCP port known to be closed; without it T5–T7 go to a random port in 30000–44780, as in Nmap. */
  closedTcpPort?: number;
  /** A UDP port known to be closed; without it U1 goes to a random one. */
  closedUdpPort?: number;
  /** Rounds at most (default 1). */
  maxRounds?: number;
  /** Asked after each round but the last allowed: true runs another. Without it every allowed round runs. */
  another?: (round: OsScanEvidence, index: number) => boolean | Promise<boolean>;
  timing?: Partial<RoundTiming>;
  /** Pause before round n (2-based); default Nmap's 1 s, 2.5 s before the fourth. */
  roundDelayMs?: (round: number) => number;
  signal?: AbortSignal;
}

/** Everything one host's OS probing saw: plain data, JSON-serialisable. */
export interface OsHostEvidence {
  target: string;
  source: string;
  rounds: OsScanEvidence[];
  /** The ports the probes went to, known or guessed. */
  ports: { openTcp?: number; closedTcp: number; closedUdp: number };
  localhost: boolean;
  directlyConnected: boolean;
  /** The target's MAC from our neighbour table, when it is on our link. */
  mac?: string;
  /** Probes the kernel refused to send (Nmap counts the print as non-ideal then). */
  sendErrors: number;
}

export type OsScanOutcome =
  | { status: 'success' | 'timeout'; evidence: OsHostEvidence }
  | { status: 'blocked' | 'unreachable' | 'error'; error: string };

export interface OsEngine {
  scan(request: OsScanRequest): Promise<OsScanOutcome>;
}

export interface OsEngineOptions {
  log?: Logger;
  openTransport?: (log: Logger) => TransportOpening;
  route?: (target: string) => Promise<TargetRoute>;
}

const nmapRoundDelay = (round: number) => 1000 + (round === 4 ? 1500 : 0);

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  await delay(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
}

/** Nmap's random closed-port guess. */
const guessClosedPort = () => randomInt(30000, 44781);

export function createOsEngine(options: OsEngineOptions = {}): OsEngine {
  const log = options.log ?? componentLogger('os-engine');
  const open = options.openTransport ?? openRawTransport;
  const route = options.route ?? routeTo;
  const sessions = new Map<string, Set<RoundSession>>();
  let transport: PacketTransport | undefined;
  let users = 0;

  function dispatch(bytes: Uint8Array, atNs: bigint): void {
    const packet = readCaptured(bytes);
    if (!packet) return;
    // An ICMP error may come from a router: what it quotes names the target.
    const key = packet.kind === 'icmp-error' ? packet.quoted.dst : packet.ip.src;
    const candidates = sessions.get(key);
    if (!candidates) return;
    for (const s of candidates) if (s.accept(packet, bytes, atNs)) return;
  }

  function acquire(): TransportOpening {
    if (!transport) {
      const opened = open(log);
      if (!opened.ok) return opened;
      transport = opened.transport;
      transport.onPacket(dispatch);
    }
    users++;
    return { ok: true, transport };
  }

  function release(): void {
    users--;
    // Open raw sockets keep the process alive; close them whenever no scan runs.
    if (users === 0 && transport) {
      transport.close();
      transport = undefined;
    }
  }

  /** Port blocks and ICMP ids no other round to the same target is using. */
  function allocate(target: string, avoid: number[]): { tcp: number; udp: number; icmpId: number } {
    const others = [...(sessions.get(target) ?? [])].map((s) => s.plan);
    const clear = (base: number, size: number, taken: number[], extra: number[]) =>
      taken.every((t) => base + size <= t || t + size <= base) && extra.every((p) => p < base || p >= base + size);
    for (let attempt = 0; attempt < 1000; attempt++) {
      // Nmap's draw: [33000, 63999] plus 0–255.
      const tcp = randomInt(33000, 64000) + randomInt(0, 256);
      const udp = randomInt(33000, 64000) + randomInt(0, 256);
      const icmpId = randomInt(0, 0xffff);
      if (!clear(tcp, TCP_PORT_BLOCK, others.map((p) => p.tcpPortBase), avoid)) continue;
      if (!clear(udp, UDP_PORT_BLOCK, others.map((p) => p.udpPortBase), avoid)) continue;
      if (others.some((p) => Math.abs(p.values.icmpId - icmpId) < 2)) continue;
      return { tcp, udp, icmpId };
    }
    throw new Error(`too many concurrent OS scans of ${target}`);
  }

  async function scan(request: OsScanRequest): Promise<OsScanOutcome> {
    const { target, signal } = request;
    let where: TargetRoute;
    try {
      where = await route(target);
    } catch (err) {
      return { status: 'unreachable', error: `no route to ${target}: ${(err as Error).message}` };
    }
    const opened = acquire();
    if (!opened.ok) return { status: opened.reason === 'permission' ? 'blocked' : 'error', error: opened.error };
    const io: SessionIo = { send: (d, dst) => opened.transport.send(d, dst), sleep };
    const timing = { ...DEFAULT_TIMING, ...request.timing };
    const ports = {
      openTcp: request.openTcpPort,
      closedTcp: request.closedTcpPort ?? guessClosedPort(),
      closedUdp: request.closedUdpPort ?? guessClosedPort(),
    };
    const evidence: OsHostEvidence = {
      target,
      source: where.source,
      rounds: [],
      ports: ports.openTcp === undefined ? { closedTcp: ports.closedTcp, closedUdp: ports.closedUdp } : (ports as OsHostEvidence['ports']),
      localhost: where.localhost,
      directlyConnected: where.directlyConnected,
      sendErrors: 0,
    };
    let replies = 0;
    try {
      const maxRounds = Math.max(1, request.maxRounds ?? 1);
      for (let round = 0; round < maxRounds && !signal?.aborted; round++) {
        const values = drawRoundValues();
        const blocks = allocate(target, [ports.openTcp ?? -1, ports.closedTcp, ports.closedUdp]);
        values.icmpId = blocks.icmpId;
        const session = createRoundSession({
          addressing: { src: where.source, dst: target, openTcpPort: ports.openTcp, closedTcpPort: ports.closedTcp, closedUdpPort: ports.closedUdp },
          values,
          tcpPortBase: blocks.tcp,
          udpPortBase: blocks.udp,
          closedTcpKnown: request.closedTcpPort !== undefined,
          closedUdpKnown: request.closedUdpPort !== undefined,
          localhost: where.localhost,
          timing,
        }, io);
        const set = sessions.get(target) ?? new Set<RoundSession>();
        sessions.set(target, set);
        set.add(session);
        let outcome;
        try {
          outcome = await session.run(signal);
        } finally {
          set.delete(session);
          if (set.size === 0) sessions.delete(target);
        }
        evidence.rounds.push(outcome.evidence);
        evidence.sendErrors += outcome.sendErrors;
        replies += outcome.replies;
        if (round + 1 >= maxRounds || signal?.aborted) break;
        // The pause before the next round runs while the caller decides whether there is one.
        const stopPause = new AbortController();
        const pause = sleep((request.roundDelayMs ?? nmapRoundDelay)(round + 2), signal ? AbortSignal.any([signal, stopPause.signal]) : stopPause.signal);
        if (request.another && !(await request.another(outcome.evidence, round))) {
          stopPause.abort();
          break;
        }
        await pause;
      }
    } catch (err) {
      return { status: 'error', error: `OS scan of ${target} failed: ${(err as Error).message}` };
    } finally {
      release();
    }
    if (where.directlyConnected) {
      const mac = neighbourMac(target);
      if (mac) evidence.mac = mac;
    }
    log.debug({ target, rounds: evidence.rounds.length, replies, sendErrors: evidence.sendErrors }, 'os scan finished');
    return { status: replies > 0 ? 'success' : 'timeout', evidence };
  }

  return { scan };
}

let shared: OsEngine | undefined;

/** The process-wide engine: every OS scan in the process shares its raw sockets. */
export function sharedOsEngine(): OsEngine {
  shared ??= createOsEngine();
  return shared;
}
