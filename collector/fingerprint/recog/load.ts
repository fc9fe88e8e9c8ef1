// Reads Recog-format fingerprint XML into plain databases with compiled patterns.
// Follows Ruby Recog's Recog::DB / Recog::Fingerprint loading (recog-format.md §1-2).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SextantError } from '../../../shared/errors.ts';
import { compileFingerprintPattern, type CompiledPattern } from './pattern.ts';
import { parseRecogFlags, RegexTranslationError } from './regex.ts';

export interface RecogParam {
  pos: number;
  name: string;
  value: string;
}

export interface RecogExample {
  /** The input as the matcher sees it: text as written, base64 payloads decoded as latin1. */
  input: string;
  encoding: 'text' | 'base64';
  /** Expected param values (every attribute not starting with "_"). */
  expected: Record<string, string>;
  line: number;
}

export interface RecogFingerprint {
  index: number;
  line: number;
  description: string;
  pattern: string;
  flags: string;
  /** The `certainty` attribute (recog-go only; Ruby ignores it). */
  certaintyAttribute: string | undefined;
  params: RecogParam[];
  examples: RecogExample[];
  compiled: CompiledPattern;
}

export interface RecogDb {
  /** The match key: `matches`, else the file name without `.xml`. */
  key: string;
  file: string;
  protocol: string;
  databaseType: string;
  preference: number;
  custom: boolean;
  fingerprints: RecogFingerprint[];
}

export interface LoadProblem {
  file: string;
  line: number | undefined;
  message: string;
  code: SextantError['code'];
}

export interface LoadResult {
  dbs: RecogDb[];
  problems: LoadProblem[];
  /** Every file read or tried. */
  files: string[];
}

