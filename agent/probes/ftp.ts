// FTP: the greeting reply (ftp.banner = text after the code).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { parseFtpGreeting } from './parse/ftp.ts';
import { codedReplyComplete } from './parse/reply-code.ts';

export const ftpProbe: Probe = {
  name: 'ftp',
  transport: 'tcp',
  defaultPorts: [21],
  run(target, ctx) {
    const run = startRun('ftp', target, 'tcp', 21);
    return grabBanner(run, ctx, { complete: codedReplyComplete }, (read, conn) => {
      const g = parseFtpGreeting(read.bytes);
      if (g.code === undefined) {
        run.rawOnly('ftp.received', read.bytes);
        return run.finish('no-match', g.error);
      }
      run.fact('ftp.banner', g.banner, read.bytes.subarray(0, g.length));
      run.fact('ftp.code', String(g.code));
      if (g.lines.length > 1) run.fact('ftp.greeting', g.lines.join('\n'));
      conn.write('QUIT\r\n');
      return run.finish(g.error ? 'protocol-error' : 'success', g.error);
    });
  },
};
