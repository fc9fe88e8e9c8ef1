// Reads the INFO line a NATS server sends when a client connects.
// Follows the NATS client protocol document ("INFO" operation); nats.info is the JSON as sent (fingerprints/nats_info.xml).
import { text } from './bytes.ts';

export interface NatsInfo {
  /** nats.info: the JSON object of the first INFO line, exactly as sent. */
  info?: string;
  infoBytes?: Uint8Array;
  /** A few fields read from the JSON when it parses (never used to rebuild nats.info). */
  version?: string;
  serverName?: string;
  tlsRequired?: boolean;
  authRequired?: boolean;
  error?: string;
}

export function parseNatsInfo(bytes: Uint8Array): NatsInfo {
  const lf = bytes.indexOf(0x0a);
  const line = bytes.subarray(0, lf < 0 ? bytes.length : lf);
  const m = /^INFO[ \t]+/i.exec(text(line.subarray(0, Math.min(line.length, 16))));
  if (!m) return { error: 'first line is not an INFO line' };
  // The prefix is ASCII, so its character count is its byte count.
  let end = line.length;
  while (end > m[0].length && (line[end - 1] === 0x0d || line[end - 1] === 0x20 || line[end - 1] === 0x09)) end--;
  const infoBytes = line.subarray(m[0].length, end);
  const out: NatsInfo = { info: text(infoBytes), infoBytes };
  if (lf < 0) out.error = 'INFO line is not terminated';
  try {
    const json: unknown = JSON.parse(out.info!);
    if (json && typeof json === 'object') {
      const j = json as Record<string, unknown>;
      if (typeof j.version === 'string') out.version = j.version;
      if (typeof j.server_name === 'string') out.serverName = j.server_name;
      if (typeof j.tls_required === 'boolean') out.tlsRequired = j.tls_required;
      if (typeof j.auth_required === 'boolean') out.authRequired = j.auth_required;
    }
  } catch {
    out.error ??= 'INFO payload is not valid JSON';
  }
  return out;
}
