// Builders for the merge tests: evidence records as agents and integrations
// send them, run through the real fingerprint -> observe -> merge stages
// (without Recog: these tests are about identities, not banners).
import { readFileSync } from 'node:fs';
import { applySiteUpdate, buildObservations, fingerprintEvidence, indexSite, planSiteUpdate, type Matchers, type SiteState, type SiteUpdate } from '../../../collector/assets/index.ts';
import { SOURCES } from '../../../collector/assets/sources/index.ts';
import type { MergePolicy } from '../../../collector/merge/index.ts';
import type { Evidence, Target } from '../../../shared/types.ts';
import { REPO } from '../../helpers/recog.ts';

export const T0 = '2024-05-01T12:00:00.000Z';
export const T1 = '2024-05-02T12:00:00.000Z';
export const T2 = '2024-05-03T12:00:00.000Z';
export const matchers: Matchers = { recog: () => [] };

let n = 0;
export function ev(site: string, target: Target | string, probe: string, facts: Record<string, string>, observedAt = T0, agentId = `agent-${site}`): Evidence {
  n++;
  const t = typeof target === 'string' ? { ip: target } : target;
  return { id: `m-${n}`, agentId, site, target: t, probe, observedAt, facts };
}

export const arp = (site: string, ip: string, mac: string, at = T0) => ev(site, { ip, transport: 'arp' }, 'arp', { 'mac.address': mac }, at);
export const ssh = (site: string, ip: string, hostkey: string, at = T0) => ev(site, { ip, port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'SSH-2.0-OpenSSH_9.2p1', 'ssh.hostkey.sha256': hostkey }, at);
export const tls = (site: string, ip: string, sha256: string, at = T0) => ev(site, { ip, port: 443, transport: 'tcp' }, 'https', { 'tls.cert.sha256': sha256 }, at);
export const http = (site: string, ip: string, at = T0) => ev(site, { ip, port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'nginx' }, at);
export const netbios = (site: string, ip: string, name: string, domain: string, at = T0) => ev(site, { ip, port: 137, transport: 'udp' }, 'netbios', { 'netbios.name': name, 'netbios.domain': domain }, at);
export const cert = (c: string) => c.repeat(64).slice(0, 64);

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(`${REPO}/test/fixtures/merge/${name}`, 'utf8'));
}

/** An integration export, as `sextant import --source` turns it into evidence. */
export function imported(source: string, parsed: unknown, site = 'integrations'): Evidence[] {
  return SOURCES[source]!.toEvidence(parsed, { source, site, file: `${source}.json`, now: '2024-06-01T00:00:00.000Z' });
}

export function inventory(): SiteState {
  return indexSite('*', []);
}

/** One batch: fingerprint, observe, plan, apply. */
export function ingest(state: SiteState, records: Evidence[], policy?: MergePolicy): SiteUpdate {
  const observations = buildObservations(records, records.map((r) => fingerprintEvidence(r, matchers)));
  const update = planSiteUpdate(state, observations, policy ? { policy } : {});
  applySiteUpdate(state, update);
  return update;
}

export function assets(state: SiteState) {
  return [...state.assets.values()];
}

export function holding(state: SiteState, ip: string) {
  return assets(state).filter((a) => a.addresses.some((x) => x.address === ip));
}
