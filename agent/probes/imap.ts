// IMAP: the greeting (imap4.banner = text after "* OK ") and any capabilities it announces.
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner, hasLine } from './io/tcp.ts';
import { parseImapGreeting } from './parse/imap.ts';

export const imapProbe: Probe = {
  name: 'imap',
  transport: 'tcp',
  defaultPorts: [143],
  run(target, ctx) {
    const run = startRun('imap', target, 'tcp', 143);
    return grabBanner(run, ctx, { complete: hasLine }, (read, conn) => {
      const g = parseImapGreeting(read.bytes);
      if (g.banner === undefined) {
        run.rawOnly('imap.received', read.bytes);
        return run.finish('no-match', g.error);
      }
      run.fact('imap4.banner', g.banner, read.bytes.subarray(0, g.length));
      run.fact('imap.condition', g.condition);
      if (g.capabilities) run.fact('imap.capabilities', g.capabilities.join(' '));
      conn.write('a1 LOGOUT\r\n');
      return run.finish(g.error ? 'protocol-error' : 'success', g.error);
    });
  },
};
