// `sextant agent`: dial the collector, enrol, run the tasks it hands out,
// spool evidence to disk while the collector is away.
import type { Command } from 'commander';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';

interface AgentCliOptions {
  collector: string;
  token?: string;
  name: string;
  site: string;
  spool?: string;
  spoolMaxMb: string;
  scope: string[];
  raw: boolean;
  sockets?: string;
}

export function registerAgentCommands(program: Command): void {
  program
    .command('agent')
    .description('run an agent: dial out to the collector, run its scan tasks, stream the evidence')
    .requiredOption('--collector <host:port>', 'the collector\'s gRPC address')
    .option('--token <token>', 'enrolment token (default SEXTANT_ENROL_TOKEN)')
    .requiredOption('--name <name>', 'this agent\'s name, unique within its site')
    .requiredOption('--site <site>', 'the site (network segment) this agent sits on')
    .option('--spool <dir>', 'spool directory for unacknowledged batches (default ./.sextant/spool-SITE-NAME)')
    .option('--spool-max-mb <mb>', 'spool size limit; past it the oldest batches are dropped', '256')
    .option('--scope <cidrs>', 'refuse tasks reaching outside these addresses (comma-separated; repeatable)', (v: string, prev: string[]) => [...prev, ...v.split(',').filter(Boolean)], [])
    .option('--no-raw', 'no raw sockets: ports by TCP connect instead of SYN scan, no ICMP echo, no OS detection, even as root')
    .option('--sockets <n>', 'open sockets at once per task (default 512)')
    .action(async (opts: AgentCliOptions) => {
      const { parseTargets, startAgent } = await import('../../agent/index.ts');
      const token = opts.token ?? process.env.SEXTANT_ENROL_TOKEN;
      if (!token) throw new SextantError('CONFIG_INVALID', 'no enrolment token: pass --token or set SEXTANT_ENROL_TOKEN', { field: 'token' });
      const mb = Number(opts.spoolMaxMb);
      if (!Number.isFinite(mb) || mb <= 0) throw new SextantError('INPUT_INVALID', 'must be a positive number of MiB', { field: '--spool-max-mb' });
      let allowed;
      if (opts.scope.length > 0) {
        const scope = parseTargets(opts.scope);
        if (!scope.ok) throw new SextantError('INPUT_INVALID', scope.error, { field: '--scope' });
        allowed = scope.set;
      }
      const agent = await startAgent({
        collector: opts.collector,
        token,
        name: opts.name,
        site: opts.site,
        spoolMaxBytes: Math.round(mb * 1024 * 1024),
        raw: opts.raw,
        log: componentLogger('agent', { agent: opts.name, site: opts.site }),
        ...(opts.spool ? { spoolDir: opts.spool } : {}),
        ...(allowed ? { allowed } : {}),
        ...(opts.sockets ? { scan: { socketsInFlight: Number(opts.sockets) } } : {}),
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await agent.stop();
    });
}
