// A fixture inventory for the search tests, written through the real SQLite
// store (commitBatch), so the index is built the way ingest builds it.
import { fromStored, type Asset, type ServiceRecord } from '../../../collector/assets/index.ts';
import type { Store } from '../../../collector/store/index.ts';
import type { FingerprintCandidate } from '../../../shared/types.ts';

export const NOW = new Date('2024-05-02T00:00:00.000Z');

export interface Spec {
  label: string;
  site?: string;
  sites?: string[];
  sources?: string[];
  alive?: boolean;
  first: string;
  last: string;
  addresses?: string[];
  macs?: Array<[string, string?]>;
  names?: string[];
  agents?: string[];
  os?: Record<string, string>;
  hw?: Record<string, string>;
  type?: string;
  services?: Array<{ t?: 'tcp' | 'udp'; port: number; protocol?: string; product?: string; version?: string; vendor?: string; address?: string }>;
}

const cand = (category: FingerprintCandidate['category'], attributes: Record<string, string>, certainty = 0.9): FingerprintCandidate => ({
  category, attributes, certainty, source: `recog:test.${category}`, match: `test ${category}`, rule: 'test.xml:1',
});

export function build(s: Spec): Asset {
  const site = s.site ?? 'lab';
  const services: ServiceRecord[] = (s.services ?? []).map((x) => {
    const attrs: Record<string, string> = {};
    if (x.product) attrs.product = x.product;
    if (x.version) attrs.version = x.version;
    if (x.vendor) attrs.vendor = x.vendor;
    if (x.protocol) attrs.protocol = x.protocol;
    return {
      address: x.address ?? s.addresses?.[0] ?? '198.18.0.1', transport: x.t ?? 'tcp', port: x.port, attributes: {}, components: [], probes: [x.protocol ?? 'tcp'],
      first_seen: s.first, last_seen: s.last, candidates: Object.keys(attrs).length > 0 ? [cand('service', attrs)] : [],
    };
  });
  const candidates: FingerprintCandidate[] = [];
  if (s.os) candidates.push(cand('os', s.os));
  if (s.hw) candidates.push(cand('hw', s.hw));
  if (s.type) candidates.push(cand('type', { type: s.type }));
  const a: Asset & { sources?: string[]; sites?: string[] } = {
    id: `asset-${s.label}`, site, revision: 1, first_seen: s.first, last_seen: s.last, alive: s.alive ?? true,
    addresses: (s.addresses ?? []).map((address) => ({ address, first_seen: s.first, last_seen: s.last })),
    macs: (s.macs ?? []).map(([mac, vendor]) => ({ mac, ...(vendor ? { vendor } : {}), first_seen: s.first, last_seen: s.last })),
    names: s.names ?? [], agents: s.agents ?? ['agent-1'], evidence_count: 1, attributes: {}, services, candidates,
  };
  if (s.sources) a.sources = s.sources;
  if (s.sites) a.sites = s.sites;
  return a;
}

