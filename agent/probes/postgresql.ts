// PostgreSQL: the ErrorResponse to a startup packet asking for protocol 4.0 (postgresql.error).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { parsePostgresError, postgresReplyComplete, startupPacket } from './parse/postgresql.ts';

export const postgresqlProbe: Probe = {
  name: 'postgresql',
  transport: 'tcp',
  defaultPorts: [5432],
  run(target, ctx) {
    const run = startRun('postgresql', target, 'tcp', 5432);
    return grabBanner(run, ctx, { send: startupPacket(), complete: postgresReplyComplete }, (read) => {
      const r = parsePostgresError(read.bytes);
      if (r.error === undefined) {
        run.rawOnly('postgresql.received', read.bytes);
        return run.finish(r.messageType ? 'no-match' : 'protocol-error', r.problem);
      }
      run.fact('postgresql.error', r.error, r.messageBytes);
      const code = r.fields?.find((f) => f.type === 'C');
      run.fact('postgresql.sqlstate', code?.value);
      return run.finish(r.problem ? 'protocol-error' : 'success', r.problem);
    });
  },
};
