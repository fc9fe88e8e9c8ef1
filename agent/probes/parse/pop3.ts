// Reads a POP3 server's greeting line (+OK ... / -ERR ...).
// Follows RFC 1939 section 4; pop3.banner is the text after the status indicator, as pop_banners.xml expects.
import { text } from './bytes.ts';

export interface Pop3Greeting {
  ok?: boolean;
  banner?: string;
  /** Bytes of the greeting line including its terminator. */
  length: number;
  error?: string;
}

export function parsePop3Greeting(bytes: Uint8Array): Pop3Greeting {
  const lf = bytes.indexOf(0x0a);
  const length = lf < 0 ? bytes.length : lf + 1;
  let line = text(bytes.subarray(0, lf < 0 ? bytes.length : lf));
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const m = /^(\+OK|-ERR)(?: (.*))?$/s.exec(line);
  if (!m) return { length, error: 'greeting does not start with +OK or -ERR' };
  const out: Pop3Greeting = { ok: m[1] === '+OK', banner: m[2] ?? '', length };
  if (lf < 0) out.error = 'greeting line is not terminated';
  return out;
}
