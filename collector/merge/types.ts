// Plain data of the merge stage: identity claims, the policy table and the
// merge log. Nothing here is a class; every value is JSON as it stands.

/** What can say "this is that device". `ip` is the weak key (one site, answered addresses only). */
export type IdentityKind =
  | 'mac'
  | 'serial'
  | 'ssh_hostkey'
  | 'tls_cert'
  | 'smb_name'
  | 'netbios_name'
  | 'mdns_name'
  | 'hostname'
  | 'integration_id'
  | 'ip';

export const IDENTITY_KINDS: readonly IdentityKind[] = ['integration_id', 'serial', 'mac', 'ssh_hostkey', 'tls_cert', 'smb_name', 'netbios_name', 'mdns_name', 'hostname', 'ip'];

/** One identity an observation carries. */
export interface IdentityClaim {
  kind: IdentityKind;
  /** Normalized: lower-case MACs and names, `intune:<id>` for integration ids. */
  value: string;
  /** MACs with the locally-administered bit set: recorded, never matched or broken on. */
  randomized?: boolean;
  /** A name's domain (`CORP`, `corp.example`), kept for display and for breaking name matches. */
  domain?: string;
}

/** An identity as the asset keeps it. */
export interface AssetIdentity {
  kind: IdentityKind;
  value: string;
  source: string;
  first_seen: string;
  last_seen: string;
  randomized?: boolean;
  domain?: string;
  /** For keys that only match inside a site (names): the site it was seen from. */
  site?: string;
}

export type MergeAction = 'created' | 'merged' | 'split' | 'manual_merge' | 'manual_split' | 'address_released';

export interface MergeLogEntry {
  at: string;
  action: MergeAction;
  key?: string;
  value?: string;
  source?: string;
  reason: string;
  /** The assets absorbed (merged) or split off. */
  from?: string[];
}

/** How one kind of key behaves for one source. */
export interface KeyRule {
  /** The key may find an existing asset. */
  match: boolean;
  /**
   * A match by this key is refused when the observation and the asset both
   * have keys of one of these kinds and none of them agree (runZero's "break").
   */
  breakOn: IdentityKind[];
}

export type SourcePolicy = Partial<Record<IdentityKind, KeyRule>>;

/** Per source (`sextant`, `nmap`, `intune`, `crowdstrike`, `azuread`, ... and `default`). */
export interface MergePolicy {
  sources: Record<string, SourcePolicy>;
}
