// Reads an SSH server's identification line and its first binary packets (KEXINIT, ECDH key-exchange reply).
// Follows RFC 4253 sections 4.2, 6 and 7.1, and RFC 5656 section 4 / RFC 8731 (ECDH and Curve25519 key exchange).
import { createHash } from 'node:crypto';
import { Cursor, latin1, text } from './bytes.ts';

export interface SshIdentification {
  /** "2.0", "1.99", "1.5". */
  protoVersion?: string;
  /** ssh.banner: everything after "SSH-<protoversion>-" (software version and comments). */
  banner?: string;
  /** The identification line without CR LF. */
  line?: string;
  /** Lines the server sent before its identification (RFC 4253 4.2 allows them). */
  preamble: string[];
  /** Offset of the first byte after the identification line (where binary packets start). */
  end: number;
  /** Offset and length of the identification line in the input. */
  lineStart: number;
  error?: string;
}

const MAX_PREAMBLE_LINES = 32;

export function parseSshIdentification(bytes: Uint8Array): SshIdentification {
  const out: SshIdentification = { preamble: [], end: 0, lineStart: 0 };
  let offset = 0;
  while (offset < bytes.length && out.preamble.length <= MAX_PREAMBLE_LINES) {
    const lf = bytes.indexOf(0x0a, offset);
    const stop = lf < 0 ? bytes.length : lf;
    let line = text(bytes.subarray(offset, stop));
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('SSH-')) {
      const m = /^SSH-([^-\s]*)-(.*)$/s.exec(line);
      out.line = line;
      out.lineStart = offset;
      out.end = lf < 0 ? bytes.length : lf + 1;
      if (!m) return { ...out, error: 'identification line has no protocol version' };
      out.protoVersion = m[1]!;
      out.banner = m[2]!;
      if (lf < 0) out.error = 'identification line is not terminated';
      return out;
    }
    if (lf < 0) break;
    out.preamble.push(line);
    offset = lf + 1;
  }
  return { ...out, error: 'no SSH identification line' };
}

/** Read predicate: an "SSH-" line ended with LF. */
export function sshIdentificationComplete(buf: Uint8Array): boolean {
  const r = parseSshIdentification(buf);
  return r.line !== undefined && r.error === undefined;
}

export interface SshPacket {
  type: number;
  payload: Uint8Array;
}

/** Unencrypted binary packets (before NEWKEYS); stops at the first incomplete or malformed one. */
export function parseSshPackets(bytes: Uint8Array): { packets: SshPacket[]; rest: Uint8Array; error?: string } {
  const packets: SshPacket[] = [];
  const c = new Cursor(bytes);
  while (c.remaining >= 5) {
    const start = c.pos;
    const len = c.u32()!;
    if (len < 2 || len > 256 * 1024) return { packets, rest: bytes.subarray(start), error: `implausible packet length ${len}` };
    if (c.remaining < len) {
      c.pos = start;
      break;
    }
    const pad = c.u8()!;
    if (pad + 1 > len) return { packets, rest: bytes.subarray(start), error: 'padding longer than the packet' };
    const payload = c.bytes(len - pad - 1)!;
    c.skip(pad);
    if (payload.length > 0) packets.push({ type: payload[0]!, payload });
  }
  return { packets, rest: bytes.subarray(c.pos) };
}

export const SSH_MSG_DISCONNECT = 1;
export const SSH_MSG_KEXINIT = 20;
export const SSH_MSG_KEX_ECDH_REPLY = 31;

export interface SshKexinit {
  kex: string[];
  hostKey: string[];
  ciphersC2S: string[];
  ciphersS2C: string[];
  macsC2S: string[];
  macsS2C: string[];
  compressionC2S: string[];
  compressionS2C: string[];
  error?: string;
}

export function parseKexinit(payload: Uint8Array): SshKexinit {
  const c = new Cursor(payload);
  const lists: string[][] = [];
  const out = (error?: string): SshKexinit => {
    const l = (i: number) => lists[i] ?? [];
    const r: SshKexinit = {
      kex: l(0), hostKey: l(1), ciphersC2S: l(2), ciphersS2C: l(3), macsC2S: l(4), macsS2C: l(5), compressionC2S: l(6), compressionS2C: l(7),
    };
    if (error) r.error = error;
    return r;
  };
  if (c.u8() !== SSH_MSG_KEXINIT) return out('not a KEXINIT message');
  if (!c.skip(16)) return out('KEXINIT ends inside its cookie');
  for (let i = 0; i < 10; i++) {
    const s = sshString(c);
    if (!s) return out('KEXINIT ends inside its name-lists');
    lists.push(s.length === 0 ? [] : latin1(s).split(','));
  }
  return out();
}

export interface SshHostKey {
  /** Key type from the key blob ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
  type?: string;
  /** The host key blob K_S as sent. */
  blob?: Uint8Array;
  /** OpenSSH's fingerprint form: "SHA256:" + unpadded base64 of SHA-256(K_S). */
  sha256?: string;
  error?: string;
}

export function parseEcdhReply(payload: Uint8Array): SshHostKey {
  const c = new Cursor(payload);
  if (c.u8() !== SSH_MSG_KEX_ECDH_REPLY) return { error: 'not a KEX_ECDH_REPLY message' };
  const blob = sshString(c);
  if (!blob || blob.length === 0) return { error: 'reply ends inside the host key' };
  const out: SshHostKey = { blob, sha256: hostKeyFingerprint(blob) };
  const type = sshString(new Cursor(blob));
  if (type) out.type = latin1(type);
  return out;
}

export function hostKeyFingerprint(blob: Uint8Array): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

function sshString(c: Cursor): Uint8Array | undefined {
  const len = c.u32();
  if (len === undefined) return undefined;
  return c.bytes(len);
}

/** The first algorithm of the client's list that the server also offers (RFC 4253 7.1). */
export function negotiate(client: readonly string[], server: readonly string[]): string | undefined {
  return client.find((a) => server.includes(a));
}

/** Wraps a payload in an unencrypted binary packet (block size 8, at least 4 padding bytes). */
export function sshPacket(payload: Uint8Array): Buffer {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  const out = Buffer.alloc(5 + payload.length + pad);
  out.writeUInt32BE(1 + payload.length + pad, 0);
  out[4] = pad;
  Buffer.from(payload).copy(out, 5);
  return out;
}

export function sshStringBytes(value: Uint8Array | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

export function buildKexinit(cookie: Uint8Array, lists: readonly (readonly string[])[]): Buffer {
  const parts: Buffer[] = [Buffer.from([SSH_MSG_KEXINIT]), Buffer.from(cookie.subarray(0, 16))];
  for (let i = 0; i < 10; i++) parts.push(sshStringBytes((lists[i] ?? []).join(',')));
  parts.push(Buffer.from([0, 0, 0, 0, 0]));
  return sshPacket(Buffer.concat(parts));
}

export function buildEcdhInit(clientPublic: Uint8Array): Buffer {
  return sshPacket(Buffer.concat([Buffer.from([30]), sshStringBytes(clientPublic)]));
}
