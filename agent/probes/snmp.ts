// SNMP: the system group (sysDescr, sysObjectID, sysName, ...) with community "public", v2c first, then v1.
import net from 'node:net';
import snmp from 'net-snmp';
import type { Probe, ProbeContext, ProbeStatus } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { guarded } from './io/udp.ts';
import { SYSTEM_OIDS, snmpSystemFacts, type Varbind } from './parse/snmp.ts';

const COMMUNITY = 'public';

type GetOutcome = { ok: true; varbinds: Varbind[] } | { ok: false; status: ProbeStatus; error: string };

function getSystem(ip: string, port: number, version: 0 | 1, timeoutMs: number, ctx: ProbeContext): Promise<GetOutcome> {
  return new Promise((resolve) => {
    const session = snmp.createSession(ip, COMMUNITY, {
      version,
      port,
      retries: 0,
      timeout: timeoutMs,
      transport: net.isIPv6(ip) ? 'udp6' : 'udp4',
    });
    let settled = false;
    const done = (r: GetOutcome) => {
      if (settled) return;
      settled = true;
      ctx.signal?.removeEventListener('abort', onAbort);
      try {
        session.close();
      } catch {
        // already closed
      }
      resolve(r);
    };
    const onAbort = () => done({ ok: false, status: 'error', error: 'aborted' });
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    session.on('error', (err: Error) => done({ ok: false, status: 'error', error: err.message }));
    session.get(SYSTEM_OIDS, (err, varbinds) => {
      if (err) {
        const timedOut = (err as Error).name === 'RequestTimedOutError';
        done({ ok: false, status: timedOut ? 'timeout' : 'protocol-error', error: err.message });
      } else done({ ok: true, varbinds: (varbinds ?? []) as unknown as Varbind[] });
    });
  });
}

export const snmpProbe: Probe = {
  name: 'snmp',
  transport: 'udp',
  defaultPorts: [161],
  run(target, ctx) {
    const run = startRun('snmp', target, 'udp', 161);
    return guarded(run, ctx, async () => {
      // v1-only agents ignore v2c requests; splitting the budget keeps the probe within ctx.timeoutMs.
      const half = Math.max(100, Math.floor(ctx.timeoutMs / 2));
      let r = await getSystem(run.target.ip, run.port, snmp.Version2c, half, ctx);
      let version = '2c';
      if (!r.ok && r.status === 'timeout') {
        r = await getSystem(run.target.ip, run.port, snmp.Version1, half, ctx);
        version = '1';
      }
      if (!r.ok) return run.finish(r.status, r.error);
      const sys = snmpSystemFacts(r.varbinds);
      for (const [key, value] of Object.entries(sys.facts)) run.fact(key, value, sys.raw[key]);
      run.fact('snmp.version', version);
      return run.finish(Object.keys(sys.facts).length > 0 ? 'success' : 'no-match');
    });
  },
};
