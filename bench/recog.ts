// npm run bench:recog — Recog engine speed and worst case.
//
// 1. Throughput: every <example> of the Recog database (../shared/recog/xml) and
//    of fingerprints/ against its own database, first match in file order, as
//    Ruby's Nizer.match does; single thread; one warm-up pass, then the median
//    of 5 passes. In the same run, a direct oniguruma-to-es port (no prefilter,
//    no routing) on the same corpus, as the peer figure.
// 2. Worst case: every pattern on adversarial inputs of 64 KiB, and of the
//    longest length still sent to V8, timing each single match.
//
// Flags: --passes N (default 5), --skip-worst, --skip-peer, --only-worst.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toRegExp } from 'oniguruma-to-es';
import { loadRecogDirs, matchFirstInDb, prepareNow, type RecogDb, type RecogFingerprint } from '../collector/fingerprint/index.ts';
import { warmLinearEngine } from '../collector/fingerprint/recog/pattern.ts';

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

console.log(`machine: ${process.platform} ${process.arch}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
console.log(`loaded ${loaded.dbs.length} databases, ${fmt(fingerprints)} fingerprints, ${fmt(corpus.length)} examples in ${loadMs.toFixed(0)} ms`);

const summary: Record<string, unknown> = { databases: loaded.dbs.length, fingerprints, examples: corpus.length, loadMs: Math.round(loadMs) };

if (!flag('--only-worst')) {
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

if (!flag('--skip-worst')) {
  // ---- worst case ----
  const KIB64 = 64 * 1024;
  const fill = (s: string, n: number) => (n <= 0 ? '' : s.length === 0 ? 'a'.repeat(n) : s.repeat(Math.ceil(n / s.length)).slice(0, n));
  const adversarial = (fp: RecogFingerprint, n: number): string[] => {
    const out = new Set<string>();
    const seeds = fp.examples.slice(0, 2).map((e) => e.input);
    const literals = fp.compiled.requirements.map((r) => r[0]!).join(' ');
    if (seeds.length === 0) seeds.push(literals || 'a');
    for (const e of seeds) {
      const flat = e.replace(/\n/g, ' ');
      const cut = flat.slice(0, Math.max(1, flat.length - 1));
      // The example pumped, with its last character dropped so the tail fails.
      out.add(fill(cut + ' ', n - 1) + '\u0001');
      // The example's start, then long runs of characters its loops take.
      const head = flat.slice(0, Math.min(flat.length, Math.max(1, flat.indexOf(' ') + 1)));
      for (const c of [' ', 'a', '1', '.', flat[Math.floor(flat.length / 2)] ?? 'a']) out.add(head + fill(c, n - head.length - 1) + '\u0001');
      // Multi-line: the example repeated on many lines.
      out.add(fill(`${cut}\n`, n));
    }
    if (literals) out.add(fill(`${literals} `, n - 1) + '\u0001');
    return [...out].map((s) => s.slice(0, n));
  };
  // createRecogEngine warms the linear-time code and compiles every risky pattern's
  // linear programs in the background within seconds of loading; this benchmark
  // loads databases directly, so it does both now, and says how long that took.
  warmLinearEngine();
  const prepStart = performance.now();
  const prepared = prepareNow(loaded.dbs);
  console.log(`\nprepared the linear-time programs of ${fmt(prepared)} patterns in ${(performance.now() - prepStart).toFixed(0)} ms (createRecogEngine does this in the background)`);
  let worst = 0;
  let worstAt = '';
  let firstUse = 0;
  let firstUseAt = '';
  const slowest: Array<{ ms: number; where: string; len: number; engine: string }> = [];
  let runs = 0;
  const over10 = new Set<string>();
  let over10Runs = 0;
  const started = performance.now();
  for (const db of loaded.dbs) {
    for (const fp of db.fingerprints) {
      const c = fp.compiled;
      const lengths = new Set([KIB64]);
      for (const l of [c.maxV8Length, c.maxV8LengthMulti]) if (Number.isFinite(l) && l > 0 && l < KIB64) lengths.add(l);
      for (const n of lengths) {
        for (const input of adversarial(fp, n)) {
          // CPU time, not wall time: a match must not be charged for the moments
          // the scheduler gave the core to another process. Three runs, the least
          // counted: a garbage collection caused by this benchmark's own 64 KiB
          // inputs is not the match's cost. The first run, which compiles the
          // pattern's linear-time programs on first use, is reported apart.
          let ms = Infinity;
          for (let rep = 0; rep < 3; rep++) {
            const s = cpuMs();
            c.exec(input);
            const spent = cpuMs() - s;
            if (rep === 0 && spent > firstUse) {
              firstUse = spent;
              firstUseAt = `${db.file.split('/').pop()}:${fp.line}`;
            }
            ms = Math.min(ms, spent);
          }
          runs++;
          const multi = input.includes('\n');
          const engine = input.length <= (multi ? c.maxV8LengthMulti : c.maxV8Length) ? 'v8' : 'linear';
          const where = `${db.file.split('/').pop()}:${fp.line}`;
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
      }
    }
  }
  slowest.sort((a, b) => b.ms - a.ms);
  console.log(`\nworst case: ${fmt(runs)} single matches of adversarial inputs (64 KiB, and the longest V8-routed length) in ${((performance.now() - started) / 1000).toFixed(1)} s; each timed in process CPU time`);
  console.log(`  worst single match ${worst.toFixed(2)} ms at ${worstAt}; ${over10Runs} matches over 10 ms, in ${over10.size} patterns (least of 3 runs each)`);
  console.log(`  worst first use, compiling the linear-time programs included: ${firstUse.toFixed(2)} ms at ${firstUseAt}`);
  for (const s of slowest.slice(0, 10)) console.log(`    ${s.ms.toFixed(2).padStart(8)} ms  ${s.engine.padEnd(5)} ${String(s.len).padStart(6)} chars  ${s.where}`);
  summary.worstMatchMs = Number(worst.toFixed(2));
  summary.worstAt = worstAt;
  summary.over10msPatterns = over10.size;
  summary.worstFirstUseMs = Number(firstUse.toFixed(2));
}

console.log(`\n${JSON.stringify(summary)}`);
