// Host and port discovery that works everywhere: TCP connect (a full
// handshake, then a reset), ICMP echo over a raw socket when the process may
// open one, and MACs of on-link hosts from the kernel's neighbour table.
import { randomInt } from 'node:crypto';
import net from 'node:net';
import type { Logger } from '../../shared/logging.ts';
import { buildIcmpEcho, neighbourMac, openRawTransport, readCaptured, sourceAddressFor, type PacketTransport, type TransportOpening } from '../net/index.ts';

export type PortState = 'open' | 'closed' | 'filtered' | 'unreachable';

/** One TCP connect: open (handshake done), closed (RST), filtered (silence), unreachable (ICMP/route). */
export function connectPort(ip: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<PortState> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve('filtered');
    const socket = net.connect({ host: ip, port });
    let done = false;
    const finish = (state: PortState) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // A reset instead of FIN: the port is known, nothing more is owed to the peer.
      if (typeof socket.resetAndDestroy === 'function' && state === 'open') socket.resetAndDestroy();
      else socket.destroy();
      resolve(state);
    };
    const onAbort = () => finish('filtered');
    const timer = setTimeout(() => finish('filtered'), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      switch (err.code) {
        case 'ECONNREFUSED':
        case 'ECONNRESET':
          return finish('closed');
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
        case 'EHOSTDOWN':
        case 'EADDRNOTAVAIL':
          return finish('unreachable');
        default:
          return finish('filtered');
      }
    });
  });
}

export interface EchoReply {
  ttl: number;
  rttMs: number;
}

/** ICMP echo; `ping` resolves undefined on silence. */
export interface Pinger {
  ping(ip: string, timeoutMs: number, signal?: AbortSignal): Promise<EchoReply | undefined>;
  close(): void;
}

/**
 * Opens the raw sockets once. Without root (or CAP_NET_RAW, or the addon)
 * returns undefined and the scan goes on without ICMP.
 */
export function openPinger(log: Logger): Pinger | undefined {
  return openRawAccess(log)?.pinger;
}

/** The agent's raw sockets: ICMP echo and the SYN port scan share them. */
export interface RawAccess {
  transport: PacketTransport;
  pinger: Pinger;
  /** Closes the pinger and the sockets. */
  close(): void;
}

/**
 * Opens the raw sockets once for pinging and SYN scanning. Without root (or
 * CAP_NET_RAW, or the addon) returns undefined: no ICMP, ports by connect.
 */
export function openRawAccess(log: Logger, open: (log: Logger) => TransportOpening = openRawTransport): RawAccess | undefined {
  const opening = open(log);
  if (!opening.ok) {
    log.info({ reason: opening.reason, error: opening.error }, 'no raw sockets: no ICMP echo, ports by TCP connect');
    return undefined;
  }
  const pinger = createPinger(opening.transport);
  return { transport: opening.transport, pinger, close: () => pinger.close() };
}

export function createPinger(transport: PacketTransport): Pinger {
  const id = randomInt(1, 0xffff);
  let sequence = 0;
  const waiting = new Map<string, { sequence: number; sentAt: number; resolve: (r: EchoReply | undefined) => void }>();
  const onDatagram = (datagram: Uint8Array) => {
    // Every TCP reply of a SYN scan comes through here too: look at the protocol byte first.
    if (datagram[9] !== 1 || waiting.size === 0) return;
    const p = readCaptured(datagram);
    if (!p || p.kind !== 'echo-reply' || p.id !== id) return;
    const w = waiting.get(`${p.ip.src}/${p.sequence}`);
    if (!w) return;
    waiting.delete(`${p.ip.src}/${p.sequence}`);
    w.resolve({ ttl: p.ip.ttl, rttMs: performance.now() - w.sentAt });
  };
  if (transport.onBorrowed) transport.onBorrowed(onDatagram);
  else transport.onPacket(onDatagram);
  return {
    async ping(ip, timeoutMs, signal) {
      if (net.isIPv4(ip) === false || signal?.aborted) return undefined;
      let src: string;
      try {
        src = await sourceAddressFor(ip);
      } catch {
        return undefined;
      }
      sequence = (sequence + 1) & 0xffff;
      const seq = sequence;
      const key = `${ip}/${seq}`;
      const payload = Buffer.from('sextant-echo-probe');
      const datagram = buildIcmpEcho({ src, dst: ip, id: randomInt(0, 0xffff), ttl: 64 }, 0, id, seq, payload);
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(undefined), timeoutMs);
        const onAbort = () => settle(undefined);
        function settle(r: EchoReply | undefined) {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiting.delete(key);
          resolve(r);
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.set(key, { sequence: seq, sentAt: performance.now(), resolve: settle });
        void transport.send(datagram, ip).then((at) => {
          if (at === undefined) settle(undefined);
        });
      });
    },
    close() {
      for (const w of waiting.values()) w.resolve(undefined);
      waiting.clear();
      transport.close();
    },
  };
}

/** The MAC the kernel resolved for an on-link IPv4 host, if any (lower case, colon-separated). */
export function macOf(ip: string): string | undefined {
  if (!net.isIPv4(ip)) return undefined;
  return neighbourMac(ip)?.toLowerCase();
}
