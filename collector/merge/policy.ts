// The merge policy as data: per source, which keys may find an asset and
// which conflicting keys break such a match. The defaults below are the
// decisions; a configuration file may override any of it per source, with
// runZero's flags (`no-mac-break`, `no-id-match`, ...) or rule by rule.
import { SextantError } from '../../shared/errors.ts';
import { IDENTITY_KINDS, type IdentityKind, type KeyRule, type MergePolicy, type SourcePolicy } from './types.ts';

const NAMES: IdentityKind[] = ['smb_name', 'netbios_name', 'mdns_name', 'hostname'];
const STRONG_IDS: IdentityKind[] = ['serial', 'integration_id'];

function rules(entries: Array<[IdentityKind[], KeyRule]>): SourcePolicy {
  const out: SourcePolicy = {};
  for (const [kinds, rule] of entries) for (const k of kinds) out[k] = { match: rule.match, breakOn: [...rule.breakOn] };
  return out;
}

/**
 * What an active scan (Sextant's agents, an Nmap import) may match on.
 * - MAC (burned-in only), serial, integration id: strong, broken only by another serial/id.
 * - SSH host key: strong and NOT broken by differing MACs, so a multi-homed host is one asset.
 * - TLS certificate: only while it identifies one host: broken by any other strong key,
 *   and once broken it is marked shared (a vendor default certificate) and never matches again.
 * - Names: inside their site only, broken by any differing strong key.
 * - IP: the weak key, inside its site, for addresses that answered; a different burned-in
 *   MAC or SSH host key at the address means another device (DHCP) and breaks it.
 */
const SCAN: SourcePolicy = rules([
  [['integration_id', 'serial'], { match: true, breakOn: [] }],
  [['mac', 'ssh_hostkey'], { match: true, breakOn: STRONG_IDS }],
  [['tls_cert'], { match: true, breakOn: ['mac', 'ssh_hostkey', ...STRONG_IDS] }],
  [NAMES, { match: true, breakOn: ['mac', 'ssh_hostkey', ...STRONG_IDS] }],
  [['ip'], { match: true, breakOn: ['mac', 'ssh_hostkey', ...STRONG_IDS] }],
]);

/**
 * MDM/EDR sources: a stable device id; serials and MACs from the device itself.
 * Their IPs are secondary (self-reported, never answered a probe): recorded, not matched.
 */
const MANAGED: SourcePolicy = rules([
  [['integration_id'], { match: true, breakOn: ['serial'] }],
  [['serial'], { match: true, breakOn: [] }],
  [['mac'], { match: true, breakOn: ['serial'] }],
  [NAMES, { match: true, breakOn: ['mac', 'serial', 'integration_id'] }],
  [['ip', 'ssh_hostkey', 'tls_cert'], { match: false, breakOn: [] }],
]);

/** Entra/Azure AD knows no serials or MACs: its device id (which Intune also reports) and the name. */
const DIRECTORY: SourcePolicy = rules([
  [['integration_id'], { match: true, breakOn: [] }],
  [NAMES, { match: true, breakOn: ['mac', 'serial', 'integration_id'] }],
  [['ip', 'mac', 'serial', 'ssh_hostkey', 'tls_cert'], { match: false, breakOn: [] }],
]);

export const DEFAULT_POLICY: MergePolicy = {
  sources: { default: SCAN, sextant: SCAN, nmap: SCAN, intune: MANAGED, crowdstrike: MANAGED, azuread: DIRECTORY },
};

/** The rules of one source; unknown sources behave like `default`. */
export function sourcePolicy(policy: MergePolicy, source: string): SourcePolicy {
  return policy.sources[source] ?? policy.sources.default ?? SCAN;
}

// runZero's dimensions, and ours besides.
const FLAG_KINDS: Record<string, IdentityKind[]> = {
  id: ['integration_id'],
  mac: ['mac'],
  ip: ['ip'],
  name: NAMES,
  serial: ['serial'],
  ssh: ['ssh_hostkey'],
  tls: ['tls_cert'],
};

