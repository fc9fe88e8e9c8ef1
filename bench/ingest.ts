// npm run bench:ingest — evidence records per second through the collector's
// pipeline: validate, fingerprint (Recog, MAC vendor), merge, store (SQLite,
// one transaction per batch) and publish (JetStream), fed by synthetic agents
// over gRPC: the collector's own gRPC server (collector/server/) on 127.0.0.1,
// and --in-flight agents in a child process (bench/ingest-agents.ts) that enrol,
// open their Connect stream and send evidence batches as agent/client.ts does,
// each with --window batches awaiting acks. The agents' CPU (building and
// encoding messages) is not the collector's; the collector's CPU covers gRPC
// decoding, checks, fingerprint, merge, store and publish. --direct calls
// pipeline.ingest in process instead (no gRPC). No packets leave 127.0.0.1:
// the scanned addresses are data.
//
// Hosts get an ARP record (MAC from a real OUI), an ICMP record, a TLS record
// whose certificate hash no database knows, and two to four service records
// whose facts are <example> inputs of the Recog databases, so banners repeat
// across hosts the way they do on real networks. Two phases: a first scan
// (every asset created, one event each) and a rescan of the same hosts
// (new evidence ids, later times: updates without events unless something changed).
//
// Flags: --hosts N (default 30000), --batch N records (default 1000),
//        --in-flight N concurrent batches (default 4, like several agents),
//        --nats URL (default 127.0.0.1:4222) | --no-nats, --sync FULL|NORMAL, --no-memo,
//        --in-process (the SQLite store on the pipeline's thread instead of its worker thread),
//        --direct (no gRPC: pipeline.ingest in process), --window N (batches per agent awaiting acks, default 2).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createRecogEngine } from '../collector/fingerprint/index.ts';
import { prepareNow } from '../collector/fingerprint/recog/engine.ts';
import { loadOuiTable } from '../collector/oui/index.ts';
import { createPipeline, createNoopPublisher, openSqliteStore, type Publisher } from '../collector/pipeline.ts';
import { openSqliteStoreInWorker } from '../collector/store/index.ts';
import { connectNatsPublisher } from '../collector/publish/index.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { startCollectorServer } from '../collector/server/index.ts';
import { memoryLogger } from '../shared/logging.ts';
import { createGenerator } from './ingest-data.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const HOSTS = Number(option('--hosts', '30000'));
const BATCH = Number(option('--batch', '1000'));
const IN_FLIGHT = Number(option('--in-flight', '4'));
const NATS = flag('--no-nats') ? undefined : option('--nats', '127.0.0.1:4222');
const SYNC = option('--sync', 'FULL') === 'NORMAL' ? 'NORMAL' : 'FULL';
const IN_PROCESS = flag('--in-process');
const DIRECT = flag('--direct');
const WINDOW = Number(option('--window', '2'));
const openStore = (file: string) => (IN_PROCESS ? Promise.resolve(openSqliteStore(file, { synchronous: SYNC })) : openSqliteStoreInWorker(file, { synchronous: SYNC }));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}`);
let t = performance.now();
const engine = createRecogEngine({ builtinDirs: [join(REPO, 'fingerprints'), join(REPO, '../shared/recog/xml')] });
const examples = new Map<string, string[]>();
for (const db of engine.current().dbs) {
  const inputs = db.fingerprints.flatMap((fp) => fp.examples.map((e) => e.input)).filter((x) => x.length > 0);
  if (inputs.length > 0) examples.set(db.key, [...(examples.get(db.key) ?? []), ...inputs]);
}
// A running collector has finished the engine's background preparation of
// linear-time programs seconds after start; do it now so it is not measured.
t = performance.now();
prepareNow(engine.current().dbs);
console.log(`prepared Recog's linear-time programs in ${fmt(performance.now() - t)} ms (a collector does this in the background after start)`);
const oui = loadOuiTable('/usr/share/ieee-data/oui.csv');
console.log(`loaded Recog (${examples.size} databases with examples) and the OUI registry in ${fmt(performance.now() - t)} ms`);

const generator = createGenerator(examples, HOSTS, BATCH);
const batches = generator.batches;

const tmp = mkdtempSync(join(tmpdir(), 'sextant-bench-'));
const dbFile = join(tmp, 'bench.db');
const stream = `SEXTANT_ASSETS_BENCH_${process.pid}`;
const subjectPrefix = `sxbench.${process.pid}.assets`;
let publisher: Publisher = createNoopPublisher();
if (NATS) publisher = await connectNatsPublisher({ servers: NATS, stream, subjectPrefix });
const pipeline = createPipeline({
  store: await openStore(dbFile), publisher, engine, oui, subjectPrefix, ...(flag('--no-memo') ? { recogMemoSize: 0 } : {}),
});

