// Helpers for the OS-detection integration tests: Nmap 7.93 run on a lab
// target, Sextant's os-scan and os-match run in-process, and fingerprint
// comparison test by test.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { XMLParser } from 'fast-xml-parser';
import {
  describeResult,
  formatSubjectFingerprint,
  loadOsDb,
  matchFingerprint,
  parseSubjectFingerprint,
  subjectValue,
  type OsDb,
  type SubjectFingerprint,
} from '../../../collector/fingerprint/os/index.ts';
import { registerOsCommands } from '../../../shared/cli/os.ts';
import { registerOsScanCommand, runOsScan, type OsScanRun } from '../../../shared/cli/os-scan.ts';
import { assertSafeTarget } from '../../helpers/netlab.ts';

const run = promisify(execFile);
export const NMAP = '/usr/bin/nmap';
export const OS_DB = '/usr/share/nmap/nmap-os-db';

/** Why these tests cannot run here, or undefined. */
export function nmapUnavailableReason(): string | undefined {
  if (!existsSync(NMAP) || !existsSync(OS_DB)) return 'needs Debian\'s nmap package (/usr/bin/nmap, /usr/share/nmap/nmap-os-db)';
  return undefined;
}

export interface NmapOsResult {
  /** The wrapped subject print from `<osfingerprint fingerprint=…>`. */
  fingerprint: string;
  /** `<osmatch>` entries in order, as `Name (NN%)`. */
  guesses: string[];
  /** Seconds Nmap ran. */
  seconds: number;
  /** The largest SEQ timing ratio Nmap's debug output reported (with `-d`), if any. */
  timingRatio?: number;
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, isArray: (name) => ['host', 'osmatch', 'osfingerprint'].includes(name) });

interface XmlHost {
  address?: { addr: string } | Array<{ addr: string; addrtype: string }>;
  os?: { osmatch?: Array<{ name: string; accuracy: string }>; osfingerprint?: Array<{ fingerprint: string }> };
}

function hostAddress(h: XmlHost): string | undefined {
  const a = h.address;
  return Array.isArray(a) ? a.find((x) => x.addrtype === 'ipv4')?.addr : a?.addr;
}

/**
 * `nmap -n -Pn -O --osscan-guess [-d]` on `targets` (every one through the
 * guard first); `-d` (the default) makes Nmap write the fingerprint to the
 * XML even for a perfect match. Returns one result per target address.
 */
