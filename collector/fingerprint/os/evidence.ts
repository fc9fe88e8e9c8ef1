// The plain-data evidence an agent returns for one round of OS probes, and
// its validation (probe set: nmap-os-detection.md §1; what to record: §0).
import { SextantError } from '../../../shared/errors.ts';

export const OS_PROBE_NAMES = [
  'SEQ1', 'SEQ2', 'SEQ3', 'SEQ4', 'SEQ5', 'SEQ6',
  'OPS1', 'OPS2', 'OPS3', 'OPS4', 'OPS5', 'OPS6',
  'IE1', 'IE2', 'U1', 'ECN',
  'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7',
] as const;

/**
 * SEQ1–SEQ6: the six SYNs 100 ms apart (their replies also give OPS, WIN and
 * T1). OPS1–OPS6: re-sends of a SEQ probe whose OPS/WIN reply was missing.
 * T1: the stand-alone T1 probe, sent only when SEQ1 got no reply.
 */
export type OsProbeName = (typeof OS_PROBE_NAMES)[number];

export interface OsProbeReply {
  /** Receive time in nanoseconds on the agent's monotonic clock, as a decimal string. */
  at: string;
  /** The reply's IPv4 datagram, base64. */
  packet: string;
}

/** One transmission of one probe; a re-send is a second record with the same name. */
export interface OsProbeRecord {
  name: OsProbeName;
  /** Send time in nanoseconds (same clock as replies), as a decimal string. */
  sentAt: string;
  /** The probe's IPv4 datagram as sent, base64. */
  sent: string;
  /** Replies the agent matched to this probe; each is used once, whichever record holds it. */
  replies: OsProbeReply[];
}

export interface OsScanEvidence {
  probes: OsProbeRecord[];
  /** The open TCP port the SEQ, ECN and T1–T4 probes went to; absent when none was known. */
  openTcpPort?: number;
  /** A TCP port the port scan found closed (T5–T7 went to it); absent when T5–T7 used a guessed port. */
  closedTcpPort?: number;
  /** A UDP port a UDP scan found closed. */
  closedUdpPort?: number;
  /** The target is the probing host itself: IP ID differences are corrected for our own RSTs. */
  localhost?: boolean;
  /** A UDP scan ran, so a missing U1 reply does not make the print non-ideal. */
  udpScanned?: boolean;
}

/** A probe transmission with its bytes decoded. */
export interface DecodedProbe {
  name: OsProbeName;
  index: number;
  sentAtNs: bigint;
  sent: Uint8Array;
  replies: Array<{ atNs: bigint; packet: Uint8Array }>;
}

const DECIMAL = /^[0-9]{1,30}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(field: string, detail: string): SextantError {
  return new SextantError('OS_EVIDENCE_INVALID', detail, { field });
}

function port(value: unknown, field: string): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0 && (value as number) <= 65535)) {
    throw invalid(field, 'must be a port number 1-65535');
  }
}

function decode(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw invalid(field, 'must be base64');
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function nanoseconds(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw invalid(field, 'must be a decimal string of nanoseconds');
  return BigInt(value);
}

/** Checks the shape of the evidence and decodes its bytes; throws OS_EVIDENCE_INVALID naming the field. */
export function decodeEvidence(evidence: OsScanEvidence): DecodedProbe[] {
  if (typeof evidence !== 'object' || evidence === null || !Array.isArray(evidence.probes)) {
    throw invalid('probes', 'evidence must be an object with a probes array');
  }
  port(evidence.openTcpPort, 'openTcpPort');
  port(evidence.closedTcpPort, 'closedTcpPort');
  port(evidence.closedUdpPort, 'closedUdpPort');
  return evidence.probes.map((probe, index): DecodedProbe => {
    const at = `probes[${index}]`;
    if (typeof probe !== 'object' || probe === null) throw invalid(at, 'must be an object');
    if (!(OS_PROBE_NAMES as readonly string[]).includes(probe.name)) throw invalid(`${at}.name`, `unknown probe "${String(probe.name)}"`);
    if (!Array.isArray(probe.replies)) throw invalid(`${at}.replies`, 'must be an array');
    return {
      name: probe.name,
      index,
      sentAtNs: nanoseconds(probe.sentAt, `${at}.sentAt`),
      sent: decode(probe.sent, `${at}.sent`),
      replies: probe.replies.map((reply, r) => {
        if (typeof reply !== 'object' || reply === null) throw invalid(`${at}.replies[${r}]`, 'must be an object');
        return { atNs: nanoseconds(reply.at, `${at}.replies[${r}].at`), packet: decode(reply.packet, `${at}.replies[${r}].packet`) };
      }),
    };
  });
}
