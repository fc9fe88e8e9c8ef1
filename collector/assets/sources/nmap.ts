// The fingerprint stage for evidence imported from Nmap XML (probe `nmap`).
// Host records carry the MAC, names, Nmap's raw OS fingerprint and its own
// guesses; port records carry the -sV result. The raw OS fingerprint is
// matched by Sextant's own nmap-os-db matcher, so an import is judged by the
// same rules (and the same database) as the agents' own OS detection; Nmap's
// guess is only a weaker fallback when the print cannot be matched here.
// Pure: the matchers are passed in.
import { cpe22To23, matchFingerprint, osCandidates, parseSubjectFingerprint } from '../../fingerprint/os/index.ts';
import type { Evidence, FingerprintCandidate } from '../../../shared/types.ts';
import type { EvidenceFingerprint, Matchers } from '../fingerprint.ts';

/** What users see as `fp.*.source` for everything an Nmap import claims. */
export const NMAP_SOURCE = 'Nmap';

/** Fact keys written by the Nmap XML importer (collector/import/nmap-xml.ts). */
export const NMAP_FACTS = {
  mac: 'mac.address',
  macVendor: 'nmap.mac_vendor',
  hostname: 'host.name',
  hostnames: 'nmap.hostnames',
  osFingerprint: 'nmap.os_fingerprint',
  osMatches: 'nmap.os_matches',
  portState: 'nmap.port_state',
  serviceName: 'nmap.service.name',
  serviceProduct: 'nmap.service.product',
  serviceVersion: 'nmap.service.version',
  serviceExtraInfo: 'nmap.service.extrainfo',
  serviceMethod: 'nmap.service.method',
  serviceConf: 'nmap.service.conf',
  serviceCpe: 'nmap.service.cpe',
} as const;

/** Nmap's own OS guesses as the importer keeps them (nmap.os_matches, JSON). */
export interface NmapOsMatch {
  name: string;
  accuracy: number;
  line?: number;
  classes: Array<{ type?: string; vendor?: string; family?: string; generation?: string; cpe: string[] }>;
}

/** Nmap's guess is kept below a match of the same print by Sextant's matcher. */
const NMAP_GUESS_FACTOR = 0.9;
/** A -sV probe match (method=probed, conf 10): below a Recog banner match (0.85), which is more specific. */
const SERVICE_PROBED_CERTAINTY = 0.8;
/** A port-table guess (method=table): the port's usual service, nothing observed. */
const SERVICE_TABLE_CERTAINTY = 0.1;

export interface NmapSourceHelpers {
  addMac(value: string, out: EvidenceFingerprint): void;
}

function withSource(c: FingerprintCandidate): FingerprintCandidate {
  return { ...c, source: NMAP_SOURCE };
}

function ownMatch(text: string, matchers: Matchers, evidenceId: string, out: EvidenceFingerprint): FingerprintCandidate[] {
  if (!matchers.osDb) {
    out.problems.push('no nmap-os-db loaded: Nmap\'s own OS guess is used');
    return [];
  }
  try {
    const result = matchFingerprint(matchers.osDb, parseSubjectFingerprint(text, NMAP_FACTS.osFingerprint));
    return osCandidates(result, { evidenceId }).map(withSource);
  } catch (err) {
    out.problems.push(`${NMAP_FACTS.osFingerprint}: ${(err as Error).message}`);
    return [];
  }
}

function nmapGuess(json: string, evidenceId: string, out: EvidenceFingerprint): FingerprintCandidate[] {
  let matches: NmapOsMatch[];
  try {
    matches = JSON.parse(json) as NmapOsMatch[];
  } catch {
    out.problems.push(`${NMAP_FACTS.osMatches} is not JSON`);
    return [];
  }
  const best = Array.isArray(matches) ? matches[0] : undefined;
  const cls = best?.classes?.[0];
  if (!best || !cls || typeof best.accuracy !== 'number') return [];
  const common = {
    certainty: Math.round((best.accuracy / 100) * NMAP_GUESS_FACTOR * 1000) / 1000,
    source: NMAP_SOURCE,
    match: best.name,
    rule: best.line === undefined ? 'nmap-xml:osmatch' : `nmap-xml:osmatch:nmap-os-db:${best.line}`,
    evidenceId,
  };
  const attributes: Record<string, string> = {};
  if (cls.vendor) attributes.vendor = cls.vendor;
  if (cls.family) attributes.family = cls.family;
  if (cls.family && cls.family !== 'embedded') attributes.product = cls.family;
  if (cls.generation) attributes.version = cls.generation;
  const cpe23 = cls.cpe?.[0] === undefined ? undefined : cpe22To23(cls.cpe[0]);
  if (cpe23) attributes.cpe23 = cpe23;
  const out2: FingerprintCandidate[] = [{ category: 'os', attributes, ...common }];
  if (cls.type) out2.push({ category: 'type', attributes: { type: cls.type }, ...common });
  return out2;
}

