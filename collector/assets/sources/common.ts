// What every integration source file shares: turning one device object of an
// API export into an evidence record (facts as plain data, a stable id), and
// the facts every source maps to (host.*, os.*, hw.*, integration.*) into
// fingerprint candidates with the product's name as their source.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { SextantError } from '../../../shared/errors.ts';
import type { Evidence, FingerprintCandidate } from '../../../shared/types.ts';

/** The sources `sextant import --source` knows, and the product names users see (`fp.os.source`). */
export const INTEGRATION_PRODUCTS: Record<string, string> = { intune: 'Intune', crowdstrike: 'CrowdStrike', azuread: 'Azure AD' };

export interface ImportContext {
  source: string;
  site: string;
  file: string;
  /** When the import ran: observedAt for devices without a usable time. */
  now: string;
}

/** A device object, read defensively: every getter returns a trimmed string or undefined. */
export class DeviceFields {
  constructor(readonly raw: Record<string, unknown>, readonly where: { file: string; field: string }) {}
  str(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') throw new SextantError('IMPORT_SOURCE_INVALID', `must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}`, { file: this.where.file, field: `${this.where.field}.${name}` });
    const t = v.trim();
    return t === '' ? undefined : t.slice(0, 1024);
  }
  required(name: string): string {
    const v = this.str(name);
    if (v === undefined) throw new SextantError('IMPORT_SOURCE_INVALID', 'is missing: every device needs its id', { file: this.where.file, field: `${this.where.field}.${name}` });
    return v;
  }
  time(name: string): string | undefined {
    const v = this.str(name);
    if (!v) return undefined;
    const ms = Date.parse(v);
    // Graph says 0001-01-01T00:00:00Z for "never".
    if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1)) return undefined;
    return new Date(ms).toISOString();
  }
}

/** `AABBCCDDEEFF`, `aa-bb-cc-dd-ee-ff`, `aa:bb:...` -> `aa:bb:cc:dd:ee:ff`; anything else undefined. */
export function macOf(value: string | undefined): string | undefined {
  const hex = value?.replace(/[-:.\s]/g, '').toLowerCase();
  if (!hex || !/^[0-9a-f]{12}$/.test(hex) || /^0+$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

/** Facts without the undefined ones. */
export function facts(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/**
 * One evidence record per device. The id hashes the source, the device's own
 * id and the whole record as exported, so re-importing the same export is a
 * no-op and a changed device is new evidence.
 */
export function deviceEvidence(ctx: ImportContext, deviceId: string, observedAt: string | undefined, f: Record<string, string>, ip?: string): Evidence {
  const id = createHash('sha256').update(JSON.stringify([ctx.source, ctx.site, deviceId, observedAt ?? '', f, ip ?? ''])).digest('hex');
  const at = observedAt && observedAt <= ctx.now ? observedAt : ctx.now;
  return {
    id: `${ctx.source}:${id.slice(0, 40)}`,
    agentId: `import:${ctx.source}`,
    site: ctx.site,
    target: { ip: ip && isIP(ip) ? ip : '' },
    probe: ctx.source,
    observedAt: at,
    facts: f,
  };
}

/** The `value` array of a Graph list (`{value:[...]}`) or CrowdStrike's `resources`. */
export function deviceList(parsed: unknown, property: 'value' | 'resources', file: string, product: string): Array<Record<string, unknown>> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SextantError('IMPORT_SOURCE_INVALID', `expected a ${product} export: one JSON object with a "${property}" array`, { file });
  }
  const list = (parsed as Record<string, unknown>)[property];
  if (!Array.isArray(list)) throw new SextantError('IMPORT_SOURCE_INVALID', `expected a "${property}" array of devices (the ${product} API's response)`, { file, field: property });
  list.forEach((d, i) => {
    if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new SextantError('IMPORT_SOURCE_INVALID', 'each device must be an object', { file, field: `${property}[${i}]` });
  });
  return list as Array<Record<string, unknown>>;
}

/** `os.vendor`/`os.product`/`os.family`/`os.version`, `hw.*`, `host.type`: the integration's claims. */
export function candidatesFromFacts(f: Record<string, string>, product: string, certainty: number, evidenceId: string, ref: string): FingerprintCandidate[] {
  const out: FingerprintCandidate[] = [];
  const group = (prefix: string) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(f)) if (k.startsWith(prefix)) attrs[k.slice(prefix.length)] = v;
    return attrs;
  };
  const os = group('os.');
  const match = `${product} device ${ref}`;
  const base = { source: product, match, rule: `${product}:${ref}`, evidenceId };
  if (Object.keys(os).length > 0) out.push({ category: 'os', attributes: os, certainty, ...base });
  const hw = group('hw.');
  if (Object.keys(hw).length > 0) out.push({ category: 'hw', attributes: hw, certainty, ...base });
  if (f['host.type']) out.push({ category: 'type', attributes: { type: f['host.type'] }, certainty, ...base });
  return out;
}

/** "Windows" + "10.0.19045.3570" -> Microsoft Windows; iOS/macOS -> Apple; Android -> Google. */
export function osFacts(name: string | undefined, version: string | undefined): Record<string, string | undefined> {
  if (!name) return {};
  const n = name.toLowerCase();
  const vendor = n.startsWith('windows') ? 'Microsoft' : /^(ios|ipados|macos|mac os|mac)$/.test(n) || n.startsWith('mac') ? 'Apple' : n.startsWith('android') ? 'Google' : undefined;
  const product = n === 'mac' ? 'macOS' : name;
  const family = n.startsWith('windows') ? 'Windows' : n === 'ios' || n === 'ipados' ? 'iOS' : n.startsWith('mac') ? 'Mac OS X' : n.startsWith('android') ? 'Android' : n.includes('linux') ? 'Linux' : undefined;
  return { 'os.vendor': vendor, 'os.product': product, 'os.family': family, 'os.version': version };
}
