// What `sextant export` writes, one asset at a time so nothing needs the whole
// inventory in memory: JSON (one array), JSONL, CSV (fp.* keys as columns) and
// Nmap XML (nmap.dtd) for tools that read Nmap's -oX files. Pure.
import type { SearchableAsset } from '../../collector/search/index.ts';
import { serviceLine } from './scan-output.ts';

export const EXPORT_FORMATS = ['json', 'jsonl', 'csv', 'nmap-xml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportWriter {
  head(): string;
  asset(a: SearchableAsset): string;
  tail(): string;
}

// ---- JSON / JSONL -------------------------------------------------------

/** The same bytes JSON.stringify(array, null, 2) would give, written one element at a time. */
export function jsonWriter(): ExportWriter {
  let n = 0;
  return {
    head: () => '[',
    asset: (a) => `${n++ === 0 ? '\n' : ',\n'}${JSON.stringify(a, null, 2).replace(/^/gm, '  ')}`,
    tail: () => (n === 0 ? ']\n' : '\n]\n'),
  };
}

export function jsonlWriter(): ExportWriter {
  return { head: () => '', asset: (a) => `${JSON.stringify(a)}\n`, tail: () => '' };
}

// ---- CSV ----------------------------------------------------------------

export const CSV_FIXED = ['id', 'site', 'alive', 'first_seen', 'last_seen', 'addresses', 'macs', 'mac_vendors', 'names', 'os', 'os_version', 'hw', 'type', 'sources', 'sites', 'agents', 'service_count', 'tcp_ports', 'udp_ports', 'services'] as const;

/**
 * RFC 4180 quoting. A cell that a spreadsheet would run as a formula (=, +,
 * -, @, tab, CR first) gets a leading apostrophe: names and banners come from
 * the network (decided; JSON and JSONL keep values untouched).
 */
