// Reads an AMQP 0-9-1 broker's answer to the protocol header: the Connection.Start method frame (or a protocol header).
// Follows the AMQP 0-9-1 specification (sections 2.3.5, 4.2.3, 4.2.5 and the RabbitMQ field-table errata); rendering per fingerprints/amqp_server_properties.xml.
import { Cursor, latin1, utf8 } from './bytes.ts';

export const AMQP_091_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]);

export interface AmqpStart {
  versionMajor?: number;
  versionMinor?: number;
  /** amqp.server_properties: "key=value; key=value" in wire order. */
  serverProperties?: string;
  mechanisms?: string;
  locales?: string;
  /** The frame the facts were read from. */
  frame?: Uint8Array;
  /** Set when the broker answered with its own protocol header: e.g. "AMQP 1.0.0 (id 3)". */
  protocolHeader?: string;
  complete: boolean;
  error?: string;
}

const MAX_FRAME = 1024 * 1024;
const MAX_DEPTH = 8;

export function parseAmqpStart(bytes: Uint8Array): AmqpStart {
  if (bytes.length >= 8 && latin1(bytes.subarray(0, 4)) === 'AMQP') {
    const [id, a, b, c] = [bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!];
    return { protocolHeader: `AMQP ${a}.${b}.${c} (id ${id})`, complete: true, error: 'broker does not speak AMQP 0-9-1' };
  }
  const cur = new Cursor(bytes);
  const type = cur.u8();
  const channel = cur.u16();
  const size = cur.u32();
  if (type === undefined || channel === undefined || size === undefined) return { complete: false, error: 'frame is shorter than its header' };
  if (type !== 1 || size > MAX_FRAME) return { complete: true, error: 'not an AMQP method frame' };
  if (cur.remaining < size + 1) return { complete: false, error: 'frame is truncated' };
  const frame = bytes.subarray(0, 7 + size + 1);
  const out: AmqpStart = { frame, complete: true };
  if (frame[frame.length - 1] !== 0xce) out.error = 'frame-end octet is missing';
  const p = new Cursor(bytes.subarray(7, 7 + size));
  const cls = p.u16();
  const method = p.u16();
  if (cls !== 10 || method !== 10) return { ...out, error: `method ${cls}.${method} is not Connection.Start` };
  out.versionMajor = p.u8();
  out.versionMinor = p.u8();
  const table = readTable(p, 0);
  if (table === undefined) return { ...out, error: 'server-properties table is malformed' };
  out.serverProperties = table.map(([k, v]) => `${k}=${v}`).join('; ');
  const mech = longString(p);
  const loc = longString(p);
  if (mech !== undefined) out.mechanisms = utf8(mech);
  if (loc !== undefined) out.locales = utf8(loc);
  return out;
}

function longString(c: Cursor): Uint8Array | undefined {
  const len = c.u32();
  return len === undefined ? undefined : c.bytes(len);
}

function readTable(c: Cursor, depth: number): Array<[string, string]> | undefined {
  const body = longString(c);
  if (body === undefined || depth > MAX_DEPTH) return undefined;
  const t = new Cursor(body);
  const entries: Array<[string, string]> = [];
  while (t.remaining > 0) {
    const nameLen = t.u8();
    const name = nameLen === undefined ? undefined : t.bytes(nameLen);
    if (name === undefined) return undefined;
    const value = readValue(t, depth);
    if (value === undefined) return undefined;
    entries.push([utf8(name), value]);
  }
  return entries;
}

function readValue(c: Cursor, depth: number): string | undefined {
  const tag = c.u8();
  if (tag === undefined) return undefined;
  const b = (n: number) => c.bytes(n);
  switch (String.fromCharCode(tag)) {
    case 't': {
      const v = c.u8();
      return v === undefined ? undefined : v !== 0 ? 'true' : 'false';
    }
    case 'b': return intOf(b(1), true);
    case 'B': return intOf(b(1), false);
    case 's':
    case 'U': return intOf(b(2), true);
    case 'u': return intOf(b(2), false);
    case 'I': return intOf(b(4), true);
    case 'i': return intOf(b(4), false);
    case 'l':
    case 'L': return intOf(b(8), true);
    case 'T': return intOf(b(8), false);
    case 'f': {
      const v = b(4);
      return v === undefined ? undefined : String(Buffer.from(v).readFloatBE(0));
    }
    case 'd': {
      const v = b(8);
      return v === undefined ? undefined : String(Buffer.from(v).readDoubleBE(0));
    }
    case 'D': {
      const scale = c.u8();
      const raw = intOf(b(4), true);
      if (scale === undefined || raw === undefined) return undefined;
      return scale === 0 ? raw : (Number(raw) / 10 ** scale).toFixed(Math.min(scale, 20));
    }
    case 'S': {
      const v = longString(c);
      return v === undefined ? undefined : utf8(v);
    }
    case 'x': {
      const v = longString(c);
      return v === undefined ? undefined : Buffer.from(v).toString('hex');
    }
    case 'V': return '';
    case 'F': {
      const t = readTable(c, depth + 1);
      return t === undefined ? undefined : `{${t.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
    }
    case 'A': {
      const body = longString(c);
      if (body === undefined || depth > MAX_DEPTH) return undefined;
      const a = new Cursor(body);
      const items: string[] = [];
      while (a.remaining > 0) {
        const v = readValue(a, depth + 1);
        if (v === undefined) return undefined;
        items.push(v);
      }
      return `[${items.join(', ')}]`;
    }
    default: return undefined;
  }
}

function intOf(bytes: Uint8Array | undefined, signed: boolean): string | undefined {
  if (bytes === undefined) return undefined;
  let v = 0n;
  for (const x of bytes) v = (v << 8n) | BigInt(x);
  if (signed && bytes.length > 0 && (bytes[0]! & 0x80)) v -= 1n << BigInt(bytes.length * 8);
  return v.toString();
}

export function amqpReplyComplete(buf: Uint8Array): boolean {
  return parseAmqpStart(buf).complete;
}
