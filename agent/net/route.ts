// Where a target sits as seen from this host: the source address the kernel
// would use for it, whether it is this host, whether it is on a directly
// connected link (Linux /proc/net/route, /proc/net/arp; proc(5)), and its MAC.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export interface TargetRoute {
  /** Our address on the path to the target (checksums cover it). */
  source: string;
  /** The target is one of this host's addresses (Nmap's DC=L, distance 0). */
  localhost: boolean;
  /** On a link of ours with no gateway in between (Nmap's DC=D, distance 1). */
  directlyConnected: boolean;
}

/**
 * The source address for `dst`. Connecting a UDP socket only asks the kernel
 * for a route; no packet is sent.
 */
export function sourceAddressFor(dst: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(9, dst, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

export function isOwnAddress(address: string): boolean {
  if (address.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.family === 'IPv4' && i.address === address));
}

const toNumber = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** /proc/net/route stores addresses as little-endian hex. */
function procAddress(hex: string): number {
  const v = parseInt(hex, 16) >>> 0;
  return (((v & 0xff) << 24) | (((v >>> 8) & 0xff) << 16) | (((v >>> 16) & 0xff) << 8) | (v >>> 24)) >>> 0;
}

const RTF_GATEWAY = 0x0002;
const RTF_REJECT = 0x0200;

/** Longest-prefix match over the main IPv4 table (`routeTable` is the text of /proc/net/route). */
export function isDirectlyConnected(dst: string, routeTable: string): boolean {
  const target = toNumber(dst) >>> 0;
  let best: { mask: number; direct: boolean } | undefined;
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [, destination, gateway, flags, , , , mask] = f as [string, string, string, string, string, string, string, string];
    const m = procAddress(mask);
    if (((target & m) >>> 0) !== procAddress(destination)) continue;
    const bits = m.toString(2).replace(/0/g, '').length;
    const flagBits = parseInt(flags, 16);
    const direct = (flagBits & RTF_REJECT) === 0 && (flagBits & RTF_GATEWAY) === 0 && procAddress(gateway) === 0;
    if (!best || bits > best.mask) best = { mask: bits, direct };
  }
  return best?.direct ?? false;
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export async function routeTo(dst: string): Promise<TargetRoute> {
  const source = await sourceAddressFor(dst);
  const localhost = isOwnAddress(dst);
  return { source, localhost, directlyConnected: !localhost && isDirectlyConnected(dst, readProc('/proc/net/route')) };
}

/** The target's MAC from the neighbour table (`arpTable` is /proc/net/arp), once resolved. */
export function macFromArpTable(ip: string, arpTable: string): string | undefined {
  for (const line of arpTable.split('\n').slice(1)) {
    const [address, , flags, mac] = line.trim().split(/\s+/);
    if (address === ip && mac && (parseInt(flags ?? '0', 16) & 0x2) !== 0 && mac !== '00:00:00:00:00:00') return mac;
  }
  return undefined;
}

export function neighbourMac(ip: string): string | undefined {
  return macFromArpTable(ip, readProc('/proc/net/arp'));
}