export function csvCell(value: string): string {
  const v = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

const join = (xs: readonly (string | number)[]) => xs.join('; ');

/** `keys`: the fp.* columns (lower case), known before the first row. */
export function csvWriter(keys: string[]): ExportWriter {
  return {
    head: () => `${[...CSV_FIXED, ...keys].map(csvCell).join(',')}\r\n`,
    asset(a) {
      const attrs = new Map(Object.entries(a.attributes).map(([k, v]) => [k.toLowerCase(), v]));
      const ports = (t: string) => join([...new Set(a.services.filter((s) => s.transport === t).map((s) => s.port))].sort((x, y) => x - y));
      const fixed = [
        a.id, a.site, a.alive ? 'true' : 'false', a.first_seen, a.last_seen, join(a.addresses), join(a.macs), join(a.mac_vendors), join(a.names),
        a.os ?? '', a.os_version ?? '', a.hw ?? '', a.type ?? '', join(a.sources ?? ['sextant']), join(a.sites ?? [a.site]), join(a.agents),
        String(a.services.length), ports('tcp'), ports('udp'), join(a.services.map((s) => `${s.address} ${serviceLine(s)}`)),
      ];
      return `${[...fixed, ...keys.map((k) => attrs.get(k) ?? '')].map(csvCell).join(',')}\r\n`;
    },
    tail: () => '',
  };
}

// ---- Nmap XML -----------------------------------------------------------

/** XML 1.0 cannot carry most control characters at all: they are written as \xNN text. */
export function xmlText(value: string): string {
  return value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

const attr = (name: string, value: string | number | undefined) => (value === undefined || value === '' ? '' : ` ${name}="${xmlText(String(value))}"`);
const seconds = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
};

/**
 * One <host> per address of each asset (Nmap's unit is an address), with that
 * address's services, the asset's MACs and names, and its OS as an osmatch at
 * the winning certainty. The host comment names the Sextant asset.
 */
export function nmapXmlWriter(args: string, now: Date): ExportWriter {
  let up = 0;
  let down = 0;
  const start = Math.floor(now.getTime() / 1000);
  return {
    head: () =>
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n' +
      '<!-- Sextant inventory export in Nmap XML: the assets as Sextant knows them, not one Nmap run -->\n' +
      `<nmaprun scanner="nmap"${attr('args', args)} start="${start}"${attr('startstr', now.toUTCString())} version="sextant-0.1.0" xmloutputversion="1.05" profile_name="sextant">\n` +
      '<verbose level="0"/>\n<debugging level="0"/>\n',
    asset(a) {
      let out = '';
      for (const address of a.addresses) {
        if (a.alive) up++;
        else down++;
        out += `<host starttime="${seconds(a.first_seen)}" endtime="${seconds(a.last_seen)}"${attr('comment', `sextant asset ${a.id} site ${a.site}`)}>`;
        out += `<status state="${a.alive ? 'up' : 'down'}" reason="sextant" reason_ttl="0"/>`;
        out += `<address addr="${xmlText(address)}" addrtype="${address.includes(':') ? 'ipv6' : 'ipv4'}"/>`;
        a.macs.forEach((mac, i) => {
          out += `<address addr="${xmlText(mac.toUpperCase())}" addrtype="mac"${attr('vendor', i === 0 ? a.mac_vendors[0] : undefined)}/>`;
        });
        if (a.names.length > 0) out += `<hostnames>${a.names.map((n) => `<hostname${attr('name', n)} type="user"/>`).join('')}</hostnames>`;
        const services = a.services.filter((s) => s.address === address);
        if (services.length > 0) {
          out += '<ports>';
          for (const s of services) {
            out += `<port protocol="${s.transport}" portid="${s.port}"><state state="open" reason="sextant" reason_ttl="0"/>`;
            const certainty = Number(s.attributes['fp.service.certainty'] ?? '');
            const conf = Number.isFinite(certainty) && s.product ? Math.max(0, Math.min(10, Math.round(certainty * 10))) : 3;
            out += `<service${attr('name', s.protocol ?? 'unknown')}${attr('product', s.product)}${attr('version', s.version)} method="${s.product ? 'probed' : 'table'}" conf="${conf}">`;
            if (s.cpe23) out += `<cpe>${xmlText(cpe22(s.cpe23))}</cpe>`;
            out += '</service></port>';
          }
          out += '</ports>';
        }
        if (a.os) {
          const certainty = Number(a.attributes['fp.os.certainty'] ?? '');
          const accuracy = Number.isFinite(certainty) ? Math.max(0, Math.min(100, Math.round(certainty * 100))) : 0;
          const name = [a.os, a.os_version].filter(Boolean).join(' ');
          const vendor = a.attributes['fp.os.vendor'] ?? a.os.split(' ')[0] ?? a.os;
          const family = a.attributes['fp.os.family'] ?? a.attributes['fp.os.product'] ?? a.os;
          out += `<os><osmatch${attr('name', name)} accuracy="${accuracy}" line="0"><osclass${attr('type', a.type)}${attr('vendor', vendor)}${attr('osfamily', family)}${attr('osgen', a.os_version)} accuracy="${accuracy}"`;
          const cpe = a.attributes['fp.os.cpe23'];
          out += cpe ? `><cpe>${xmlText(cpe22(cpe))}</cpe></osclass>` : '/>';
          out += '</osmatch></os>';
        }
        out += '</host>\n';
      }
      return out;
    },
    tail: () => {
      const end = Math.floor(now.getTime() / 1000);
      return `<runstats><finished time="${end}"${attr('timestr', now.toUTCString())} elapsed="0" summary="${up + down} hosts exported from the Sextant inventory" exit="success"/><hosts up="${up}" down="${down}" total="${up + down}"/></runstats>\n</nmaprun>\n`;
    },
  };
}

/** Nmap writes CPE 2.2 URIs (cpe:/a:openbsd:openssh:9.2p1); Sextant keeps 2.3 strings. */
export function cpe22(cpe23: string): string {
  const m = /^cpe:2\.3:([aho]):(.*)$/.exec(cpe23);
  if (!m) return cpe23;
  const parts = m[2]!.split(':').slice(0, 4);
  while (parts.length > 0 && (parts[parts.length - 1] === '*' || parts[parts.length - 1] === '-')) parts.pop();
  return `cpe:/${m[1]}:${parts.join(':')}`;
}
