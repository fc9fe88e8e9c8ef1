// TLS settings for discovery (accept any certificate, old protocol versions) and the facts of a finished handshake.
import tls from 'node:tls';
import type { ProbeRun } from './run.ts';
import { parseCertificate } from '../parse/x509.ts';

/**
 * A scanner wants to see the certificate, not to trust it; legacy devices
 * still run TLS 1.0, which OpenSSL 3 only allows at security level 0.
 * No servername: targets are IP literals and SNI must not carry one.
 */
export const DISCOVERY_TLS: tls.ConnectionOptions = {
  rejectUnauthorized: false,
  minVersion: 'TLSv1',
  ciphers: 'ALL:@SECLEVEL=0',
  // One OpenSSL context for every discovery handshake: without it tls.connect
  // builds a context per connection, and a scan's hundreds of TLS probes at
  // once cost the agent ~50 MB of RSS (docs/benchmarks.md, "Port scan").
  secureContext: tls.createSecureContext({ minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' }),
};

/** Records x509.subject / x509.issuer (Go pkix order), tls.cert.* and the negotiated session. */
export function recordTls(run: ProbeRun, socket: tls.TLSSocket): void {
  run.fact('tls.version', socket.getProtocol() ?? undefined);
  run.fact('tls.cipher', socket.getCipher()?.name);
  if (socket.alpnProtocol) run.fact('tls.alpn', socket.alpnProtocol);
  const peer = socket.getPeerCertificate(false);
  const der = peer && 'raw' in peer ? peer.raw : undefined;
  if (!der || der.length === 0) return;
  const cert = parseCertificate(der);
  run.fact('x509.subject', cert.subject);
  run.fact('x509.issuer', cert.issuer);
  run.fact('tls.cert.sha256', cert.sha256, der);
  run.fact('tls.cert.san', cert.san);
  run.fact('tls.cert.not_before', cert.notBefore);
  run.fact('tls.cert.not_after', cert.notAfter);
  run.fact('tls.cert.serial', cert.serial);
  if (cert.selfSigned !== undefined) run.fact('tls.cert.self_signed', String(cert.selfSigned));
  if (cert.error) run.fact('tls.cert.error', cert.error);
}
