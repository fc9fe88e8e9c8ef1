// Matching one input against a fingerprint or a database, with exactly the
// result Ruby Recog's Fingerprint#match returns (recog-format.md §2.5, §3.1).
import { SextantError } from '../../../shared/errors.ts';
import type { RecogDb, RecogFingerprint } from './load.ts';
import { buildPrefilter, type Prefilter } from './prefilter.ts';

/** Ruby's result hash: param name -> value, `null` where a capture group did not take part. */
export type RecogResult = Record<string, string | null>;

const PLACEHOLDER = /\{([^\s{}]+)\}/g;

/** Params in Ruby Hash order: a repeated name keeps its first place and its last definition. */
function paramOrder(fp: RecogFingerprint): Array<{ name: string; pos: number; value: string; placeholders: string[] }> {
  const byName = new Map<string, { name: string; pos: number; value: string; placeholders: string[] }>();
  for (const p of fp.params) {
    const placeholders = p.pos === 0 ? [...new Set([...p.value.matchAll(PLACEHOLDER)].map((m) => m[1]!))] : [];
    byName.set(p.name, { name: p.name, pos: p.pos, value: p.value, placeholders });
  }
  return [...byName.values()];
}

const orderCache = new WeakMap<RecogFingerprint, ReturnType<typeof paramOrder>>();

/** Builds Ruby's result from the captures (Ruby numbering). Throws on a nil non-version interpolation, as Ruby raises. */
export function buildResult(fp: RecogFingerprint, db: Pick<RecogDb, 'key' | 'protocol'>, captures: Array<string | undefined>): RecogResult {
  let params = orderCache.get(fp);
  if (!params) orderCache.set(fp, (params = paramOrder(fp)));
  const result: RecogResult = { matched: fp.description };
  let interpolate = false;
  for (const p of params) {
    if (p.pos === 0) {
      result[p.name] = p.value;
      if (p.placeholders.length > 0) interpolate = true;
    } else {
      result[p.name] = captures[p.pos] ?? null;
    }
  }
  if (result['service.protocol'] == null) result['service.protocol'] = db.protocol;
  result.fingerprint_db = db.key;
  if (interpolate) {
    for (const p of params) {
      if (p.pos !== 0 || p.placeholders.length === 0) continue;
      let value = result[p.name] as string;
      for (const name of p.placeholders) {
        const replacement = result[name];
        if (replacement != null) value = rubyGsub(value, name, replacement);
        else if (p.name.endsWith('.cpe23') && name.endsWith('.version')) value = rubyGsub(value, name, '-');
        else {
          throw new SextantError('FINGERPRINT_INTERPOLATION', `"${p.name}" interpolates {${name}}, which has no value`, { line: fp.line });
        }
      }
      result[p.name] = value;
    }
  }
  for (const k of Object.keys(result)) if (k.startsWith('_tmp.')) delete result[k];
  return result;
}

/**
 * Ruby's `value.gsub("{name}", replacement)` as Recog calls it: the name goes
 * into a regex unescaped, and backslash sequences in the replacement are live.
 */
function rubyGsub(value: string, name: string, replacement: string): string {
  const source = `\\{${name.replace(/[\\^$*+?()[\]{}|/]/g, '\\$&')}\\}`;
  const re = new RegExp(source, 'g');
  if (!replacement.includes('\\')) return value.replace(re, () => replacement);
  return value.replace(re, (whole) =>
    replacement.replace(/\\(.)/g, (_, c: string) => (c === '\\' ? '\\' : c === '&' || c === '0' ? whole : /\d/.test(c) ? '' : `\\${c}`)),
  );
}

/** Ruby's Fingerprint#match: the result, or null when the pattern does not match. */
export function matchFingerprint(fp: RecogFingerprint, db: Pick<RecogDb, 'key' | 'protocol'>, input: string): RecogResult | null {
  const captures = fp.compiled.exec(input);
  if (!captures) return null;
  return buildResult(fp, db, captures);
}

export interface DbMatch {
  fingerprint: RecogFingerprint;
  result: RecogResult;
}

const prefilters = new WeakMap<RecogDb, Prefilter>();

function prefilterOf(db: RecogDb): Prefilter {
  let p = prefilters.get(db);
  if (!p) prefilters.set(db, (p = buildPrefilter(db.fingerprints.map((fp) => fp.compiled.requirements))));
  return p;
}

/** Builds the database's prefilter now rather than on its first match. */
export function prepareDb(db: RecogDb): void {
  prefilterOf(db);
}

/**
 * First match in file order, as Ruby's Nizer.match. A fingerprint whose
 * interpolation fails (Ruby would raise) is reported through `onError` and
 * skipped, so hostile input cannot stop the search.
 */
export function matchFirstInDb(db: RecogDb, input: string, onError?: (fp: RecogFingerprint, err: unknown) => void): DbMatch | null {
  const fps = db.fingerprints;
  for (const i of prefilterOf(db).candidates(input)) {
    const fp = fps[i]!;
    const captures = fp.compiled.exec(input);
    if (!captures) continue;
    try {
      return { fingerprint: fp, result: buildResult(fp, db, captures) };
    } catch (err) {
      onError?.(fp, err);
    }
  }
  return null;
}

/** Every matching fingerprint of the database in file order (Ruby's multi_match). */
export function matchAllInDb(db: RecogDb, input: string): DbMatch[] {
  const out: DbMatch[] = [];
  for (const i of prefilterOf(db).candidates(input)) {
    const fp = db.fingerprints[i]!;
    const captures = fp.compiled.exec(input);
    if (!captures) continue;
    try {
      out.push({ fingerprint: fp, result: buildResult(fp, db, captures) });
    } catch {
      // Ruby would raise for this fingerprint; the others still count.
    }
  }
  return out;
}
