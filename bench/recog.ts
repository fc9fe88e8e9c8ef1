// npm run bench:recog — Recog engine speed and worst case.
//
// 1. Throughput: every <example> of the Recog database (../shared/recog/xml) and
//    of fingerprints/ against its own database, first match in file order, as
//    Ruby's Nizer.match does; single thread; one warm-up pass, then the median
//    of 5 passes. In the same run, a direct oniguruma-to-es port (no prefilter,
//    no routing) on the same corpus, as the peer figure.
// 2. Worst case: every pattern on adversarial inputs of 64 KiB, and of the
//    longest length still sent to V8, timing each single match (least of 3);
//    then, in three fresh child processes prepared as createRecogEngine
//    prepares itself, every such input matched once in each: the cold first
//    match (each input's least of the three).
//
// Flags: --passes N (default 5), --skip-worst, --skip-peer, --only-worst;
// --only-cold (the fresh-process part alone); --cold-child FILE is that part's
// child: it matches every input once and writes the times to FILE.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toRegExp } from 'oniguruma-to-es';
import { loadRecogDirs, matchFirstInDb, prepareNow, type RecogDb, type RecogFingerprint } from '../collector/fingerprint/index.ts';
import { warmLinearEngine } from '../collector/fingerprint/recog/pattern.ts';
import { adversarial, KIB64 } from './recog-adversarial.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const RECOG_XML = join(REPO, '../shared/recog/xml');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const passes = Number(args[args.indexOf('--passes') + 1]) || 5;

/** Ruby Recog on this kind of machine, as recorded in the issue (Ruby cannot be installed with Recog here). */
const RUBY_RECORDED = { all: 7_900, withoutCatastrophic: 18_500 };

/** This process's CPU time in ms: steadier than wall time when other work shares the cores. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const t0 = performance.now();
const loaded = loadRecogDirs([RECOG_XML, join(REPO, 'fingerprints')]);
const loadMs = performance.now() - t0;
if (loaded.problems.length > 0) throw new Error(`load problems: ${JSON.stringify(loaded.problems)}`);
const fingerprints = loaded.dbs.reduce((n, db) => n + db.fingerprints.length, 0);

interface Work {
  db: RecogDb;
  fp: RecogFingerprint;
  input: string;
}
const corpus: Work[] = loaded.dbs.flatMap((db) => db.fingerprints.flatMap((fp) => fp.examples.map((ex) => ({ db, fp, input: ex.input }))));

if (!flag('--cold-child')) console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
if (!flag('--cold-child')) console.log(`loaded ${loaded.dbs.length} databases, ${fmt(fingerprints)} fingerprints, ${fmt(corpus.length)} examples in ${loadMs.toFixed(0)} ms`);

const summary: Record<string, unknown> = { databases: loaded.dbs.length, fingerprints, examples: corpus.length, loadMs: Math.round(loadMs) };

if (!flag('--only-worst') && !flag('--only-cold') && !flag('--cold-child')) {
  // ---- throughput ----
  const pass = (): { wall: number; cpu: number } => {
    const start = performance.now();
    const cpuStart = cpuMs();
    let matched = 0;
    for (const w of corpus) if (matchFirstInDb(w.db, w.input)) matched++;
    const ms = performance.now() - start;
    const cpu = cpuMs() - cpuStart;
    if (matched !== corpus.length) throw new Error(`only ${matched} of ${corpus.length} examples matched`);
    return { wall: (corpus.length / ms) * 1000, cpu: (corpus.length / cpu) * 1000 };
  };
  const cold = pass().wall;
  pass();
  pass();
  const runs: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < passes; i++) runs.push(pass());
  const rate = median(runs.map((r) => r.wall));
  const cpuRate = median(runs.map((r) => r.cpu));
  console.log(`\nthroughput (first match in own database, single thread; 2 warm-up passes, then ${passes})`);
  console.log(`  sextant           cold pass ${fmt(cold)}/s; median ${fmt(rate)} matches/s wall (${runs.map((r) => fmt(r.wall)).join(', ')}), ${fmt(cpuRate)} per CPU-second`);
  summary.matchesPerSecond = Math.round(rate);
  summary.matchesPerCpuSecond = Math.round(cpuRate);
  summary.coldPassPerSecond = Math.round(cold);

  if (!flag('--skip-peer')) {
    // ---- peer: a direct oniguruma-to-es port ----
    const peerStart = performance.now();
    const peerDbs = new Map<RecogDb, Array<{ re: RegExp; fp: RecogFingerprint }>>();
    for (const db of loaded.dbs) {
      peerDbs.set(
        db,
        db.fingerprints.map((fp) => ({ fp, re: toRegExp(fp.pattern, { flags: fp.flags, target: 'ES2018' }) })),
      );
    }
    const peerLoadMs = performance.now() - peerStart;
    const catastrophic = (w: Work) => w.fp.compiled.degree === Infinity;
    const peerPass = (filter: (w: Work) => boolean) => {
      const work = corpus.filter(filter);
      const start = performance.now();
      for (const w of work) {
        for (const { re, fp } of peerDbs.get(w.db)!) {
          const m = re.exec(w.input);
          if (!m) continue;
          // Build the same kind of result object, so both sides do the same work.
          const result: Record<string, string | null> = { matched: fp.description };
          for (const p of fp.params) result[p.name] = p.pos === 0 ? p.value : (m[p.pos] ?? null);
          break;
        }
      }
      return (work.length / (performance.now() - start)) * 1000;
    };
    peerPass(() => true);
    const peerAll = median([peerPass(() => true), peerPass(() => true), peerPass(() => true)]);
    const peerSafe = median([peerPass((w) => !catastrophic(w)), peerPass((w) => !catastrophic(w)), peerPass((w) => !catastrophic(w))]);
    console.log(`  oniguruma-to-es   direct port (same run): ${fmt(peerAll)} matches/s, ${fmt(peerSafe)}/s without the exponential pattern's example; load ${peerLoadMs.toFixed(0)} ms`);
    console.log(`  ratio             sextant / direct port: ${(rate / peerAll).toFixed(1)}x (${(rate / peerSafe).toFixed(1)}x without the exponential example)`);
    console.log(`  Ruby Recog        recorded on this machine kind (not re-run: no Ruby Recog package here): ${fmt(RUBY_RECORDED.all)}/s, ${fmt(RUBY_RECORDED.withoutCatastrophic)}/s without its catastrophic pattern`);
    console.log(`  ratio             sextant / Ruby Recog (recorded): ${(rate / RUBY_RECORDED.all).toFixed(1)}x (${(rate / RUBY_RECORDED.withoutCatastrophic).toFixed(1)}x)`);
    Object.assign(summary, { peerOnigurumaToEs: Math.round(peerAll), peerOnigurumaToEsSafe: Math.round(peerSafe), rubyRecorded: RUBY_RECORDED.all });
  }
}

/** Every pattern's adversarial inputs: 64 KiB, and the longest length still sent to V8. */
function* adversarialWork(): Generator<{ fp: RecogFingerprint; where: string; input: string }> {
  for (const db of loaded.dbs) {
    for (const fp of db.fingerprints) {
      const c = fp.compiled;
      const lengths = new Set([KIB64]);
      for (const l of [c.maxV8Length, c.maxV8LengthMulti]) if (Number.isFinite(l) && l > 0 && l < KIB64) lengths.add(l);
      const where = `${db.file.split('/').pop()}:${fp.line}`;
      for (const n of lengths) for (const input of adversarial(fp, n)) yield { fp, where, input };
    }
  }
}

