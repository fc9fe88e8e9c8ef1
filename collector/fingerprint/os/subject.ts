// Reads and writes subject ("observed") fingerprint text: Nmap's wrapped
// `OS:`-prefixed 72-column form and its clean one-test-per-line form
// (nmap-os-detection.md §3 "The subject fingerprint text").
import { SextantError } from '../../../shared/errors.ts';
import type { FingerprintTest, SubjectFingerprint } from './types.ts';

/** Characters after `OS:` on a full wrapped line (Nmap's FP_RESULT_WRAP_LINE_LEN 74, minus the prefix, minus one). */
export const WRAP_WIDTH = 72;

const TEST_NAME = /^[A-Z0-9]+$/;
const ATTR_NAME = /^[A-Z0-9]+$/;
// Printable ASCII minus the characters that delimit tests and attributes.
const VALUE = /^[\x20-\x7e]*$/;

function fail(source: string, line: number | undefined, detail: string): SextantError {
  return new SextantError('OS_FINGERPRINT_INVALID', detail, line === undefined ? { file: source } : { file: source, line });
}

/**
 * Parses subject fingerprint text in either form. Also accepts Nmap's
 * "TCP/IP fingerprint:" header, blank lines, CRLF and indentation, so text
 * pasted from Nmap output works. Repeated test names (merged rounds) are kept.
 */
export function parseSubjectFingerprint(text: string, source = 'fingerprint'): SubjectFingerprint {
  // The unwrapped text, and for each of its characters' runs the line it came from.
  let joined = '';
  const origins: Array<{ at: number; line: number }> = [];
  let sawWrapped = false;
  let sawClean = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '').trim();
    if (line === '' || line === 'TCP/IP fingerprint:') continue;
    const wrapped = line.startsWith('OS:');
    if (wrapped) sawWrapped = true;
    else sawClean = true;
    if (sawWrapped && sawClean) throw fail(source, i + 1, 'mixes OS:-prefixed lines with unprefixed ones');
    origins.push({ at: joined.length, line: i + 1 });
    joined += wrapped ? line.slice(3) : line;
  }
  const lineAt = (pos: number) => {
    let line = origins[0]?.line;
    for (const o of origins) if (o.at <= pos) line = o.line;
    return line;
  };
  if (joined === '') throw fail(source, undefined, 'no fingerprint tests found');

  const tests: FingerprintTest[] = [];
  let pos = 0;
  while (pos < joined.length) {
    const open = joined.indexOf('(', pos);
    if (open === -1) throw fail(source, lineAt(pos), `expected TEST(...) at "${clip(joined.slice(pos))}"`);
    const name = joined.slice(pos, open);
    if (!TEST_NAME.test(name)) throw fail(source, lineAt(pos), `bad test name "${clip(name)}"`);
    const close = joined.indexOf(')', open + 1);
    if (close === -1) throw fail(source, lineAt(open), `test ${name} has no closing ")"`);
    const body = joined.slice(open + 1, close);
    tests.push({ name, attributes: parseBody(name, body, source, lineAt(open)) });
    pos = close + 1;
  }
  return { tests };
}

function parseBody(test: string, body: string, source: string, line: number | undefined): FingerprintTest['attributes'] {
  if (body === '') return [];
  const attributes: FingerprintTest['attributes'] = [];
  for (const part of body.split('%')) {
    const eq = part.indexOf('=');
    if (eq === -1) throw fail(source, line, `test ${test}: attribute "${clip(part)}" has no "="`);
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!ATTR_NAME.test(name)) throw fail(source, line, `test ${test}: bad attribute name "${clip(name)}"`);
    if (!VALUE.test(value) || value.includes('(')) throw fail(source, line, `test ${test}: attribute ${name} has a bad value "${clip(value)}"`);
    if (attributes.some((a) => a.name === name)) throw fail(source, line, `test ${test}: attribute ${name} appears twice`);
    attributes.push({ name, value });
  }
  return attributes;
}

function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 60 ? `${printable.slice(0, 57)}...` : printable;
}

/** `NAME(A=x%B=y)`, as Nmap's test2str writes it. */
export function formatTest(test: FingerprintTest): string {
  return `${test.name}(${test.attributes.map((a) => `${a.name}=${a.value}`).join('%')})`;
}

export interface FormatOptions {
  /** true (default): Nmap's wrapped `OS:` form; false: one test per line. */
  wrap?: boolean;
}

/** Prints a subject fingerprint exactly as Nmap does; every line ends with a newline. */
export function formatSubjectFingerprint(fp: SubjectFingerprint, options: FormatOptions = {}): string {
  const tests = fp.tests.map(formatTest);
  if (options.wrap === false) return tests.map((t) => `${t}\n`).join('');
  const joined = tests.join('');
  let out = '';
  for (let i = 0; i < joined.length; i += WRAP_WIDTH) out += `OS:${joined.slice(i, i + WRAP_WIDTH)}\n`;
  return out;
}

/** The value of `test.attribute` in the first test of that name, if present. */
export function subjectValue(fp: SubjectFingerprint, test: string, attribute: string): string | undefined {
  return fp.tests.find((t) => t.name === test)?.attributes.find((a) => a.name === attribute)?.value;
}