export async function nmapOs(
  targets: string[],
  open: number,
  closed: number,
  options: { extra?: string[]; debug?: boolean } = {},
): Promise<Map<string, NmapOsResult>> {
  for (const t of targets) assertSafeTarget(t);
  const dir = mkdtempSync(join(tmpdir(), 'sextant-nmap-'));
  try {
    const out = join(dir, 'os.xml');
    const started = performance.now();
    const args = ['-n', '-Pn', '-O', '--osscan-guess', ...(options.debug === false ? [] : ['-d']), '-p', `${open},${closed}`, '-oX', out];
    const { stdout } = await run(NMAP, [...args, ...(options.extra ?? []), ...targets], { maxBuffer: 256 * 1024 * 1024 });
    // -d prints "OS detection timingRatio() == (t6 - t1) * 1000 / 500 == r" for every round.
    const ratios = [...stdout.matchAll(/timingRatio\(\) == .*== ([\d.]+)/g)].map((m) => Number(m[1]));
    const seconds = (performance.now() - started) / 1000;
    const doc = xml.parse(readFileSync(out, 'utf8')) as { nmaprun: { host?: XmlHost[] } };
    const results = new Map<string, NmapOsResult>();
    for (const h of doc.nmaprun.host ?? []) {
      const addr = hostAddress(h);
      if (!addr) continue;
      results.set(addr, {
        fingerprint: h.os?.osfingerprint?.[0]?.fingerprint ?? '',
        guesses: (h.os?.osmatch ?? []).map((m) => `${m.name} (${m.accuracy}%)`),
        seconds,
        ...(ratios.length > 0 ? { timingRatio: Math.max(...ratios) } : {}),
      });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `sextant <args>` in this process (os-scan and os-match registered) and returns standard output. */
export async function sextantInProcess(args: string[], stdin = ''): Promise<string> {
  let out = '';
  let err = '';
  const program = new Command('sextant').exitOverride();
  registerOsCommands(program, { write: (t) => { out += t; }, readStdin: async () => stdin });
  registerOsScanCommand(program, { write: (t) => { out += t; }, error: (t) => { err += t; } });
  const before = process.exitCode;
  await program.parseAsync(['node', 'sextant', ...args]);
  const failed = process.exitCode !== before;
  process.exitCode = before;
  if (failed) throw new Error(`sextant ${args.join(' ')} failed: ${err}`);
  return out;
}

export interface OsScanJson {
  fingerprint: string;
  lines: string[];
  matches: Array<{ name: string; accuracy: number }>;
  perfect: boolean;
}

/** `sextant os-scan --json` on a lab target (through the guard). */
export async function sextantOsScan(target: string, args: string[]): Promise<OsScanJson> {
  assertSafeTarget(target);
  return JSON.parse(await sextantInProcess(['os-scan', target, '--json', '--os-db', OS_DB, ...args])) as OsScanJson;
}

/**
 * Attributes that legitimately differ between two scans of the same Linux host:
 * - SCAN.D, SCAN.TM: the date and time of each scan; SCAN.CU: the random closed UDP port.
 * - SEQ.SP, SEQ.ISR: the ISN rate and its spread, computed from random ISNs
 *   (Linux hashes the source port into the ISN) over each scanner's own send times.
 * - SEQ.GCD: the gcd of five random ISN differences is 1 only ~96% of the time.
 * - SEQ.TS with tcp_timestamps=1: Linux gives each connection a random
 *   timestamp offset, so the "clock rate" is log2 of random differences (20–22).
 */
export const TIMING_DEPENDENT = ['SCAN.D', 'SCAN.TM', 'SCAN.CU', 'SEQ.SP', 'SEQ.ISR', 'SEQ.GCD', 'SEQ.TS'];

let db: OsDb | undefined;

/** nmap-os-db, loaded once per test process. */
export function osDb(): OsDb {
  db ??= loadOsDb(OS_DB);
  return db;
}

/** What `os-scan` computes for a lab target (through the guard), with the database loaded once. */
export async function sextantScanOf(target: string, options: OsScanRun): Promise<{ fingerprint: string; lines: string[]; timingRatio?: number }> {
  assertSafeTarget(target);
  const { result, report } = await runOsScan(osDb(), target, options);
  if (!report) throw new Error(`os scan of ${target}: ${result.status}: ${result.error}`);
  const timingRatio = report.best.computation.timingRatio;
  return { fingerprint: formatSubjectFingerprint(report.subject), lines: report.lines, ...(timingRatio === undefined ? {} : { timingRatio }) };
}

/** The lines `os-match` prints for a fingerprint (the same calls as its action), with the database loaded once. */
export function osMatchLines(text: string): string[] {
  const subject = parseSubjectFingerprint(text);
  const good = subjectValue(subject, 'SCAN', 'G');
  return describeResult(matchFingerprint(osDb(), subject), { guess: true, ideal: good === undefined ? undefined : good === 'Y' });
}

/** The guesses `os-match` prints for a fingerprint, in Nmap's `Name (NN%)` form. */
export async function osMatchGuesses(fingerprint: string): Promise<string[]> {
  const lines = (await sextantInProcess(['os-match', '--os-db', OS_DB, '-'], fingerprint)).split('\n');
  return guessesOf(lines);
}

/** The names listed on an "OS details:" or "Aggressive OS guesses:" line. */
export function guessesOf(lines: string[]): string[] {
  const details = lines.find((l) => l.startsWith('OS details: '));
  if (details) return details.slice('OS details: '.length).split(', ').map((n) => `${n} (100%)`);
  const guesses = lines.find((l) => l.startsWith('Aggressive OS guesses: '));
  // Names may hold ", " themselves: split only before a name that follows "(NN%)".
  return guesses ? guesses.slice('Aggressive OS guesses: '.length).split(/(?<=\(\d+%\)), /) : [];
}

/** `TEST.ATTR` → value for every attribute of a print (repeated tests keep the first). */
export function attributes(fp: SubjectFingerprint): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of fp.tests) for (const a of t.attributes) if (!map.has(`${t.name}.${a.name}`)) map.set(`${t.name}.${a.name}`, a.value);
  return map;
}

/**
 * Differences between two prints, attribute by attribute, leaving out the
 * `TEST.ATTR` names in `ignore`; a test present in one print only shows as
 * `TEST` with its body.
 */
export function fingerprintDiff(oursText: string, nmapText: string, ignore: Set<string>): string[] {
  const ours = parseSubjectFingerprint(oursText, 'sextant');
  const theirs = parseSubjectFingerprint(nmapText, 'nmap');
  const a = attributes(ours);
  const b = attributes(theirs);
  const diffs: string[] = [];
  const order = (fp: SubjectFingerprint) => fp.tests.map((t) => t.name).join(' ');
  if (order(ours) !== order(theirs)) diffs.push(`tests: sextant ${order(ours)} / nmap ${order(theirs)}`);
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (ignore.has(key)) continue;
    if (a.get(key) !== b.get(key)) diffs.push(`${key}: sextant ${a.get(key) ?? '(absent)'} / nmap ${b.get(key) ?? '(absent)'}`);
  }
  return diffs;
}
