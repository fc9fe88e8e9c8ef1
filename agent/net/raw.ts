// Raw IPv4 sockets through the `raw-socket` addon: one IP_HDRINCL socket that
// sends whole datagrams, and capture sockets for TCP and ICMP whose every
// datagram is handed over with its process.hrtime.bigint() arrival time.
import { createRequire } from 'node:module';
import type { Logger } from '../../shared/logging.ts';

/** What the OS-probe engine needs from the network; tests substitute a simulated one. */
export interface PacketTransport {
  /** Sends one IPv4 datagram (header included); resolves with the hrtime just before the kernel took it, or undefined on failure. */
  send(datagram: Uint8Array, dst: string): Promise<bigint | undefined>;
  /** Every captured TCP and ICMP datagram, with its arrival hrtime. */
  onPacket(handler: (datagram: Uint8Array, atNs: bigint) => void): void;
  /**
   * The same datagrams lent, not copied: the view is only valid during the
   * call (the receive buffer is reused). For high-rate readers that look at
   * a few bytes and keep nothing, such as the SYN scanner and the pinger.
   */
  onBorrowed?(handler: (datagram: Uint8Array) => void): () => void;
  /**
   * One synchronous sendto(2) of a datagram the caller may reuse as soon as
   * this returns; false when the kernel refused it (ENOBUFS, EAGAIN, no
   * route). Absent when the addon cannot send synchronously.
   */
  sendNow?(datagram: Buffer, dst: string): boolean;
  close(): void;
}

export type TransportOpening =
  | { ok: true; transport: PacketTransport }
  | { ok: false; reason: 'permission' | 'unavailable'; error: string };

// The slice of raw-socket's API used here (the package ships no types).
interface RawSocket {
  /** The addon's handle: its send() is one synchronous sendto(2) that throws on failure. */
  wrap?: {
    send(buffer: Buffer, offset: number, length: number, address: string, after: (bytes: number) => void): void;
    /** One synchronous recvfrom(2); throws when nothing is queued (EAGAIN). */
    recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): void;
  };
  /** The receive buffer raw-socket reuses for every datagram. */
  buffer?: Buffer;
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  send(buffer: Buffer, offset: number, length: number, address: string, before: () => void, after: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number): void;
  pauseRecv(): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(options: { protocol: number; bufferSize?: number }): RawSocket;
  SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number };
  SocketOption: { IP_HDRINCL: number; SO_RCVBUF: number };
}

/** Linux SO_RCVBUFFORCE (asm-generic/socket.h): root/CAP_NET_ADMIN may exceed net.core.rmem_max. */
const SO_RCVBUFFORCE = 33;

const IPPROTO_RAW = 255;
const CAPTURE_PROTOCOLS = [6, 1]; // TCP, ICMP
/**
 * Replies of hundreds of hosts can arrive in one burst (a SYN scan at full
 * rate: tens of thousands a second); the kernel caps SO_RCVBUF at
 * net.core.rmem_max, SO_RCVBUFFORCE lifts that where the process may.
 */
const RECEIVE_BUFFER = 8 * 1024 * 1024;
/** Datagrams read per wake-up at most, so a flood cannot starve timers. */
const DRAIN_LIMIT = 512;

let addon: RawSocketModule | undefined;
let addonError: string | undefined;

function loadAddon(): RawSocketModule | undefined {
  if (addon || addonError) return addon;
  try {
    addon = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  } catch (err) {
    addonError = `the raw-socket addon cannot be loaded: ${(err as Error).message}`;
  }
  return addon;
}

const ignoreSent = () => undefined;

function isPermissionError(err: unknown): boolean {
  return /not permitted|permission denied|EPERM|EACCES/i.test(String((err as Error)?.message ?? err));
}