function policyError(field: string, detail: string, file?: string): SextantError {
  return new SextantError('MERGE_POLICY_INVALID', detail, { ...(file ? { file } : {}), field });
}

/**
 * Applies a configuration's `mergePolicy` over the defaults:
 * `{ "intune": { "flags": ["no-mac-break"], "keys": { "hostname": { "match": false } } } }`.
 * `no-X-match` stops X finding assets; `no-X-break` stops X conflicts refusing a match.
 */
export function loadPolicy(config: unknown, file?: string, base: MergePolicy = DEFAULT_POLICY): MergePolicy {
  const out: MergePolicy = { sources: {} };
  for (const [s, p] of Object.entries(base.sources)) out.sources[s] = structuredClone(p);
  if (config === undefined) return out;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw policyError('mergePolicy', 'must be an object of sources', file);
  for (const [source, raw] of Object.entries(config as Record<string, unknown>)) {
    const at = `mergePolicy.${source}`;
    if (!/^[a-z0-9_-]{1,32}$/.test(source)) throw policyError(at, 'source names are lower-case words', file);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw policyError(at, 'must be an object {flags?, keys?}', file);
    const target: SourcePolicy = out.sources[source] ?? structuredClone(sourcePolicy(out, 'default'));
    out.sources[source] = target;
    for (const key of Object.keys(raw)) if (key !== 'flags' && key !== 'keys') throw policyError(`${at}.${key}`, 'is not a policy field (flags, keys)', file);
    const { flags, keys } = raw as { flags?: unknown; keys?: unknown };
    if (flags !== undefined) {
      if (!Array.isArray(flags)) throw policyError(`${at}.flags`, 'must be an array like ["no-mac-break"]', file);
      flags.forEach((flag, i) => {
        const m = typeof flag === 'string' ? /^no-(\w+)-(match|break)$/.exec(flag) : null;
        const kinds = m ? FLAG_KINDS[m[1]!] : undefined;
        if (!m || !kinds) throw policyError(`${at}.flags[${i}]`, `unknown flag ${JSON.stringify(flag)}; use no-X-match or no-X-break with X one of ${Object.keys(FLAG_KINDS).join(', ')}`, file);
        for (const kind of IDENTITY_KINDS) {
          const rule = target[kind];
          if (!rule) continue;
          if (m[2] === 'match' && kinds.includes(kind)) rule.match = false;
          if (m[2] === 'break') rule.breakOn = rule.breakOn.filter((k) => !kinds.includes(k));
        }
      });
    }
    if (keys !== undefined) {
      if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw policyError(`${at}.keys`, 'must be an object of key kinds', file);
      for (const [kind, rule] of Object.entries(keys as Record<string, unknown>)) {
        const kat = `${at}.keys.${kind}`;
        if (!IDENTITY_KINDS.includes(kind as IdentityKind)) throw policyError(kat, `unknown key kind; one of ${IDENTITY_KINDS.join(', ')}`, file);
        if (typeof rule !== 'object' || rule === null) throw policyError(kat, 'must be {match?: boolean, breakOn?: kinds[]}', file);
        const r = rule as { match?: unknown; breakOn?: unknown };
        const current: KeyRule = target[kind as IdentityKind] ?? { match: false, breakOn: [] };
        if (r.match !== undefined) {
          if (typeof r.match !== 'boolean') throw policyError(`${kat}.match`, 'must be true or false', file);
          current.match = r.match;
        }
        if (r.breakOn !== undefined) {
          if (!Array.isArray(r.breakOn) || !r.breakOn.every((k) => IDENTITY_KINDS.includes(k as IdentityKind))) {
            throw policyError(`${kat}.breakOn`, `must be an array of key kinds (${IDENTITY_KINDS.join(', ')})`, file);
          }
          current.breakOn = [...(r.breakOn as IdentityKind[])];
        }
        target[kind as IdentityKind] = current;
      }
    }
  }
  return out;
}
