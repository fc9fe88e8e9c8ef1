// `sextant scan`: collector, store and agent in one process. The scan's
// evidence goes straight into the pipeline (no gRPC), into the same inventory
// file the collector uses; then the inventory is printed.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';
import { renderInventoryJson, renderInventoryTable } from './scan-output.ts';

interface ScanCliOptions {
  ports: string;
  json?: boolean;
  db?: string;
  nats?: string;
  site: string;
  exclude?: string;
  probes?: string;
  rate: string;
  hosts: string;
  timeout: string;
  os?: boolean;
  raw: boolean;
  progress: boolean;
  evidence?: string;
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export function registerScanCommands(program: Command): void {
  program
    .command('scan')
    .description('scan from this machine: agent, collector and store in one process, then print the inventory')
    .argument('<targets...>', 'addresses, CIDRs, ranges (a.b.c.d-e.f.g.h)')
    .option('--ports <spec>', 'ports: 22,80 1-1024 top-100 top-1000', 'top-100')
    .option('--json', 'print the asset array as JSON instead of the table')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--nats <url>', 'also publish asset events to this NATS server (default SEXTANT_NATS_URL)')
    .option('--site <site>', 'the site the evidence belongs to', 'local')
    .option('--exclude <list>', 'addresses never to touch (comma-separated)')
    .option('--probes <list>', 'probe names (comma-separated; default all)')
    .option('--rate <pps>', 'packets per second', '1000')
    .option('--hosts <n>', 'hosts in flight', '64')
    .option('--timeout <ms>', 'per-probe timeout', '3000')
    .option('--os', 'TCP/IP OS detection (needs root)')
    .option('--no-raw', 'no raw sockets (no ICMP echo, no OS detection; ports by TCP connect instead of SYN)')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option('--evidence <file>', 'also write the evidence, one JSON record per line (what `sextant import` reads)')
    .action(async (targets: string[], opts: ScanCliOptions) => {
      const { agentIdFor, openPipeline } = await import('../../collector/server/index.ts');
      const { createBatcher, itemToEvidence, openRawAccess, runScanTask } = await import('../../agent/index.ts');
      const config = loadConfig();
      const log = componentLogger('scan');
      const agentId = agentIdFor(opts.site, `scan-${hostname()}`.slice(0, 64).replace(/[^A-Za-z0-9_.-]/g, '-'));
      const pipeline = await openPipeline({ db: opts.db ?? config.db, natsUrl: opts.nats ?? config.natsUrl, log, storeOnWorker: false });
      // Root or CAP_NET_RAW: ICMP echo and a SYN port scan; else TCP connect.
      const rawAccess = opts.raw ? openRawAccess(log) : undefined;
      const pinger = rawAccess?.pinger;
      let osDetector;
      if (opts.os && opts.raw) {
        const { osProbe } = await import('../../agent/probes/os.ts');
        osDetector = (target: { ip: string }, open: number | undefined, closed: number | undefined, signal: AbortSignal) =>
          osProbe.run(open === undefined ? { ip: target.ip } : { ip: target.ip, port: open, transport: 'tcp' }, { timeoutMs: 10_000, signal, ...(closed ? { os: { closedTcpPort: closed } } : {}) } as never);
      }
      const showBar = opts.progress && process.stdout.isTTY === true && !opts.json;
      const { default: cliProgress } = await import('cli-progress');
      const bar = showBar ? new cliProgress.SingleBar({ format: 'scanning [{bar}] {value}/{total} hosts | {alive} alive | {records} records', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      let records = 0;
      let ingest: Promise<unknown> = Promise.resolve();
      let failure: unknown;
      let evidenceOut: number | undefined;
      if (opts.evidence) {
        const { openSync } = await import('node:fs');
        try {
          evidenceOut = openSync(opts.evidence, 'w');
        } catch (err) {
          await pipeline.close();
          throw new SextantError('INPUT_INVALID', `cannot write the evidence file: ${(err as Error).message}`, { file: opts.evidence }, err);
        }
      }
      const { writeSync, closeSync } = await import('node:fs');
      const batcher = createBatcher((batch) => {
        const evidence = batch.records.map((r) => itemToEvidence(r, agentId, opts.site));
        if (evidenceOut !== undefined) writeSync(evidenceOut, evidence.map((e) => `${JSON.stringify(e)}\n`).join(''));
        ingest = ingest.then(() => pipeline.ingest({ batchId: batch.batchId, agentId, site: opts.site, records: evidence })).catch((err: unknown) => {
          failure ??= err;
        });
      });
      const abort = new AbortController();
      const stop = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      const taskId = `scan-${Date.now()}`;
      let started = false;
      const final = await runScanTask(
        {
          taskId, targets, exclude: list(opts.exclude), ports: opts.ports, probes: list(opts.probes),
          ratePps: Number(opts.rate), hostsInFlight: Number(opts.hosts), probeTimeoutMs: Number(opts.timeout), osDetection: opts.os === true,
        },
        { agentId, log, pinger, raw: rawAccess?.transport, osDetector },
        {
          evidence: (item) => {
            records++;
            batcher.add(taskId, item);
          },
          progress: (p) => {
            if (!bar) return;
            if (!started) {
              bar.start(p.hostsTotal, 0, { alive: 0, records });
              started = true;
            }
            bar.update(p.hostsDone, { alive: p.hostsAlive, records });
          },
        },
        abort.signal,
      );
      process.off('SIGINT', stop);
      batcher.flush();
      batcher.close();
      if (evidenceOut !== undefined) closeSync(evidenceOut);
      await ingest;
      bar?.stop();
      rawAccess?.close();
      if (final.state === 'refused') {
        await pipeline.close();
        throw new SextantError('INPUT_INVALID', final.message);
      }
      if (failure) {
        await pipeline.close();
        throw failure;
      }
      const assets = await pipeline.assets(opts.site);
      if (opts.json) process.stdout.write(renderInventoryJson(assets));
      else process.stdout.write(renderInventoryTable(assets, process.stdout.isTTY ? { width: process.stdout.columns } : {}));
      process.stderr.write(`scan ${final.state}: ${final.hostsDone} hosts, ${final.hostsAlive} alive, ${records} evidence records\n`);
      await pipeline.close();
      if (final.state !== 'done') process.exitCode = 1;
    });
}