/** Opens the sockets; without CAP_NET_RAW this reports `permission` instead of throwing. */
export function openRawTransport(log: Logger): TransportOpening {
  const raw = loadAddon();
  if (!raw) return { ok: false, reason: 'unavailable', error: addonError ?? 'raw-socket is unavailable' };
  const sockets: RawSocket[] = [];
  try {
    const sender = raw.createSocket({ protocol: IPPROTO_RAW });
    sockets.push(sender);
    // IPPROTO_RAW implies it on Linux; set it anyway so the intent does not depend on that.
    sender.setOption(raw.SocketLevel.IPPROTO_IP, raw.SocketOption.IP_HDRINCL, 1);
    sender.pauseRecv();
    const handlers: Array<(datagram: Uint8Array, atNs: bigint) => void> = [];
    const borrowers: Array<(datagram: Uint8Array) => void> = [];
    for (const protocol of CAPTURE_PROTOCOLS) {
      const capture = raw.createSocket({ protocol, bufferSize: 65535 });
      sockets.push(capture);
      try {
        capture.setOption(raw.SocketLevel.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER);
      } catch {
        capture.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_RCVBUF, RECEIVE_BUFFER);
      }
      const deliver = (buffer: Buffer) => {
        for (const b of borrowers) b(buffer);
        if (handlers.length === 0) return;
        const at = process.hrtime.bigint();
        // raw-socket reuses one receive buffer: copy before anything else runs.
        const datagram = new Uint8Array(buffer);
        for (const h of handlers) h(datagram, at);
      };
      capture.on('message', (buffer) => {
        deliver(buffer);
        // raw-socket reads one datagram per event-loop turn; replies of many hosts arrive in
        // bursts, so drain what is already queued, or their arrival times would include the backlog.
        const { wrap, buffer: shared } = capture;
        if (!wrap || typeof wrap.recv !== 'function' || !shared) return;
        for (let i = 0; i < DRAIN_LIMIT; i++) {
          let got = false;
          try {
            wrap.recv(shared, (b, bytes) => {
              got = true;
              deliver(b.subarray(0, bytes));
            });
          } catch {
            break; // EAGAIN: nothing more queued
          }
          if (!got) break;
        }
      });
    }
    for (const s of sockets) s.on('error', (err) => log.warn({ err }, 'raw socket error'));
    let closed = false;
    const transport: PacketTransport = {
      send(datagram, dst) {
        if (closed) return Promise.resolve(undefined);
        const buffer = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
        // raw-socket's send() queues and sends one datagram per event-loop turn, so under load a
        // SEQ probe would leave late; its handle sends at once, and the queue stays the fallback.
        const direct = sender.wrap;
        if (direct && typeof direct.send === 'function') {
          const at = process.hrtime.bigint();
          try {
            direct.send(buffer, 0, buffer.length, dst, () => undefined);
            return Promise.resolve(at);
          } catch (err) {
            log.debug({ err, dst }, 'immediate raw send failed; queueing it');
          }
        }
        return new Promise((resolve) => {
          let at = 0n;
          sender.send(buffer, 0, buffer.length, dst, () => {
            at = process.hrtime.bigint();
          }, (err) => {
            if (err) {
              log.debug({ err, dst }, 'raw send failed');
              resolve(undefined);
            } else resolve(at);
          });
        });
      },
      onPacket(handler) {
        handlers.push(handler);
      },
      onBorrowed(handler) {
        borrowers.push(handler);
        return () => {
          const at = borrowers.indexOf(handler);
          if (at >= 0) borrowers.splice(at, 1);
        };
      },
      ...(sender.wrap && typeof sender.wrap.send === 'function'
        ? {
            sendNow(datagram: Buffer, dst: string): boolean {
              if (closed) return false;
              try {
                sender.wrap!.send(datagram, 0, datagram.length, dst, ignoreSent);
                return true;
              } catch {
                return false;
              }
            },
          }
        : {}),
      close() {
        if (closed) return;
        closed = true;
        for (const s of sockets) s.close();
      },
    };
    return { ok: true, transport };
  } catch (err) {
    for (const s of sockets) s.close();
    const message = (err as Error)?.message ?? String(err);
    return isPermissionError(err)
      ? { ok: false, reason: 'permission', error: `raw sockets need root or CAP_NET_RAW: ${message}` }
      : { ok: false, reason: 'unavailable', error: `cannot open raw sockets: ${message}` };
  }
}
