// Redis (and Valkey, Dragonfly, ...): the reply to "INFO server" (redis.info), or the error line a locked server sends.
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { parseRedisInfo, redisReplyComplete } from './parse/redis.ts';

export const redisProbe: Probe = {
  name: 'redis',
  transport: 'tcp',
  defaultPorts: [6379],
  run(target, ctx) {
    const run = startRun('redis', target, 'tcp', 6379);
    // A server in protected mode writes "-DENIED ..." before any command; the same parse covers it.
    return grabBanner(run, ctx, { send: 'INFO server\r\n', complete: redisReplyComplete }, (read, conn) => {
      const r = parseRedisInfo(read.bytes);
      if (r.info === undefined) {
        run.rawOnly('redis.received', read.bytes);
        return run.finish('no-match', r.error);
      }
      run.fact('redis.info', r.info, r.replyBytes);
      run.fact('redis.version', r.fields?.redis_version);
      run.fact('redis.os', r.fields?.os);
      conn.write('QUIT\r\n');
      return run.finish(r.error ? 'protocol-error' : 'success', r.error);
    });
  },
};
