// What `sextant scan` prints: an inventory table for people, or with --json
// the assets as the collector publishes them (fp.* keys, normalized
// attributes, services).
import type { AssetView, ServiceView } from '../../collector/assets/index.ts';

export interface TableOptions {
  /** Wrap nothing and cut nothing when undefined; otherwise cut cells to fit. */
  width?: number;
}

/**
 * Banners and names come from the network: a hostile device could put terminal
 * escape sequences in them. Control characters are shown, never sent.
 */
export function safeText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => (c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** `tcp/22 ssh OpenSSH 9.2p1`, `tcp/80 http Apache HTTPD 2.4.57`. */
export function serviceLine(s: ServiceView): string {
  // Recog names Apache's server "HTTPD" with family "Apache": say both.
  const family = s.attributes['fp.service.family'];
  const product = family && s.product && !s.product.toLowerCase().includes(family.toLowerCase()) ? `${family} ${s.product}` : s.product;
  const what = [product, s.version].filter(Boolean).join(' ');
  return safeText([`${s.transport}/${s.port}`, s.protocol, what].filter(Boolean).join(' '));
}

function macCell(a: AssetView): string {
  const mac = a.macs[0];
  if (!mac) return '';
  const vendor = a.mac_vendors[0];
  return safeText(vendor ? `${mac} (${vendor})` : mac);
}

function osCell(a: AssetView): string {
  return safeText([a.os, a.os_version].filter(Boolean).join(' '));
}

function cut(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

const HEADERS = ['ADDRESS', 'MAC (VENDOR)', 'OS', 'HW', 'TYPE', 'SERVICES'];
const GAP = '  ';

/**
 * One row per asset, one line per service (a multi-homed asset lists every
 * address on its first line). Sorted by address; ends with a count line.
 */
export function renderInventoryTable(assets: AssetView[], options: TableOptions = {}): string {
  const sorted = [...assets].sort((a, b) => compareFirstAddress(a.addresses[0] ?? '', b.addresses[0] ?? ''));
  const rows: string[][] = [];
  for (const a of sorted) {
    const services = a.services.map(serviceLine);
    const first = [safeText(a.addresses.join(', ')), macCell(a), osCell(a), safeText(a.hw ?? ''), safeText(a.type ?? ''), services[0] ?? ''];
    rows.push(first);
    for (const s of services.slice(1)) rows.push(['', '', '', '', '', s]);
  }
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  if (options.width !== undefined) {
    // Shrink the widest columns first until the line fits; never below the header.
    const total = () => widths.reduce((n, w) => n + w, 0) + GAP.length * (widths.length - 1);
    while (total() > options.width) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= HEADERS[widest]!.length) break;
      widths[widest]!--;
    }
  }
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? cut(c, widths[i]) : cut(c, widths[i]).padEnd(widths[i]!))).join(GAP).trimEnd();
  const services = assets.reduce((n, a) => n + a.services.length, 0);
  const out = [line(HEADERS), ...rows.map(line), '', `${assets.length} asset${assets.length === 1 ? '' : 's'}, ${services} service${services === 1 ? '' : 's'}`];
  return `${out.join('\n')}\n`;
}

function compareFirstAddress(a: string, b: string): number {
  const v4 = (s: string) => (/^\d+\.\d+\.\d+\.\d+$/.test(s) ? s.split('.').reduce((n, o) => n * 256 + Number(o), 0) : undefined);
  const x = v4(a);
  const y = v4(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return a.localeCompare(b);
}

/** The `--json` output: an array of assets, two-space indented, newline-terminated. */
export function renderInventoryJson(assets: AssetView[]): string {
  return `${JSON.stringify(assets, null, 2)}\n`;
}