export const SPECS: Spec[] = [
  { label: 'web01', first: '2024-01-01T00:00:00.000Z', last: '2024-05-01T12:00:00.000Z', addresses: ['198.18.1.10'], macs: [['00:11:22:33:44:01', 'Dell Inc.']], names: ['web01.example.test'],
    os: { vendor: 'Ubuntu', product: 'Linux', version: '22.04' }, hw: { vendor: 'Dell', product: 'PowerEdge R640' }, type: 'server',
    services: [{ port: 22, protocol: 'ssh', product: 'OpenSSH', version: '8.9p1', vendor: 'OpenBSD' }, { port: 80, protocol: 'http', product: 'nginx', version: '1.18.0', vendor: 'nginx' }] },
  { label: 'db01', first: '2023-06-01T00:00:00.000Z', last: '2024-04-01T00:00:00.000Z', addresses: ['198.18.1.20', '198.18.2.20'], macs: [['00:11:22:33:44:02', 'Dell Inc.']], names: ['db01.example.test', 'db01'],
    os: { vendor: 'Ubuntu', product: 'Linux', version: '18.04' }, type: 'server', agents: ['agent-1', 'agent-2'],
    services: [{ port: 5432, protocol: 'postgresql', product: 'PostgreSQL', version: '12.3' }, { port: 22, protocol: 'ssh', product: 'OpenSSH', version: '7.6p1' }] },
  { label: 'old01', first: '2020-01-01T00:00:00.000Z', last: '2023-01-01T00:00:00.000Z', alive: false, addresses: ['198.18.1.30'], names: ['old01'],
    os: { vendor: 'Debian', product: 'Linux', version: '9.1' }, services: [{ port: 21, protocol: 'ftp', product: 'vsftpd', version: '3.0.3' }] },
  { label: 'win01', site: 'office', first: '2024-04-30T00:00:00.000Z', last: '2024-05-01T23:00:00.000Z', addresses: ['198.19.0.5'], macs: [['a4:bb:6d:00:00:05', 'Intel Corporate']], names: ['WIN01'],
    os: { vendor: 'Microsoft', product: 'Windows 10', version: '10.0.19045' }, type: 'desktop', services: [{ port: 445, protocol: 'smb' }, { port: 3389, protocol: 'rdp' }] },
  { label: 'printer', first: '2024-03-01T00:00:00.000Z', last: '2024-05-01T00:00:00.000Z', addresses: ['198.18.1.40'], macs: [['3c:2a:f4:00:00:40', 'HP Inc.']], names: ['printer-2f'],
    hw: { vendor: 'HP', product: 'LaserJet M404' }, type: 'printer', services: [{ port: 9100, protocol: 'jetdirect' }, { port: 80, protocol: 'http', product: 'HP HTTP Server', version: '2.0' }] },
  { label: 'switch', site: 'office', first: '2022-01-01T00:00:00.000Z', last: '2024-05-01T06:00:00.000Z', addresses: ['198.19.0.1'], macs: [['00:1b:54:00:00:01', 'Cisco Systems, Inc']],
    os: { vendor: 'Cisco', product: 'IOS', version: '15.2(4)E' }, hw: { vendor: 'Cisco', product: 'Catalyst 2960' }, type: 'switch', services: [{ t: 'udp', port: 161, protocol: 'snmp' }, { port: 23, protocol: 'telnet' }] },
  { label: 'bare', first: '2024-05-01T00:00:00.000Z', last: '2024-05-01T00:00:00.000Z', addresses: ['198.18.3.3'] },
  { label: 'iphone', sites: ['lab', 'office'], sources: ['sextant', 'intune'], first: '2024-04-20T00:00:00.000Z', last: '2024-04-25T00:00:00.000Z', addresses: ['198.18.1.77'], macs: [['da:a1:19:00:00:77']], names: ['Alices-iPhone'],
    os: { vendor: 'Apple', product: 'iOS', version: '17.1' }, hw: { vendor: 'Apple', product: 'iPhone' }, type: 'mobile' },
  { label: 'dc01', site: 'office', sources: ['intune', 'crowdstrike'], first: '2021-01-01T00:00:00.000Z', last: '2024-05-01T20:00:00.000Z', addresses: ['198.19.0.10'], macs: [['00:15:5d:00:00:10', 'Microsoft Corporation']], names: ['DC01.corp.test'],
    os: { vendor: 'Microsoft', product: 'Windows Server 2019', version: '10.0.17763' }, type: 'server', services: [{ port: 389, protocol: 'ldap' }, { port: 88, protocol: 'kerberos' }, { port: 53, t: 'udp', protocol: 'dns', product: 'Microsoft DNS', version: '6.1.7601' }] },
  { label: 'v6', first: '2024-02-01T00:00:00.000Z', last: '2024-04-29T00:00:00.000Z', addresses: ['2001:db8::10'], names: ['v6only.example.test'],
    os: { vendor: 'FreeBSD', product: 'FreeBSD', version: '13.2' }, services: [{ port: 22, protocol: 'ssh', product: 'OpenSSH', version: '9.3' }, { port: 8080, protocol: 'http', product: 'Jetty', version: '9.4.51' }] },
  { label: 'under', first: '2024-04-01T00:00:00.000Z', last: '2024-04-02T00:00:00.000Z', addresses: ['198.18.1.99'], names: ['lab_host%1'], type: 'server',
    os: { vendor: 'Ubuntu', product: 'Linux', version: '20.04' }, services: [{ port: 2222, protocol: 'ssh', product: 'Dropbear sshd', version: '2020.81' }] },
  { label: 'k8s', first: '2024-04-15T00:00:00.000Z', last: '2024-05-01T18:00:00.000Z', addresses: ['198.18.1.50'], names: ['k8s-node-1'], type: 'server',
    os: { vendor: 'Ubuntu', product: 'Linux', version: '20.04.6' }, services: [{ port: 6443, protocol: 'https', product: 'Kubernetes', version: '1.28.2' }, { port: 10250, protocol: 'https' }] },
];

export const LABELS = SPECS.map((s) => s.label);

export async function writeFixture(store: Store): Promise<Asset[]> {
  const assets = SPECS.map((s) => fromStored(build(s)));
  await store.commitBatch({ batchId: 'fixture', agentId: 'agent-1', site: 'lab', receivedAt: NOW.toISOString(), evidence: [], assets: assets.map((asset) => ({ asset, previous: undefined })), outbox: [] });
  return assets;
}

export const labelOf = (id: string) => id.replace(/^asset-/, '');
