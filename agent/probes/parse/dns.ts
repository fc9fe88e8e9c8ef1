// Builds the CHAOS TXT query for version.bind and reads DNS answers (header, names with compression, TXT data).
// Follows RFC 1035 (sections 4.1 message format, 4.1.4 compression, 3.3.14 TXT) and RFC 4892 (version.bind in class CH).
import { Cursor, text } from './bytes.ts';

export const TYPE_TXT = 16;
export const CLASS_CH = 3;

export function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

export function dnsQuery(id: number, name: string, type: number, cls: number, recursionDesired = false): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id & 0xffff, 0);
  head.writeUInt16BE(recursionDesired ? 0x0100 : 0, 2);
  head.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(cls, 2);
  return Buffer.concat([head, encodeName(name), tail]);
}

export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  data: Uint8Array;
  /** Offset of data in the message (names inside it may point back). */
  dataOffset: number;
}

export interface DnsMessage {
  id?: number;
  response?: boolean;
  rcode?: number;
  answers: DnsRecord[];
  error?: string;
}

const MAX_JUMPS = 16;
const MAX_NAME = 255;

/** A possibly compressed name at c.pos; the cursor ends after the name as written at that spot. */
export function readName(msg: Uint8Array, c: Cursor): string | undefined {
  const labels: string[] = [];
  let pos = c.pos;
  let jumps = 0;
  let resume = -1;
  let length = 0;
  for (;;) {
    const len = msg[pos];
    if (len === undefined) return undefined;
    if ((len & 0xc0) === 0xc0) {
      const lo = msg[pos + 1];
      if (lo === undefined || ++jumps > MAX_JUMPS) return undefined;
      if (resume < 0) resume = pos + 2;
      pos = ((len & 0x3f) << 8) | lo;
      continue;
    }
    if (len & 0xc0) return undefined;
    if (len === 0) {
      pos += 1;
      break;
    }
    const label = msg.subarray(pos + 1, pos + 1 + len);
    if (label.length !== len) return undefined;
    length += len + 1;
    if (length > MAX_NAME) return undefined;
    labels.push(text(label));
    pos += 1 + len;
  }
  c.pos = resume >= 0 ? resume : pos;
  return labels.join('.');
}

export function parseDnsMessage(msg: Uint8Array): DnsMessage {
  const c = new Cursor(msg);
  const id = c.u16();
  const flags = c.u16();
  const qd = c.u16();
  const an = c.u16();
  c.u16();
  c.u16();
  if (id === undefined || flags === undefined || qd === undefined || an === undefined || c.pos !== 12) return { answers: [], error: 'message is shorter than its header' };
  const out: DnsMessage = { id, response: (flags & 0x8000) !== 0, rcode: flags & 0x0f, answers: [] };
  for (let i = 0; i < qd; i++) {
    if (readName(msg, c) === undefined || !c.skip(4)) return { ...out, error: 'question section is malformed' };
  }
  for (let i = 0; i < an; i++) {
    const name = readName(msg, c);
    const type = c.u16();
    const cls = c.u16();
    const ttl = c.u32();
    const len = c.u16();
    if (name === undefined || type === undefined || cls === undefined || ttl === undefined || len === undefined) return { ...out, error: 'answer section is malformed' };
    const dataOffset = c.pos;
    const data = c.bytes(len);
    if (!data) return { ...out, error: 'answer data is truncated' };
    out.answers.push({ name, type, cls, ttl, data, dataOffset });
  }
  return out;
}

/** The character-strings of TXT data; a string cut off by the end of the data is kept as far as it goes. */
export function txtStrings(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < data.length) {
    const len = data[pos]!;
    out.push(data.subarray(pos + 1, Math.min(data.length, pos + 1 + len)));
    pos += 1 + len;
  }
  return out;
}

export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export interface VersionBind {
  /** dns.versionbind: the TXT text of the first answer for version.bind. */
  version?: string;
  versionBytes?: Uint8Array;
  rcode?: string;
  error?: string;
}

export function parseVersionBind(msg: Uint8Array, id?: number): VersionBind {
  const m = parseDnsMessage(msg);
  const out: VersionBind = {};
  if (m.rcode !== undefined) out.rcode = RCODES[m.rcode] ?? String(m.rcode);
  if (m.error) out.error = m.error;
  if (id !== undefined && m.id !== id) return { ...out, error: 'answer id does not match the query' };
  if (m.response === false) return { ...out, error: 'message is not a response' };
  const txt = m.answers.find((a) => a.type === TYPE_TXT && a.name.toLowerCase() === 'version.bind');
  if (!txt) {
    out.error ??= 'no TXT answer for version.bind';
    return out;
  }
  // Several character-strings are one text: servers split only to fit the 255-byte limit.
  const bytes = Buffer.concat(txtStrings(txt.data));
  out.version = text(bytes);
  out.versionBytes = bytes;
  return out;
}
