// Matching one input against a fingerprint or a database, with exactly the
// result Ruby Recog's Fingerprint#match returns (recog-format.md §2.5, §3.1).
import { SextantError } from '../../../shared/errors.ts';
import type { RecogDb, RecogFingerprint } from './load.ts';
import { buildPrefilter, candidates, type Prefilter } from './prefilter.ts';

/** Ruby's result hash: param name -> value, `null` where a capture group did not take part. */
export type RecogResult = Record<string, string | null>;
// Results of fingerprints without captures are shared and frozen: treat every result as read-only.

const PLACEHOLDER = /\{([^\s{}]+)\}/g;

interface PlannedParam {
  name: string;
  pos: number;
  value: string;
  /** `{name}` references in a static value, first-seen order, each with its (Ruby-quirked) regex. */
  placeholders: Array<{ name: string; re: RegExp }>;
  /**
   * With exactly one placeholder: the static value split at its matches, so that a
   * replacement without backslashes is a join (the same as the gsub, without a
   * regex run and a callback per match).
   */
  parts: string[] | undefined;
}

interface ResultPlan {
  params: PlannedParam[];
  /** Positional params: where each capture goes. */
  captured: Array<{ name: string; pos: number }>;
  interpolated: PlannedParam[];
  hasTmp: boolean;
  /** Ruby's result with every static value in place, in Ruby's key order; cloned per match. */
  template: RecogResult;
  /** For fingerprints without captures the result never changes: one frozen object serves every match. */
  constant: Readonly<RecogResult> | undefined;
  templateDb: string;
}

/** Params in Ruby Hash order: a repeated name keeps its first place and its last definition. */
function planResult(fp: RecogFingerprint, db: Pick<RecogDb, 'key' | 'protocol'>): ResultPlan {
  const byName = new Map<string, PlannedParam>();
  for (const p of fp.params) {
    const names = p.pos === 0 ? [...new Set([...p.value.matchAll(PLACEHOLDER)].map((m) => m[1]!))] : [];
    const placeholders = names.map((name) => ({ name, re: placeholderRegex(name) }));
    const parts = placeholders.length === 1 ? p.value.split(placeholders[0]!.re) : undefined;
    byName.set(p.name, { name: p.name, pos: p.pos, value: p.value, placeholders, parts });
  }
  const params = [...byName.values()];
  const template: RecogResult = { matched: fp.description };
  for (const p of params) template[p.name] = p.pos === 0 ? p.value : null;
  if (template['service.protocol'] == null) template['service.protocol'] = db.protocol;
  template.fingerprint_db = db.key;
  const captured = params.filter((p) => p.pos > 0).map(({ name, pos }) => ({ name, pos }));
  return {
    params,
    captured,
    interpolated: params.filter((p) => p.placeholders.length > 0),
    hasTmp: params.some((p) => p.name.startsWith('_tmp.')),
    template,
    templateDb: db.key,
    constant: captured.length === 0 ? constantResult(fp, template, params) : undefined,
  };
}

/** The fixed result of a fingerprint without captures, or undefined when interpolation would raise. */
function constantResult(fp: RecogFingerprint, template: RecogResult, params: PlannedParam[]): Readonly<RecogResult> | undefined {
  try {
    return Object.freeze(interpolate(fp, { ...template }, params.filter((p) => p.placeholders.length > 0), params.some((p) => p.name.startsWith('_tmp.'))));
  } catch {
    return undefined;
  }
}

const plans = new WeakMap<RecogFingerprint, ResultPlan>();

/** Builds Ruby's result from the captures (Ruby numbering). Throws on a nil non-version interpolation, as Ruby raises. */
export function buildResult(fp: RecogFingerprint, db: Pick<RecogDb, 'key' | 'protocol'>, captures: Array<string | undefined>): RecogResult {
  let plan = plans.get(fp);
  if (!plan || plan.templateDb !== db.key) plans.set(fp, (plan = planResult(fp, db)));
  if (plan.constant) return plan.constant;
  // A spread of a same-shaped object stays a fast V8 object; adding keys one by one would not.
  const result: RecogResult = { ...plan.template };
  for (const { name, pos } of plan.captured) result[name] = captures[pos] ?? null;
  // A capture may fill service.protocol with nil; Ruby then falls back to the database's protocol.
  if (result['service.protocol'] == null) result['service.protocol'] = db.protocol;
  return interpolate(fp, result, plan.interpolated, plan.hasTmp);
}

/** Ruby's single interpolation pass over static values, then `_tmp.` removal. */
function interpolate(fp: RecogFingerprint, result: RecogResult, interpolated: PlannedParam[], hasTmp: boolean): RecogResult {
  for (const p of interpolated) {
    if (p.parts) {
      // One placeholder: split once at plan time, joined here (Ruby's gsub, same result).
      const name = p.placeholders[0]!.name;
      const replacement = result[name];
      if (replacement != null && !replacement.includes('\\') && (result[p.name] as string) === p.value) {
        result[p.name] = p.parts.join(replacement);
        continue;
      }
    }
    let value = result[p.name] as string;
    for (const { name, re } of p.placeholders) {
      const replacement = result[name];
      if (replacement != null) value = rubyGsub(value, re, replacement);
      else if (p.name.endsWith('.cpe23') && name.endsWith('.version')) value = rubyGsub(value, re, '-');
      else {
        throw new SextantError('FINGERPRINT_INTERPOLATION', `"${p.name}" interpolates {${name}}, which has no value`, { line: fp.line });
      }
    }
    result[p.name] = value;
  }
  if (hasTmp) for (const k of Object.keys(result)) if (k.startsWith('_tmp.')) delete result[k];
  return result;
}

/** Ruby builds the placeholder regex from the name unescaped: "." matches any character. */
function placeholderRegex(name: string): RegExp {
  return new RegExp(`\\{${name.replace(/[\\^$*+?()[\]{}|/]/g, '\\$&')}\\}`, 'g');
}

/** Ruby's `value.gsub(re, replacement)`: backslash sequences in the replacement are live. */
function rubyGsub(value: string, re: RegExp, replacement: string): string {
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
  const multiLine = input.includes('\n');
  const pf = prefilterOf(db);
  const n = candidates(pf, input);
  const order = pf.out;
  for (let k = 0; k < n; k++) {
    const fp = fps[order[k]!]!;
    const captures = fp.compiled.exec(input, multiLine);
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
  const multiLine = input.includes('\n');
  const pf = prefilterOf(db);
  // A copy: pf.out is reused by the next candidates() call.
  const order = pf.out.slice(0, candidates(pf, input));
  for (let k = 0; k < order.length; k++) {
    const fp = db.fingerprints[order[k]!]!;
    const captures = fp.compiled.exec(input, multiLine);
    if (!captures) continue;
    try {
      out.push({ fingerprint: fp, result: buildResult(fp, db, captures) });
    } catch {
      // Ruby would raise for this fingerprint; the others still count.
    }
  }
  return out;
}
