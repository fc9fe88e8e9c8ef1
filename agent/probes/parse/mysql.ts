// Reads the first packet a MySQL-protocol server sends: the Handshake (v10 or v9) or an ERR packet.
// Follows the MySQL client/server protocol docs ("Protocol::HandshakeV10", "ERR_Packet"); mysql.banners is the version string.
import { Cursor, text } from './bytes.ts';

export interface MysqlGreeting {
  /** 10 for Handshake v10, 9 for v9, 255 for an ERR packet. */
  protocol?: number;
  /** mysql.banners: the NUL-terminated server version string. */
  version?: string;
  versionBytes?: Uint8Array;
  connectionId?: number;
  capabilities?: number;
  characterSet?: number;
  statusFlags?: number;
  authPlugin?: string;
  errorCode?: number;
  /** mysql.error: the message of an ERR packet (after the code and optional SQL state). */
  errorMessage?: string;
  errorMessageBytes?: Uint8Array;
  /** The packet (header included) the facts were read from. */
  packet: Uint8Array;
  error?: string;
}

/** Read predicate: the 4-byte header and its whole payload arrived. */
export function mysqlPacketComplete(buf: Uint8Array): boolean {
  if (buf.length < 4) return false;
  const len = buf[0]! | (buf[1]! << 8) | (buf[2]! << 16);
  return buf.length >= 4 + len;
}

export function parseMysqlGreeting(bytes: Uint8Array): MysqlGreeting {
  if (bytes.length < 5) return { packet: bytes, error: 'packet is shorter than its header' };
  const len = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16);
  const payload = bytes.subarray(4, Math.min(bytes.length, 4 + len));
  const packet = bytes.subarray(0, 4 + payload.length);
  const out: MysqlGreeting = { packet };
  if (payload.length < len) out.error = 'packet is truncated';
  const c = new Cursor(payload);
  const protocol = c.u8();
  if (protocol === undefined) return { ...out, error: 'packet has an empty payload' };
  out.protocol = protocol;
  if (protocol === 0xff) return parseErr(c, out);
  if (protocol !== 10 && protocol !== 9) return { ...out, error: `not a MySQL handshake (first payload byte ${protocol})` };
  const version = c.cstring();
  if (!version) return { ...out, error: 'server version is not NUL-terminated' };
  out.versionBytes = version;
  out.version = text(version);
  const id = c.u32le();
  if (id === undefined) return { ...out, error: out.error ?? 'handshake ends after the version' };
  out.connectionId = id;
  if (protocol === 9) return out;
  // auth-plugin-data-part-1 (8 bytes) and a filler byte
  if (!c.skip(9)) return { ...out, error: out.error ?? 'handshake ends in the auth data' };
  const capLow = c.u16le();
  if (capLow === undefined) return out;
  out.capabilities = capLow;
  const charset = c.u8();
  const status = c.u16le();
  const capHigh = c.u16le();
  if (charset === undefined || status === undefined || capHigh === undefined) return out;
  out.characterSet = charset;
  out.statusFlags = status;
  out.capabilities = ((capHigh << 16) >>> 0) + capLow;
  const authLen = c.u8() ?? 0;
  if (!c.skip(10)) return out;
  const CLIENT_SECURE_CONNECTION = 0x8000;
  const CLIENT_PLUGIN_AUTH = 0x80000;
  if (out.capabilities & CLIENT_SECURE_CONNECTION) {
    if (!c.skip(Math.min(c.remaining, Math.max(13, authLen - 8)))) return out;
  }
  if (out.capabilities & CLIENT_PLUGIN_AUTH) {
    // Some servers omit the final NUL; the plugin name then runs to the end of the packet.
    const name = c.cstring() ?? c.bytes(c.remaining);
    if (name && name.length > 0) out.authPlugin = text(name);
  }
  return out;
}

function parseErr(c: Cursor, out: MysqlGreeting): MysqlGreeting {
  const code = c.u16le();
  if (code === undefined) return { ...out, error: 'ERR packet ends before its code' };
  out.errorCode = code;
  // Before capabilities are exchanged servers send no SQL state; a '#' marks one when present.
  if (c.buf[c.pos] === 0x23 && c.remaining >= 6) c.skip(6);
  const msg = c.bytes(c.remaining)!;
  out.errorMessageBytes = msg;
  out.errorMessage = text(msg);
  return out;
}
