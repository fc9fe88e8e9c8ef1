// MySQL / MariaDB: the server greeting (mysql.banners = version string) or the ERR packet (mysql.error).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { mysqlPacketComplete, parseMysqlGreeting } from './parse/mysql.ts';

export const mysqlProbe: Probe = {
  name: 'mysql',
  transport: 'tcp',
  defaultPorts: [3306],
  run(target, ctx) {
    const run = startRun('mysql', target, 'tcp', 3306);
    return grabBanner(run, ctx, { complete: mysqlPacketComplete }, (read) => {
      const g = parseMysqlGreeting(read.bytes);
      if (g.errorMessage !== undefined) {
        run.fact('mysql.error', g.errorMessage, g.packet);
        run.fact('mysql.error_code', String(g.errorCode));
        return run.finish('success');
      }
      if (g.version === undefined) {
        run.rawOnly('mysql.received', read.bytes);
        return run.finish('no-match', g.error);
      }
      run.fact('mysql.banners', g.version, g.packet);
      run.fact('mysql.protocol_version', String(g.protocol));
      if (g.capabilities !== undefined) run.fact('mysql.capabilities', `0x${g.capabilities.toString(16).padStart(8, '0')}`);
      run.fact('mysql.auth_plugin', g.authPlugin);
      return run.finish(g.error ? 'protocol-error' : 'success', g.error);
    });
  },
};
