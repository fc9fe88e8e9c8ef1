// A PacketTransport that answers Nmap's OS probes the way a Linux host does,
// for engine tests without raw sockets: SYN/ACKs from the open port, RSTs from
// the closed one, silence for T2/T3, echo replies and port unreachables.
import type { PacketTransport } from '../../../agent/net/index.ts';
import { readCaptured } from '../../../agent/net/index.ts';
import { icmp, ipv4, tcpPacket, type IpFields } from '../os/packet-builder.ts';

export interface SimulatedHost {
  address: string;
  openPort: number;
  /** Reply delay. */
  delayMs?: number;
  /** Return true to swallow a probe (called with its transmission number for that probe kind, from 0). */
  drop?: (probe: { dstPort?: number; flags?: number; window?: number; icmp?: boolean; udp?: boolean }, count: number) => boolean;
}

export interface SentDatagram {
  at: bigint;
  dst: string;
  bytes: Uint8Array;
}

const quad = (a: string) => a.split('.').map(Number);
const u16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);
const LINUX_SYNACK_OPTIONS = Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 1, 3, 3, 7]);

export function simulatedNetwork(hosts: SimulatedHost[]): PacketTransport & { sent: SentDatagram[]; closed: boolean } {
  const handlers: Array<(d: Uint8Array, at: bigint) => void> = [];
  const counts = new Map<string, number>();
  let ipId = 100;
  const net = {
    sent: [] as SentDatagram[],
    closed: false,
    async send(bytes: Uint8Array, dst: string) {
      const at = process.hrtime.bigint();
      net.sent.push({ at, dst, bytes: new Uint8Array(bytes) });
      const host = hosts.find((h) => h.address === dst);
      const reply = host && answer(host, bytes);
      if (reply) {
        setTimeout(() => {
          const when = process.hrtime.bigint();
          for (const h of handlers) h(reply, when);
        }, host.delayMs ?? 1);
      }
      return at;
    },
    onPacket(handler: (d: Uint8Array, at: bigint) => void) {
      handlers.push(handler);
    },
    close() {
      net.closed = true;
    },
  };

  function answer(host: SimulatedHost, probe: Uint8Array): Uint8Array | undefined {
    const src = quad(host.address);
    const dst = [probe[12], probe[13], probe[14], probe[15]] as number[];
    const ip = (f: IpFields = {}): IpFields => ({ src, dst, ttl: 64, ...f });
    const protocol = probe[9];
    const count = (key: string) => {
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      return n;
    };
    if (protocol === 1 && probe[20] === 8) {
      if (host.drop?.({ icmp: true }, count(`icmp${probe[21]}`))) return undefined;
      return ipv4(1, icmp(0, probe[21] as number, (u16(probe, 24) << 16) | u16(probe, 26), probe.subarray(28)), ip({ id: ipId++ }));
    }
    if (protocol === 17) {
      if (host.drop?.({ udp: true }, count('udp'))) return undefined;
      return ipv4(1, icmp(3, 3, 0, probe), ip({ id: ipId++ }));
    }
    const p = readCaptured(probe);
    if (!p || p.kind !== 'tcp') return undefined;
    const { srcPort, dstPort, seq, ack, flags } = p.tcp;
    const window = u16(probe, 34);
    if (host.drop?.({ dstPort, flags, window }, count(`${dstPort}/${flags}/${window}`))) return undefined;
    const SYN = 0x02, RST = 0x04, ACK = 0x10, FIN = 0x01;
    const back = (f: { seq: number; ack: number; flags: number; window?: number; options?: Uint8Array }) =>
      tcpPacket({ srcPort: dstPort, dstPort: srcPort, ...f }, ip({ df: true, id: 0 }));
    if (dstPort === host.openPort) {
      if (flags & SYN && flags & FIN) return undefined; // T3
      if (flags & SYN) return back({ seq: (Math.random() * 2 ** 32) >>> 0, ack: (seq + 1) >>> 0, flags: SYN | ACK | (flags & 0x40), window: 0xfe88, options: LINUX_SYNACK_OPTIONS });
      if (flags & ACK) return back({ seq: ack, ack: 0, flags: RST });
      return undefined; // T2
    }
    if (flags & ACK) return back({ seq: ack, ack: 0, flags: RST });
    return back({ seq: 0, ack: (seq + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0, flags: RST | ACK });
  }

  return net;
}
