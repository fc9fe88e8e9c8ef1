// Reads a Redis-protocol server's reply to "INFO server": a RESP bulk string or an error line.
// Follows the RESP2 specification (redis.io "Redis serialization protocol"); redis.info as fingerprints/redis_info.xml describes.
import { text } from './bytes.ts';

export interface RedisInfo {
  /** redis.info: the bulk payload with CR LF turned into LF and the final break removed, or the whole "-ERR" line. */
  info?: string;
  /** The reply bytes the fact was read from. */
  replyBytes?: Uint8Array;
  kind?: 'bulk' | 'error';
  /** Fields of the INFO text ("redis_version", "os", ...), when it is a bulk reply. */
  fields?: Record<string, string>;
  complete: boolean;
  error?: string;
}

/** A bulk reply longer than this is not an INFO server section; stop reading. */
const MAX_BULK = 1024 * 1024;

export function parseRedisInfo(bytes: Uint8Array): RedisInfo {
  const lf = bytes.indexOf(0x0a);
  if (lf < 0) return { complete: false, error: 'no complete reply line' };
  let head = text(bytes.subarray(0, lf));
  if (head.endsWith('\r')) head = head.slice(0, -1);
  if (head.startsWith('-')) return { info: head, replyBytes: bytes.subarray(0, lf + 1), kind: 'error', complete: true };
  const m = /^\$(-?\d{1,10})$/.exec(head);
  if (!m) return { complete: false, error: 'reply is neither a bulk string nor an error' };
  const len = Number(m[1]);
  if (len < 0) return { complete: true, error: 'null bulk reply' };
  if (len > MAX_BULK) return { complete: false, error: `bulk length ${len} is implausible` };
  const body = bytes.subarray(lf + 1, Math.min(bytes.length, lf + 1 + len));
  const complete = body.length === len;
  const info = text(body).replace(/\r\n/g, '\n').replace(/\n$/, '');
  const out: RedisInfo = { info, replyBytes: bytes.subarray(0, Math.min(bytes.length, lf + 1 + len + 2)), kind: 'bulk', complete, fields: infoFields(info) };
  if (!complete) out.error = 'bulk reply is truncated';
  return out;
}

function infoFields(info: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of info.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) fields[line.slice(0, i)] = line.slice(i + 1).replace(/\r$/, '');
  }
  return fields;
}

/** Read predicate: an error line or a whole bulk string arrived. */
export function redisReplyComplete(buf: Uint8Array): boolean {
  return parseRedisInfo(buf).complete;
}
