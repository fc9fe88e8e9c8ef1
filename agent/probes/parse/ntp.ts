// Builds the NTP mode-6 READVAR request and reads its (possibly fragmented) response into the variable text.
// Follows RFC 1305 Appendix B / RFC 9327 (NTP control messages); ntp.readvar is the response text, as ntp_banners.xml expects.
import { Cursor, text } from './bytes.ts';

const OP_READVAR = 2;

/** 12 bytes: LI 0, version 2, mode 6; opcode READVAR; sequence; status, association, offset and count all 0. */
export function readvarRequest(sequence: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = (2 << 3) | 6;
  b[1] = OP_READVAR;
  b.writeUInt16BE(sequence & 0xffff, 2);
  return b;
}

export interface NtpFragment {
  sequence: number;
  response: boolean;
  error: boolean;
  more: boolean;
  opcode: number;
  status: number;
  offset: number;
  data: Uint8Array;
}

export function parseControlHeader(b: Uint8Array): NtpFragment | undefined {
  const c = new Cursor(b);
  const first = c.u8();
  const flags = c.u8();
  const sequence = c.u16();
  const status = c.u16();
  c.u16(); // association id
  const offset = c.u16();
  const count = c.u16();
  if (first === undefined || flags === undefined || sequence === undefined || status === undefined || offset === undefined || count === undefined) return undefined;
  if ((first & 0x07) !== 6) return undefined;
  const data = b.subarray(12, 12 + Math.min(count, Math.max(0, b.length - 12)));
  return { sequence, response: (flags & 0x80) !== 0, error: (flags & 0x40) !== 0, more: (flags & 0x20) !== 0, opcode: flags & 0x1f, status, offset, data };
}

export interface NtpReadvar {
  /** ntp.readvar: the variable list text exactly as sent, fragments joined in offset order. */
  text?: string;
  bytes?: Uint8Array;
  systemStatus?: number;
  complete: boolean;
  error?: string;
}

export function parseReadvar(datagrams: Uint8Array[], sequence?: number): NtpReadvar {
  const frags = datagrams
    .map(parseControlHeader)
    .filter((f): f is NtpFragment => f !== undefined && f.response && f.opcode === OP_READVAR && (sequence === undefined || f.sequence === sequence));
  if (frags.length === 0) return { complete: false, error: 'no mode-6 READVAR response' };
  frags.sort((a, b) => a.offset - b.offset);
  const out: NtpReadvar = { complete: false, systemStatus: frags[0]!.status };
  if (frags.some((f) => f.error)) return { ...out, complete: true, error: 'server answered with an error' };
  const parts: Uint8Array[] = [];
  let next = 0;
  for (const f of frags) {
    if (f.offset !== next) {
      out.error = 'a fragment is missing';
      break;
    }
    parts.push(f.data);
    next += f.data.length;
  }
  const last = frags[frags.length - 1]!;
  out.complete = !out.error && !last.more;
  if (!out.complete && !out.error) out.error = 'more fragments were announced';
  const bytes = Buffer.concat(parts);
  out.bytes = bytes;
  out.text = text(bytes);
  return out;
}
