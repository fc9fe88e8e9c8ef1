// MAC vendor lookup from the IEEE registries as Debian's ieee-data ships them
// (oui.csv MA-L 24-bit, mam.csv MA-M 28-bit, oui36.csv MA-S and iab.csv 36-bit).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SextantError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import type { FingerprintCandidate } from '../../shared/types.ts';

export interface MacVendor {
  /** The organization name as registered. */
  organization: string;
  /** A shorter name for display and the `hw` attribute ("Dell Inc." -> "Dell"). */
  vendor: string;
  /** The registered prefix in hex, upper case, 6, 7 or 9 digits. */
  prefix: string;
  registry: 'MA-L' | 'MA-M' | 'MA-S' | 'IAB';
}

export interface OuiTable {
  lookup(mac: string): MacVendor | undefined;
  /** Registered prefixes loaded, per registry file. */
  readonly sizes: Record<string, number>;
}

/** A MAC vendor is weak evidence: the NIC's maker, often not the device's. */
export const OUI_CERTAINTY = 0.3;

const REGISTRY_FILES: Array<{ file: string; digits: 6 | 7 | 9 }> = [
  { file: 'oui.csv', digits: 6 },
  { file: 'mam.csv', digits: 7 },
  { file: 'oui36.csv', digits: 9 },
  { file: 'iab.csv', digits: 9 },
];

/** `aa:bb:cc:dd:ee:ff` from common spellings (colons, dashes, dots, bare hex), or undefined. */
export function normalizeMac(mac: string): string | undefined {
  const hex = mac.trim().toLowerCase().replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

/** The U/L bit: set on randomized (Wi-Fi privacy, VMs, containers) and other locally assigned MACs. */
export function isLocallyAdministered(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;
}

/** The I/G bit: multicast and broadcast addresses name no device. */
export function isGroupAddress(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0x01) !== 0;
}

// Corporate suffixes that add nothing to "who made this NIC".
const SUFFIX = /[\s,]+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|gmbh|ag|s\.?a|s\.?r\.?l|b\.?v|oy|ab|as|a\/s|kg|plc|pty|pte|k\.?k|technologies|technology|electronics)\.?$/i;

export function shortVendorName(organization: string): string {
  let name = organization.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 4; i++) {
    const next = name.replace(SUFFIX, '').trim();
    if (next === name || next.length < 2) break;
    name = next;
  }
  return name.replace(/[,.]$/, '');
}

/** One CSV line (RFC 4180 quoting) into fields. */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** Parses one registry CSV into prefix -> vendor; lines that are not assignments are skipped. */
export function parseRegistryCsv(text: string, digits: number): Map<string, MacVendor> {
  const table = new Map<string, MacVendor>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('Registry,')) continue;
    const [registry, assignment, organization] = splitCsv(line);
    if (!assignment || !organization || assignment.length !== digits || !/^[0-9A-Fa-f]+$/.test(assignment)) continue;
    const org = organization.trim();
    // "Private" blocks are registered but say nothing about the maker.
    if (!org || org === 'Private') continue;
    table.set(assignment.toUpperCase(), {
      organization: org,
      vendor: shortVendorName(org),
      prefix: assignment.toUpperCase(),
      registry: (registry === 'MA-M' || registry === 'MA-S' || registry === 'IAB' ? registry : 'MA-L'),
    });
  }
  return table;
}

/**
 * Loads `ouiFile` (oui.csv) and, from the same directory, mam.csv, oui36.csv and
 * iab.csv when present. Throws CONFIG_INVALID naming the file when oui.csv is unreadable.
 */
export function loadOuiTable(ouiFile: string, logger?: Logger): OuiTable {
  const dir = dirname(ouiFile);
  const tables = new Map<number, Map<string, MacVendor>>();
  const sizes: Record<string, number> = {};
  for (const { file, digits } of REGISTRY_FILES) {
    const path = file === 'oui.csv' ? ouiFile : join(dir, file);
    if (file !== 'oui.csv' && !existsSync(path)) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new SextantError('CONFIG_INVALID', `cannot read the IEEE OUI registry (Debian: apt-get install ieee-data): ${(err as Error).message}`, { file: path, field: 'ouiFile' }, err);
    }
    const parsed = parseRegistryCsv(text, digits);
    const into = tables.get(digits) ?? new Map<string, MacVendor>();
    for (const [k, v] of parsed) into.set(k, v);
    tables.set(digits, into);
    sizes[file] = parsed.size;
  }
  logger?.info({ file: ouiFile, sizes }, 'loaded IEEE MAC vendor registries');
  return {
    sizes,
    lookup(mac) {
      const normalized = normalizeMac(mac);
      if (!normalized || isLocallyAdministered(normalized) || isGroupAddress(normalized)) return undefined;
      const hex = normalized.replace(/:/g, '').toUpperCase();
      // Longest registered prefix first: an MA-S block sits inside an IEEE-owned MA-L.
      return tables.get(9)?.get(hex.slice(0, 9)) ?? tables.get(7)?.get(hex.slice(0, 7)) ?? tables.get(6)?.get(hex.slice(0, 6));
    },
  };
}

/** For services: the table, or undefined with one warning saying why vendors are off. */
export function tryLoadOuiTable(ouiFile: string, logger: Logger): OuiTable | undefined {
  try {
    return loadOuiTable(ouiFile, logger);
  } catch (err) {
    logger.warn({ file: ouiFile, err }, `MAC vendor lookup disabled: ${(err as Error).message}`);
    return undefined;
  }
}

/** The `hw` claim a MAC vendor makes, deliberately weaker than any banner's. */
export function ouiCandidate(vendor: MacVendor, evidenceId?: string): FingerprintCandidate {
  return {
    category: 'hw',
    attributes: { vendor: vendor.vendor },
    certainty: OUI_CERTAINTY,
    source: 'oui',
    match: vendor.organization,
    rule: `ieee-${vendor.registry}:${vendor.prefix}`,
    ...(evidenceId === undefined ? {} : { evidenceId }),
  };
}
