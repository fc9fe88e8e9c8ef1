// `sextant import FILE` without --source (IO): an Nmap XML scan (-oX, with -O
// and -sV) or a Sextant evidence JSONL file into the inventory, as one batch
// in one transaction. Re-importing a file stores nothing and says so.
import { componentLogger } from '../logging.ts';
import { collectorRequest, dbFile, type InventoryFlags } from './io-access.ts';

export interface ImportSummary {
  file: string;
  format: string;
  site: string;
  records: number;
  stored: number;
  duplicates: number;
  created: number;
  updated: number;
  skipped: string[];
}

export function describeImport(s: ImportSummary): string {
  const head = `${s.file} (${s.format}, site ${s.site}): `;
  if (s.records === 0) return `${head}no records to import${s.skipped.length ? ` (${s.skipped.length} hosts skipped)` : ''}; nothing changed`;
  if (s.stored === 0) return `${head}0 new records, ${s.duplicates} already imported; nothing changed`;
  return `${head}${s.stored} new records, ${s.duplicates} already imported; ${s.created} assets created, ${s.updated} updated`;
}

export interface ScanImportOptions extends InventoryFlags {
  site?: string | undefined;
  json?: boolean | undefined;
}

/** Reads, checks and imports one scan file; prints the summary. */
export async function runScanImport(file: string, opts: ScanImportOptions): Promise<ImportSummary> {
  const { readImportFile, IMPORT_LIMITS } = await import('../../collector/import/index.ts');
  const parsed = readImportFile(file, { site: opts.site });
  const batch = { batchId: parsed.batchId, agentId: parsed.agentId, site: parsed.site, records: parsed.records };
  let result: { stored: number; duplicates: number; created?: number; updated?: number };
  if (opts.collector) {
    result = await collectorRequest(opts, 'POST', '/v1/import/evidence', batch);
  } else {
    const { openPipeline } = await import('../../collector/server/index.ts');
    const { loadConfig } = await import('../config.ts');
    const log = componentLogger('import');
    const pipeline = await openPipeline({ db: dbFile(opts), natsUrl: opts.nats ?? loadConfig().natsUrl, log });
    try {
      result = parsed.records.length === 0 ? { stored: 0, duplicates: 0, created: 0, updated: 0 } : await pipeline.ingest(batch, { limits: IMPORT_LIMITS, anyAgent: true, counts: true });
    } finally {
      await pipeline.close();
    }
  }
  const summary: ImportSummary = {
    file, format: parsed.format, site: parsed.site, records: parsed.records.length,
    stored: result.stored, duplicates: result.duplicates, created: result.created ?? 0, updated: result.updated ?? 0, skipped: parsed.skipped,
  };
  process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `${describeImport(summary)}\n`);
  return summary;
}
