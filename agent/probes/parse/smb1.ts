// Builds SMB1 NEGOTIATE ("NT LM 0.12") and an anonymous SESSION_SETUP_ANDX, and reads NativeOS / NativeLanMan from the reply.
// Follows [MS-CIFS] 2.2.3.1 (header), 2.2.4.52 (NEGOTIATE) and 2.2.4.53 (SESSION_SETUP_ANDX, NT LM 0.12 form); strings as smb_native_os.xml expects.
import { Cursor } from './bytes.ts';

export const SMB_COM_NEGOTIATE = 0x72;
export const SMB_COM_SESSION_SETUP_ANDX = 0x73;
const FLAGS2_UNICODE = 0x8000;
const FLAGS2_NT_STATUS = 0x4000;
const FLAGS2_LONG_NAMES = 0x0001;
const CAP_UNICODE = 0x0004;
const CAP_NT_STATUS = 0x0040;

function header(command: number, mid: number): Buffer {
  const h = Buffer.alloc(32);
  h.write('\xffSMB', 0, 'latin1');
  h[4] = command;
  h[9] = 0x18; // case-insensitive paths, canonicalized names
  h.writeUInt16LE(FLAGS2_UNICODE | FLAGS2_NT_STATUS | FLAGS2_LONG_NAMES, 10);
  h.writeUInt16LE(0xfeff, 26); // PID
  h.writeUInt16LE(mid, 30);
  return h;
}

/** NEGOTIATE offering only "NT LM 0.12", without extended security so the reply to SESSION_SETUP carries plain strings. */
export function smb1NegotiateRequest(): Buffer {
  const dialects = Buffer.from('\x02NT LM 0.12\0', 'latin1');
  const params = Buffer.alloc(3);
  params.writeUInt16LE(dialects.length, 1);
  return Buffer.concat([header(SMB_COM_NEGOTIATE, 1), params, dialects]);
}

/** Anonymous (null session) SESSION_SETUP_ANDX: empty passwords, account and domain. */
export function smb1SessionSetupRequest(sessionKey: number): Buffer {
  const words = Buffer.alloc(1 + 26);
  words[0] = 13;
  words[1] = 0xff; // no AndX command
  words.writeUInt16LE(16644, 5); // max buffer size
  words.writeUInt16LE(50, 7); // max mpx count
  words.writeUInt32LE(sessionKey >>> 0, 11);
  words.writeUInt32LE(CAP_UNICODE | CAP_NT_STATUS, 23);
  // Bytes: no passwords, a pad to 2-byte alignment, then empty unicode account and domain, and our own OS / LM names.
  const text = Buffer.from('\0\0Sextant\0Sextant\0', 'utf16le');
  const bytes = Buffer.concat([Buffer.from([0]), text]);
  const count = Buffer.alloc(2);
  count.writeUInt16LE(bytes.length, 0);
  return Buffer.concat([header(SMB_COM_SESSION_SETUP_ANDX, 2), words, count, bytes]);
}

export interface Smb1Reply {
  command?: number;
  status?: number;
  unicode?: boolean;
  words?: Uint8Array;
  /** The data bytes and their offset from the start of the SMB header (alignment is relative to it). */
  bytes?: Uint8Array;
  bytesOffset?: number;
  message?: Uint8Array;
  error?: string;
}

export function parseSmb1(frame: Uint8Array): Smb1Reply {
  if (frame.length < 4) return { error: 'shorter than a session header' };
  const len = ((frame[1]! << 16) | (frame[2]! << 8) | frame[3]!) >>> 0;
  const m = frame.subarray(4, Math.min(frame.length, 4 + len));
  if (m.length >= 4 && m[0] === 0xfe && m[1] === 0x53) return { message: m, error: 'server answered with SMB2' };
  if (m.length < 35 || m[0] !== 0xff || m[1] !== 0x53 || m[2] !== 0x4d || m[3] !== 0x42) return { message: m, error: 'not an SMB1 message' };
  const c = new Cursor(m, 4);
  const command = c.u8()!;
  const status = c.u32le()!;
  c.skip(1);
  const flags2 = c.u16le()!;
  const out: Smb1Reply = { command, status, unicode: (flags2 & FLAGS2_UNICODE) !== 0, message: m };
  c.pos = 32;
  const wordCount = c.u8()!;
  const words = c.bytes(wordCount * 2);
  const byteCount = c.u16le();
  if (!words || byteCount === undefined) return { ...out, error: 'parameter block is truncated' };
  out.words = words;
  out.bytesOffset = c.pos;
  out.bytes = m.subarray(c.pos, Math.min(m.length, c.pos + byteCount));
  if (out.bytes.length < byteCount) out.error = 'data block is truncated';
  return out;
}

export interface Smb1Negotiate {
  sessionKey?: number;
  extendedSecurity?: boolean;
  /** The primary domain or workgroup the server names in the reply. */
  domain?: string;
  server?: string;
  error?: string;
}

export function parseSmb1Negotiate(r: Smb1Reply): Smb1Negotiate {
  const w = r.words;
  if (!w || w.length < 34) return { error: 'NEGOTIATE reply has no NT LM 0.12 parameters' };
  const c = new Cursor(w);
  if (c.u16le() === 0xffff) return { error: 'server accepts none of the dialects' };
  c.skip(1 + 2 + 2 + 4 + 4);
  const sessionKey = c.u32le()!;
  const caps = c.u32le()!;
  const out: Smb1Negotiate = { sessionKey, extendedSecurity: (caps & 0x80000000) !== 0 };
  c.skip(8 + 2);
  const challengeLength = c.u8() ?? 0;
  if (out.extendedSecurity || !r.bytes) return out;
  // After the challenge: DomainName and ServerName as null-terminated strings (unicode when flagged).
  const strings = readStrings(r.bytes.subarray(Math.min(challengeLength, r.bytes.length)), r.unicode === true, 2);
  if (strings[0]) out.domain = strings[0];
  if (strings[1]) out.server = strings[1];
  return out;
}

export interface Smb1Session {
  /** smb.native_os */
  nativeOs?: string;
  /** smb.native_lm */
  nativeLm?: string;
  primaryDomain?: string;
  error?: string;
}

export function parseSmb1SessionSetup(r: Smb1Reply): Smb1Session {
  if (!r.bytes || r.bytesOffset === undefined) return { error: r.error ?? 'no data block' };
  let data = r.bytes;
  // Unicode strings start on an even offset from the SMB header (MS-CIFS 2.2.4.53.2 Pad).
  if (r.unicode && r.bytesOffset % 2 === 1 && data.length > 0) data = data.subarray(1);
  const [os, lm, domain] = readStrings(data, r.unicode === true, 3);
  const out: Smb1Session = {};
  if (os !== undefined) out.nativeOs = os;
  if (lm !== undefined) out.nativeLm = lm;
  if (domain !== undefined) out.primaryDomain = domain;
  if (os === undefined) out.error = 'reply carries no NativeOS string';
  return out;
}

function readStrings(b: Uint8Array, unicode: boolean, max: number): string[] {
  const out: string[] = [];
  let pos = 0;
  while (out.length < max && pos < b.length) {
    let end = pos;
    if (unicode) {
      while (end + 1 < b.length && (b[end] !== 0 || b[end + 1] !== 0)) end += 2;
      out.push(Buffer.from(b.subarray(pos, end)).toString('utf16le'));
      pos = end + 2;
    } else {
      while (end < b.length && b[end] !== 0) end++;
      out.push(Buffer.from(b.subarray(pos, end)).toString('latin1'));
      pos = end + 1;
    }
  }
  return out;
}
