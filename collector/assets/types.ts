// Plain data for the inventory: what one batch says about one address
// (Observation), the asset as kept (Asset) and as shown (AssetView).
import type { FingerprintCandidate } from '../../shared/types.ts';
import type { AssetIdentity, IdentityClaim, MergeLogEntry } from '../merge/types.ts';

export type ServiceTransport = 'tcp' | 'udp';

/** Everything one batch said about one service (ip, transport, port). */
export interface ServiceObservation {
  transport: ServiceTransport;
  port: number;
  /** Probe names that reached it, in order of appearance. */
  probes: string[];
  candidates: FingerprintCandidate[];
  /** Apache modules and similar components named by the banner. */
  components: ServiceComponent[];
  firstSeen: string;
  lastSeen: string;
}

export interface ServiceComponent {
  product: string;
  version?: string;
  vendor?: string;
}

export interface MacObservation {
  /** Lower case, colon separated, exactly as the device uses it. */
  mac: string;
  vendor?: string;
  organization?: string;
}

/** What one batch said about one address of one site. */
export interface Observation {
  site: string;
  ip: string;
  agentId: string;
  macs: MacObservation[];
  names: string[];
  /** os, hw and type claims (service claims live on the services). */
  candidates: FingerprintCandidate[];
  services: ServiceObservation[];
  firstSeen: string;
  lastSeen: string;
  evidenceIds: string[];
  /** Identity keys the evidence carries (MACs are in `macs`); see collector/merge/. */
  identities?: IdentityClaim[];
  /** `sextant` for agents' scans, else the integration (`intune`, ...). Default `sextant`. */
  source?: string;
  /**
   * The address answered a probe (a primary address, usable as the weak IP
   * key). False for addresses an integration only reports. Default true.
   */
  answered?: boolean;
}

export interface AddressRecord {
  address: string;
  /** The site it was seen from, when not the asset's home site. */
  site?: string;
  first_seen: string;
  last_seen: string;
}

export interface MacRecord {
  mac: string;
  vendor?: string;
  first_seen: string;
  last_seen: string;
}

export interface ServiceRecord {
  address: string;
  transport: ServiceTransport;
  port: number;
  protocol?: string;
  vendor?: string;
  product?: string;
  version?: string;
  cpe23?: string;
  /** fp.service.* of the winning candidate. */
  attributes: Record<string, string>;
  components: ServiceComponent[];
  probes: string[];
  first_seen: string;
  last_seen: string;
  /** Kept so a later, more certain claim can win; never published. */
  candidates: FingerprintCandidate[];
}

/** The asset as the store keeps it. */
export interface Asset {
  id: string;
  site: string;
  /** Bumped on every stored change; with the id it names each published event. */
  revision: number;
  first_seen: string;
  last_seen: string;
  alive: boolean;
  addresses: AddressRecord[];
  macs: MacRecord[];
  names: string[];
  agents: string[];
  evidence_count: number;
  os?: string;
  os_version?: string;
  hw?: string;
  type?: string;
  /** fp.* keys (fp.os.*, fp.hw.*, fp.type.*, fp.mac.vendor, fp.build). */
  attributes: Record<string, string>;
  services: ServiceRecord[];
  /** The newest os/hw/type claim of each source; re-ranked on every merge. */
  candidates: FingerprintCandidate[];
  /** Where its evidence came from: `sextant`, `nmap`, `intune`, ... Fallback `['sextant']`. */
  sources?: string[];
  /** Every site it was seen from (`site` stays its home). Fallback `[site]`. */
  sites?: string[];
  identities?: AssetIdentity[];
  /** Why it is what it is: creation, merges, splits, released addresses (newest last, bounded). */
  merge_log?: MergeLogEntry[];
  /** Assets a manual split separated from this one: never merged again automatically. */
  no_merge?: string[];
  /** Index keys a manual split gave this asset: evidence with them comes here, whatever else it says. */
  pins?: string[];
}

export interface ServiceView {
  address: string;
  transport: ServiceTransport;
  port: number;
  protocol?: string;
  vendor?: string;
  product?: string;
  version?: string;
  cpe23?: string;
  components?: ServiceComponent[];
  attributes: Record<string, string>;
  first_seen: string;
  last_seen: string;
}

/** The asset as published on NATS, returned by `assets()` and printed by `scan --json`. */
export interface AssetView {
  id: string;
  site: string;
  revision: number;
  first_seen: string;
  last_seen: string;
  alive: boolean;
  addresses: string[];
  macs: string[];
  mac_vendors: string[];
  names: string[];
  agents: string[];
  evidence_count: number;
  os?: string;
  os_version?: string;
  hw?: string;
  type?: string;
  attributes: Record<string, string>;
  services: ServiceView[];
  /** Always set by assetView; optional for views built elsewhere (fallbacks as on Asset). */
  sources?: string[];
  sites?: string[];
  identities?: Array<{ kind: string; value: string; source: string }>;
}

/** One difference between two versions of an asset. */
export interface AssetChange {
  /** `os`, `addresses`, `fp.os.version`, `service:198.18.1.2/tcp/22`, ... */
  field: string;
  before?: string | string[] | boolean | null;
  after?: string | string[] | boolean | null;
}

export type AssetEventKind = 'created' | 'updated' | 'deleted';

export interface AssetEvent {
  event: AssetEventKind;
  site: string;
  asset: AssetView;
  changes: AssetChange[];
}