const DEFAULT_PREFERENCE = 0.1;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: true,
  captureMetaData: true,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function lineAt(lineStarts: number[], index: number | undefined): number | undefined {
  if (index === undefined) return undefined;
  let lo = 0, hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function tagOf(node: XmlNode): string | undefined {
  for (const k of Object.keys(node)) if (k !== ':@') return k;
  return undefined;
}

function textOf(children: XmlNode[]): string {
  let out = '';
  for (const c of children) if (typeof c['#text'] === 'string') out += c['#text'];
  return out;
}

/** Loads every `*.xml` file of each directory (not recursive, like Ruby's DBManager), file name order. */
export interface LoadOptions {
  custom?: boolean;
  /** performance.now() value after which loading stops with a timeout problem. */
  deadline?: number;
}

export function loadRecogDirs(dirs: string[], options: LoadOptions = {}): LoadResult {
  const result: LoadResult = { dbs: [], problems: [], files: [] };
  for (const dir of dirs) {
    let files: string[];
    try {
      files = statSync(dir).isDirectory()
        ? readdirSync(dir).filter((f) => f.endsWith('.xml')).sort().map((f) => join(dir, f))
        : [dir];
    } catch (err) {
      result.problems.push({ file: dir, line: undefined, message: `cannot read: ${(err as Error).message}`, code: 'FINGERPRINT_DIR_UNREADABLE' });
      continue;
    }
    for (const file of files) {
      if (options.deadline !== undefined && performance.now() > options.deadline) {
        result.problems.push({ file, line: undefined, message: 'loading took too long; stopped before this file', code: 'FINGERPRINT_LOAD_TIMEOUT' });
        return result;
      }
      const one = loadRecogFile(file, options);
      result.files.push(file);
      result.dbs.push(...one.dbs);
      result.problems.push(...one.problems);
    }
  }
  return result;
}

/** Loads one file; a file with any problem yields no database, only problems. */
export function loadRecogFile(file: string, options: LoadOptions = {}): LoadResult {
  let xml: string;
  try {
    xml = readFileSync(file, 'utf8');
  } catch (err) {
    return { dbs: [], files: [file], problems: [{ file, line: undefined, message: `cannot read: ${(err as Error).message}`, code: 'FINGERPRINT_DIR_UNREADABLE' }] };
  }
  return parseRecogXml(xml, file, options);
}

export function parseRecogXml(rawXml: string, file: string, options: LoadOptions = {}): LoadResult {
  // XML end-of-line handling: literal CR and CRLF become LF before parsing (a CR survives only as &#13;).
  const xml = rawXml.replace(/\r\n?/g, '\n');
  const problems: LoadProblem[] = [];
  const fail = (line: number | undefined, message: string, code: LoadProblem['code']): LoadResult => ({
    dbs: [],
    files: [file],
    problems: [...problems, { file, line, message, code }],
  });
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return fail(valid.err.line, valid.err.msg, 'FINGERPRINT_XML_MALFORMED');

  const lineStarts = [0];
  for (let i = xml.indexOf('\n'); i !== -1; i = xml.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (node: XmlNode) => lineAt(lineStarts, (node as Record<symbol, { startIndex?: number }>)[META]?.startIndex);

  let doc: XmlNode[];
  try {
    doc = parser.parse(xml) as XmlNode[];
  } catch (err) {
    return fail(undefined, (err as Error).message, 'FINGERPRINT_XML_MALFORMED');
  }
  const root = doc.find((n) => tagOf(n) === 'fingerprints');
  if (!root) return fail(1, 'no <fingerprints> root element', 'FINGERPRINT_INVALID');
  const rootAttrs = root[':@'] ?? {};
  const preferenceText = rootAttrs.preference;
  let preference = DEFAULT_PREFERENCE;
  if (preferenceText !== undefined) {
    preference = Number(preferenceText);
    if (!Number.isFinite(preference) || preferenceText.trim() === '') {
      return fail(lineOf(root), `preference "${preferenceText}" is not a number`, 'FINGERPRINT_INVALID');
    }
  }
  const db: RecogDb = {
    key: rootAttrs.matches ?? basename(file).replace(/\.xml$/, ''),
    file,
    protocol: rootAttrs.protocol ?? '',
    databaseType: rootAttrs.database_type ?? '',
    preference,
    custom: options.custom ?? false,
    fingerprints: [],
  };

  for (const node of root.fingerprints as XmlNode[]) {
    if (tagOf(node) !== 'fingerprint') continue;
    const line = lineOf(node);
    if (options.deadline !== undefined && performance.now() > options.deadline) {
      return fail(line, 'loading took too long; stopped at this fingerprint', 'FINGERPRINT_LOAD_TIMEOUT');
    }
    try {
      db.fingerprints.push(readFingerprint(node, db.fingerprints.length, line, lineOf));
    } catch (err) {
      if (err instanceof SextantError) problems.push({ file, line: err.location.line ?? line, message: err.detail, code: err.code });
      else throw err;
    }
  }
  if (problems.length > 0) return { dbs: [], problems, files: [file] };
  return { dbs: [db], problems, files: [file] };
}

function readFingerprint(node: XmlNode, index: number, line: number | undefined, lineOf: (n: XmlNode) => number | undefined): RecogFingerprint {
  const attrs = node[':@'] ?? {};
  const children = (node.fingerprint as XmlNode[]) ?? [];
  const at = (detail: string, code: SextantError['code'] = 'FINGERPRINT_INVALID', where = line) =>
    new SextantError(code, detail, { line: where });
  const pattern = attrs.pattern;
  if (pattern === undefined) throw at('fingerprint has no pattern attribute');

  let description = '';
  const params: RecogParam[] = [];
  const examples: RecogExample[] = [];
  for (const child of children) {
    const tag = tagOf(child);
    const childAttrs = child[':@'] ?? {};
    const childLine = lineOf(child) ?? line;
    if (tag === 'description') {
      description = textOf(child.description as XmlNode[]).replace(/\s+/g, ' ').trim();
    } else if (tag === 'example') {
      examples.push(readExample(child, childAttrs, childLine));
    } else if (tag === 'param') {
      const posText = childAttrs.pos ?? '';
      const pos = Number(posText);
      if (!/^\d+$/.test(posText)) throw at(`param "${childAttrs.name ?? ''}" has pos "${posText}", not a whole number`, 'FINGERPRINT_PARAM_INVALID', childLine);
      if (!childAttrs.name) throw at('param has no name', 'FINGERPRINT_PARAM_INVALID', childLine);
      params.push({ pos, name: childAttrs.name, value: childAttrs.value ?? '' });
    }
  }

  let flags: string;
  let compiled: CompiledPattern;
  try {
    flags = parseRecogFlags(attrs.flags);
    compiled = compileFingerprintPattern(pattern, flags);
  } catch (err) {
    if (err instanceof RegexTranslationError || err instanceof SyntaxError) {
      throw new SextantError('FINGERPRINT_REGEX_UNSUPPORTED', `pattern ${JSON.stringify(pattern)}: ${err.message}`, { line }, err);
    }
    throw err;
  }
  for (const p of params) {
    if (p.pos > compiled.groups) {
      throw at(`param "${p.name}" takes capture group ${p.pos}, but the pattern has ${compiled.groups}`, 'FINGERPRINT_PARAM_INVALID');
    }
  }
  return {
    index,
    line: line ?? 0,
    description,
    pattern,
    flags,
    certaintyAttribute: attrs.certainty,
    params,
    examples,
    compiled,
  };
}

function readExample(node: XmlNode, attrs: Record<string, string>, line: number | undefined): RecogExample {
  const text = textOf(node.example as XmlNode[]);
  const expected: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (!k.startsWith('_')) expected[k] = v;
  if (attrs._filename !== undefined) {
    throw new SextantError('FINGERPRINT_INVALID', 'external example files (_filename) are not supported', { line });
  }
  if (attrs._encoding !== undefined) {
    if (attrs._encoding !== 'base64') throw new SextantError('FINGERPRINT_INVALID', `unknown example encoding "${attrs._encoding}"`, { line });
    // Ruby's unpack1('m*') skips line breaks and spaces; the payload is binary, one char per byte.
    return { input: Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1'), encoding: 'base64', expected, line: line ?? 0 };
  }
  return { input: text, encoding: 'text', expected, line: line ?? 0 };
}
