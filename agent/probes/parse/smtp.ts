// Reads an SMTP server's greeting and its EHLO reply (code, text lines, extension keywords).
// Follows RFC 5321 sections 4.2 and 4.1.1.1; smtp.banner is one line after the code, as smtp_banners.xml expects.
import { firstText, parseCodedReply } from './reply-code.ts';

export interface SmtpReply {
  code?: number;
  /** smtp.banner for a greeting: the text after the code of the first line. */
  banner?: string;
  lines: string[];
  length: number;
  complete: boolean;
  error?: string;
}

export function parseSmtpReply(bytes: Uint8Array): SmtpReply {
  const r = parseCodedReply(bytes);
  const out: SmtpReply = { lines: r.lines, length: r.length, complete: r.complete };
  if (r.code !== undefined) {
    out.code = r.code;
    const banner = firstText(r);
    if (banner !== undefined) out.banner = banner;
  }
  if (r.error) out.error = r.error;
  return out;
}

/** EHLO keywords (RFC 5321 4.1.1.1): every line after the greeting-domain line, upper-cased keyword first. */
export function ehloExtensions(reply: SmtpReply): string[] {
  if (reply.code !== 250) return [];
  return reply.lines.slice(1).map((l) => l.trim()).filter((l) => l !== '');
}
