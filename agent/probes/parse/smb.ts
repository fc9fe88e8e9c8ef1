// Builds SMB2 NEGOTIATE / SESSION_SETUP (NTLMSSP NEGOTIATE in SPNEGO) and reads the replies: dialect, signing, NTLM CHALLENGE.
// Follows [MS-SMB2] 2.2.1-2.2.6, [MS-NLMP] 2.2.1.1-2.2.2.10 (messages, AV pairs, VERSION), RFC 4178 (SPNEGO) and RFC 1002 4.3.1 (session header).
import { Cursor } from './bytes.ts';

export const SMB2_NEGOTIATE = 0;
export const SMB2_SESSION_SETUP = 1;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];

/** The 4-byte NetBIOS session service header (type 0, 24-bit length) that frames SMB on TCP 445. */
export function sessionFrame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length & 0xffffff, 0);
  return Buffer.concat([head, payload]);
}

function smb2Header(command: number, messageId: number): Buffer {
  const h = Buffer.alloc(64);
  h.write('\xfeSMB', 0, 'latin1');
  h.writeUInt16LE(64, 4);
  h.writeUInt16LE(1, 6); // credit charge
  h.writeUInt16LE(command, 12);
  h.writeUInt16LE(31, 14); // credits requested
  h.writeUInt32LE(messageId, 24);
  h.writeUInt32LE(0xfeff, 32);
  return h;
}

/** NEGOTIATE offering 2.0.2 to 3.1.1; 3.1.1 requires the pre-authentication integrity context (MS-SMB2 2.2.3.1.1). */
export function negotiateRequest(clientGuid: Uint8Array, salt: Uint8Array): Buffer {
  const dialects = Buffer.alloc(DIALECTS.length * 2);
  DIALECTS.forEach((d, i) => dialects.writeUInt16LE(d, i * 2));
  const fixedLen = 36;
  const beforeContexts = 64 + fixedLen + dialects.length;
  const pad = Buffer.alloc((8 - (beforeContexts % 8)) % 8);
  const ctxData = Buffer.alloc(6 + 32);
  ctxData.writeUInt16LE(1, 0); // one hash algorithm
  ctxData.writeUInt16LE(32, 2); // salt length
  ctxData.writeUInt16LE(1, 4); // SHA-512
  Buffer.from(salt.subarray(0, 32)).copy(ctxData, 6);
  const ctxHead = Buffer.alloc(8);
  ctxHead.writeUInt16LE(1, 0); // SMB2_PREAUTH_INTEGRITY_CAPABILITIES
  ctxHead.writeUInt16LE(ctxData.length, 2);
  const body = Buffer.alloc(fixedLen);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(DIALECTS.length, 2);
  body.writeUInt16LE(1, 4); // signing enabled
  body.writeUInt32LE(0x7f & ~0x40, 8); // capabilities: DFS, leasing, large MTU, multi-channel, persistent handles, directory leasing
  Buffer.from(clientGuid.subarray(0, 16)).copy(body, 12);
  body.writeUInt32LE(beforeContexts + pad.length, 28);
  body.writeUInt16LE(1, 32);
  return Buffer.concat([smb2Header(SMB2_NEGOTIATE, 0), body, dialects, pad, ctxHead, ctxData]);
}

/** NTLMSSP NEGOTIATE asking for target info and the server VERSION (MS-NLMP 2.2.1.1). */
export function ntlmNegotiate(): Buffer {
  const m = Buffer.alloc(40);
  m.write('NTLMSSP\0', 0, 'latin1');
  m.writeUInt32LE(1, 8);
  m.writeUInt32LE(0xe2088297, 12); // 56, KEY_EXCH, 128, VERSION, TARGET_INFO, ESS, ALWAYS_SIGN, NTLM, SIGN, OEM, UNICODE, REQUEST_TARGET
  m.writeUInt32LE(40, 20);
  m.writeUInt32LE(40, 28);
  m.set([6, 1, 0xb1, 0x1d, 0, 0, 0, 15], 32); // client version 6.1.7601, NTLM revision 15
  return m;
}

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

/** SPNEGO NegTokenInit offering only NTLMSSP, with its NEGOTIATE as the mechToken (RFC 4178 4.2.1). */
export function spnegoNtlmInit(): Buffer {
  const spnegoOid = Buffer.from('06062b0601050502', 'hex');
  const ntlmOid = Buffer.from('060a2b06010401823702020a', 'hex');
  const negTokenInit = der(0x30, Buffer.concat([der(0xa0, der(0x30, ntlmOid)), der(0xa2, der(0x04, ntlmNegotiate()))]));
  return der(0x60, Buffer.concat([spnegoOid, der(0xa0, negTokenInit)]));
}

export function sessionSetupRequest(messageId: number): Buffer {
  const blob = spnegoNtlmInit();
  const body = Buffer.alloc(24);
  body.writeUInt16LE(25, 0);
  body[3] = 1; // signing enabled
  body.writeUInt16LE(64 + 24, 12);
  body.writeUInt16LE(blob.length, 14);
  return Buffer.concat([smb2Header(SMB2_SESSION_SETUP, messageId), body, blob]);
}

