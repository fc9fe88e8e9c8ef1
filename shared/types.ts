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

/** Where a probe or an evidence record points. */
export interface Target {
  ip: string;
  port?: number;
  transport?: 'tcp' | 'udp' | 'icmp' | 'arp';
}

/**
 * One observation, as agents send it and the collector stores it
 * (architecture.md, "Evidence"). `facts` are keyed by Recog `matches` names
 * wherever one exists, so the engine looks each one up directly; `raw` keeps
 * the bytes as received (base64), so newer fingerprints can re-read them.
 */
export interface Evidence {
  /** Stable: the same observation always gets the same id, so a resend is a no-op. */
  id: string;
  agentId: string;
  site: string;
  target: Target;
  probe: string;
  /** ISO 8601. */
  observedAt: string;
  facts: Record<string, string>;
  raw?: Record<string, string>;
}

/** The closed set of probe outcomes; network conditions are statuses, never exceptions. */
export type ProbeStatus = 'success' | 'no-match' | 'refused' | 'timeout' | 'protocol-error' | 'blocked' | 'unreachable' | 'error';

/** What a probe run returns (zgrab2's ScanResponse, in our words). Partial evidence is kept. */
export interface ProbeResult {
  probe: string;
  target: Target;
  status: ProbeStatus;
  /** Facts (Recog keys) and raw bytes (base64) observed, even when the status is not success. */
  facts?: Record<string, string>;
  raw?: Record<string, string>;
  error?: string;
  startedAt: string;
  durationMs: number;
}

/** What a probe may use while it runs. */
export interface ProbeContext {
  /** Per-connection budget. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Refuses (throws) for any address outside the task's scope; probes call it before sending. */
  checkTarget?: (ip: string) => void;
}

/** A probe is one file exporting one of these (style.md 1). */
export interface Probe {
  name: string;
  transport: 'tcp' | 'udp' | 'icmp' | 'raw';
  defaultPorts: number[];
  run(target: Target, ctx: ProbeContext): Promise<ProbeResult>;
}
