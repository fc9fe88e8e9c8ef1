// npm run bench:ingest — evidence records per second through the collector's
// pipeline: validate, fingerprint (Recog, MAC vendor), merge, store (SQLite,
// one transaction per batch) and publish (JetStream), calling pipeline.ingest
// directly with synthetic batches. No packets are sent: addresses are data.
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
//        --in-process (the SQLite store on the pipeline's thread instead of its worker thread).
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
import type { Evidence } from '../shared/types.ts';

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
const openStore = (file: string) => (IN_PROCESS ? Promise.resolve(openSqliteStore(file, { synchronous: SYNC })) : openSqliteStoreInWorker(file, { synchronous: SYNC }));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// Deterministic, so two runs ingest the same data.
let seed = 0x5eed;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;

const SERVICES: Array<{ key: string; probe: string; port: number; transport: 'tcp' | 'udp' }> = [
  { key: 'ssh.banner', probe: 'ssh', port: 22, transport: 'tcp' },
  { key: 'http_header.server', probe: 'http', port: 80, transport: 'tcp' },
  { key: 'snmp.sys_description', probe: 'snmp', port: 161, transport: 'udp' },
  { key: 'ftp.banner', probe: 'ftp', port: 21, transport: 'tcp' },
  { key: 'smtp.banner', probe: 'smtp', port: 25, transport: 'tcp' },
  { key: 'telnet_banners', probe: 'telnet', port: 23, transport: 'tcp' },
  { key: 'mysql.banners', probe: 'mysql', port: 3306, transport: 'tcp' },
  { key: 'redis.info', probe: 'redis', port: 6379, transport: 'tcp' },
  { key: 'nats.info', probe: 'nats', port: 4222, transport: 'tcp' },
  { key: 'html_title', probe: 'http', port: 8080, transport: 'tcp' },
];

console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}`);
let t = performance.now();
const engine = createRecogEngine({ builtinDirs: [join(REPO, 'fingerprints'), join(REPO, '../shared/recog/xml')] });
const examples = new Map<string, string[]>();
for (const db of engine.current().dbs) {
  const inputs = db.fingerprints.flatMap((fp) => fp.examples.map((e) => e.input)).filter((x) => x.length > 0);
  if (inputs.length > 0) examples.set(db.key, [...(examples.get(db.key) ?? []), ...inputs]);
}
const services = SERVICES.filter((s) => examples.has(s.key));
// A running collector has finished the engine's background preparation of
// linear-time programs seconds after start; do it now so it is not measured.
t = performance.now();
prepareNow(engine.current().dbs);
console.log(`prepared Recog's linear-time programs in ${fmt(performance.now() - t)} ms (a collector does this in the background after start)`);
const oui = loadOuiTable('/usr/share/ieee-data/oui.csv');
const ouiPrefixes = ['dca632', '001a11', '00163e', '3c5282', 'f4ce46', '001b21', '00505a', 'b827eb', '000c29', '8c8590'];
console.log(`loaded Recog (${examples.size} databases with examples) and the OUI registry in ${fmt(performance.now() - t)} ms`);

function host(i: number, scan: number, observedAt: string): Evidence[] {
  // Seeded by the host: a rescan sees the same services and banners, as it mostly does on a real network.
  seed = (i * 2654435761) & 0x7fffffff || 1;
  const ip = `198.18.${(i >> 8) & 255}.${i & 255}`;
  const mac = `${pick(ouiPrefixes)}${(i & 0xffffff).toString(16).padStart(6, '0')}`.match(/../g)!.join(':');
  const id = (n: string) => `s${scan}-h${i}-${n}`;
  const base = { agentId: 'bench-agent', site: 'bench', observedAt };
  const out: Evidence[] = [
    { ...base, id: id('arp'), target: { ip, transport: 'arp' }, probe: 'arp', facts: { 'mac.address': mac } },
    { ...base, id: id('icmp'), target: { ip, transport: 'icmp' }, probe: 'icmp', facts: {} },
    { ...base, id: id('tls'), target: { ip, port: 443, transport: 'tcp' }, probe: 'tls', facts: { 'tls.cert.sha256': (i * 2654435761 >>> 0).toString(16).padStart(64, '0') } },
  ];
  const count = 2 + Math.floor(rand() * 3);
  for (let k = 0; k < count; k++) {
    const s = pick(services);
    out.push({ ...base, id: id(`${s.probe}${s.port}-${k}`), target: { ip, port: s.port, transport: s.transport }, probe: s.probe, facts: { [s.key]: pick(examples.get(s.key)!) } });
  }
  return out;
}

function batches(scan: number, observedAt: string): Array<{ batchId: string; agentId: string; site: string; records: Evidence[] }> {
  const out = [];
  let records: Evidence[] = [];
  for (let i = 0; i < HOSTS; i++) {
    records.push(...host(i, scan, observedAt));
    if (records.length >= BATCH) {
      out.push({ batchId: `scan${scan}-b${out.length}`, agentId: 'bench-agent', site: 'bench', records });
      records = [];
    }
  }
  if (records.length > 0) out.push({ batchId: `scan${scan}-b${out.length}`, agentId: 'bench-agent', site: 'bench', records });
  return out;
}

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

async function run(name: string, work: ReturnType<typeof batches>) {
  const records = work.reduce((n, b) => n + b.records.length, 0);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const mainStart = threadCpuMs();
  let stored = 0;
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const r = await pipeline.ingest(work[next++]!);
      stored += r.stored;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const mainEnd = threadCpuMs();
  const mainMs = mainStart === undefined || mainEnd === undefined ? NaN : mainEnd - mainStart;
  if (stored !== records) throw new Error(`${name}: stored ${stored} of ${records}`);
  const rate = (records / ms) * 1000;
  // On a shared machine wall time includes waiting for other processes; CPU time does not (NATS's own CPU is not counted).
  console.log(`  ${name.padEnd(11)} ${fmt(records)} records in ${work.length} batches, ${fmt(ms)} ms: ${fmt(rate)} records/s (collector CPU ${fmt(cpuMs)} ms: ${fmt((records / cpuMs) * 1000)} records per CPU-second; pipeline thread ${fmt(mainMs)} ms, other threads ${fmt(cpuMs - mainMs)} ms)`);
  return { records, ms, rate, cpuMs, mainMs };
}

console.log(`hosts ${fmt(HOSTS)}, batches of ${BATCH} records, ${IN_FLIGHT} in flight, SQLite synchronous=${SYNC} ${IN_PROCESS ? 'in process' : 'on a worker thread'}, publish: ${NATS ? `JetStream at ${NATS}` : 'none'}${flag('--no-memo') ? ', Recog memo off' : ''}`);
// Warm-up on other hosts' data (JIT, Recog's lazy compilation), in its own site-free id space.
t = performance.now();
const first = batches(1, '2024-05-01T12:00:00.000Z');
const second = batches(2, '2024-05-02T12:00:00.000Z');
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
const scan = await run('first scan', first);
const rescan = flag('--only-first') ? { records: 0, ms: 0, rate: 0, cpuMs: 0, mainMs: 0 } : await run('rescan', second);
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
console.log(JSON.stringify({ hosts: HOSTS, batch: BATCH, records: total, firstScan: Math.round(scan.rate), rescan: Math.round(rescan.rate), overall: Math.round(overall), perCpuSecond: Math.round(cpuOverall), perBusiestCpuSecond: Math.round((total / busiest) * 1000) }));