/** CPU time of the calling thread alone (Linux /proc/thread-self), in ms; undefined elsewhere. */
function threadCpuMs(): number | undefined {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

// The synthetic agents (gRPC mode): a child process, so their CPU is not counted as the collector's.
let agentsChild: ChildProcess | undefined;
const fromChild = <T>(key: string) =>
  new Promise<T>((resolve, reject) => {
    const onMessage = (m: any) => {
      if (m && m[key]) {
        agentsChild!.off('message', onMessage);
        agentsChild!.off('exit', onExit);
        resolve(m as T);
      }
    };
    const onExit = (code: number) => reject(new Error(`the synthetic agents exited with ${code}`));
    agentsChild!.on('message', onMessage);
    agentsChild!.once('exit', onExit);
  });

async function run(name: string, work: ReturnType<typeof batches>, scanNo: number, observedAt: string) {
  let records = work.reduce((n, b) => n + b.records.length, 0);
  let batchCount = work.length;
  if (agentsChild) {
    agentsChild.send({ phase: scanNo, observedAt });
    const g = await fromChild<{ records: number; batches: number }>('generated');
    records = g.records;
    batchCount = g.batches;
  }
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const mainStart = threadCpuMs();
  let stored = 0;
  if (agentsChild) {
    const done = fromChild<{ stored: number }>('done');
    agentsChild.send({ go: true });
    stored = (await done).stored;
  } else {
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const r = await pipeline.ingest(work[next++]!);
        stored += r.stored;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const mainEnd = threadCpuMs();
  const mainMs = mainStart === undefined || mainEnd === undefined ? NaN : mainEnd - mainStart;
  if (stored !== records) throw new Error(`${name}: stored ${stored} of ${records}`);
  const rate = (records / ms) * 1000;
  // On a shared machine wall time includes waiting for other processes; CPU time does not (NATS's own CPU is not counted).
  console.log(`  ${name.padEnd(11)} ${fmt(records)} records in ${batchCount} batches, ${fmt(ms)} ms: ${fmt(rate)} records/s (collector CPU ${fmt(cpuMs)} ms: ${fmt((records / cpuMs) * 1000)} records per CPU-second; pipeline thread ${fmt(mainMs)} ms, other threads ${fmt(cpuMs - mainMs)} ms)`);
  return { records, ms, rate, cpuMs, mainMs };
}

console.log(`hosts ${fmt(HOSTS)}, batches of ${BATCH} records, ${DIRECT ? `${IN_FLIGHT} in flight, pipeline.ingest in process` : `gRPC from ${IN_FLIGHT} synthetic agents in a child process, ${WINDOW} batches awaiting acks each`}, SQLite synchronous=${SYNC} ${IN_PROCESS ? 'in process' : 'on a worker thread'}, publish: ${NATS ? `JetStream at ${NATS}` : 'none'}${flag('--no-memo') ? ', Recog memo off' : ''}`);
// Warm-up on other hosts' data (JIT, Recog's lazy compilation), in its own site-free id space.
t = performance.now();
// In gRPC mode the agents' child process generates them (the collector's heap does not hold them).
const first = DIRECT ? batches(1, '2024-05-01T12:00:00.000Z') : [];
const second = DIRECT ? batches(2, '2024-05-02T12:00:00.000Z') : [];
console.log(`  generated in ${fmt(performance.now() - t)} ms`);
// Warm-up through a separate pipeline and store (so the measured pipeline's
// Recog memo starts empty): JIT and the engine's lazily compiled patterns.
{
  t = performance.now();
  const warmFile = join(tmp, 'warm.db');
  const warm = createPipeline({ store: await openStore(warmFile), publisher: createNoopPublisher(), engine, oui, ...(flag('--no-memo') ? { recogMemoSize: 0 } : {}) });
  for (const b of batches(9, '2024-04-30T12:00:00.000Z').slice(0, Math.max(1, Math.ceil(6000 / BATCH)))) await warm.ingest(b);
  await warm.close();
  console.log(`  warm-up     ${fmt(performance.now() - t)} ms (separate pipeline and store, not counted)`);
}
let server: Awaited<ReturnType<typeof startCollectorServer>> | undefined;
if (!DIRECT) {
  const token = `bench-${process.pid}`;
  server = await startCollectorServer({ listen: '127.0.0.1:0', token, pipeline, log: memoryLogger('warn').logger });
  agentsChild = fork(fileURLToPath(new URL('./ingest-agents.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
  const ready = fromChild('ready');
  agentsChild.send({ setup: { examples: [...examples], hosts: HOSTS, batch: BATCH, collector: `127.0.0.1:${server.port}`, token, agents: IN_FLIGHT, window: WINDOW } });
  await ready;
}
const scan = await run('first scan', first, 1, '2024-05-01T12:00:00.000Z');
const rescan = flag('--only-first') ? { records: 0, ms: 0, rate: 0, cpuMs: 0, mainMs: 0 } : await run('rescan', second, 2, '2024-05-02T12:00:00.000Z');
if (agentsChild) {
  const exited = new Promise((resolve) => agentsChild!.once('exit', resolve));
  agentsChild.send({ close: true });
  await exited;
}
await server?.close();
await pipeline.close();
const total = scan.records + rescan.records;
const overall = (total / (scan.ms + rescan.ms)) * 1000;
const cpuOverall = (total / (scan.cpuMs + rescan.cpuMs)) * 1000;
// On two idle cores the wall time is bounded below by the busier of the two: the pipeline thread, or everything else (store worker, GC helpers).
const mainAll = scan.mainMs + rescan.mainMs;
const busiest = Math.max(mainAll, scan.cpuMs + rescan.cpuMs - mainAll);
console.log(`  overall     ${fmt(total)} records: ${fmt(overall)} records/s (target 20,000); ${fmt(cpuOverall)} records per CPU-second; ${fmt((total / busiest) * 1000)} records/s if the busiest thread group had a core to itself; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; db ${fmt(statSync(dbFile).size / 1e6)} MB`);
if (NATS) {
  const nc = await connect({ servers: NATS });
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  console.log(`  JetStream   ${fmt(info.state.messages)} asset events in ${stream} (deleted now)`);
  await jsm.streams.delete(stream);
  await nc.close();
}
if (!flag("--keep")) rmSync(tmp, { recursive: true, force: true }); else console.log(dbFile);
console.log(JSON.stringify({ mode: DIRECT ? 'direct' : 'grpc', hosts: HOSTS, batch: BATCH, records: total, firstScan: Math.round(scan.rate), rescan: Math.round(rescan.rate), overall: Math.round(overall), perCpuSecond: Math.round(cpuOverall), perBusiestCpuSecond: Math.round((total / busiest) * 1000) }));
