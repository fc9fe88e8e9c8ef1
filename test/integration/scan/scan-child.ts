// Run by syn-scan.test.ts in a child process, with or without CAP_NET_RAW:
// scans `target` (checked by the parent with the lab guard; loopback here)
// as the agent does (raw sockets if the process may open them, else TCP
// connect) and prints one JSON line: whether raw sockets opened and the evidence.
import { openRawAccess, runScanTask, type EvidenceItem } from '../../../agent/index.ts';
import { memoryLogger } from '../../../shared/logging.ts';

const [target = '', ports = ''] = process.argv.slice(2);
const log = memoryLogger('info');
const raw = openRawAccess(log.logger);
const evidence: EvidenceItem[] = [];
const final = await runScanTask(
  { taskId: 'child', targets: [target], exclude: [], ports, probes: [], ratePps: 10_000, hostsInFlight: 4, probeTimeoutMs: 1000, osDetection: false },
  { agentId: 'child', log: log.logger, probes: [], mac: () => undefined, raw: raw?.transport },
  { evidence: (e) => evidence.push(e), progress: () => undefined },
  new AbortController().signal,
);
raw?.close();
process.stdout.write(`${JSON.stringify({ raw: raw !== undefined, state: final.state, evidence: evidence.map((e) => ({ probe: e.probe, ip: e.ip, port: e.port, facts: e.facts })) })}\n`);
