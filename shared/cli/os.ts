// `sextant os-match`: matches an Nmap subject OS fingerprint against nmap-os-db
// and prints what Nmap prints (or JSON).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  describeResult,
  loadOsDb,
  matchFingerprint,
  parseSubjectFingerprint,
  subjectValue,
  type OsMatchResult,
} from '../../collector/fingerprint/os/index.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';

export interface OsCommandIo {
  write(text: string): void;
  readStdin(): Promise<string>;
}

const processIo: OsCommandIo = {
  write: (text) => {
    process.stdout.write(text);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

interface OsMatchOptions {
  osDb?: string;
  json?: boolean;
}

/** The JSON shape of `os-match --json`. */
export function osMatchJson(result: OsMatchResult): unknown {
  return {
    perfect: result.perfect,
    matches: result.matches.map((m) => ({
      name: m.name,
      accuracy: m.accuracy,
      line: m.line,
      classes: m.classes.map((c) => ({ vendor: c.vendor, family: c.family, generation: c.generation, type: c.type, cpe: c.cpe })),
    })),
  };
}

export function registerOsCommands(program: Command, io: OsCommandIo = processIo): void {
  program
    .command('os-match')
    .description('match an Nmap subject OS fingerprint (wrapped OS: form or one test per line) against nmap-os-db')
    .argument('[file]', 'fingerprint text file, or - for standard input', '-')
    .option('--os-db <path>', 'nmap-os-db to use (default: config osDb, SEXTANT_OS_DB, /usr/share/nmap/nmap-os-db)')
    .option('--json', 'print {"perfect", "matches": [{name, accuracy, line, classes}]} instead of Nmap\'s lines')
    .action(async (file: string, options: OsMatchOptions) => {
      const log = componentLogger('os-match');
      const dbPath = options.osDb ?? loadConfig().osDb;
      let db;
      try {
        db = loadOsDb(dbPath, log);
      } catch (err) {
        if (err instanceof SextantError && err.code === 'OSDB_UNREADABLE') {
          log.error({ file: dbPath }, 'nmap-os-db not found or unreadable: os-match needs it (install nmap, or pass --os-db / set SEXTANT_OS_DB)');
        }
        throw err;
      }
      const source = file === '-' ? 'stdin' : file;
      let text: string;
      try {
        text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
      } catch (err) {
        throw new SextantError('INPUT_INVALID', `cannot read the fingerprint: ${(err as Error).message}`, { file: source }, err);
      }
      const subject = parseSubjectFingerprint(text, source);
      const result = matchFingerprint(db, subject);
      if (options.json) {
        io.write(`${JSON.stringify(osMatchJson(result), null, 2)}\n`);
        return;
      }
      // The SCAN line's G says whether Nmap judged the print ideal; it only changes the wording.
      const good = subjectValue(subject, 'SCAN', 'G');
      const lines = describeResult(result, { guess: true, ideal: good === undefined ? undefined : good === 'Y' });
      io.write(lines.map((l) => `${l}\n`).join(''));
    });
}
