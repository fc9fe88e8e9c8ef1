// Plain data shared by the agent, the collector and the CLI. Nothing here is a class.

/** The four things a fingerprint can claim about a device or service. */
export type FingerprintCategory = 'os' | 'hw' | 'service' | 'type';

/**
 * One claim by one matcher (a Recog database, the Nmap OS matcher, the MAC
 * vendor table, an integration), before certainty ranking.
 */
export interface FingerprintCandidate {
  category: FingerprintCategory;
  /** Attribute name without the category prefix (`vendor`, `product`, `version`, `cpe23`, `device`, ...). */
  attributes: Record<string, string>;
  /** 0..1. */
  certainty: number;
  /** Who claims it: `recog:ssh.banner`, `tcpip`, `oui`, `Intune`, ... */
  source: string;
  /** What matched: the fingerprint's description or reference name. */
  match: string;
  /** Where the rule lives: `file.xml:LINE`, `nmap-os-db:LINE`. */
  rule: string;
  /** True for custom (external) fingerprints: they win ties. */
  custom?: boolean;
  /** The evidence record the claim came from, when known. */
  evidenceId?: string;
}
