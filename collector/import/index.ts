// `sextant import FILE`: Nmap XML or Sextant evidence JSONL into evidence
// records for the pipeline, as one batch (one transaction). The format is
// told by the content, not the file name.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SextantError } from '../../shared/errors.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../ingest/validate.ts';
import { parseEvidenceJsonl } from './jsonl.ts';
import { parseNmapXml, type ParsedImport } from './nmap-xml.ts';

export { parseNmapXml, NMAP_AGENT_ID, type ParsedImport } from './nmap-xml.ts';
export { parseEvidenceJsonl, JSONL_AGENT_ID } from './jsonl.ts';

/**
 * An import is one batch: far more records than an agent's batch, still
 * checked record by record. Clock skew is wide open because scan files are old.
 */
export const IMPORT_LIMITS: IngestLimits = {
  ...DEFAULT_LIMITS,
  maxRecords: 2_000_000,
  maxBatchChars: 1024 * 1024 * 1024,
};

export const DEFAULT_IMPORT_SITE = 'local';

export type ImportFormat = ParsedImport['format'];

export function detectFormat(text: string, file: string): ImportFormat {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('<')) return 'nmap-xml';
  if (start.startsWith('{')) return 'evidence-jsonl';
  if (start === '') throw new SextantError('IMPORT_MALFORMED', 'the file is empty', { file });
  throw new SextantError('IMPORT_FORMAT_UNKNOWN', `starts with ${JSON.stringify(start.slice(0, 20))}: expected Nmap XML (nmap -oX) or evidence JSONL (one JSON object per line)`, { file, line: 1 });
}

export interface ParsedFile extends ParsedImport {
  batchId: string;
  digest: string;
}

/** Parses text already read; `file` names it in errors. */
export function parseImport(text: string, options: { file: string; site?: string | undefined; now?: Date }): ParsedFile {
  const digest = createHash('sha256').update(text).digest('hex');
  const format = detectFormat(text, options.file);
  const parsed = format === 'nmap-xml'
    ? parseNmapXml(text, { file: options.file, site: options.site ?? DEFAULT_IMPORT_SITE, fileDigest: digest, limits: IMPORT_LIMITS, ...(options.now ? { now: options.now } : {}) })
    : parseEvidenceJsonl(text, { file: options.file, site: options.site, limits: IMPORT_LIMITS, ...(options.now ? { now: options.now.getTime() } : {}) });
  return { ...parsed, batchId: `import-${digest.slice(0, 32)}`, digest };
}

export function readImportFile(file: string, options: { site?: string | undefined } = {}): ParsedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SextantError('IMPORT_UNREADABLE', (err as Error).message, { file }, err);
  }
  return parseImport(text, { file, site: options.site });
}
