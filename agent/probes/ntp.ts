// NTP: a mode-6 READVAR control query (ntp.readvar = the system variables text).
import { randomInt } from 'node:crypto';
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { guarded, udpExchange } from './io/udp.ts';
import { parseControlHeader, parseReadvar, readvarRequest } from './parse/ntp.ts';

export const ntpProbe: Probe = {
  name: 'ntp',
  transport: 'udp',
  defaultPorts: [123],
  run(target, ctx) {
    const run = startRun('ntp', target, 'udp', 123);
    return guarded(run, ctx, async () => {
      const seq = randomInt(1, 0xffff);
      const ex = await udpExchange(run.target.ip, run.port, readvarRequest(seq), ctx, {
        accept: (b) => parseControlHeader(b)?.sequence === seq,
        done: (all) => parseReadvar(all, seq).complete,
      });
      if (ex.replies.length === 0) return run.finish(ex.ok ? 'no-match' : ex.status, ex.ok ? undefined : ex.error);
      const r = parseReadvar(ex.replies, seq);
      ex.replies.forEach((d, i) => run.rawOnly(`ntp.datagram.${i}`, d));
      if (r.text === undefined) return run.finish('no-match', r.error);
      run.fact('ntp.readvar', r.text, r.bytes);
      if (r.systemStatus !== undefined) run.fact('ntp.system_status', `0x${r.systemStatus.toString(16).padStart(4, '0')}`);
      // Partial fragments still carry the version string most of the time: keep them.
      return run.finish(r.complete ? 'success' : 'protocol-error', r.error);
    });
  },
};
