// The loaded Recog fingerprint set: built-in databases plus an optional custom
// directory, matched by key in preference order, swapped whole on reload.
import { isUtf8 } from 'node:buffer';
import type { Logger } from '../../../shared/logging.ts';
import { loadRecogDirs, type LoadProblem, type RecogDb, type RecogFingerprint } from './load.ts';
import { matchFirstInDb, prepareDb, type DbMatch, type RecogResult } from './match.ts';
import { warmLinearEngine } from './pattern.ts';

export interface RecogEngineOptions {
  builtinDirs: string[];
  externalDir?: string | undefined;
  logger?: Logger | undefined;
  /** A custom set that takes longer than this to load is dropped (default 10 s). */
  externalLoadTimeoutMs?: number;
}

export interface RecogSet {
  dbs: RecogDb[];
  /** Databases by match key, highest preference first; on equal preference custom before built-in. */
  byKey: Map<string, RecogDb[]>;
  builtinProblems: LoadProblem[];
  externalFingerprints: number;
  externalProblems: LoadProblem[];
}

export interface RecogEngine {
  current(): RecogSet;
  keys(): string[];
  /** Ruby's Nizer.match: first match of the first database (by preference) with this key that matches. */
  match(key: string, input: string | Uint8Array): RecogResult | null;
  /** The first match of every database with this key, in preference order. */
  matchEach(key: string, input: string | Uint8Array): Array<DbMatch & { db: RecogDb }>;
  /** Loads everything again and swaps the whole set at once; the old set serves until then. */
  reload(): RecogSet;
}

/**
 * In the background: warms the linear-time engine's code, then compiles the
 * linear-time programs of every pattern some input up to 64 KiB could route to
 * them, in slices of a few milliseconds on unref'd timers: a long-running collector is fully prepared a few seconds
 * after loading, and a one-shot command exits without waiting. Returns a
 * function that stops it (on reload).
 */
export function prepareInBackground(dbs: RecogDb[], sliceMs = 8): () => void {
  const queue = dbs.flatMap((db) => db.fingerprints);
  let next = 0;
  let stopped = false;
  const step = () => {
    if (stopped) return;
    // The first slice warms the linear-time code (once per process, ~0.2 s) so a
    // one-shot command that never needs it does not wait for it.
    warmLinearEngine();
    const until = performance.now() + sliceMs;
    while (next < queue.length && performance.now() < until) prepareFingerprint(queue[next++]!);
    if (next < queue.length) setTimeout(step, 0).unref();
  };
  setTimeout(step, 0).unref();
  return () => {
    stopped = true;
  };
}

function prepareFingerprint(fp: RecogFingerprint): boolean {
  return fp.compiled.prepare(fp.examples.map((e) => e.input));
}

/** The same, at once: for benchmarks and tests that want every pattern prepared before they measure. */
export function prepareNow(dbs: RecogDb[]): number {
  let prepared = 0;
  for (const db of dbs) for (const fp of db.fingerprints) if (prepareFingerprint(fp)) prepared++;
  return prepared;
}

/** Bytes from the wire: UTF-8 text where valid, else one char per byte (recog-format.md §6.3). */
export function decodeInput(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return isUtf8(buf) ? buf.toString('utf8') : buf.toString('latin1');
}

export function loadRecogSet(options: RecogEngineOptions): RecogSet {
  const log = options.logger;
  const builtin = loadRecogDirs(options.builtinDirs);
  for (const p of builtin.problems) log?.warn({ file: p.file, line: p.line, code: p.code }, `fingerprint file skipped: ${p.message}`);
  let external: RecogDb[] = [];
  let externalProblems: LoadProblem[] = [];
  if (options.externalDir) {
    const timeout = options.externalLoadTimeoutMs ?? 10_000;
    const started = performance.now();
    const loaded = loadRecogDirs([options.externalDir], { custom: true, deadline: started + timeout });
    externalProblems = loaded.problems;
    if (loaded.problems.length > 0) {
      for (const p of loaded.problems) {
        log?.warn({ file: p.file, line: p.line, code: p.code }, `external fingerprints not loaded: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
      }
    } else {
      external = loaded.dbs;
      const n = external.reduce((sum, db) => sum + db.fingerprints.length, 0);
      log?.info({ dir: options.externalDir, ms: Math.round(performance.now() - started) }, `loaded (${n}) external fingerprints`);
    }
  }
  const dbs = [...builtin.dbs, ...external];
  const byKey = new Map<string, RecogDb[]>();
  for (const db of dbs) {
    prepareDb(db);
    const list = byKey.get(db.key) ?? [];
    list.push(db);
    byKey.set(db.key, list);
  }
  for (const list of byKey.values()) list.sort((a, b) => b.preference - a.preference || Number(b.custom) - Number(a.custom));
  return {
    dbs,
    byKey,
    builtinProblems: builtin.problems,
    externalFingerprints: external.reduce((sum, db) => sum + db.fingerprints.length, 0),
    externalProblems,
  };
}

export function createRecogEngine(options: RecogEngineOptions): RecogEngine {
  let set = loadRecogSet(options);
  let stopPreparing = prepareInBackground(set.dbs);
  const log = options.logger;
  const onError = (db: RecogDb) => (fp: { line: number }, err: unknown) =>
    log?.debug({ file: db.file, line: fp.line, err }, 'fingerprint skipped on this input');
  return {
    current: () => set,
    keys: () => [...set.byKey.keys()],
    match(key, input) {
      const text = decodeInput(input);
      for (const db of set.byKey.get(key) ?? []) {
        const m = matchFirstInDb(db, text, onError(db));
        if (m) return m.result;
      }
      return null;
    },
    matchEach(key, input) {
      const text = decodeInput(input);
      const out: Array<DbMatch & { db: RecogDb }> = [];
      for (const db of set.byKey.get(key) ?? []) {
        const m = matchFirstInDb(db, text, onError(db));
        if (m) out.push({ ...m, db });
      }
      return out;
    },
    reload() {
      stopPreparing();
      set = loadRecogSet(options);
      stopPreparing = prepareInBackground(set.dbs);
      return set;
    },
  };
}
