// `sextant import --source intune|crowdstrike|azuread FILE`: a device export in
// the JSON its API returns, turned into evidence (collector/assets/sources/)
// and ingested as ONE batch through the collector's pipeline: one transaction,
// merged into the same assets as scan evidence. Re-importing the same export
// stores nothing new and says so.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { INTEGRATION_SITE } from '../../collector/merge/index.ts';
import { SOURCES } from '../../collector/assets/sources/index.ts';
import { DEFAULT_LIMITS } from '../../collector/ingest/index.ts';
import type { Pipeline } from '../../collector/pipeline.ts';
import { SextantError } from '../errors.ts';
import type { Evidence } from '../types.ts';

export interface SourceImportOptions {
  source: string;
  /** Default: no site (`integrations`): names then match any site's, and scans give the asset its home. */
  site?: string;
  now?: Date;
}

/** Where in the text a JSON.parse error points: line and column. */
function jsonError(text: string, err: Error, file: string): SextantError {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return new SextantError('IMPORT_SOURCE_INVALID', `not valid JSON: ${err.message}`, { file });
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return new SextantError('IMPORT_SOURCE_INVALID', `not valid JSON: ${err.message.replace(/ in JSON at position \d+.*$/, '')}`, { file, line, column });
}

/** The export's devices as evidence records; throws naming file, line or field. */
export function readSourceExport(file: string, text: string, options: SourceImportOptions): Evidence[] {
  const source = SOURCES[options.source];
  if (!source) throw new SextantError('INPUT_INVALID', `unknown source "${options.source}"; one of ${Object.keys(SOURCES).join(', ')}`, { field: '--source' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw jsonError(text, err as Error, file);
  }
  return source.toEvidence(parsed, { source: options.source, site: options.site ?? INTEGRATION_SITE, file, now: (options.now ?? new Date()).toISOString() });
}

export interface SourceImportResult {
  devices: number;
  stored: number;
  duplicates: number;
}

/** Reads and ingests one export as one batch. */
export async function importSourceFile(pipeline: Pipeline, file: string, options: SourceImportOptions): Promise<SourceImportResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SextantError('IMPORT_SOURCE_INVALID', `cannot be read: ${(err as Error).message}`, { file }, err);
  }
  const records = readSourceExport(file, text, options);
  if (records.length === 0) return { devices: 0, stored: 0, duplicates: 0 };
  const site = options.site ?? INTEGRATION_SITE;
  const batchId = `import:${options.source}:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  const result = await pipeline.ingest({ batchId, agentId: `import:${options.source}`, site, records });
  return { devices: records.length, ...result };
}

/** Limits for an import batch: as many devices as an export holds, within memory reason. */
export const IMPORT_LIMITS = { ...DEFAULT_LIMITS, maxRecords: 1_000_000, maxBatchChars: 1024 * 1024 * 1024 };
