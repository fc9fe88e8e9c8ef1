// `sextant collector`: the gRPC server for agents in front of the pipeline
// (store, engine, NATS), with tasks from --task flags, a tasks file, or the
// admin endpoint that `sextant task add` talks to.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TaskInput } from '../../collector/server/index.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';

export const DEFAULT_LISTEN = '0.0.0.0:7420';
export const DEFAULT_ADMIN = '127.0.0.1:7421';

/** A task as flags, files and the admin endpoint spell it: the collector's TaskInput. */
type TaskFields = TaskInput;

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * `site=S targets=198.18.1.0/24,198.18.2.5 ports=top-100 exclude=... probes=ssh,http
 * rate=1000 hosts=64 timeout=3000 os=true agent=NAME id=ID`, separated by spaces.
 */
export function parseTaskFlag(text: string): TaskFields {
  const fields: Record<string, string> = {};
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SextantError('INPUT_INVALID', `"${part}" is not key=value`, { field: '--task' });
    fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const known = new Set(['site', 'targets', 'ports', 'exclude', 'probes', 'rate', 'hosts', 'timeout', 'os', 'agent', 'id']);
  for (const k of Object.keys(fields)) if (!known.has(k)) throw new SextantError('INPUT_INVALID', `unknown key "${k}" (known: ${[...known].join(', ')})`, { field: '--task' });
  if (!fields.site || !fields.targets) throw new SextantError('INPUT_INVALID', 'needs site=SITE and targets=LIST', { field: '--task' });
  const num = (k: string) => (fields[k] === undefined ? undefined : Number(fields[k]));
  const out: TaskFields = { site: fields.site, targets: list(fields.targets) };
  if (fields.ports) out.ports = fields.ports;
  if (fields.exclude) out.exclude = list(fields.exclude);
  if (fields.probes) out.probes = list(fields.probes);
  if (fields.agent) out.agent = fields.agent;
  if (fields.id) out.taskId = fields.id;
  if (fields.os) out.osDetection = fields.os === 'true' || fields.os === '1';
  const rate = num('rate');
  const hosts = num('hosts');
  const timeout = num('timeout');
  if (rate !== undefined) out.ratePps = rate;
  if (hosts !== undefined) out.hostsInFlight = hosts;
  if (timeout !== undefined) out.probeTimeoutMs = timeout;
  return out;
}

/** A task without an id gets one from its content, so re-reading a file adds nothing twice. */
function withStableId(t: TaskFields): TaskFields {
  if (t.taskId) return t;
  const digest = createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 16);
  return { ...t, taskId: `t-${digest}` };
}

function readTasksFile(file: string): TaskFields[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SextantError('CONFIG_INVALID', `cannot read tasks: ${(err as Error).message}`, { file }, err);
  }
  if (!Array.isArray(parsed)) throw new SextantError('CONFIG_INVALID', 'must hold a JSON array of tasks', { file });
  return parsed as TaskFields[];
}

interface CollectorOptions {
  listen: string;
  db?: string;
  nats?: string;
  token?: string;
  task: string[];
  tasksFile?: string;
  admin?: string | boolean;
  heartbeat: string;
  maxMessageBytes?: string;
}

