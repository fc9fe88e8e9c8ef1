// The fingerprint stage: one evidence record -> candidates (Recog databases by
// fact key, Apache's second pass, Nmap TCP/IP OS matching, MAC vendor), the
// MACs and names it carries. Pure: matchers are passed in, nothing is read.
import {
  candidatesFromRecog,
  type DbMatch,
  type RecogDb,
  type RecogEngine,
  type RecogSet,
} from '../fingerprint/index.ts';
import { computeOsFingerprint, matchFingerprint, osCandidates, type OsDb, type OsScanEvidence } from '../fingerprint/os/index.ts';
import { isGroupAddress, normalizeMac, ouiCandidate, type OuiTable } from '../oui/index.ts';
import type { Evidence, FingerprintCandidate } from '../../shared/types.ts';
import type { MacObservation, ServiceComponent } from './types.ts';
import { identitiesOfFacts, type IdentityClaim } from '../merge/index.ts';
import { SOURCES } from './sources/index.ts';
import { fingerprintNmapEvidence } from './sources/nmap.ts';

export type RecogMatch = DbMatch & { db: RecogDb };
export type RecogMatcher = (key: string, value: string) => RecogMatch[];

export interface Matchers {
  recog: RecogMatcher;
  osDb?: OsDb | undefined;
  oui?: OuiTable | undefined;
}

export interface EvidenceFingerprint {
  candidates: FingerprintCandidate[];
  macs: MacObservation[];
  names: string[];
  components: ServiceComponent[];
  /** Identity keys besides the MACs (SSH host key, certificate, names, serial, integration ids). */
  identities?: IdentityClaim[];
  /** Why part of the evidence gave nothing (bad OS probe JSON, ...); logged, never fatal. */
  problems: string[];
}

export const OS_PROBES_KEY = 'tcpip.os_probes';
const MAC_KEYS = ['mac.address', 'netbios.mac'];
const NAME_KEYS = ['host.name', 'host.hostname', 'netbios.name', 'smb.dns_name', 'smb.server_name', 'mdns.name', 'snmp.sys_name'];
// Keys that are never Recog input: skipping them saves a map lookup per fact, nothing more.
const NOT_RECOG = new Set([OS_PROBES_KEY, ...MAC_KEYS]);

/**
 * Recog matching with a bounded memo: banners repeat across a network (every
 * host of a fleet says the same SSH banner), and a match is a pure function of
 * (key, value) for one loaded set. A reload swaps the set, which empties the memo.
 */
export function memoizedRecog(engine: RecogEngine, capacity = 50_000, maxValueChars = 4096): RecogMatcher {
  let set: RecogSet = engine.current();
  let memo = new Map<string, RecogMatch[]>();
  return (key, value) => {
    const current = engine.current();
    if (current !== set) {
      set = current;
      memo = new Map();
    }
    if (!current.byKey.has(key)) return [];
    if (value.length > maxValueChars) return engine.matchEach(key, value);
    const memoKey = `${key}\u0000${value}`;
    const hit = memo.get(memoKey);
    if (hit) return hit;
    const found = engine.matchEach(key, value);
    if (memo.size >= capacity) memo.delete(memo.keys().next().value as string);
    memo.set(memoKey, found);
    return found;
  };
}

function isApache(result: DbMatch['result']): boolean {
  return result['service.vendor'] === 'Apache' || result['service.family'] === 'Apache';
}

/**
 * Recog's convention for Apache: the Server header runs again through
 * apache_os (the "(Debian)" part) and, split on spaces, through apache_modules.
 */
function apacheSecondPass(server: string, match: Matchers['recog'], evidenceId: string, out: EvidenceFingerprint): void {
  for (const m of match('apache_os', server)) out.candidates.push(...candidatesFromRecog(m.result, m.fingerprint, m.db, evidenceId));
  // The first word is Apache/<version> itself and parenthesised words are the OS.
  const words = server.split(/\s+/).slice(1).filter((w) => w && !w.startsWith('('));
  for (const word of words.slice(0, 16)) {
    const m = match('apache_modules', word)[0];
    const product = m?.result['service.component.product'];
    if (!product) continue;
    const component: ServiceComponent = { product };
    const version = m.result['service.component.version'];
    const vendor = m.result['service.component.vendor'];
    if (version) component.version = version;
    if (vendor) component.vendor = vendor;
    out.components.push(component);
  }
}

interface HostOsEvidence {
  rounds?: unknown;
  probes?: unknown;
  mac?: unknown;
  directlyConnected?: unknown;
}

/**
 * `tcpip.os_probes` holds either one round (OsScanEvidence) or the agent's
 * host evidence with several rounds; like Nmap, the best-scoring round counts.
 */
