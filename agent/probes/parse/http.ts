// Reads an HTTP/1.x response: status line, header fields (bytes kept per field) and the body (chunked or sized).
// Follows RFC 9112 (HTTP/1.1 message syntax: sections 4, 5, 6 and 7.1 chunked transfer coding).
import { Cursor, latin1 } from './bytes.ts';

export interface HttpHeader {
  /** Lower-cased field name. */
  name: string;
  /** The field value as sent, surrounding whitespace removed, obs-fold lines joined with one space. */
  value: string;
  valueBytes: Uint8Array;
}

export interface HttpResponse {
  version?: string;
  status?: number;
  reason?: string;
  headers: HttpHeader[];
  /** The status line and header block, terminators included. */
  head?: Uint8Array;
  /** The body with any chunked transfer coding removed. */
  body: Uint8Array;
  /** Headers complete and the body as long as its framing says. */
  complete: boolean;
  error?: string;
}

const MAX_HEAD = 64 * 1024;

export function parseHttpResponse(bytes: Uint8Array, opts: { closed?: boolean } = {}): HttpResponse {
  const out: HttpResponse = { headers: [], body: new Uint8Array(0), complete: false };
  const headEnd = findHeadEnd(bytes);
  const headBytes = bytes.subarray(0, headEnd < 0 ? Math.min(bytes.length, MAX_HEAD) : headEnd);
  const lines = splitHeadLines(headBytes);
  const statusLine = lines.shift();
  const m = statusLine === undefined ? null : /^(HTTP\/\d(?:\.\d)?) (\d{3})(?: (.*))?$/.exec(latin1(statusLine));
  if (!m) return { ...out, error: 'response does not start with an HTTP status line' };
  out.version = m[1]!;
  out.status = Number(m[2]);
  out.reason = m[3] ?? '';
  for (const line of lines) {
    if ((line[0] === 0x20 || line[0] === 0x09) && out.headers.length > 0) {
      // obs-fold: a continuation of the previous field's value
      const prev = out.headers[out.headers.length - 1]!;
      prev.valueBytes = Buffer.concat([prev.valueBytes, Buffer.from(' '), trimBytes(line)]);
      prev.value = latin1(prev.valueBytes);
      continue;
    }
    const colon = line.indexOf(0x3a);
    if (colon <= 0) continue;
    const valueBytes = trimBytes(line.subarray(colon + 1));
    out.headers.push({ name: latin1(line.subarray(0, colon)).trim().toLowerCase(), value: latin1(valueBytes), valueBytes });
  }
  if (headEnd < 0) return { ...out, error: bytes.length >= MAX_HEAD ? 'header block is too large' : 'header block is incomplete' };
  out.head = bytes.subarray(0, headEnd);
  const rest = bytes.subarray(headEnd);
  const te = header(out, 'transfer-encoding');
  const cl = header(out, 'content-length');
  const bodiless = out.status === 204 || out.status === 304 || (out.status >= 100 && out.status < 200);
  if (bodiless) return { ...out, complete: true };
  if (te && /chunked/i.test(te)) {
    const d = dechunk(rest);
    out.body = d.body;
    out.complete = d.complete;
    if (d.error) out.error = d.error;
  } else if (cl !== undefined && /^\d{1,12}$/.test(cl.trim())) {
    const len = Number(cl.trim());
    out.body = rest.subarray(0, Math.min(len, rest.length));
    out.complete = rest.length >= len;
  } else {
    out.body = rest;
    out.complete = opts.closed === true;
  }
  return out;
}

/** The first field with that (lower-case) name. */
export function header(r: HttpResponse, name: string): string | undefined {
  return r.headers.find((h) => h.name === name)?.value;
}

/** Every field with that name, in order (Set-Cookie and WWW-Authenticate repeat). */
export function headersNamed(r: HttpResponse, name: string): HttpHeader[] {
  return r.headers.filter((h) => h.name === name);
}

function findHeadEnd(b: Uint8Array): number {
  const limit = Math.min(b.length, MAX_HEAD);
  for (let i = 0; i < limit; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function splitHeadLines(head: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0x0a) continue;
    const end = i > start && head[i - 1] === 0x0d ? i - 1 : i;
    if (end > start) lines.push(head.subarray(start, end));
    start = i + 1;
  }
  if (start < head.length) lines.push(head.subarray(start));
  return lines;
}

function trimBytes(b: Uint8Array): Uint8Array {
  let s = 0;
  let e = b.length;
  while (s < e && (b[s] === 0x20 || b[s] === 0x09)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09 || b[e - 1] === 0x0d)) e--;
  return b.subarray(s, e);
}

function dechunk(b: Uint8Array): { body: Uint8Array; complete: boolean; error?: string } {
  const parts: Uint8Array[] = [];
  const c = new Cursor(b);
  for (let n = 0; n < 100_000; n++) {
    const lf = b.indexOf(0x0a, c.pos);
    if (lf < 0) return { body: Buffer.concat(parts), complete: false };
    const sizeText = latin1(b.subarray(c.pos, lf)).replace(/;.*$/, '').trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return { body: Buffer.concat(parts), complete: false, error: 'bad chunk size line' };
    const size = parseInt(sizeText, 16);
    c.pos = lf + 1;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const chunk = c.bytes(size);
    if (!chunk) {
      parts.push(b.subarray(c.pos));
      return { body: Buffer.concat(parts), complete: false };
    }
    parts.push(chunk);
    if (b[c.pos] === 0x0d) c.pos++;
    if (b[c.pos] === 0x0a) c.pos++;
  }
  return { body: Buffer.concat(parts), complete: false, error: 'too many chunks' };
}

/** Read predicate for a response on a connection the client asked to close. */
export function httpResponseComplete(buf: Uint8Array): boolean {
  return parseHttpResponse(buf).complete;
}
