// Run by raw-sockets.test.ts in a child process (there without CAP_NET_RAW):
// OS-probes each address given, one after the other, and prints one JSON line
// per probe result, then "done", showing that a refusal does not stop the run.
import { osProbe } from '../../../agent/probes/os.ts';
import { assertSafeTarget } from '../../helpers/netlab.ts';

const [port, ...targets] = process.argv.slice(2);
for (const ip of targets) {
  assertSafeTarget(ip);
  const result = await osProbe.run({ ip, port: Number(port) }, { timeoutMs: 0, os: { closedTcpPort: 1, maxRounds: 1 } });
  process.stdout.write(`${JSON.stringify({ ip, status: result.status, error: result.error })}\n`);
}
process.stdout.write('done\n');
