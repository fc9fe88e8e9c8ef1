// The public face of an asset (NATS bodies, `assets()`, `scan --json`) and
// "what changed" between two versions of it. Pure.
import type { Asset, AssetChange, AssetView, ServiceRecord, ServiceView } from './types.ts';

function compareAddresses(a: string, b: string): number {
  const v4 = (s: string) => (s.includes(':') ? undefined : s.split('.').reduce((n, o) => n * 256 + Number(o), 0));
  const x = v4(a);
  const y = v4(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return a.localeCompare(b);
}

export function serviceView(s: ServiceRecord): ServiceView {
  return {
    address: s.address,
    transport: s.transport,
    port: s.port,
    ...(s.protocol === undefined ? {} : { protocol: s.protocol }),
    ...(s.vendor === undefined ? {} : { vendor: s.vendor }),
    ...(s.product === undefined ? {} : { product: s.product }),
    ...(s.version === undefined ? {} : { version: s.version }),
    ...(s.cpe23 === undefined ? {} : { cpe23: s.cpe23 }),
    ...(s.components.length === 0 ? {} : { components: s.components.map((c) => ({ ...c })) }),
    attributes: { ...s.attributes },
    first_seen: s.first_seen,
    last_seen: s.last_seen,
  };
}

export function assetView(a: Asset): AssetView {
  const macs = [...a.macs].sort((x, y) => y.last_seen.localeCompare(x.last_seen) || x.mac.localeCompare(y.mac));
  return {
    id: a.id,
    site: a.site,
    revision: a.revision,
    first_seen: a.first_seen,
    last_seen: a.last_seen,
    alive: a.alive,
    addresses: a.addresses.map((x) => x.address).sort(compareAddresses),
    macs: macs.map((m) => m.mac),
    mac_vendors: [...new Set(macs.flatMap((m) => (m.vendor ? [m.vendor] : [])))],
    names: [...a.names],
    ...(a.os === undefined ? {} : { os: a.os }),
    ...(a.os_version === undefined ? {} : { os_version: a.os_version }),
    ...(a.hw === undefined ? {} : { hw: a.hw }),
    ...(a.type === undefined ? {} : { type: a.type }),
    attributes: { ...a.attributes },
    services: a.services.map(serviceView),
    agents: [...a.agents],
    evidence_count: a.evidence_count,
    sources: [...(a.sources ?? ['sextant'])],
    sites: [...(a.sites ?? [a.site])],
    identities: (a.identities ?? []).map((i) => ({ kind: i.kind, value: i.value, source: i.source })),
  };
}

/** "OpenSSH 9.2p1 (ssh)": how a service reads in a change record. */
function serviceSummary(s: ServiceRecord): string {
  const what = [s.product, s.version].filter(Boolean).join(' ');
  const proto = s.protocol ?? 'unknown';
  return what ? `${what} (${proto})` : proto;
}

function setChange(field: string, before: string[], after: string[], out: AssetChange[]): void {
  const b = [...before].sort();
  const a = [...after].sort();
  if (b.length === a.length && b.every((x, i) => x === a[i])) return;
  out.push({ field, before: b, after: a });
}

/**
 * What differs between two versions (before undefined: a new asset, so every
 * value is a change). last_seen and evidence counts are left out on purpose:
 * they move on every scan, and an event for each would drown the real changes.
 */
export function diffAssets(before: Asset | undefined, after: Asset): AssetChange[] {
  const out: AssetChange[] = [];
  const scalar = (field: 'os' | 'os_version' | 'hw' | 'type' | 'first_seen') => {
    const b = before?.[field] ?? null;
    const a = after[field] ?? null;
    if (a !== b) out.push({ field, before: b, after: a });
  };
  scalar('first_seen');
  if ((before?.alive ?? null) !== after.alive) out.push({ field: 'alive', before: before?.alive ?? null, after: after.alive });
  scalar('os');
  scalar('os_version');
  scalar('hw');
  scalar('type');
  setChange('addresses', before?.addresses.map((x) => x.address) ?? [], after.addresses.map((x) => x.address), out);
  setChange('macs', before?.macs.map((x) => x.mac) ?? [], after.macs.map((x) => x.mac), out);
  setChange('names', before?.names ?? [], after.names, out);
  if (before && (before.sources !== after.sources || before.sites !== after.sites || before.site !== after.site)) {
    setChange('sources', before.sources ?? ['sextant'], after.sources ?? ['sextant'], out);
    setChange('sites', before.sites ?? [before.site], after.sites ?? [after.site], out);
    if (before.site !== after.site) out.push({ field: 'site', before: before.site, after: after.site });
  }
  // Unchanged claims keep the very same attributes object (see merge.ts), so most merges skip this.
  if (before?.attributes !== after.attributes) {
    const keys = new Set([...Object.keys(before?.attributes ?? {}), ...Object.keys(after.attributes)]);
    for (const key of [...keys].sort()) {
      const b = before?.attributes[key] ?? null;
      const a = after.attributes[key] ?? null;
      if (a !== b) out.push({ field: key, before: b, after: a });
    }
  }
  const serviceKey = (s: ServiceRecord) => `service:${s.address}/${s.transport}/${s.port}`;
  const beforeServices = new Map((before?.services ?? []).map((s) => [serviceKey(s), s]));
  const seen = new Set<string>();
  for (const s of after.services) {
    const key = serviceKey(s);
    seen.add(key);
    const b = beforeServices.get(key);
    if (b && b.product === s.product && b.version === s.version && b.protocol === s.protocol) continue;
    out.push({ field: key, before: b ? serviceSummary(b) : null, after: serviceSummary(s) });
  }
  for (const [key, b] of beforeServices) if (!seen.has(key)) out.push({ field: key, before: serviceSummary(b), after: null });
  return out;
}
