// Reads an FTP server's greeting reply (220 ... / 421 ...), single or multi-line.
// Follows RFC 959 section 4.2 ("FTP replies"); the fact is the text after the code, as ftp_banners.xml expects.
import { firstText, parseCodedReply } from './reply-code.ts';

export interface FtpGreeting {
  code?: number;
  /** ftp.banner: the greeting text after the code (first line that carries text). */
  banner?: string;
  lines: string[];
  /** Bytes of the greeting reply, for raw evidence. */
  length: number;
  error?: string;
}

export function parseFtpGreeting(bytes: Uint8Array): FtpGreeting {
  const r = parseCodedReply(bytes);
  const out: FtpGreeting = { lines: r.lines, length: r.length };
  if (r.code !== undefined) out.code = r.code;
  if (r.code !== undefined) {
    const banner = firstText(r);
    if (banner !== undefined) out.banner = banner;
  }
  if (r.error) out.error = r.error;
  return out;
}