function serviceCandidate(facts: Record<string, string>, evidenceId: string): FingerprintCandidate | undefined {
  const name = facts[NMAP_FACTS.serviceName];
  const product = facts[NMAP_FACTS.serviceProduct];
  const version = facts[NMAP_FACTS.serviceVersion];
  if (!name && !product) return undefined;
  const probed = facts[NMAP_FACTS.serviceMethod] === 'probed';
  const conf = Number(facts[NMAP_FACTS.serviceConf] ?? '10');
  const attributes: Record<string, string> = {};
  // Nmap's "unknown" and "tcpwrapped" say nothing about the protocol.
  if (name && name !== 'unknown' && name !== 'tcpwrapped') attributes.protocol = name.replace(/^ssl\//, '');
  if (product) attributes.product = product;
  if (version) attributes.version = version;
  const cpe = (facts[NMAP_FACTS.serviceCpe] ?? '').split(' ').find((c) => c.startsWith('cpe:/a:'));
  const cpe23 = cpe ? cpe22To23(cpe) : undefined;
  if (cpe23) attributes.cpe23 = cpe23;
  if (Object.keys(attributes).length === 0) return undefined;
  const certainty = probed ? SERVICE_PROBED_CERTAINTY * (Number.isFinite(conf) ? Math.min(10, Math.max(1, conf)) / 10 : 1) : SERVICE_TABLE_CERTAINTY;
  return {
    category: 'service',
    attributes,
    certainty,
    source: NMAP_SOURCE,
    match: [product, version].filter(Boolean).join(' ') || name!,
    rule: probed ? 'nmap-service-probes' : 'nmap-services',
    evidenceId,
  };
}

/** Everything one imported Nmap record claims. */
export function fingerprintNmapEvidence(record: Evidence, matchers: Matchers, helpers: NmapSourceHelpers): EvidenceFingerprint {
  const out: EvidenceFingerprint = { candidates: [], macs: [], names: [], components: [], problems: [] };
  const { facts } = record;
  if (record.target.port !== undefined) {
    const c = serviceCandidate(facts, record.id);
    if (c) out.candidates.push(c);
    return out;
  }
  const mac = facts[NMAP_FACTS.mac];
  if (mac) {
    helpers.addMac(mac, out);
    // Nmap's own vendor name when our OUI table does not know the prefix.
    const nmapVendor = facts[NMAP_FACTS.macVendor];
    for (const m of out.macs) if (m.vendor === undefined && nmapVendor) Object.assign(m, { vendor: nmapVendor, organization: nmapVendor });
  }
  const addName = (n: string | undefined) => {
    const name = n?.trim();
    if (name && name.length <= 255 && !out.names.includes(name)) out.names.push(name);
  };
  addName(facts[NMAP_FACTS.hostname]);
  const hostnames = facts[NMAP_FACTS.hostnames];
  if (hostnames) {
    try {
      const list = JSON.parse(hostnames) as Array<{ name?: string }>;
      if (Array.isArray(list)) for (const h of list.slice(0, 32)) addName(typeof h?.name === 'string' ? h.name : undefined);
    } catch {
      out.problems.push(`${NMAP_FACTS.hostnames} is not JSON`);
    }
  }
  const print = facts[NMAP_FACTS.osFingerprint];
  let os = print ? ownMatch(print, matchers, record.id, out) : [];
  const guesses = facts[NMAP_FACTS.osMatches];
  if (os.length === 0 && guesses) os = nmapGuess(guesses, record.id, out);
  out.candidates.push(...os);
  return out;
}
