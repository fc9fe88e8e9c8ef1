// Reads mDNS / DNS-SD answers (as multicast-dns decodes them) into the host name, services and TXT facts.
// Follows RFC 6762 (mDNS), RFC 6763 (DNS-SD: TXT strings 6.1-6.4, service enumeration 9) and RFC 1035 3.3.14.
import { text } from './bytes.ts';

/** The part of a decoded resource record this parser reads. */
export interface MdnsRecord {
  name: string;
  type: string;
  data?: unknown;
}

export interface MdnsFacts {
  /** The host's own name ("nas.local"), from a reverse-address PTR or an A/AAAA owner. */
  hostname?: string;
  /** Service types the host announced ("_smb._tcp.local"). */
  services: string[];
  /** mdns.device-info.txt: the TXT strings of <host>._device-info._tcp.local, one per line. */
  deviceInfo?: string;
  deviceInfoBytes?: Uint8Array;
}

const MAX_STRINGS = 64;

/** TXT data as multicast-dns gives it (one Buffer or an array of them): each character-string as text. */
export function txtData(data: unknown): { strings: string[]; bytes: Uint8Array[] } {
  const list = Array.isArray(data) ? data : [data];
  const bytes = list.filter((b): b is Uint8Array => b instanceof Uint8Array && b.length > 0).slice(0, MAX_STRINGS);
  return { strings: bytes.map((b) => text(b)), bytes };
}

export function mdnsFacts(records: readonly MdnsRecord[]): MdnsFacts {
  const out: MdnsFacts = { services: [] };
  for (const r of records) {
    if (!r || typeof r.name !== 'string' || typeof r.type !== 'string') continue;
    const name = r.name.toLowerCase();
    if (r.type === 'PTR' && typeof r.data === 'string') {
      if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) out.hostname ??= r.data;
      else if (name === '_services._dns-sd._udp.local' && !out.services.includes(r.data)) out.services.push(r.data);
    } else if ((r.type === 'A' || r.type === 'AAAA') && name.endsWith('.local')) {
      out.hostname ??= r.name;
    } else if (r.type === 'TXT' && name.endsWith('._device-info._tcp.local') && out.deviceInfo === undefined) {
      const t = txtData(r.data);
      if (t.strings.length > 0) {
        // One string per line: Recog's ^ and $ anchor at lines, so each key=value matches alone.
        out.deviceInfo = t.strings.join('\n');
        out.deviceInfoBytes = Buffer.concat(t.bytes.flatMap((b, i) => (i ? [Buffer.from('\n'), b] : [b])));
      }
    }
  }
  return out;
}

/** "<host>._device-info._tcp.local" for a host name such as "nas.local". */
export function deviceInfoName(hostname: string): string {
  return `${hostname.replace(/\.local\.?$/i, '')}._device-info._tcp.local`;
}

/** The reverse-mapping name of an address ("4.3.2.1.in-addr.arpa"). */
export function reverseName(ip: string): string | undefined {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4) return `${v4[4]}.${v4[3]}.${v4[2]}.${v4[1]}.in-addr.arpa`;
  return undefined;
}
