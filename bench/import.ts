// npm run bench:import — `sextant import` throughput: a synthetic Nmap XML
// scan of N hosts (each with a MAC, the OS fingerprint of the captured
// fixture, and SSH + HTTP -sV results) parsed and ingested as one batch (one
// transaction), then imported again (nothing new), then refingerprinted
// (every asset replayed, none changed). No packets are sent: addresses are data.
//
// Flags: --hosts N (default 20000). Figures are CPU time (process.cpuUsage)
// and wall time of one run each; the machine's load average is printed with them.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRecogEngine } from '../collector/fingerprint/index.ts';
import { loadOsDb } from '../collector/fingerprint/os/index.ts';
import { IMPORT_LIMITS, parseImport } from '../collector/import/index.ts';
import { loadOuiTable } from '../collector/oui/index.ts';
import { createNoopPublisher, createPipeline, openSqliteStore } from '../collector/pipeline.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? fallback : fallback);
const HOSTS = Number(option('--hosts', '20000'));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const fixture = readFileSync(join(REPO, 'test/fixtures/io/nmap-sshd-nginx.xml'), 'utf8');
const hostXml = /<host starttime[^]*?<\/host>/.exec(fixture)![0];
const head = fixture.slice(0, fixture.indexOf('<hosthint>'));
const tail = fixture.slice(fixture.indexOf('<runstats>'));

function synthetic(n: number): string {
  const parts: string[] = [head];
  for (let i = 0; i < n; i++) {
    const ip = `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    const mac = `00:1B:21:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();
    parts.push(hostXml.replace(/198\.19\.179\.10/g, ip).replace(/00:1B:21:5E:00:01/g, mac), '\n');
  }
  parts.push(tail);
  return parts.join('');
}

function measure<T>(fn: () => Promise<T> | T): Promise<{ value: T; cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  return Promise.resolve(fn()).then((value) => {
    const used = process.cpuUsage(cpu);
    return { value, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
  });
}

console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const xml = synthetic(HOSTS);
console.log(`input: ${fmt(HOSTS)} hosts, ${(xml.length / 1e6).toFixed(1)} MB of Nmap XML`);
const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-import-'));
try {
  const engine = createRecogEngine({ builtinDirs: [join(REPO, 'fingerprints')] });
  const pipeline = createPipeline({
    store: openSqliteStore(join(dir, 'import.db')),
    publisher: createNoopPublisher(),
    engine,
    osDb: loadOsDb('/usr/share/nmap/nmap-os-db'),
    oui: loadOuiTable('/usr/share/ieee-data/oui.csv'),
  });
  const parsed = await measure(() => parseImport(xml, { file: 'synthetic.xml', site: 'bench' }));
  const records = parsed.value.records.length;
  console.log(`parse:        ${fmt(parsed.cpuMs)} ms CPU, ${fmt(parsed.wallMs)} ms wall: ${fmt(records / (parsed.cpuMs / 1000))} records/s CPU (${fmt(records)} records)`);
  const batch = { batchId: parsed.value.batchId, agentId: parsed.value.agentId, site: parsed.value.site, records: parsed.value.records };
  const first = await measure(() => pipeline.ingest(batch, { limits: IMPORT_LIMITS, anyAgent: true, counts: true }));
  console.log(`first import: ${fmt(first.cpuMs)} ms CPU, ${fmt(first.wallMs)} ms wall: ${fmt(records / (first.cpuMs / 1000))} records/s CPU, ${fmt(HOSTS / (first.cpuMs / 1000))} hosts/s (${first.value.created} assets created)`);
  const again = await measure(() => pipeline.ingest(batch, { limits: IMPORT_LIMITS, anyAgent: true, counts: true }));
  console.log(`re-import:    ${fmt(again.cpuMs)} ms CPU, ${fmt(again.wallMs)} ms wall: ${fmt(records / (again.cpuMs / 1000))} records/s CPU (${again.value.stored} stored, ${again.value.duplicates} already imported)`);
  const refp = await measure(() => pipeline.refingerprint());
  console.log(`refingerprint:${fmt(refp.cpuMs)} ms CPU, ${fmt(refp.wallMs)} ms wall: ${fmt(refp.value.examined / (refp.cpuMs / 1000))} assets/s CPU (${refp.value.examined} examined, ${refp.value.updated} changed)`);
  await pipeline.close();
  console.log(`rss: ${fmt(process.memoryUsage().rss / 1e6)} MB; inventory file ${fmt(statSync(join(dir, 'import.db')).size / 1e6)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
