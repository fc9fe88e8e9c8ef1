// mDNS: unicast DNS-SD queries to the target's port 5353 for its name, services and _device-info TXT (mdns.device-info.txt).
import multicastDns from 'multicast-dns';
import type { Probe, ProbeContext } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { guarded } from './io/udp.ts';
import { deviceInfoName, mdnsFacts, reverseName, type MdnsRecord } from './parse/mdns.ts';

/**
 * Queries go to the target's own address from an ephemeral port, which makes
 * responders answer by unicast (RFC 6762 6.7): no multicast group is joined
 * and nothing is sent to 224.0.0.251. Still only meant for test namespaces.
 */
function collect(ip: string, port: number, questions: Array<{ name: string; type: 'PTR' | 'TXT' }>, waitMs: number, ctx: ProbeContext, records: MdnsRecord[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const m = multicastDns({ multicast: false, port: 0 });
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      m.destroy();
      resolve(error);
    };
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish(), waitMs);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    m.on('error', (err: Error) => finish(err.message));
    m.on('response', (packet, rinfo) => {
      if (rinfo.address !== ip) return;
      for (const r of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
        if (records.length < 512) records.push(r as unknown as MdnsRecord);
      }
    });
    m.query({ questions }, { address: ip, port } as never, (err?: Error | null) => {
      if (err) finish(err.message);
    });
  });
}

export const mdnsProbe: Probe = {
  name: 'mdns',
  transport: 'udp',
  defaultPorts: [5353],
  run(target, ctx) {
    const run = startRun('mdns', target, 'udp', 5353);
    return guarded(run, ctx, async () => {
      const records: MdnsRecord[] = [];
      const questions: Array<{ name: string; type: 'PTR' | 'TXT' }> = [
        { name: '_services._dns-sd._udp.local', type: 'PTR' },
        { name: '_device-info._tcp.local', type: 'PTR' },
      ];
      const rev = reverseName(run.target.ip);
      if (rev) questions.push({ name: rev, type: 'PTR' });
      const half = Math.max(100, Math.floor(ctx.timeoutMs / 2));
      let error = await collect(run.target.ip, run.port, questions, half, ctx, records);
      let facts = mdnsFacts(records);
      if (facts.hostname && facts.deviceInfo === undefined && !error) {
        error = await collect(run.target.ip, run.port, [{ name: deviceInfoName(facts.hostname), type: 'TXT' }], half, ctx, records);
        facts = mdnsFacts(records);
      }
      run.fact('mdns.name', facts.hostname);
      if (facts.services.length > 0) run.fact('mdns.services', facts.services.join('\n'));
      run.fact('mdns.device-info.txt', facts.deviceInfo, facts.deviceInfoBytes);
      if (records.length === 0) return run.finish(error ? 'error' : 'timeout', error ?? 'no mDNS answer');
      return run.finish('success', error);
    });
  },
};
