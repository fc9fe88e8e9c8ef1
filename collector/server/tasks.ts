// The collector's task board: scan tasks per site (optionally for one named
// agent), which agents were handed each one, and the progress they report.
import { randomUUID } from 'node:crypto';
import { parsePorts, parseTargets } from '../../agent/index.ts';
import { TaskProgress_State, type Task, type TaskProgress } from '../../proto/gen/sextant/v1/agent.ts';
import { SextantError } from '../../shared/errors.ts';
import { SITE } from './wire.ts';

export interface TaskInput {
  site: string;
  /** Only the agent of this name (in the site); every agent of the site when absent. */
  agent?: string;
  targets: string[];
  exclude?: string[];
  ports?: string;
  probes?: string[];
  ratePps?: number;
  hostsInFlight?: number;
  probeTimeoutMs?: number;
  osDetection?: boolean;
  taskId?: string;
}

export type TaskStateName = 'pending' | 'running' | 'done' | 'failed' | 'refused';

export interface AgentTaskStatus {
  agentId: string;
  state: TaskStateName;
  hostsTotal: number;
  hostsDone: number;
  hostsAlive: number;
  message: string;
  updatedAt: string;
}

export interface TaskEntry {
  task: Task;
  site: string;
  agent?: string;
  createdAt: string;
  agents: Map<string, AgentTaskStatus>;
}

export interface AgentRef {
  agentId: string;
  site: string;
  name: string;
}

const STATE_NAMES: Record<number, TaskStateName> = {
  [TaskProgress_State.STATE_RUNNING]: 'running',
  [TaskProgress_State.STATE_DONE]: 'done',
  [TaskProgress_State.STATE_FAILED]: 'failed',
  [TaskProgress_State.STATE_REFUSED]: 'refused',
};

const FINISHED = new Set<TaskStateName>(['done', 'failed', 'refused']);

function checkUint(value: number | undefined, field: string, max: number): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new SextantError('INPUT_INVALID', `must be an integer 0-${max}`, { field });
  return v;
}

/** A validated task; throws INPUT_INVALID naming the field. */
export function makeTask(input: TaskInput): { task: Task; site: string; agent?: string } {
  if (!SITE.test(input.site)) throw new SextantError('INPUT_INVALID', 'must be 1-64 letters, digits, _ or -', { field: 'site' });
  const targets = parseTargets(input.targets);
  if (!targets.ok) throw new SextantError('INPUT_INVALID', targets.error, { field: 'targets' });
  if (targets.set.intervals.length === 0) throw new SextantError('INPUT_INVALID', 'a task needs at least one target', { field: 'targets' });
  const exclude = parseTargets(input.exclude ?? []);
  if (!exclude.ok) throw new SextantError('INPUT_INVALID', exclude.error, { field: 'exclude' });
  const ports = input.ports ?? 'top-100';
  // top-N is resolved by the agent from its own nmap-services: here only the syntax is checked.
  const portCheck = parsePorts(ports, (n) => Array.from({ length: Math.min(n, 10) }, (_, i) => i + 1));
  if (!portCheck.ok) throw new SextantError('INPUT_INVALID', portCheck.error, { field: 'ports' });
  const task: Task = {
    taskId: input.taskId ?? `t-${randomUUID()}`,
    targets: input.targets,
    exclude: input.exclude ?? [],
    ports,
    probes: input.probes ?? [],
    ratePps: checkUint(input.ratePps, 'ratePps', 10_000_000),
    hostsInFlight: checkUint(input.hostsInFlight, 'hostsInFlight', 65_535),
    probeTimeoutMs: checkUint(input.probeTimeoutMs, 'probeTimeoutMs', 600_000),
    osDetection: input.osDetection ?? false,
  };
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(task.taskId)) throw new SextantError('INPUT_INVALID', '1-128 letters, digits, _ . : -', { field: 'taskId' });
  return input.agent === undefined ? { task, site: input.site } : { task, site: input.site, agent: input.agent };
}

export interface TaskBoard {
  add(input: TaskInput): TaskEntry;
  /** Tasks this agent should be running and has not finished. */
  dueFor(agent: AgentRef): Task[];
  markHanded(taskId: string, agentId: string): void;
  progress(agentId: string, p: TaskProgress): void;
  list(): TaskEntry[];
  get(taskId: string): TaskEntry | undefined;
  /** Called with each new task (the server hands it to connected agents at once). */
  onAdded(listener: (entry: TaskEntry) => void): void;
}

export function createTaskBoard(): TaskBoard {
  const entries = new Map<string, TaskEntry>();
  const listeners: Array<(e: TaskEntry) => void> = [];
  const now = () => new Date().toISOString();
  return {
    add(input) {
      const made = makeTask(input);
      const existing = entries.get(made.task.taskId);
      if (existing) return existing;
      const entry: TaskEntry = { ...made, createdAt: now(), agents: new Map() };
      entries.set(made.task.taskId, entry);
      for (const l of listeners) l(entry);
      return entry;
    },
    dueFor(agent) {
      const out: Task[] = [];
      for (const e of entries.values()) {
        if (e.site !== agent.site || (e.agent !== undefined && e.agent !== agent.name)) continue;
        const st = e.agents.get(agent.agentId);
        if (st && FINISHED.has(st.state)) continue;
        out.push(e.task);
      }
      return out;
    },
    markHanded(taskId, agentId) {
      const e = entries.get(taskId);
      if (!e || e.agents.has(agentId)) return;
      e.agents.set(agentId, { agentId, state: 'pending', hostsTotal: 0, hostsDone: 0, hostsAlive: 0, message: '', updatedAt: now() });
    },
    progress(agentId, p) {
      const e = entries.get(p.taskId);
      if (!e) return;
      e.agents.set(agentId, {
        agentId,
        state: STATE_NAMES[p.state] ?? 'running',
        hostsTotal: p.hostsTotal,
        hostsDone: p.hostsDone,
        hostsAlive: p.hostsAlive,
        message: p.message,
        updatedAt: now(),
      });
    },
    list: () => [...entries.values()],
    get: (taskId) => entries.get(taskId),
    onAdded(listener) {
      listeners.push(listener);
    },
  };
}
