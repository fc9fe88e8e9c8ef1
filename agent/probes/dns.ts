// DNS: the CHAOS-class TXT query for version.bind (dns.versionbind), or the rcode of a server that refuses it.
import { randomInt } from 'node:crypto';
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { guarded, udpExchange } from './io/udp.ts';
import { CLASS_CH, TYPE_TXT, dnsQuery, parseVersionBind } from './parse/dns.ts';

export const dnsProbe: Probe = {
  name: 'dns',
  transport: 'udp',
  defaultPorts: [53],
  run(target, ctx) {
    const run = startRun('dns', target, 'udp', 53);
    return guarded(run, ctx, async () => {
      const id = randomInt(0, 0x10000);
      // Sent only to the target itself: a CHAOS query is answered by that server, never forwarded upstream.
      const ex = await udpExchange(run.target.ip, run.port, dnsQuery(id, 'version.bind', TYPE_TXT, CLASS_CH), ctx, {
        accept: (b) => b.length >= 2 && b.readUInt16BE(0) === id,
      });
      if (!ex.ok) return run.finish(ex.status, ex.error);
      run.rawOnly('dns.response', ex.reply);
      const r = parseVersionBind(ex.reply, id);
      run.fact('dns.rcode', r.rcode);
      if (r.version === undefined) return run.finish(r.rcode ? 'no-match' : 'protocol-error', r.error);
      run.fact('dns.versionbind', r.version, r.versionBytes);
      return run.finish('success');
    });
  },
};
