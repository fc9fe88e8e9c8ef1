// Sextant evidence JSONL: one Evidence JSON object per line, as agents spool
// it and `scan --evidence FILE` writes it. Every line is checked by the
// collector's own record validator, so a bad one is named by line and field
// before anything is written.
import { isSextantError, SextantError } from '../../shared/errors.ts';
import type { Evidence } from '../../shared/types.ts';
import { validateRecord, type IngestLimits } from '../ingest/validate.ts';
import type { ParsedImport } from './nmap-xml.ts';

export const JSONL_AGENT_ID = 'import:sextant';

/**
 * Parses the lines; `site` (from --site) puts every record into that site.
 * Without it the file must hold one site: one import is one transaction, and
 * a transaction covers one site.
 */
export function parseEvidenceJsonl(text: string, options: { file: string; site?: string | undefined; limits: IngestLimits; now?: number }): ParsedImport {
  const { file } = options;
  const now = options.now ?? Date.now();
  const records: Evidence[] = [];
  let site = options.site;
  let siteLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const lineNo = i + 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new SextantError('IMPORT_MALFORMED', `not JSON: ${(err as Error).message}`, { file, line: lineNo });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new SextantError('IMPORT_MALFORMED', 'must be one evidence object {id, agentId, site, target, probe, observedAt, facts}', { file, line: lineNo });
    }
    const v = value as Record<string, unknown>;
    if (options.site !== undefined) v.site = options.site;
    else if (typeof v.site === 'string') {
      if (site === undefined) {
        site = v.site;
        siteLine = lineNo;
      } else if (v.site !== site) {
        throw new SextantError('IMPORT_MALFORMED', `site ${JSON.stringify(v.site)} differs from ${JSON.stringify(site)} of line ${siteLine}; one import is one site (pass --site to import every record into one)`, { file, line: lineNo, field: 'site' });
      }
    }
    try {
      const agentId = typeof v.agentId === 'string' ? v.agentId : '';
      const { record } = validateRecord(v, 'record', { agentId, site: typeof v.site === 'string' ? v.site : '' }, options.limits, now);
      if (!/^[\x21-\x7e]{1,200}$/.test(record.agentId)) throw new SextantError('EVIDENCE_INVALID', 'must be 1-200 printable ASCII characters without spaces', { field: 'record.agentId' });
      records.push(record);
    } catch (err) {
      if (!isSextantError(err)) throw err;
      const field = err.location.field?.replace(/^record\.?/, '') || undefined;
      throw new SextantError('IMPORT_MALFORMED', err.detail, { file, line: lineNo, ...(field ? { field } : {}) }, err);
    }
  }
  if (records.length > 0 && site === undefined) throw new SextantError('IMPORT_MALFORMED', 'records name no site; pass --site', { file, field: 'site' });
  return { format: 'evidence-jsonl', agentId: JSONL_AGENT_ID, site: site ?? options.site ?? 'local', records, skipped: [] };
}