if (flag('--cold-child')) {
  // A fresh process, prepared as createRecogEngine prepares itself in the
  // background (warm-up, then every pattern's prepare()), in which every
  // adversarial input is matched exactly once: each pattern's first 64 KiB
  // match, and every later input's first run, are cold. Prints each input's
  // CPU time in ms, in adversarialWork() order.
  warmLinearEngine();
  prepareNow(loaded.dbs);
  const times: number[] = [];
  for (const { fp, input } of adversarialWork()) {
    const s = cpuMs();
    fp.compiled.exec(input);
    times.push(Math.round((cpuMs() - s) * 1000) / 1000);
  }
  // To a file: a pipe would be cut short by the exit.
  writeFileSync(args[args.indexOf('--cold-child') + 1]!, JSON.stringify(times));
  process.exit(0);
}

if (!flag('--skip-worst')) {
  if (!flag('--only-cold')) {
    // ---- worst case ----
    // createRecogEngine warms the linear-time code and prepares every pattern
    // (pattern.ts prepare()) in the background within seconds of loading; this benchmark
    // loads databases directly, so it does both now, and says how long that took.
    warmLinearEngine();
    const prepStart = performance.now();
    const prepared = prepareNow(loaded.dbs);
    console.log(`\nprepared ${fmt(prepared)} patterns (V8 native code; the linear-time programs of those that need them) in ${(performance.now() - prepStart).toFixed(0)} ms (createRecogEngine does this in the background)`);
    let worst = 0;
    let worstAt = '';
    let firstUse = 0;
    let firstUseAt = '';
    const slowest: Array<{ ms: number; where: string; len: number; engine: string }> = [];
    let runs = 0;
    const over10 = new Set<string>();
    let over10Runs = 0;
    const started = performance.now();
    for (const { fp, where, input } of adversarialWork()) {
      const c = fp.compiled;
      // CPU time, not wall time: a match must not be charged for the moments
      // the scheduler gave the core to another process. Three runs, the least
      // counted: a garbage collection caused by this benchmark's own 64 KiB
      // inputs is not the match's cost. The first run is reported apart.
      let ms = Infinity;
      for (let rep = 0; rep < 3; rep++) {
        const s = cpuMs();
        c.exec(input);
        const spent = cpuMs() - s;
        if (rep === 0 && spent > firstUse) {
          firstUse = spent;
          firstUseAt = where;
        }
        ms = Math.min(ms, spent);
      }
      runs++;
      const multi = input.includes('\n');
      const engine = input.length <= (multi ? c.maxV8LengthMulti : c.maxV8Length) ? 'v8' : 'linear';
      slowest.push({ ms, where, len: input.length, engine });
      if (slowest.length > 40) {
        slowest.sort((a, b) => b.ms - a.ms);
        slowest.length = 20;
      }
      if (ms > 10) {
        over10Runs++;
        over10.add(where);
      }
      if (ms > worst) {
        worst = ms;
        worstAt = where;
      }
    }
    slowest.sort((a, b) => b.ms - a.ms);
    console.log(`\nworst case: ${fmt(runs)} single matches of adversarial inputs (64 KiB, and the longest V8-routed length) in ${((performance.now() - started) / 1000).toFixed(1)} s; each timed in process CPU time`);
    console.log(`  worst single match ${worst.toFixed(2)} ms at ${worstAt}; ${over10Runs} matches over 10 ms, in ${over10.size} patterns (least of 3 runs each)`);
    console.log(`  worst first run of an input in this process: ${firstUse.toFixed(2)} ms at ${firstUseAt}`);
    for (const s of slowest.slice(0, 10)) console.log(`    ${s.ms.toFixed(2).padStart(8)} ms  ${s.engine.padEnd(5)} ${String(s.len).padStart(6)} chars  ${s.where}`);
    summary.worstMatchMs = Number(worst.toFixed(2));
    summary.worstAt = worstAt;
    summary.over10msPatterns = over10.size;
    summary.worstFirstRunMs = Number(firstUse.toFixed(2));
  }

  // ---- cold: fresh processes, every input's first run ----
  // Each fresh process matches every input once; an input's cold figure is the
  // least over COLD_PROCESSES processes, as the warm figure above is the least of
  // three runs: another process taking the core mid-match is not the match's cost.
  const COLD_PROCESSES = 3;
  const coldRuns: number[][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-'));
  try {
    for (let i = 0; i < COLD_PROCESSES; i++) {
      const out = join(dir, `cold-${i}.json`);
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--cold-child', out], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`cold run failed: ${child.stderr}`);
      coldRuns.push(JSON.parse(readFileSync(out, 'utf8')) as number[]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const where = [...adversarialWork()].map((w) => ({ where: w.where, len: w.input.length }));
  const cold = where.map((w, i) => ({ ...w, ms: Math.min(...coldRuns.map((r) => r[i]!)), single: Math.max(...coldRuns.map((r) => r[i]!)) }));
  cold.sort((x, y) => y.ms - x.ms);
  const coldOver10 = new Set(cold.filter((c) => c.ms > 10).map((c) => c.where));
  const singleWorst = cold.reduce((m, c) => (c.single > m.single ? c : m), cold[0]!);
  console.log(`\ncold first match worst: ${cold[0]!.ms.toFixed(2)} ms at ${cold[0]!.where} (${COLD_PROCESSES} fresh processes, each prepared as createRecogEngine prepares itself, each matching every one of ${fmt(cold.length)} adversarial inputs once; CPU time, least of the ${COLD_PROCESSES} per input); ${coldOver10.size} patterns over 10 ms${coldOver10.size ? ` (${[...coldOver10].join(', ')})` : ''}`);
  console.log(`  slowest single cold run in any process: ${singleWorst.single.toFixed(2)} ms at ${singleWorst.where}`);
  for (const c of cold.slice(0, 8)) console.log(`    ${c.ms.toFixed(2).padStart(8)} ms  ${String(c.len).padStart(6)} chars  ${c.where}`);
  summary.coldFirstMatchWorstMs = Number(cold[0]!.ms.toFixed(2));
  summary.coldWorstAt = cold[0]!.where;
  summary.coldOver10msPatterns = coldOver10.size;
  summary.coldSingleRunWorstMs = Number(singleWorst.single.toFixed(2));
}

console.log(`\n${JSON.stringify(summary)}`);