/** Read predicate: a whole NetBIOS session message arrived. */
export function sessionMessageComplete(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf.length >= 4 + (((buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0);
}

export interface Smb2Message {
  command?: number;
  status?: number;
  /** The SMB2 message (header and body) without the session header. */
  message?: Uint8Array;
  error?: string;
}

export function parseSmb2(bytes: Uint8Array): Smb2Message {
  if (bytes.length < 4) return { error: 'shorter than a session header' };
  const len = ((bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const message = bytes.subarray(4, Math.min(bytes.length, 4 + len));
  if (message.length >= 4 && message[0] === 0xff && message[1] === 0x53) return { message, error: 'server answered with SMB1' };
  if (message.length < 64 || message[0] !== 0xfe || message[1] !== 0x53 || message[2] !== 0x4d || message[3] !== 0x42) return { message, error: 'not an SMB2 message' };
  const c = new Cursor(message, 8);
  const status = c.u32le()!;
  const command = c.u16le()!;
  const out: Smb2Message = { command, status, message };
  if (message.length < len) out.error = 'message is truncated';
  return out;
}

export interface NegotiateInfo {
  dialect?: string;
  signing?: 'required' | 'enabled';
  serverGuid?: string;
  systemTime?: string;
  error?: string;
}

export function parseNegotiateResponse(m: Uint8Array): NegotiateInfo {
  const c = new Cursor(m, 64);
  if (c.u16le() !== 65) return { error: 'not a NEGOTIATE response body' };
  const security = c.u16le();
  const dialect = c.u16le();
  c.skip(2);
  const guid = c.bytes(16);
  c.skip(16);
  const lo = c.u32le();
  const hi = c.u32le();
  if (security === undefined || dialect === undefined || guid === undefined || lo === undefined || hi === undefined) return { error: 'NEGOTIATE response is truncated' };
  const out: NegotiateInfo = {
    dialect: dialect === 0x02ff ? '2.???' : `${dialect >> 8}.${(dialect >> 4) & 0xf}.${dialect & 0xf}`,
    signing: security & 2 ? 'required' : 'enabled',
    serverGuid: guidString(guid),
  };
  const t = filetime(lo, hi);
  if (t) out.systemTime = t;
  return out;
}

function guidString(g: Uint8Array): string {
  const b = Buffer.from(g);
  const hex = (x: Buffer) => x.toString('hex');
  return `${hex(Buffer.from(b.subarray(0, 4)).reverse())}-${hex(Buffer.from(b.subarray(4, 6)).reverse())}-${hex(Buffer.from(b.subarray(6, 8)).reverse())}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}

function filetime(lo: number, hi: number): string | undefined {
  const ms = (hi * 2 ** 32 + lo) / 10_000 - 11_644_473_600_000;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

/** The security buffer of a SESSION_SETUP response (MS-SMB2 2.2.6). */
export function sessionSetupBlob(m: Uint8Array): Uint8Array | undefined {
  const c = new Cursor(m, 64);
  if (c.u16le() !== 9) return undefined;
  c.skip(2);
  const off = c.u16le();
  const len = c.u16le();
  if (off === undefined || len === undefined || off + len > m.length) return undefined;
  return m.subarray(off, off + len);
}

export interface NtlmChallenge {
  /** "10.0.19041": product major.minor.build from the VERSION field. */
  osVersion?: string;
  netbiosName?: string;
  netbiosDomain?: string;
  dnsName?: string;
  dnsDomain?: string;
  dnsForest?: string;
  targetName?: string;
  /** The CHALLENGE message the facts came from. */
  message?: Uint8Array;
  error?: string;
}

/**
 * Finds the NTLMSSP CHALLENGE by its signature instead of walking the
 * SPNEGO wrapper: servers differ in how they wrap it, never in the message.
 */
export function parseNtlmChallenge(blob: Uint8Array): NtlmChallenge {
  const at = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).indexOf('NTLMSSP\0', 0, 'latin1');
  if (at < 0) return { error: 'no NTLMSSP message' };
  const msg = blob.subarray(at);
  const c = new Cursor(msg, 8);
  if (c.u32le() !== 2) return { message: msg, error: 'NTLMSSP message is not a CHALLENGE' };
  const target = fields(c);
  const flags = c.u32le();
  c.skip(16); // server challenge, reserved
  const info = fields(c);
  if (flags === undefined || !target || !info) return { message: msg, error: 'CHALLENGE is truncated' };
  const out: NtlmChallenge = { message: msg };
  const name = slice(msg, target);
  if (name) out.targetName = utf16(name);
  if (flags & 0x02000000 && target.offset >= 56) {
    const v = new Cursor(msg, 48);
    const major = v.u8();
    const minor = v.u8();
    const build = v.u16le();
    if (major !== undefined && minor !== undefined && build !== undefined) out.osVersion = `${major}.${minor}.${build}`;
  }
  const av = slice(msg, info);
  if (av) readAvPairs(av, out);
  return out;
}

function fields(c: Cursor): { length: number; offset: number } | undefined {
  const length = c.u16le();
  c.u16le();
  const offset = c.u32le();
  return length === undefined || offset === undefined ? undefined : { length, offset };
}

function slice(msg: Uint8Array, f: { length: number; offset: number }): Uint8Array | undefined {
  if (f.length === 0 || f.offset + f.length > msg.length) return undefined;
  return msg.subarray(f.offset, f.offset + f.length);
}

function utf16(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength - (b.byteLength % 2)).toString('utf16le');
}

function readAvPairs(av: Uint8Array, out: NtlmChallenge): void {
  const c = new Cursor(av);
  for (let i = 0; i < 64 && c.remaining >= 4; i++) {
    const id = c.u16le()!;
    const len = c.u16le()!;
    if (id === 0) return;
    const v = c.bytes(len);
    if (!v) return;
    const s = () => utf16(v);
    if (id === 1) out.netbiosName = s();
    else if (id === 2) out.netbiosDomain = s();
    else if (id === 3) out.dnsName = s();
    else if (id === 4) out.dnsDomain = s();
    else if (id === 5) out.dnsForest = s();
  }
}
