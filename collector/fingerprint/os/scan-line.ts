// Writes the SCAN pseudo-test that opens a subject print (Nmap's WriteSInfo;
// nmap-os-detection.md §3 "SCAN pseudo-test").
import type { FingerprintTest } from './types.ts';

export interface ScanInfo {
  /** V: the engine version the print claims; Sextant emulates Nmap 7.93. */
  version?: string;
  /** Unix time of the scan, in seconds (D and TM; D uses UTC). */
  time: number;
  openTcpPort?: number;
  closedTcpPort?: number;
  closedUdpPort?: number;
  /** The target's IPv4 address, for PV. */
  target: string;
  distance?: number;
  /** L localhost, D directly connected, I from U1, T traceroute. */
  distanceMethod?: 'L' | 'D' | 'I' | 'T';
  /** G: the print is ideal (no non-ideal reasons). */
  good: boolean;
  /** Target MAC address (`aa:bb:cc:dd:ee:ff`), when known. */
  mac?: string;
  /** P: platform triple. */
  platform?: string;
}

/** PV: RFC 1918 and link-local (169.254/16) addresses count as private. */
export function isPrivateIpv4(address: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(address);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

export function scanTest(info: ScanInfo): FingerprintTest {
  const date = new Date(info.time * 1000);
  const attrs: Array<[string, string]> = [
    ['V', info.version ?? '7.93'],
    ['E', '4'],
    ['D', `${date.getUTCMonth() + 1}/${date.getUTCDate()}`],
    ['OT', info.openTcpPort === undefined ? '' : String(info.openTcpPort)],
    ['CT', info.closedTcpPort === undefined ? '' : String(info.closedTcpPort)],
    ['CU', info.closedUdpPort === undefined ? '' : String(info.closedUdpPort)],
    ['PV', isPrivateIpv4(info.target) ? 'Y' : 'N'],
  ];
  if (info.distance !== undefined) attrs.push(['DS', String(info.distance)]);
  if (info.distanceMethod !== undefined) attrs.push(['DC', info.distanceMethod]);
  attrs.push(['G', info.good ? 'Y' : 'N']);
  const mac = info.mac?.split(/[:-]/);
  if (mac && mac.length === 6) attrs.push(['M', mac.slice(0, 3).map((x) => x.toUpperCase().padStart(2, '0')).join('')]);
  attrs.push(['TM', Math.trunc(info.time).toString(16).toUpperCase()], ['P', info.platform ?? 'x86_64-pc-linux-gnu']);
  return { name: 'SCAN', attributes: attrs.map(([name, value]) => ({ name, value })) };
}
