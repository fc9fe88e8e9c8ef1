// TLS: handshake on any port and record the certificate and session (x509.subject, x509.issuer, tls.*).
import type tls from 'node:tls';
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { withTcp } from './io/tcp.ts';
import { DISCOVERY_TLS, recordTls } from './io/tls.ts';

export const tlsProbe: Probe = {
  name: 'tls',
  transport: 'tcp',
  defaultPorts: [443, 465, 636, 993, 995, 8443],
  run(target, ctx) {
    const run = startRun('tls', target, 'tcp', 443);
    return withTcp(run, ctx, async (conn) => {
      recordTls(run, conn.socket as tls.TLSSocket);
      return run.finish(run.facts['tls.cert.sha256'] ? 'success' : 'no-match', run.facts['tls.cert.sha256'] ? undefined : 'no certificate');
    }, { tls: DISCOVERY_TLS });
  },
};
