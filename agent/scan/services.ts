// Which service probes go to which open port: probes whose default ports
// include it, and for a port no probe claims, a short dispatch on the greeting
// (server-speaks-first protocols), then HTTP, then TLS.
import type { Probe, ProbeContext, ProbeResult, Target } from '../../shared/types.ts';

export interface ProbeSet {
  tcp: readonly Probe[];
  udp: readonly Probe[];
  byName: ReadonlyMap<string, Probe>;
}

export function selectProbes(all: readonly Probe[], names: readonly string[]): { set: ProbeSet; unknown: string[] } {
  const wanted = names.length === 0 ? all : all.filter((p) => names.includes(p.name));
  const unknown = names.filter((n) => !all.some((p) => p.name === n));
  return {
    set: {
      tcp: wanted.filter((p) => p.transport === 'tcp'),
      udp: wanted.filter((p) => p.transport === 'udp'),
      byName: new Map(wanted.map((p) => [p.name, p])),
    },
    unknown,
  };
}

export function probesForPort(set: ProbeSet, port: number): Probe[] {
  return set.tcp.filter((p) => p.defaultPorts.includes(port));
}

/** The probe a greeting points to, by its first bytes. */
export function probeForGreeting(greeting: string): string[] {
  if (/^220[ -]/.test(greeting)) return /ftp/i.test(greeting) ? ['ftp', 'smtp'] : ['smtp', 'ftp'];
  if (greeting.startsWith('+OK')) return ['pop3'];
  if (greeting.startsWith('* OK') || greeting.startsWith('* PREAUTH')) return ['imap'];
  if (greeting.startsWith('INFO {')) return ['nats'];
  if (greeting.startsWith('AMQP')) return ['amqp'];
  if (/^\xff[\xfb-\xfe]/.test(greeting)) return ['telnet'];
  return [];
}

export type RunProbe = (probe: Probe, target: Target) => Promise<ProbeResult>;

/**
 * Banner probing of an open port no probe claims. Returns every result that
 * was run, in order; the caller keeps those with evidence.
 */
export async function probeUnknownPort(set: ProbeSet, ip: string, port: number, run: RunProbe): Promise<ProbeResult[]> {
  const target: Target = { ip, port, transport: 'tcp' };
  const results: ProbeResult[] = [];
  const ssh = set.byName.get('ssh');
  if (ssh) {
    const r = await run(ssh, target);
    results.push(r);
    if (r.status === 'success') return results;
    const received = r.raw?.['ssh.received'];
    if (received) {
      const greeting = Buffer.from(received, 'base64').toString('latin1');
      for (const name of probeForGreeting(greeting)) {
        const probe = set.byName.get(name);
        if (!probe) continue;
        const next = await run(probe, target);
        results.push(next);
        if (next.status === 'success') return results;
      }
      return results;
    }
    // A refused or reset connection will not answer anything else either.
    if (r.status === 'refused' || r.status === 'unreachable' || r.status === 'blocked') return results;
  }
  for (const name of ['http', 'https']) {
    const probe = set.byName.get(name);
    if (!probe) continue;
    const r = await run(probe, target);
    results.push(r);
    if (r.status === 'success') return results;
  }
  return results;
}

export type { ProbeContext };
