// memcached: the reply to "stats" (memcached.stats).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { memcachedReplyComplete, parseMemcachedStats } from './parse/memcached.ts';

export const memcachedProbe: Probe = {
  name: 'memcached',
  transport: 'tcp',
  defaultPorts: [11211],
  run(target, ctx) {
    const run = startRun('memcached', target, 'tcp', 11211);
    return grabBanner(run, ctx, { send: 'stats\r\n', complete: memcachedReplyComplete }, (read, conn) => {
      const r = parseMemcachedStats(read.bytes);
      if (r.stats === undefined) {
        run.rawOnly('memcached.received', read.bytes);
        return run.finish('no-match', r.error);
      }
      run.fact('memcached.stats', r.stats, r.statsBytes);
      run.fact('memcached.version', r.version);
      conn.write('quit\r\n');
      return run.finish(r.error ? 'protocol-error' : 'success', r.error);
    });
  },
};
