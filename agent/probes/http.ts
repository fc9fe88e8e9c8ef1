// HTTP: GET / (status, Server, Set-Cookie, WWW-Authenticate, X-Powered-By, <title>) and the favicon's MD5.
import type { Probe } from '../../shared/types.ts';
import { runHttp } from './io/http.ts';
import { startRun } from './io/run.ts';

export const httpProbe: Probe = {
  name: 'http',
  transport: 'tcp',
  defaultPorts: [80, 8080, 8000, 8008, 8888],
  run(target, ctx) {
    return runHttp(startRun('http', target, 'tcp', 80), ctx, 80);
  },
};
