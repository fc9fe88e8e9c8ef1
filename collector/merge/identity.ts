// Identity extraction: which facts of an evidence record say which device it
// is. Pure. MACs come through the fingerprint stage's MAC list (OUI-checked),
// everything else from the facts named here.
import { isLocallyAdministered } from '../oui/index.ts';
import type { Asset } from '../assets/types.ts';
import type { IdentityClaim, IdentityKind } from './types.ts';

/**
 * The site of integration records imported without `--site`: they belong to no
 * network, so their names match any site's, and an asset they create takes the
 * first scanned site that sees it as its home.
 */
export const INTEGRATION_SITE = 'integrations';

/** NetBIOS's default workgroup says nothing about which network a name belongs to. */
const NO_DOMAIN = new Set(['workgroup', 'mshome', '']);

/**
 * The identity key of a MAC: the locally-administered bit cleared, as runZero
 * does, so a device that sets the bit on its burned-in address keeps its key.
 */
export function macKey(mac: string): string {
  const first = (parseInt(mac.slice(0, 2), 16) & ~0x02).toString(16).padStart(2, '0');
  return first + mac.slice(2);
}

function name(kind: IdentityKind, raw: string | undefined, domain?: string): IdentityClaim | undefined {
  const v = raw?.trim().toLowerCase().replace(/\.$/, '');
  if (!v || v.length > 255) return undefined;
  const d = domain?.trim().toLowerCase();
  return { kind, value: v, ...(d && !NO_DOMAIN.has(d) ? { domain: d } : {}) };
}

function add(out: IdentityClaim[], c: IdentityClaim | undefined): void {
  if (c && !out.some((x) => x.kind === c.kind && x.value === c.value)) out.push(c);
}

/**
 * Identity facts a probe or an integration record may carry:
 *  - `ssh.hostkey.sha256` (ssh probe), `tls.cert.sha256` (tls/https probes)
 *  - `netbios.name` + `netbios.domain`, `smb.dns_name` + `smb.dns_domain`, `mdns.name`
 *  - `host.serial`, `host.hostname`, `host.domain`, `integration.id` (integrations;
 *    `integration.ids` holds more, newline separated)
 */
export function identitiesOfFacts(facts: Record<string, string>, fromIntegration = false): IdentityClaim[] {
  const out: IdentityClaim[] = [];
  const hostkey = facts['ssh.hostkey.sha256']?.trim();
  if (hostkey && hostkey.length <= 128) add(out, { kind: 'ssh_hostkey', value: hostkey });
  const cert = facts['tls.cert.sha256']?.trim().toLowerCase();
  if (cert && /^[0-9a-f]{64}$/.test(cert)) add(out, { kind: 'tls_cert', value: cert });
  add(out, name('netbios_name', facts['netbios.name'], facts['netbios.domain']));
  add(out, name('smb_name', facts['smb.dns_name'], facts['smb.dns_domain']));
  add(out, name('mdns_name', facts['mdns.name']));
  add(out, name('hostname', facts['host.hostname'], facts['host.domain']));
  const serial = facts['host.serial']?.trim();
  // Placeholders firmware writes when it has no serial are not identities.
  if (serial && serial.length <= 128 && !/^(0+|none|unknown|default string|to be filled by o\.e\.m\.|system serial number|n\/a|-)$/i.test(serial)) {
    add(out, { kind: 'serial', value: serial.toUpperCase() });
  }
  // Only an integration's own records speak for its ids: an agent cannot claim `intune:<id>`.
  if (fromIntegration) for (const id of [facts['integration.id'], ...(facts['integration.ids']?.split('\n') ?? [])]) {
    const v = id?.trim();
    if (v && v.length <= 256 && v.includes(':')) add(out, { kind: 'integration_id', value: v.toLowerCase() });
  }
  return out;
}

export function macClaim(mac: string): IdentityClaim {
  return isLocallyAdministered(mac) ? { kind: 'mac', value: mac, randomized: true } : { kind: 'mac', value: mac };
}

/**
 * The short host name a name key compares: `web01` for `WEB01`, `web01.corp.example`
 * and `web01.local`, so NetBIOS, SMB, mDNS and an MDM's device name meet.
 */
export function shortName(value: string): string {
  const dot = value.indexOf('.');
  return dot === -1 ? value : value.slice(0, dot);
}

export const NAME_KINDS: ReadonlySet<IdentityKind> = new Set(['smb_name', 'netbios_name', 'mdns_name', 'hostname']);
/** Keys that only ever match inside one site (scans see other sites' private addresses and names). */
export const SITE_SCOPED: ReadonlySet<IdentityKind> = new Set(['ip', 'smb_name', 'netbios_name', 'mdns_name', 'hostname']);

/**
 * The index key of a claim. Site-scoped kinds carry their site; names compare
 * by short name. `site` undefined (an integration record without a site) gives `*`.
 */
export function indexKey(kind: IdentityKind, value: string, site: string | undefined): string {
  if (kind === 'mac') return `mac:${macKey(value)}`;
  if (NAME_KINDS.has(kind)) return `name:${site ?? '*'}|${shortName(value)}`;
  if (kind === 'ip') return `ip:${site ?? '*'}|${value}`;
  return `${kind}:${value}`;
}

/** Every index key an asset holds: its identities (randomized MACs aside) and its answered addresses. */
export function assetIndexKeys(asset: Asset): string[] {
  const out: string[] = [];
  if (asset.identities === undefined) {
    for (const m of asset.macs) if (!isLocallyAdministered(m.mac)) out.push(indexKey('mac', m.mac, undefined));
  }
  for (const i of asset.identities ?? []) {
    if (i.randomized || i.kind === 'ip') continue;
    if (NAME_KINDS.has(i.kind)) {
      if (i.site) out.push(indexKey(i.kind, i.value, i.site));
      out.push(indexKey(i.kind, i.value, undefined));
    } else out.push(indexKey(i.kind, i.value, undefined));
  }
  for (const a of asset.addresses) out.push(indexKey('ip', a.address, a.site ?? asset.site));
  for (const p of asset.pins ?? []) out.push(`pin:${p}`);
  return out;
}
