// HTTPS: the http probe's facts over TLS, plus the server certificate (x509.subject, x509.issuer, tls.cert.*).
import type { Probe } from '../../shared/types.ts';
import { runHttp } from './io/http.ts';
import { startRun } from './io/run.ts';
import { DISCOVERY_TLS } from './io/tls.ts';

export const httpsProbe: Probe = {
  name: 'https',
  transport: 'tcp',
  defaultPorts: [443, 8443, 4443],
  run(target, ctx) {
    return runHttp(startRun('https', target, 'tcp', 443), ctx, 443, { ...DISCOVERY_TLS, ALPNProtocols: ['http/1.1'] });
  },
};
