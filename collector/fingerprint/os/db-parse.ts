// Reads the text of Nmap's nmap-os-db: MatchPoints, Fingerprint entries with
// their Class/CPE lines and test lines (nmap-os-detection.md §4 "nmap-os-db format").
import { SextantError } from '../../../shared/errors.ts';
import { referenceCompiler, type CompiledDb } from './compile.ts';
import type { AttributeWeight, FingerprintTest, OsClass, OsReference } from './types.ts';

export interface OsDb {
  file: string;
  /** From the `$Id: nmap-os-db 38353 2022-02-18 …$` header, e.g. `38353 2022-02-18`. */
  revision: string | undefined;
  weights: AttributeWeight[];
  references: OsReference[];
  /** Expressions in `[...]` bracket syntax (7.95+ databases); 7.93 reads them literally. */
  bracketExpressions: number;
  /** The matcher's pre-compiled form, one entry per reference. */
  compiled: CompiledDb;
}

const TEST_LINE = /^([A-Za-z0-9]+)\(([^()]*)\)$/;
const NAME = /^[A-Za-z0-9]+$/;
const POINTS = /^[1-9][0-9]{0,8}$/;

type LineErrorCode = 'OSDB_INVALID' | 'OS_FINGERPRINT_INVALID';

function lineError(code: LineErrorCode, file: string, line: number, detail: string): SextantError {
  return new SextantError(code, detail, { file, line });
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Splits `NAME(A=x%B=y)` into its name and attributes; throws with the line on any defect. */
export function parseTestLine(text: string, file: string, line: number, code: LineErrorCode = 'OSDB_INVALID'): FingerprintTest {
  const m = TEST_LINE.exec(text);
  if (!m) throw lineError(code, file, line, `expected a test line NAME(ATTR=VALUE%...), got "${clip(text)}"`);
  const name = m[1] as string;
  const body = m[2] as string;
  const attributes: FingerprintTest['attributes'] = [];
  if (body === '') return { name, attributes };
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('%', start);
    if (end === -1) end = body.length;
    const eq = body.indexOf('=', start);
    if (eq === -1 || eq > end) throw lineError(code, file, line, `test ${name}: attribute "${clip(body.slice(start, end))}" has no "="`);
    const attr = body.slice(start, eq);
    if (!NAME.test(attr)) throw lineError(code, file, line, `test ${name}: bad attribute name "${clip(attr)}"`);
    for (const earlier of attributes) {
      if (earlier.name === attr) throw lineError(code, file, line, `test ${name}: attribute ${attr} appears twice`);
    }
    attributes.push({ name: attr, value: body.slice(eq + 1, end) });
    start = end + 1;
  }
  return { name, attributes };
}

/** A reference's tests split into attributes (their expressions as written). */
export function referenceTests(reference: OsReference): FingerprintTest[] {
  return reference.testLines.map((line) => parseTestLine(line, 'nmap-os-db', reference.line));
}

function parseClassLine(rest: string, file: string, line: number): OsClass {
  const fields = rest.split('|').map((f) => f.trim());
  if (fields.length !== 4) {
    throw lineError('OSDB_INVALID', file, line, `Class needs "vendor | family | generation | device type" (4 fields), got ${fields.length}`);
  }
  const [vendor, family, generation, type] = fields as [string, string, string, string];
  if (!vendor || !family || !type) throw lineError('OSDB_INVALID', file, line, 'Class has an empty vendor, family or device type');
  return { vendor, family, generation: generation === '' ? null : generation, type, cpe: [] };
}

function parseMatchPoints(lines: string[], from: number, file: string): { weights: AttributeWeight[]; next: number } {
  const weights: AttributeWeight[] = [];
  const tests = new Set<string>();
  let i = from;
  for (; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (raw.startsWith('#')) continue;
    if (raw.trim() === '' || raw.startsWith('Fingerprint')) break;
    const test = parseTestLine(raw.trim(), file, i + 1);
    if (tests.has(test.name)) throw lineError('OSDB_INVALID', file, i + 1, `MatchPoints lists test ${test.name} twice`);
    tests.add(test.name);
    for (const attr of test.attributes) {
      if (!POINTS.test(attr.value)) {
        throw lineError('OSDB_INVALID', file, i + 1, `MatchPoints ${test.name}.${attr.name} must be a positive integer, got "${clip(attr.value)}"`);
      }
      weights.push({ test: test.name, attribute: attr.name, points: Number(attr.value) });
    }
  }
  if (weights.length === 0) throw lineError('OSDB_INVALID', file, from, 'MatchPoints entry has no weights');
  return { weights, next: i };
}

