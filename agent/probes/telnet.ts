// Telnet: the login banner with option negotiation removed (telnet_banners), refusing every option asked.
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { BANNER_LIMIT, silentStatus, withTcp, type ReadOutcome } from './io/tcp.ts';
import { text } from './parse/bytes.ts';
import { parseTelnet, refuseOptions } from './parse/telnet.ts';

/** Servers negotiate in a few rounds before the banner; more than this is a peer that never stops. */
const MAX_ROUNDS = 6;

export const telnetProbe: Probe = {
  name: 'telnet',
  transport: 'tcp',
  defaultPorts: [23],
  run(target, ctx) {
    const run = startRun('telnet', target, 'tcp', 23);
    return withTcp(run, ctx, async (conn) => {
      let received = Buffer.alloc(0);
      let answered = 0;
      let last: ReadOutcome = { bytes: received, end: 'idle' };
      for (let round = 0; round < MAX_ROUNDS && received.length < BANNER_LIMIT; round++) {
        const read = await conn.read({ idleMs: 600, limit: BANNER_LIMIT - received.length });
        last = read;
        received = Buffer.concat([received, read.bytes]);
        const parsed = parseTelnet(received);
        const replies = refuseOptions(parsed.commands.slice(answered));
        answered = parsed.commands.length;
        if (replies.length > 0) conn.write(replies);
        // Stop once text arrived and the server has nothing left to negotiate.
        if (read.end !== 'idle' || (replies.length === 0 && parsed.banner.length > 0)) break;
        if (replies.length === 0 && read.bytes.length === 0) break;
      }
      if (received.length === 0) {
        const s = silentStatus(last);
        return run.finish(s.status, s.error);
      }
      const parsed = parseTelnet(received);
      if (parsed.commands.length > 0) run.fact('telnet.options', parsed.commands.map((c) => `${c.command}:${c.option ?? ''}`).join(' '));
      if (parsed.banner.length === 0) {
        run.rawOnly('telnet.received', received);
        return run.finish('no-match', 'no banner text after option negotiation');
      }
      // Raw keeps the negotiation too: the fact is derived, the bytes are as received.
      run.fact('telnet_banners', text(parsed.banner), received);
      return run.finish('success');
    });
  },
};
