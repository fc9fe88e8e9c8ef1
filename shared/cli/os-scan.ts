// `sextant os-scan`: sends Nmap's IPv4 OS probes to one host from this process
// (agent/probes/os.ts), fingerprints and matches every round here
// (collector/fingerprint/os), retries as Nmap 7.93 does, and prints what Nmap
// prints plus the subject fingerprint (nmap-os-detection.md §1.10, §3, §5.3–5.4).
import { isIPv4 } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import { osEvidenceOf, type OsHostEvidence } from '../../agent/net/index.ts';
import { osProbe, type OsProbeContext } from '../../agent/probes/os.ts';
import {
  computeOsFingerprint,
  describeResult,
  formatSubjectFingerprint,
  loadOsDb,
  matchFingerprint,
  scanTest,
  type FingerprintTest,
  type OsDb,
  type OsFingerprintComputation,
  type OsMatchResult,
  type OsScanEvidence,
  type SubjectFingerprint,
} from '../../collector/fingerprint/os/index.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';
import type { ProbeResult } from '../types.ts';
import { osMatchJson } from './os.ts';

export interface OsScanIo {
  write(text: string): void;
  error(text: string): void;
}

const processIo: OsScanIo = {
  write: (text) => {
    process.stdout.write(text);
  },
  error: (text) => {
    process.stderr.write(text);
  },
};

/** One round's print and its match. */
export interface AssessedRound {
  computation: OsFingerprintComputation;
  result: OsMatchResult;
}

export function assessRound(db: OsDb, evidence: OsScanEvidence): AssessedRound {
  const computation = computeOsFingerprint(evidence);
  return { computation, result: matchFingerprint(db, computation.fingerprint) };
}

let assessQueue: Promise<unknown> = Promise.resolve();

/**
 * Matching takes a few milliseconds. When many hosts are scanned at once their
 * rounds end together; matching them one per event-loop turn keeps the timers
 * of hosts still probing (the 100 ms SEQ spacing) from waiting behind all of them.
 */
function assessInTurn(db: OsDb, evidence: OsScanEvidence): Promise<AssessedRound> {
  const job = assessQueue.then(() => new Promise<AssessedRound>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(assessRound(db, evidence));
      } catch (err) {
        reject(err);
      }
    });
  }));
  assessQueue = job.catch(() => undefined);
  return job;
}

/** Nmap's findBestFPs: the first round with a perfect match, else the first with the best top accuracy. */
export function bestRound(rounds: AssessedRound[]): number {
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < rounds.length; i++) {
    const r = rounds[i] as AssessedRound;
    if (r.result.perfect) return i;
    const top = r.result.matches[0]?.score ?? 0;
    if (top > bestScore) {
      best = i;
      bestScore = top;
    }
  }
  return best;
}

const TEST_ORDER = ['SEQ', 'OPS', 'WIN', 'ECN', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'U1', 'IE'];

/**
 * Nmap 7.93's mergeFPs: every round's tests in test order, a test dropped
 * when an earlier one of the same name has the same attribute names (values
 * are not compared, so the print mostly shows the first round).
 */
export function mergeRounds(prints: SubjectFingerprint[]): FingerprintTest[] {
  const merged: FingerprintTest[] = [];
  for (const name of TEST_ORDER) {
    const kept: FingerprintTest[] = [];
    for (const fp of prints) {
      for (const test of fp.tests.filter((t) => t.name === name)) {
        const names = test.attributes.map((a) => a.name).join('%');
        if (!kept.some((k) => k.attributes.map((a) => a.name).join('%') === names)) kept.push(test);
      }
    }
    merged.push(...kept);
  }
  return merged;
}

export interface HostReport {
  rounds: AssessedRound[];
  best: AssessedRound;
  /** SCAN line plus the merged tests, as Nmap prints it. */
  subject: SubjectFingerprint;
  good: boolean;
  distance?: number;
  /** Nmap's normal-output lines for the result. */
  lines: string[];
}

/** Everything `os-scan` prints, from the evidence of one host; pure but for the clock passed in. */
export function hostReport(db: OsDb, host: OsHostEvidence, unixTime: number, assessed?: AssessedRound[]): HostReport {
  const rounds = assessed ?? host.rounds.map((r) => assessRound(db, r));
  if (rounds.length === 0) throw new SextantError('OS_EVIDENCE_INVALID', 'the scan produced no round of probes', { field: 'rounds' });
  const best = rounds[bestRound(rounds)] as AssessedRound;
  const hops = rounds.map((r) => r.computation.distance).find((d) => d !== undefined);
  const [distance, method] = host.localhost ? [0, 'L' as const] : host.directlyConnected ? [1, 'D' as const] : hops !== undefined ? [hops, 'I' as const] : [undefined, undefined];
  const good = best.computation.nonIdealReasons.length === 0 && host.sendErrors === 0;
  const scan = scanTest({
    time: unixTime,
    openTcpPort: host.ports.openTcp,
    closedTcpPort: host.ports.closedTcp,
    closedUdpPort: host.ports.closedUdp,
    target: host.target,
    ...(distance === undefined ? {} : { distance, distanceMethod: method }),
    good,
    ...(host.mac ? { mac: host.mac } : {}),
  });
  const subject: SubjectFingerprint = { tests: [scan, ...mergeRounds(rounds.map((r) => r.computation.fingerprint))] };
  const lines = describeResult(best.result, { guess: true, ideal: good });
  const report: HostReport = { rounds, best, subject, good, lines };
  if (distance !== undefined) report.distance = distance;
  return report;
}

