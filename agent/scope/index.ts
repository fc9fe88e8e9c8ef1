// What a task may touch: its targets less its exclusions (and less what the
// agent's own scope leaves out), the ports and the guard probes call before sending.
import { parsePorts, type TopPorts } from './ports.ts';
import { parseTargets, TargetSet } from './targets.ts';

export { NMAP_SERVICES, nmapTopPorts, parsePorts, topPortsFromServices, type PortSpecResult, type TopPorts } from './ports.ts';
export { bigintToIp, DEFAULT_MAX_HOSTS, ipToBigint, parseTargets, TargetSet, type Interval, type TargetSpecResult } from './targets.ts';

export interface TaskScopeInput {
  targets: readonly string[];
  exclude?: readonly string[];
  ports: string;
  /** The agent's own allowed scope (`--scope`): a task reaching outside it is refused whole. */
  allowed?: TargetSet;
}

export interface TaskScope {
  /** Targets less exclusions, in scan order. */
  hosts: TargetSet;
  ports: number[];
  /** Throws for any address the task does not cover; handed to probes as ctx.checkTarget. */
  checkTarget(ip: string): void;
}

export type TaskScopeResult = { ok: true; scope: TaskScope } | { ok: false; error: string };

export function buildTaskScope(input: TaskScopeInput, topPorts?: TopPorts): TaskScopeResult {
  const targets = parseTargets(input.targets);
  if (!targets.ok) return { ok: false, error: `targets: ${targets.error}` };
  if (targets.set.intervals.length === 0) return { ok: false, error: 'targets: a task needs at least one target' };
  const excluded = parseTargets(input.exclude ?? []);
  if (!excluded.ok) return { ok: false, error: `exclude: ${excluded.error}` };
  if (input.allowed && !input.allowed.covers(targets.set)) {
    return { ok: false, error: 'targets: some targets lie outside the scope this agent is allowed to scan' };
  }
  const ports = parsePorts(input.ports === '' ? 'top-100' : input.ports, topPorts);
  if (!ports.ok) return { ok: false, error: `ports: ${ports.error}` };
  const hosts = targets.set.minus(excluded.set);
  return {
    ok: true,
    scope: {
      hosts,
      ports: ports.ports,
      checkTarget(ip: string) {
        if (!hosts.contains(ip)) throw new Error(`${ip} is outside the task's targets (or excluded)`);
      },
    },
  };
}
