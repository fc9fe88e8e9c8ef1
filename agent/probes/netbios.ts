// NetBIOS: a node status request (UDP 137) for the name table (netbios.name, netbios.domain, netbios.mac).
import { randomInt } from 'node:crypto';
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { guarded, udpExchange } from './io/udp.ts';
import { formatNames, nodeStatusRequest, parseNodeStatus } from './parse/netbios.ts';

export const netbiosProbe: Probe = {
  name: 'netbios',
  transport: 'udp',
  defaultPorts: [137],
  run(target, ctx) {
    const run = startRun('netbios', target, 'udp', 137);
    return guarded(run, ctx, async () => {
      const id = randomInt(0, 0x10000);
      const ex = await udpExchange(run.target.ip, run.port, nodeStatusRequest(id), ctx, {
        accept: (b) => b.length >= 2 && b.readUInt16BE(0) === id,
      });
      if (!ex.ok) return run.finish(ex.status, ex.error);
      const r = parseNodeStatus(ex.reply, id);
      if (r.names.length === 0) {
        run.rawOnly('netbios.response', ex.reply);
        return run.finish('no-match', r.error ?? 'empty name table');
      }
      run.rawOnly('netbios.names', r.data ?? ex.reply);
      run.fact('netbios.name', r.computer);
      run.fact('netbios.domain', r.domain);
      run.fact('netbios.mac', r.mac);
      run.fact('netbios.names', formatNames(r.names));
      return run.finish(r.error ? 'protocol-error' : 'success', r.error);
    });
  },
};
