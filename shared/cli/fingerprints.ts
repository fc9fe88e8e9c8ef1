// `sextant fingerprints verify|match`: check and use Recog-format fingerprint databases.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';

/** The project's own fingerprints/ directory, wherever the command is run from. */
export const PROJECT_FINGERPRINTS = fileURLToPath(new URL('../../fingerprints/', import.meta.url));

/** Built-in databases: the project's fingerprints/ plus SEXTANT_RECOG_DIR (or the config file's recogDirs). */
export function builtinDirs(): string[] {
  return [PROJECT_FINGERPRINTS, ...loadConfig().recogDirs];
}

export function registerFingerprintCommands(program: Command): void {
  const fp = program.command('fingerprints').description('verify and match Recog-format fingerprint databases');

  fp.command('verify')
    .description('check every example of every fingerprint, as recog_verify does')
    .argument('[dirs...]', 'directories or XML files (default: fingerprints/ and SEXTANT_RECOG_DIR)')
    .option('--json', 'print one JSON summary object')
    .action(async (dirs: string[], opts: { json?: boolean }) => {
      const { loadRecogDirs, verifyDbs } = await import('../../collector/fingerprint/index.ts');
      const targets = dirs.length > 0 ? dirs : builtinDirs();
      const loaded = loadRecogDirs(targets);
      const report = verifyDbs(loaded.dbs, loaded.problems, loaded.files.length);
      if (opts.json) {
        const { files, fingerprints, examples, passed, failed, warnings } = report;
        process.stdout.write(`${JSON.stringify({ files, fingerprints, examples, passed, failed, warnings })}\n`);
      } else {
        for (const m of report.messages) {
          process.stdout.write(`${m.file}${m.line ? `:${m.line}` : ''}: ${m.level.toUpperCase()}: ${m.message}\n`);
        }
        process.stdout.write(
          `${report.files} files, ${report.fingerprints} fingerprints, ${report.examples} examples: ` +
            `SUMMARY: Test completed with ${report.passed} successful, ${report.warnings} warnings, and ${report.failed} failures\n`,
        );
      }
      process.exitCode = report.failed > 0 ? 1 : 0;
    });

  fp.command('match')
    .description('match TEXT (or JSON lines on standard input) and print Ruby Recog\'s result object')
    .argument('[text]', 'the input to match')
    .option('--db <dir>', 'fingerprint directory or file (repeatable; default: fingerprints/ and SEXTANT_RECOG_DIR)', collect, [])
    .option('--key <key>', 'the database match key, e.g. ssh.banner')
    .option('--jsonl', 'read {"key","input"} or {"key","input_b64"} lines from standard input, write one result line each')
    .action(async (text: string | undefined, opts: { db: string[]; key?: string; jsonl?: boolean }) => {
      const { createRecogEngine } = await import('../../collector/fingerprint/index.ts');
      const config = loadConfig();
      const engine = createRecogEngine({
        builtinDirs: opts.db.length > 0 ? opts.db : builtinDirs(),
        externalDir: config.externalFingerprints,
        logger: componentLogger('fingerprints'),
      });
      if (!opts.jsonl) {
        if (!opts.key) throw new SextantError('INPUT_INVALID', 'missing --key (the database match key, e.g. ssh.banner)');
        if (text === undefined) throw new SextantError('INPUT_INVALID', 'missing TEXT to match (or use --jsonl)');
        process.stdout.write(`${JSON.stringify(engine.match(opts.key, text))}\n`);
        return;
      }
      let lineNo = 0;
      let bad = 0;
      const out: string[] = [];
      const flush = () => {
        if (out.length > 0) process.stdout.write(out.join(''));
        out.length = 0;
      };
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        lineNo++;
        if (line.trim() === '') continue;
        let result: unknown = null;
        try {
          const req = parseRequest(line, lineNo, opts.key);
          result = engine.match(req.key, req.input);
        } catch (err) {
          bad++;
          process.stderr.write(`sextant: ${(err as Error).message}\n`);
        }
        out.push(`${JSON.stringify(result)}\n`);
        if (out.length >= 256) flush();
      }
      flush();
      process.exitCode = bad > 0 ? 1 : 0;
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseRequest(line: string, lineNo: number, defaultKey: string | undefined): { key: string; input: string | Uint8Array } {
  const where = { file: 'stdin', line: lineNo };
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch (err) {
    throw new SextantError('INPUT_INVALID', `not JSON: ${(err as Error).message}`, where);
  }
  if (typeof req !== 'object' || req === null) throw new SextantError('INPUT_INVALID', 'expected a JSON object', where);
  const { key = defaultKey, input, input_b64: b64 } = req as Record<string, unknown>;
  if (typeof key !== 'string') throw new SextantError('INPUT_INVALID', '"key" must be a string', { ...where, field: 'key' });
  if (typeof input === 'string') return { key, input };
  if (typeof b64 === 'string') return { key, input: Buffer.from(b64, 'base64') };
  throw new SextantError('INPUT_INVALID', 'needs "input" (a string) or "input_b64"', { ...where, field: 'input' });
}
