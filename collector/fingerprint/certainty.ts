// Certainty ranking: every matcher's claims become candidates; per category the
// most certain wins, a custom fingerprint winning ties (architecture.md).
import type { FingerprintCandidate, FingerprintCategory } from '../../shared/types.ts';
import type { RecogDb, RecogFingerprint } from './recog/load.ts';
import type { RecogResult } from './recog/match.ts';

/** Ruby Recog's DEFAULT_OS_CERTAINTY / DEFAULT_SERVICE_CERTAINTY, used for hw too. */
export const RECOG_DEFAULT_CERTAINTY = 0.85;

export const ENGINE_BUILD = 'sextant-0.1.0';

const RECOG_CATEGORIES = ['os', 'hw', 'service'] as const;

function certaintyOf(value: string | null | undefined): number {
  if (value == null || value === '') return RECOG_DEFAULT_CERTAINTY;
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : RECOG_DEFAULT_CERTAINTY;
}

/** The candidates one Recog match claims: os, hw, service and a device type. */
export function candidatesFromRecog(
  result: RecogResult,
  fp: Pick<RecogFingerprint, 'description' | 'line'>,
  db: Pick<RecogDb, 'key' | 'file' | 'custom'>,
  evidenceId?: string,
): FingerprintCandidate[] {
  const out: FingerprintCandidate[] = [];
  const rule = `${db.file.split('/').pop()}:${fp.line}`;
  const base = { source: `recog:${db.key}`, match: fp.description, rule, custom: db.custom, ...(evidenceId ? { evidenceId } : {}) };
  for (const category of RECOG_CATEGORIES) {
    const attributes: Record<string, string> = {};
    const prefix = `${category}.`;
    for (const [k, v] of Object.entries(result)) {
      if (!k.startsWith(prefix) || v == null || v === '' || k === `${category}.certainty`) continue;
      attributes[k.slice(prefix.length)] = v;
    }
    const substantive = Object.keys(attributes).some((k) => k !== 'protocol');
    if (!substantive) continue;
    const certainty = certaintyOf(result[`${category}.certainty`]);
    // Certainty 0 is Recog's "assert nothing".
    if (certainty <= 0) continue;
    out.push({ category, attributes, certainty, ...base });
  }
  const device = result['hw.device'] ?? result['os.device'];
  if (device) {
    const certainty = certaintyOf(result['hw.device'] ? result['hw.certainty'] : result['os.certainty']);
    if (certainty > 0) out.push({ category: 'type', attributes: { type: device }, certainty, ...base });
  }
  return out;
}

/**
 * The winner per category: highest certainty; on a tie a custom fingerprint
 * over a built-in one, then the more specific claim (more attributes: "Debian
 * Linux 12.0" from an SSH banner over a bare "Linux" from an SNMP sysDescr),
 * then the first seen.
 */
export function rankCandidates(candidates: FingerprintCandidate[]): Partial<Record<FingerprintCategory, FingerprintCandidate>> {
  const winners: Partial<Record<FingerprintCategory, FingerprintCandidate>> = {};
  for (const c of candidates) {
    const best = winners[c.category];
    if (!best || beats(c, best)) winners[c.category] = c;
  }
  return winners;
}

function beats(c: FingerprintCandidate, best: FingerprintCandidate): boolean {
  if (c.certainty !== best.certainty) return c.certainty > best.certainty;
  if (Boolean(c.custom) !== Boolean(best.custom)) return Boolean(c.custom);
  return Object.keys(c.attributes).length > Object.keys(best.attributes).length;
}

export interface FingerprintSummary {
  /** `fp.<category>.<attribute>` keys and `fp.build`. */
  fp: Record<string, string>;
  os?: string;
  os_version?: string;
  hw?: string;
  type?: string;
}

function joinVendor(vendor: string | undefined, product: string | undefined): string | undefined {
  if (!product) return vendor;
  if (!vendor || product.toLowerCase().startsWith(vendor.toLowerCase())) return product;
  return `${vendor} ${product}`;
}

/** The asset's fp.* keys and normalized attributes from the winners. */
export function summarize(winners: Partial<Record<FingerprintCategory, FingerprintCandidate>>): FingerprintSummary {
  const fp: Record<string, string> = { 'fp.build': ENGINE_BUILD };
  for (const [category, c] of Object.entries(winners) as Array<[FingerprintCategory, FingerprintCandidate]>) {
    for (const [k, v] of Object.entries(c.attributes)) fp[`fp.${category}.${k}`] = v;
    fp[`fp.${category}.certainty`] = String(c.certainty);
    fp[`fp.${category}.source`] = c.source;
    fp[`fp.${category}.match`] = c.match;
    fp[`fp.${category}.rule`] = c.rule;
  }
  const out: FingerprintSummary = { fp };
  const os = winners.os?.attributes;
  if (os) {
    const name = joinVendor(os.vendor, os.product ?? os.family);
    if (name) out.os = name;
    if (os.version) out.os_version = os.version;
  }
  const hw = winners.hw?.attributes;
  if (hw) {
    const name = joinVendor(hw.vendor, hw.product ?? hw.model ?? hw.family);
    if (name) out.hw = name;
  }
  if (winners.type?.attributes.type) out.type = winners.type.attributes.type;
  return out;
}
