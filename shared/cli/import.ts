// `sextant import FILE`: scan files (Nmap XML, evidence JSONL: import-scan.ts)
// into the inventory, one transaction per file.
import type { Command } from 'commander';
import { runScanImport, type ScanImportOptions } from './import-scan.ts';

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
    .action(async (file: string, opts: ScanImportOptions) => {
      await runScanImport(file, opts);
    });
}
