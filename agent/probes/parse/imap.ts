// Reads an IMAP server's greeting (untagged OK, PREAUTH or BYE response).
// Follows RFC 9051 section 7.1 (RFC 3501 7.1); imap4.banner is the text after "* OK ", as imap_banners.xml expects.
import { text } from './bytes.ts';

export interface ImapGreeting {
  /** OK, PREAUTH or BYE. */
  condition?: string;
  banner?: string;
  /** Capabilities announced in a leading [CAPABILITY ...] response code. */
  capabilities?: string[];
  length: number;
  error?: string;
}

export function parseImapGreeting(bytes: Uint8Array): ImapGreeting {
  const lf = bytes.indexOf(0x0a);
  const length = lf < 0 ? bytes.length : lf + 1;
  let line = text(bytes.subarray(0, lf < 0 ? bytes.length : lf));
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const m = /^\* (OK|PREAUTH|BYE)(?: (.*))?$/is.exec(line);
  if (!m) return { length, error: 'greeting is not an untagged OK, PREAUTH or BYE' };
  const banner = m[2] ?? '';
  const out: ImapGreeting = { condition: m[1]!.toUpperCase(), banner, length };
  const cap = /^\[CAPABILITY ([^\]]*)\]/i.exec(banner);
  if (cap) out.capabilities = cap[1]!.split(' ').filter((c) => c !== '');
  if (lf < 0) out.error = 'greeting line is not terminated';
  return out;
}