function osProbeCandidates(json: string, osDb: OsDb, evidenceId: string, out: EvidenceFingerprint): void {
  let parsed: HostOsEvidence;
  try {
    parsed = JSON.parse(json) as HostOsEvidence;
  } catch {
    out.problems.push(`${OS_PROBES_KEY} is not JSON`);
    return;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    out.problems.push(`${OS_PROBES_KEY} is not an object`);
    return;
  }
  if (typeof parsed.mac === 'string' && parsed.directlyConnected === true) addMac(parsed.mac, undefined, out);
  const rounds = (Array.isArray(parsed.rounds) ? parsed.rounds : [parsed]) as OsScanEvidence[];
  let best: FingerprintCandidate[] = [];
  for (const round of rounds.slice(0, 8)) {
    try {
      const result = matchFingerprint(osDb, computeOsFingerprint(round).fingerprint);
      const candidates = osCandidates(result, { evidenceId });
      if (candidates.length > 0 && (best.length === 0 || candidates[0]!.certainty > best[0]!.certainty)) best = candidates;
    } catch (err) {
      out.problems.push(`${OS_PROBES_KEY}: ${(err as Error).message}`);
    }
  }
  out.candidates.push(...best);
}

function addMac(value: string, oui: OuiTable | undefined, out: EvidenceFingerprint): void {
  const mac = normalizeMac(value);
  // 00:00:00:00:00:00 is what NetBIOS answers when it has no MAC to tell.
  if (!mac || mac === '00:00:00:00:00:00' || isGroupAddress(mac) || out.macs.some((m) => m.mac === mac)) return;
  const entry: MacObservation = { mac };
  const vendor = oui?.lookup(mac);
  if (vendor) {
    entry.vendor = vendor.vendor;
    entry.organization = vendor.organization;
  }
  out.macs.push(entry);
}

// Claims per Recog match, without an evidence id. The memoized matcher hands out
// the same match object for a repeated banner, so its claims are built once.
const claimsOfMatch = new WeakMap<RecogMatch, FingerprintCandidate[]>();

function claims(m: RecogMatch, evidenceId: string): FingerprintCandidate[] {
  let base = claimsOfMatch.get(m);
  if (!base) {
    base = candidatesFromRecog(m.result, m.fingerprint, m.db);
    claimsOfMatch.set(m, base);
  }
  return base.map((c) => ({ ...c, evidenceId }));
}

/**
 * Imported scanners whose records need the matchers (Nmap's raw OS
 * fingerprint goes through nmap-os-db): one file each under sources/, chosen
 * by the record's probe name. Integrations (SOURCES) claim without matchers.
 */
const SCAN_SOURCES: Record<string, (record: Evidence, matchers: Matchers) => EvidenceFingerprint> = {
  nmap: (record, matchers) => fingerprintNmapEvidence(record, matchers, { addMac: (value, out) => addMac(value, matchers.oui, out) }),
};

/** Everything one record claims. */
export function fingerprintEvidence(record: Evidence, matchers: Matchers): EvidenceFingerprint {
  const scanner = Object.hasOwn(SCAN_SOURCES, record.probe) ? SCAN_SOURCES[record.probe] : undefined;
  if (scanner) {
    const fp = withOuiCandidates(scanner(record, matchers), matchers, record.id);
    const identities = identitiesOfFacts(record.facts, false);
    if (identities.length > 0) fp.identities = identities;
    return fp;
  }
  const out: EvidenceFingerprint = { candidates: [], macs: [], names: [], components: [], problems: [] };
  const { facts } = record;
  // Integrations (agentId import:<source>) have their own file; their facts are not banners.
  const source = record.agentId.startsWith('import:') ? SOURCES[record.probe] : undefined;
  if (source) {
    out.candidates.push(...source.candidates(record));
    for (const mac of facts['host.macs']?.split('\n') ?? []) addMac(mac, matchers.oui, out);
  }
  const identities = identitiesOfFacts(facts, source !== undefined);
  if (identities.length > 0) out.identities = identities;
  if (!source) for (const key of Object.keys(facts)) {
    const value = facts[key]!;
    if (NOT_RECOG.has(key) || value === '') continue;
    for (const m of matchers.recog(key, value)) {
      out.candidates.push(...claims(m, record.id));
      const host = m.result['host.name'];
      if (host && !out.names.includes(host)) out.names.push(host);
      if (key === 'http_header.server' && isApache(m.result)) apacheSecondPass(value, matchers.recog, record.id, out);
    }
  }
  for (const key of MAC_KEYS) {
    const value = facts[key];
    if (value) addMac(value, matchers.oui, out);
  }
  const osProbes = facts[OS_PROBES_KEY];
  if (osProbes && matchers.osDb) osProbeCandidates(osProbes, matchers.osDb, record.id, out);
  for (const mac of out.macs) {
    if (mac.vendor === undefined) {
      const vendor = matchers.oui?.lookup(mac.mac);
      if (vendor) Object.assign(mac, { vendor: vendor.vendor, organization: vendor.organization });
    }
    const vendor = mac.vendor === undefined ? undefined : matchers.oui?.lookup(mac.mac);
    if (vendor) out.candidates.push(ouiCandidate(vendor, record.id));
  }
  for (const key of NAME_KEYS) {
    const name = facts[key]?.trim();
    if (name && name.length <= 255 && !out.names.includes(name)) out.names.push(name);
  }
  return out;
}

/** The MAC vendor claim for each MAC a source's record carries, as for agent evidence. */
function withOuiCandidates(out: EvidenceFingerprint, matchers: Matchers, evidenceId: string): EvidenceFingerprint {
  for (const mac of out.macs) {
    const vendor = matchers.oui?.lookup(mac.mac);
    if (vendor) out.candidates.push(ouiCandidate(vendor, evidenceId));
  }
  return out;
}