/** Parses and compiles nmap-os-db text; pure. `file` only names the source in messages. */
export function parseOsDb(text: string, file = 'nmap-os-db'): OsDb {
  const lines = text.split('\n');
  const references: OsReference[] = [];
  let revision: string | undefined;
  let bracketExpressions = 0;
  let weights: AttributeWeight[] | undefined;
  let compiler: ReturnType<typeof referenceCompiler> | undefined;
  let slotOf: Map<string, Set<string>> | undefined;
  let current: OsReference | undefined;
  let currentTests = new Set<string>();

  const finishEntry = () => {
    if (!current) return;
    if (current.classes.length === 0) throw lineError('OSDB_INVALID', file, current.line, `Fingerprint "${current.name}" has no Class line`);
    if (current.testLines.length === 0) throw lineError('OSDB_INVALID', file, current.line, `Fingerprint "${current.name}" has no test lines`);
    references.push(current);
    compiler?.finishReference();
    current = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i] as string;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.startsWith('#')) {
      revision ??= /\$Id: nmap-os-db (\d+ \d{4}-\d\d-\d\d)/.exec(raw)?.[1];
      continue;
    }
    const trimmed = raw.trim();
    if (trimmed === '') {
      finishEntry();
      continue;
    }
    if (raw.startsWith('Fingerprint')) {
      finishEntry();
      if (!compiler) throw lineError('OSDB_INVALID', file, lineNo, 'Fingerprint before the MatchPoints entry');
      const name = (/^Fingerprint[ \t]+([^#]*)/.exec(raw)?.[1] ?? '').trim();
      if (!name) throw lineError('OSDB_INVALID', file, lineNo, 'Fingerprint line without an OS name');
      current = { name, line: lineNo, classes: [], testLines: [] };
      currentTests = new Set();
      continue;
    }
    if (!current) {
      if (trimmed !== 'MatchPoints') throw lineError('OSDB_INVALID', file, lineNo, `expected "Fingerprint" or "MatchPoints", got "${clip(trimmed)}"`);
      if (weights) throw lineError('OSDB_INVALID', file, lineNo, 'a second MatchPoints entry');
      const points = parseMatchPoints(lines, i + 1, file);
      weights = points.weights;
      compiler = referenceCompiler(weights);
      slotOf = new Map();
      for (const w of weights) {
        let attrs = slotOf.get(w.test);
        if (!attrs) slotOf.set(w.test, (attrs = new Set()));
        attrs.add(w.attribute);
      }
      i = points.next - 1;
      continue;
    }
    if (raw.startsWith('Class ')) {
      current.classes.push(parseClassLine(raw.slice(6), file, lineNo));
    } else if (raw.startsWith('CPE ')) {
      const last = current.classes.at(-1);
      if (!last) throw lineError('OSDB_INVALID', file, lineNo, 'CPE line without a preceding Class line');
      const cpe = raw.slice(4).trim().split(/\s+/)[0] as string;
      if (!cpe.startsWith('cpe:/')) throw lineError('OSDB_INVALID', file, lineNo, `CPE must be a cpe:/ URI, got "${clip(cpe)}"`);
      last.cpe.push(cpe);
    } else {
      const test = parseTestLine(trimmed, file, lineNo);
      const weighted = slotOf?.get(test.name);
      if (!weighted) {
        throw lineError('OSDB_INVALID', file, lineNo, `unknown test ${test.name} (not in MatchPoints)`);
      }
      if (currentTests.has(test.name)) throw lineError('OSDB_INVALID', file, lineNo, `test ${test.name} appears twice in "${current.name}"`);
      currentTests.add(test.name);
      for (const attr of test.attributes) {
        // `OPS(R=N)`/`WIN(R=N)` carry an R that MatchPoints does not weigh: subjects never
        // have it, so it is never compared. Any other unweighted attribute is a broken file.
        if (attr.name !== 'R' && !weighted.has(attr.name)) {
          throw lineError('OSDB_INVALID', file, lineNo, `attribute ${test.name}.${attr.name} has no MatchPoints weight`);
        }
        if (attr.value.includes('[')) bracketExpressions++;
      }
      compiler?.addTest(test);
      current.testLines.push(trimmed);
    }
  }
  finishEntry();
  if (!weights || !compiler) throw lineError('OSDB_INVALID', file, lines.length, 'no MatchPoints entry');
  if (references.length === 0) throw lineError('OSDB_INVALID', file, lines.length, 'no Fingerprint entries');
  return { file, revision, weights, references, bracketExpressions, compiled: compiler.result() };
}
