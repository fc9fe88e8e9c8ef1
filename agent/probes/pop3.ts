// POP3: the greeting line (pop3.banner = text after +OK / -ERR).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner, hasLine } from './io/tcp.ts';
import { parsePop3Greeting } from './parse/pop3.ts';

export const pop3Probe: Probe = {
  name: 'pop3',
  transport: 'tcp',
  defaultPorts: [110],
  run(target, ctx) {
    const run = startRun('pop3', target, 'tcp', 110);
    return grabBanner(run, ctx, { complete: hasLine }, (read, conn) => {
      const g = parsePop3Greeting(read.bytes);
      if (g.banner === undefined) {
        run.rawOnly('pop3.received', read.bytes);
        return run.finish('no-match', g.error);
      }
      run.fact('pop3.banner', g.banner, read.bytes.subarray(0, g.length));
      run.fact('pop3.ok', String(g.ok));
      conn.write('QUIT\r\n');
      return run.finish(g.error ? 'protocol-error' : 'success', g.error);
    });
  },
};
