// `sextant import FILE`: files into the inventory, one transaction per file.
// `--source intune|crowdstrike|azuread` reads an integration's device export
// (import-source.ts, MERGE); without it, Nmap XML or evidence JSONL, told
// apart by content (import-scan.ts, IO).
import type { Command } from 'commander';
import { openPipeline } from '../../collector/server/index.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';
import { readFileSync } from 'node:fs';
import { collectorRequest } from './asset.ts';
import { importSourceFile, IMPORT_LIMITS, readSourceExport } from './import-source.ts';
import { runScanImport } from './import-scan.ts';

interface ImportOptions {
  source?: string;
  site?: string;
  db?: string;
  nats?: string;
  collector?: string;
  token?: string;
  json?: boolean;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import <file>')
    .description('import a file into the inventory: an integration export (--source), or a scan file (Nmap XML with -O/-sV, Sextant evidence JSONL); re-importing changes nothing')
    .option('--source <name>', 'integration device export: intune (Graph managedDevices), crowdstrike (devices/entities/devices/v2), azuread (Graph devices)')
    .option('--site <site>', 'site of the imported devices (integrations default: none, they join assets of any site; Nmap XML: local; evidence JSONL: the records\' own)')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--nats <url>', 'publish asset events to this NATS server (default SEXTANT_NATS_URL)')
    .option('--collector <url>', "send it to a running collector's admin endpoint instead of opening --db")
    .option('--token <token>', 'the enrolment token for --collector (default SEXTANT_ENROL_TOKEN)')
    .option('--json', 'scan files: print the summary as JSON')
    .action(async (file: string, opts: ImportOptions) => {
      if (!opts.source) {
        await runScanImport(file, opts);
        return;
      }
      const report = (r: { devices: number; stored: number; duplicates: number }) => {
        const what = r.stored === 0 && r.devices > 0 ? 'nothing changed (already imported)' : `${r.stored} new, ${r.duplicates} already known`;
        process.stdout.write(`${file}: ${r.devices} ${opts.source} devices; ${what}\n`);
      };
      if (opts.collector) {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw new SextantError('IMPORT_SOURCE_INVALID', `cannot be read: ${(err as Error).message}`, { file }, err);
        }
        // Checked here first, so a bad file is reported with its own name and line.
        readSourceExport(file, text, { source: opts.source, ...(opts.site ? { site: opts.site } : {}) });
        const query = new URLSearchParams({ source: opts.source, ...(opts.site ? { site: opts.site } : {}) });
        report((await collectorRequest(opts.collector, opts.token, 'POST', `/v1/import?${query}`, text)) as { devices: number; stored: number; duplicates: number });
        return;
      }
      const config = loadConfig();
      const log = componentLogger('import');
      const pipeline = await openPipeline({ db: opts.db ?? config.db, natsUrl: opts.nats ?? config.natsUrl, log, config, limits: IMPORT_LIMITS });
      try {
        report(await importSourceFile(pipeline, file, { source: opts.source, ...(opts.site ? { site: opts.site } : {}) }));
      } finally {
        await pipeline.close();
      }
    });
}
