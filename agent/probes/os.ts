// TCP/IP OS detection: Nmap's 16 IPv4 OS probes sent over the agent's shared
// raw sockets; the result carries raw evidence (every packet sent and received,
// with hrtimes) under `tcpip.os_probes`, never a conclusion (nmap-os-detection.md §0).
import { isIPv4, isIPv6 } from 'node:net';
import { encodeOsEvidence, OS_EVIDENCE_KEY, sharedOsEngine, type OsEngine, type OsScanRequest } from '../net/index.ts';
import { componentLogger } from '../../shared/logging.ts';
import type { Probe, ProbeContext, ProbeResult, ProbeStatus, Target } from '../../shared/types.ts';

/** What the OS probe takes beyond the common context: its ports and round policy. */
export interface OsProbeContext extends ProbeContext {
  os?: Omit<OsScanRequest, 'target' | 'signal'> & { engine?: OsEngine };
}

/** A Probe whose run also takes the OS options (`ctx.os`). */
export const osProbe: Probe & { run(target: Target, ctx: OsProbeContext): Promise<ProbeResult> } = {
  name: 'os',
  transport: 'raw',
  defaultPorts: [],
  async run(target: Target, ctx: OsProbeContext): Promise<ProbeResult> {
    const started = Date.now();
    const openTcpPort = ctx.os?.openTcpPort ?? target.port;
    const where: Target = openTcpPort === undefined ? { ip: target.ip } : { ip: target.ip, port: openTcpPort, transport: 'tcp' };
    const log = componentLogger('probe', { probe: 'os' });
    const finish = (status: ProbeStatus, extra: Partial<ProbeResult> = {}): ProbeResult => {
      const result: ProbeResult = { probe: 'os', target: where, status, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, ...extra };
      log.debug({ ip: target.ip, status, error: result.error }, 'probe finished');
      return result;
    };
    // IP literals only: a name would mean a resolver query leaving the machine.
    if (isIPv6(target.ip)) return finish('error', { error: 'OS detection over IPv6 is not implemented' });
    if (!isIPv4(target.ip)) return finish('error', { error: `not an IPv4 address: ${target.ip}` });
    try {
      ctx.checkTarget?.(target.ip);
    } catch (err) {
      return finish('blocked', { error: err instanceof Error ? err.message : String(err) });
    }
    const { engine = sharedOsEngine(), ...request } = ctx.os ?? {};
    let outcome;
    try {
      outcome = await engine.scan({ ...request, openTcpPort, target: target.ip, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (err) {
      return finish('error', { error: err instanceof Error ? err.message : String(err) });
    }
    if (!('evidence' in outcome)) return finish(outcome.status, { error: outcome.error });
    // A host that stayed silent still leaves the record of what was sent.
    return finish(outcome.status, { facts: { [OS_EVIDENCE_KEY]: encodeOsEvidence(outcome.evidence) } });
  },
};
