// Loads nmap-os-db from a user-supplied path (the NPSL forbids shipping it in
// the product, so it is always read at run time) and pre-compiles it.
import { readFileSync } from 'node:fs';
import { SextantError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logging.ts';
import { parseOsDb, type OsDb } from './db-parse.ts';

/** Reads, parses and compiles the database at `file`; throws OSDB_UNREADABLE or OSDB_INVALID. */
export function loadOsDb(file: string, logger?: Logger): OsDb {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'no Nmap OS database here; install nmap (Debian: apt-get install nmap) or set SEXTANT_OS_DB'
      : `cannot read the Nmap OS database: ${(err as Error).message}`;
    throw new SextantError('OSDB_UNREADABLE', reason, { file }, err);
  }
  const started = process.hrtime.bigint();
  const db = parseOsDb(text, file);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  logger?.info({ file, revision: db.revision, references: db.references.length, ms: Math.round(ms) }, `loaded (${db.references.length}) Nmap OS fingerprints`);
  if (db.bracketExpressions > 0) {
    // 7.95+ databases put `[...]` ranges inside option strings; 7.93 semantics read them as text.
    logger?.warn({ file, expressions: db.bracketExpressions }, 'nmap-os-db uses 7.95+ bracket expressions; matched with 7.93 semantics, those compare literally');
  }
  return db;
}

/**
 * For long-running services: the database or undefined, with one log line
 * saying why TCP/IP OS matching is off.
 */
export function tryLoadOsDb(file: string, logger: Logger): OsDb | undefined {
  try {
    return loadOsDb(file, logger);
  } catch (err) {
    if (!(err instanceof SextantError)) throw err;
    logger.warn({ file, err }, `TCP/IP OS fingerprinting disabled: ${err.message}`);
    return undefined;
  }
}