export function registerCollectorCommands(program: Command): void {
  program
    .command('collector')
    .description('run the collector: gRPC for agents, the fingerprint engine, the inventory store and NATS publishing')
    .option('--listen <addr>', 'HOST:PORT agents dial', DEFAULT_LISTEN)
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--nats <url>', 'NATS server for asset events (default SEXTANT_NATS_URL; none: no publishing)')
    .option('--token <token>', 'enrolment token agents must present (default SEXTANT_ENROL_TOKEN)')
    .option('--task <spec>', 'a task: "site=S targets=CIDR,... [ports=top-100] [exclude=..] [probes=..] [rate=PPS] [agent=NAME]" (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--tasks-file <file>', 'JSON array of tasks ({site, targets, ports, ...}); re-read on SIGHUP')
    .option('--admin [addr]', `HTTP endpoint for \`sextant task add\` and status (default ${DEFAULT_ADMIN} when given without a value)`)
    .option('--heartbeat <seconds>', 'heartbeat interval asked of agents', '15')
    .option('--max-message-bytes <n>', 'largest gRPC message accepted (default 4 MiB)')
    .action(async (opts: CollectorOptions) => {
      const { openPipeline, startAdminServer, startCollectorServer } = await import('../../collector/server/index.ts');
      const config = loadConfig();
      const log = componentLogger('collector');
      const token = opts.token ?? process.env.SEXTANT_ENROL_TOKEN;
      if (!token) throw new SextantError('CONFIG_INVALID', 'no enrolment token: pass --token or set SEXTANT_ENROL_TOKEN', { field: 'token' });
      const tasks = opts.task.map(parseTaskFlag);
      const pipeline = await openPipeline({ db: opts.db ?? config.db, natsUrl: opts.nats ?? config.natsUrl, log });
      const server = await startCollectorServer({
        listen: opts.listen,
        token,
        pipeline,
        log: componentLogger('collector-server'),
        heartbeatSeconds: Number(opts.heartbeat),
        ...(opts.maxMessageBytes ? { maxMessageBytes: Number(opts.maxMessageBytes) } : {}),
      });
      const addAll = (list: TaskFields[]) => {
        for (const t of list) {
          try {
            const entry = server.tasks.add(withStableId(t));
            log.info({ taskId: entry.task.taskId, site: entry.site, targets: entry.task.targets, ports: entry.task.ports }, 'task loaded');
          } catch (err) {
            log.error({ err, task: t }, 'task rejected');
          }
        }
      };
      addAll(tasks);
      if (opts.tasksFile) addAll(readTasksFile(opts.tasksFile));
      const { ioRoutes } = await import('../../collector/server/api-io.ts');
      const adminLog = componentLogger('collector-admin');
      const routes = [ioRoutes(pipeline, adminLog)];
      const admin = opts.admin ? await startAdminServer(opts.admin === true ? DEFAULT_ADMIN : opts.admin, token, server, adminLog, pipeline, routes) : undefined;
      process.stdout.write(`collector: agents dial ${opts.listen.replace(/:\d+$/, '')}:${server.port}${admin ? `; admin http://${(opts.admin === true ? DEFAULT_ADMIN : String(opts.admin)).replace(/:\d+$/, '')}:${admin.port}` : ''}\n`);
      const onHup = () => {
        if (!opts.tasksFile) return;
        try {
          addAll(readTasksFile(opts.tasksFile));
        } catch (err) {
          log.error({ err }, 'tasks file reload failed');
        }
      };
      process.on('SIGHUP', onHup);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.off('SIGHUP', onHup);
      log.info('collector stopping');
      await admin?.close();
      await server.close();
      await pipeline.close();
    });

  const task = program.command('task').description('hand scan tasks to agents through a collector\'s admin endpoint');
  task
    .command('add')
    .description('add a scan task for the agents of a site')
    .argument('<targets...>', 'addresses, CIDRs, ranges')
    .requiredOption('--site <site>', 'the site whose agents run it')
    .option('--collector <url>', 'the collector\'s admin endpoint', `http://${DEFAULT_ADMIN}`)
    .option('--token <token>', 'the enrolment token (default SEXTANT_ENROL_TOKEN)')
    .option('--ports <spec>', 'ports: 22,80 1-1024 top-100 top-1000', 'top-100')
    .option('--exclude <list>', 'addresses, CIDRs, ranges never to touch (comma-separated)')
    .option('--probes <list>', 'probe names (comma-separated; default all)')
    .option('--rate <pps>', 'packets per second (default 1000)')
    .option('--agent <name>', 'only this agent of the site')
    .option('--os', 'TCP/IP OS detection (needs root on the agent)')
    .action(async (targets: string[], opts: { site: string; collector: string; token?: string; ports: string; exclude?: string; probes?: string; rate?: string; agent?: string; os?: boolean }) => {
      const body: TaskFields = { site: opts.site, targets, ports: opts.ports };
      if (opts.exclude) body.exclude = list(opts.exclude);
      if (opts.probes) body.probes = list(opts.probes);
      if (opts.rate) body.ratePps = Number(opts.rate);
      if (opts.agent) body.agent = opts.agent;
      if (opts.os) body.osDetection = true;
      const result = await adminRequest(opts.collector, opts.token, 'POST', '/v1/tasks', body);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
  task
    .command('list')
    .description('list tasks and their progress per agent')
    .option('--collector <url>', 'the collector\'s admin endpoint', `http://${DEFAULT_ADMIN}`)
    .option('--token <token>', 'the enrolment token (default SEXTANT_ENROL_TOKEN)')
    .action(async (opts: { collector: string; token?: string }) => {
      process.stdout.write(`${JSON.stringify(await adminRequest(opts.collector, opts.token, 'GET', '/v1/tasks'), null, 2)}\n`);
    });
}

async function adminRequest(base: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<unknown> {
  const t = token ?? process.env.SEXTANT_ENROL_TOKEN;
  if (!t) throw new SextantError('INPUT_INVALID', 'no token: pass --token or set SEXTANT_ENROL_TOKEN');
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await res.json()) as { error?: string };
  if (!res.ok) throw new SextantError('INPUT_INVALID', `collector answered ${res.status}: ${parsed.error ?? ''}`);
  return parsed;
}