export interface OsScanRun {
  openTcpPort?: number;
  closedTcpPort?: number;
  closedUdpPort?: number;
  /** Nmap's --max-os-tries (default 5). */
  maxTries?: number;
  /** Passed to the engine; tests and benchmarks shorten Nmap's pauses between rounds with it. */
  roundDelayMs?: (round: number) => number;
}

/**
 * Probes one host with the OS probe and matches every round as it ends:
 * another round only while none matched perfectly, at most `maxTries`, or 2
 * when the print is non-ideal (Nmap 7.93). `report` is absent when the probe
 * produced no evidence (blocked, unreachable, error).
 */
export async function runOsScan(db: OsDb, target: string, options: OsScanRun = {}): Promise<{ result: ProbeResult; report?: HostReport }> {
  const maxTries = options.maxTries ?? 5;
  const assessed: AssessedRound[] = [];
  const ctx: OsProbeContext = {
    timeoutMs: 0,
    os: {
      ...(options.openTcpPort === undefined ? {} : { openTcpPort: options.openTcpPort }),
      ...(options.closedTcpPort === undefined ? {} : { closedTcpPort: options.closedTcpPort }),
      ...(options.closedUdpPort === undefined ? {} : { closedUdpPort: options.closedUdpPort }),
      ...(options.roundDelayMs ? { roundDelayMs: options.roundDelayMs } : {}),
      maxRounds: maxTries,
      another: async (round, index) => {
        const r = await assessInTurn(db, round);
        assessed.push(r);
        const limit = r.computation.nonIdealReasons.length > 0 ? Math.min(2, maxTries) : maxTries;
        return !r.result.perfect && index + 1 < limit;
      },
    },
  };
  const result = await osProbe.run({ ip: target }, ctx);
  const host = osEvidenceOf(result);
  if (!host || host.rounds.length === 0) return { result };
  // The last round was not passed to `another`.
  for (let i = assessed.length; i < host.rounds.length; i++) assessed.push(assessRound(db, host.rounds[i] as OsScanEvidence));
  return { result, report: hostReport(db, host, Math.floor(Date.now() / 1000), assessed) };
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port number 1-65535');
  return n;
}

function parseTries(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 50) throw new InvalidArgumentError('must be a number 1-50');
  return n;
}

interface OsScanOptions {
  openPort?: number;
  closedPort?: number;
  closedUdpPort?: number;
  maxOsTries: number;
  osDb?: string;
  json?: boolean;
}

export function registerOsScanCommand(program: Command, io: OsScanIo = processIo): void {
  program
    .command('os-scan')
    .description('send Nmap\'s IPv4 OS probes to TARGET (needs root or CAP_NET_RAW) and print the OS match and subject fingerprint')
    .argument('<target>', 'IPv4 address (no names: nothing is resolved)')
    .option('--open-port <port>', 'an open TCP port of the target (SEQ, ECN, T1-T4 need one)', parsePort)
    .option('--closed-port <port>', 'a closed TCP port (T5-T7); default: a random one, as Nmap does', parsePort)
    .option('--closed-udp-port <port>', 'a closed UDP port (U1); default: a random one', parsePort)
    .option('--max-os-tries <n>', 'rounds of probes at most when no round matches perfectly (Nmap\'s default: 5)', parseTries, 5)
    .option('--os-db <path>', 'nmap-os-db to use (default: config osDb, SEXTANT_OS_DB, /usr/share/nmap/nmap-os-db)')
    .option('--json', 'print {target, perfect, matches, lines, fingerprint, ...} as JSON')
    .action(async (target: string, options: OsScanOptions) => {
      const log = componentLogger('os-scan');
      if (!isIPv4(target)) throw new SextantError('INPUT_INVALID', `os-scan takes an IPv4 address, not "${target}"`, { field: 'target' });
      const dbPath = options.osDb ?? loadConfig().osDb;
      const db = loadOsDb(dbPath, log);
      const { result, report } = await runOsScan(db, target, {
        ...(options.openPort === undefined ? {} : { openTcpPort: options.openPort }),
        ...(options.closedPort === undefined ? {} : { closedTcpPort: options.closedPort }),
        ...(options.closedUdpPort === undefined ? {} : { closedUdpPort: options.closedUdpPort }),
        maxTries: options.maxOsTries,
      });
      if (!report) {
        io.error(`sextant: os-scan ${target}: ${result.status}: ${result.error ?? 'no evidence'}\n`);
        process.exitCode = 1;
        return;
      }
      const fingerprint = formatSubjectFingerprint(report.subject);
      if (options.json) {
        io.write(`${JSON.stringify({
          target,
          status: result.status,
          rounds: report.rounds.length,
          ...(osMatchJson(report.best.result) as object),
          lines: report.lines,
          fingerprint,
          good: report.good,
          distance: report.distance ?? null,
          nonIdealReasons: report.best.computation.nonIdealReasons,
        }, null, 2)}\n`);
        return;
      }
      const out = [`Sextant OS scan report for ${target}`, ...report.lines, 'TCP/IP fingerprint:', fingerprint.trimEnd()];
      if (report.distance !== undefined) out.push('', `Network Distance: ${report.distance} hop${report.distance === 1 ? '' : 's'}`);
      if (result.status === 'timeout') out.push(`Warning: ${target} did not answer any OS probe`);
      io.write(`${out.join('\n')}\n`);
    });
}
