// SMTP: the greeting (smtp.banner) and the EHLO reply's extension keywords.
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { codedReplyComplete } from './parse/reply-code.ts';
import { ehloExtensions, parseSmtpReply } from './parse/smtp.ts';

export const smtpProbe: Probe = {
  name: 'smtp',
  transport: 'tcp',
  defaultPorts: [25, 587],
  run(target, ctx) {
    const run = startRun('smtp', target, 'tcp', 25);
    return grabBanner(run, ctx, { complete: codedReplyComplete }, async (read, conn) => {
      const g = parseSmtpReply(read.bytes);
      if (g.code === undefined) {
        run.rawOnly('smtp.received', read.bytes);
        return run.finish('no-match', g.error);
      }
      run.fact('smtp.banner', g.banner, read.bytes.subarray(0, g.length));
      run.fact('smtp.code', String(g.code));
      if (g.error || g.code !== 220) return run.finish(g.error ? 'protocol-error' : 'success', g.error);
      // An address literal, not a name: nothing here asks a resolver, and servers accept it (RFC 5321 4.1.3).
      const local = conn.socket.localAddress ?? '127.0.0.1';
      conn.write(`EHLO [${local.includes(':') ? `IPv6:${local}` : local}]\r\n`);
      const ehloRead = await conn.read({ complete: codedReplyComplete });
      const ehlo = parseSmtpReply(ehloRead.bytes);
      if (ehlo.code !== undefined) {
        run.fact('smtp.ehlo.code', String(ehlo.code), ehloRead.bytes.subarray(0, ehlo.length));
        const ext = ehloExtensions(ehlo);
        if (ext.length > 0) run.fact('smtp.extensions', ext.join('\n'));
      }
      conn.write('QUIT\r\n');
      return run.finish('success');
    });
  },
};
