// Reads three-digit coded text replies (single and multi-line) as FTP and SMTP servers send them.
// Follows RFC 959 section 4.2 (FTP replies) and RFC 5321 section 4.2 (SMTP replies).
import { text } from './bytes.ts';

export interface CodedReply {
  /** The reply code of the first line, when it has one. */
  code?: number;
  /** The text after "NNN-" / "NNN " on each line; FTP continuation lines without a code are kept whole. */
  lines: string[];
  /** True when the closing "NNN " line of a multi-line reply (or a single-line reply) was seen. */
  complete: boolean;
  /** Bytes the reply occupies, up to and including its last line terminator. */
  length: number;
  error?: string;
}

const CODED = /^(\d{3})([ -]|$)(.*)$/s;

export function parseCodedReply(bytes: Uint8Array): CodedReply {
  const reply: CodedReply = { lines: [], complete: false, length: 0 };
  let offset = 0;
  let first = true;
  while (offset < bytes.length) {
    const lf = bytes.indexOf(0x0a, offset);
    const end = lf < 0 ? bytes.length : lf + 1;
    const lineBytes = bytes.subarray(offset, lf < 0 ? bytes.length : lf);
    let line = text(lineBytes);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const m = CODED.exec(line);
    if (first) {
      if (!m) return { ...reply, error: 'reply does not start with a three-digit code' };
      reply.code = Number(m[1]);
      first = false;
    }
    if (m && Number(m[1]) === reply.code) reply.lines.push(m[3] ?? '');
    else reply.lines.push(line);
    offset = end;
    reply.length = end;
    // A line with the first line's code and a space (or nothing) after it closes the reply.
    if (lf >= 0 && m && Number(m[1]) === reply.code && m[2] !== '-') {
      reply.complete = true;
      break;
    }
    if (lf < 0) {
      reply.length = offset;
      break;
    }
  }
  if (first) return { ...reply, error: 'empty reply' };
  if (!reply.complete && !reply.error) reply.error = 'reply is incomplete';
  return reply;
}

/** Read predicate: the buffer holds one whole coded reply. */
export function codedReplyComplete(buf: Uint8Array): boolean {
  return parseCodedReply(buf).complete;
}

/** First line of a reply that carries text: what the Recog banner databases look at. */
export function firstText(reply: CodedReply): string | undefined {
  return reply.lines.find((l) => l.trim() !== '') ?? reply.lines[0];
}

