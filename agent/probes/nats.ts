// NATS: the INFO line the server sends on connect (nats.info = its JSON as sent).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner, hasLine } from './io/tcp.ts';
import { parseNatsInfo } from './parse/nats.ts';

export const natsProbe: Probe = {
  name: 'nats',
  transport: 'tcp',
  defaultPorts: [4222],
  run(target, ctx) {
    const run = startRun('nats', target, 'tcp', 4222);
    return grabBanner(run, ctx, { complete: hasLine }, (read) => {
      const info = parseNatsInfo(read.bytes);
      if (info.info === undefined) {
        run.rawOnly('nats.received', read.bytes);
        return run.finish('no-match', info.error);
      }
      const lf = read.bytes.indexOf(0x0a);
      run.fact('nats.info', info.info, read.bytes.subarray(0, lf < 0 ? read.bytes.length : lf + 1));
      run.fact('nats.version', info.version);
      if (info.tlsRequired !== undefined) run.fact('nats.tls_required', String(info.tlsRequired));
      if (info.authRequired !== undefined) run.fact('nats.auth_required', String(info.authRequired));
      return run.finish(info.error ? 'protocol-error' : 'success', info.error);
    });
  },
};
