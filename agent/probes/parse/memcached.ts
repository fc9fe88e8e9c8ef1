// Reads a memcached text-protocol server's reply to "stats".
// Follows memcached's doc/protocol.txt ("General-purpose statistics"); memcached.stats as fingerprints/memcached_stats.xml describes.
import { text } from './bytes.ts';

export interface MemcachedStats {
  /** memcached.stats: lines before "END", CR LF turned into LF, final break removed (or the CLIENT_ERROR line). */
  stats?: string;
  statsBytes?: Uint8Array;
  version?: string;
  complete: boolean;
  error?: string;
}

export function parseMemcachedStats(bytes: Uint8Array): MemcachedStats {
  const all = text(bytes);
  const lines = all.split('\n');
  const kept: string[] = [];
  let consumed = 0;
  let complete = false;
  for (let i = 0; i < lines.length; i++) {
    const isLast = i === lines.length - 1;
    if (isLast && lines[i] === '') break; // text ended with LF
    if (isLast) return finish(kept, bytes, consumed, false, 'reply is truncated');
    const line = lines[i]!.replace(/\r$/, '');
    consumed += Buffer.byteLength(lines[i]!, 'utf8') + 1;
    if (line === 'END') {
      complete = true;
      break;
    }
    if (i === 0 && /^(?:CLIENT_)?ERROR\b/.test(line)) {
      if (line === 'ERROR') return { complete: true, error: 'server rejected the stats command' };
      kept.push(line);
      complete = true;
      break;
    }
    if (!line.startsWith('STAT ')) return finish(kept, bytes, consumed, false, 'reply line is not a STAT line');
    kept.push(line);
  }
  return finish(kept, bytes, consumed, complete, complete ? undefined : 'reply has no END line');
}

function finish(kept: string[], bytes: Uint8Array, consumed: number, complete: boolean, error?: string): MemcachedStats {
  const out: MemcachedStats = { complete };
  if (kept.length > 0) {
    out.stats = kept.join('\n');
    // Byte counts above assume UTF-8; for latin1-decoded input they can only overshoot, so clamp.
    out.statsBytes = bytes.subarray(0, Math.min(consumed, bytes.length));
    const v = /(?:^|\n)STAT version ([^\n]*)/.exec(out.stats);
    if (v) out.version = v[1]!;
  }
  if (error) out.error = error;
  return out;
}

export function memcachedReplyComplete(buf: Uint8Array): boolean {
  return parseMemcachedStats(buf).complete;
}
