// Reads the ErrorResponse a PostgreSQL-protocol server sends to a refused startup packet (v3 fields or the pre-3.0 string).
// Follows the PostgreSQL docs "Frontend/Backend Protocol: Message Formats" and "Error and Notice Message Fields"; input form per fingerprints/postgresql_error.xml.
import { Cursor, utf8 } from './bytes.ts';

/** The probe's StartupMessage: protocol 4.0, which no released server accepts, with user "sextant". */
export function startupPacket(): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x00, 0x04, 0x00, 0x00]),
    Buffer.from('user\0sextant\0\0', 'latin1'),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length + 4, 0);
  return Buffer.concat([len, body]);
}

export interface PostgresError {
  /** postgresql.error: "S:FATAL V:FATAL C:0A000 M:... F:... L:... R:..." (or the pre-3.0 text). */
  error?: string;
  fields?: Array<{ type: string; value: string }>;
  /** The message the fact was read from. */
  messageBytes?: Uint8Array;
  /** The first message type byte, when it is not an ErrorResponse. */
  messageType?: string;
  complete: boolean;
  problem?: string;
}

const MAX_MESSAGE = 64 * 1024;

export function parsePostgresError(bytes: Uint8Array): PostgresError {
  if (bytes.length === 0) return { complete: false, problem: 'no bytes' };
  const type = bytes[0]!;
  if (type !== 0x45 /* 'E' */) return { complete: true, messageType: String.fromCharCode(type), problem: 'first message is not an ErrorResponse' };
  const c = new Cursor(bytes, 1);
  const len = c.u32();
  if (len === undefined) return { complete: false, problem: 'message is shorter than its header' };
  if (len >= 4 && len <= MAX_MESSAGE && bytes.length >= 1 + len && looksLikeV3(bytes.subarray(5, 1 + len))) {
    return parseV3(bytes.subarray(0, 1 + len));
  }
  // Pre-3.0 servers send 'E' and one NUL-terminated string: the "length" bytes are text.
  const nul = bytes.indexOf(0, 1);
  if (nul > 1 && isText(bytes.subarray(1, nul))) {
    const message = utf8(bytes.subarray(1, nul)).replace(/\n$/, '');
    return { error: message, messageBytes: bytes.subarray(0, nul + 1), complete: true };
  }
  if (len >= 4 && len <= MAX_MESSAGE && bytes.length < 1 + len) return { complete: false, problem: 'ErrorResponse is truncated' };
  return { complete: true, problem: 'ErrorResponse is malformed' };
}

function looksLikeV3(body: Uint8Array): boolean {
  // Fields are <ASCII letter><text>\0 ... and a final \0.
  return body.length >= 1 && body[body.length - 1] === 0 && (body.length === 1 || /[A-Za-z]/.test(String.fromCharCode(body[0]!)));
}

function isText(b: Uint8Array): boolean {
  for (const x of b) if (x < 0x09 || (x > 0x0d && x < 0x20)) return false;
  return true;
}

function parseV3(message: Uint8Array): PostgresError {
  const c = new Cursor(message, 5);
  const fields: Array<{ type: string; value: string }> = [];
  while (c.remaining > 0) {
    const t = c.u8()!;
    if (t === 0) break;
    const v = c.cstring();
    if (v === undefined) return { fields, complete: true, messageBytes: message, problem: 'field is not NUL-terminated', error: render(fields) };
    fields.push({ type: String.fromCharCode(t), value: utf8(v) });
  }
  return { error: render(fields), fields, messageBytes: message, complete: true };
}

function render(fields: Array<{ type: string; value: string }>): string {
  return fields.map((f) => `${f.type}:${f.value}`).join(' ');
}

export function postgresReplyComplete(buf: Uint8Array): boolean {
  return parsePostgresError(buf).complete;
}
