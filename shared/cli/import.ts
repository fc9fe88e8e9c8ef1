// `sextant import FILE`: an Nmap XML scan (-oX, with -O and -sV) or a Sextant
// evidence JSONL file into the inventory, as one batch in one transaction.
// Re-importing a file stores nothing and says so.
import type { Command } from 'commander';
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

interface ImportCliOptions extends InventoryFlags {
  site?: string;
  json?: boolean;
}

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description('import an Nmap XML scan (nmap -oX, with -O/-sV) or a Sextant evidence JSONL file; re-importing changes nothing')
    .argument('<file>', 'the scan file')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--collector <url>', 'import through a running collector\'s admin API (http://HOST:PORT) instead of a file')
    .option('--token <token>', 'the collector\'s token (default SEXTANT_ENROL_TOKEN)')
    .option('--nats <url>', 'with --db: publish asset events to this NATS server (default SEXTANT_NATS_URL)')
    .option('--site <site>', 'the site the evidence belongs to (Nmap default: local; JSONL default: the records\' own)')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: ImportCliOptions) => {
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
    });
}
