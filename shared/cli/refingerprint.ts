// `sextant refingerprint [QUERY]`: replays the stored evidence of the matching
// assets through the current engine (after custom fingerprints or nmap-os-db
// changed), updates the assets and publishes `updated` events with the differences.
import type { Command } from 'commander';
import type { AssetChange } from '../../collector/assets/types.ts';
import { componentLogger } from '../logging.ts';
import { collectorRequest, existingDbFile, type InventoryFlags } from './io-access.ts';

export interface RefingerprintSummary {
  examined: number;
  evidence: number;
  updated: number;
  changes: Record<string, AssetChange[]>;
}

export function describeRefingerprint(s: RefingerprintSummary): string {
  let out = `${s.examined} assets examined (${s.evidence} evidence records): ${s.updated === 0 ? 'no fingerprint changed; nothing written' : `${s.updated} updated`}\n`;
  for (const [id, changes] of Object.entries(s.changes)) {
    out += `${id}\n`;
    for (const c of changes) out += `    ${c.field}: ${JSON.stringify(c.before ?? null)} -> ${JSON.stringify(c.after ?? null)}\n`;
  }
  return out;
}

interface RefingerprintCliOptions extends InventoryFlags {
  site?: string;
  json?: boolean;
}

export function registerRefingerprintCommands(program: Command): void {
  program
    .command('refingerprint')
    .description('replay stored evidence through the current fingerprints; update assets and publish the differences')
    .argument('[query]', 'which assets (default: all), e.g. os:linux site:hq')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--collector <url>', 'run it inside a running collector (admin API, http://HOST:PORT)')
    .option('--token <token>', 'the collector\'s token (default SEXTANT_ENROL_TOKEN)')
    .option('--nats <url>', 'with --db: publish the updated events to this NATS server (default SEXTANT_NATS_URL)')
    .option('--site <site>', 'only this site')
    .option('--json', 'print the summary as JSON')
    .action(async (query: string | undefined, opts: RefingerprintCliOptions) => {
      const { compileAssetFilter } = await import('../../collector/publish/asset-filter.ts');
      const select = compileAssetFilter(query);
      let summary: RefingerprintSummary;
      if (opts.collector) {
        summary = await collectorRequest(opts, 'POST', '/v1/refingerprint', { query: query ?? '', ...(opts.site ? { site: opts.site } : {}) });
      } else {
        const { openPipeline } = await import('../../collector/server/index.ts');
        const { loadConfig } = await import('../config.ts');
        const pipeline = await openPipeline({ db: existingDbFile(opts), natsUrl: opts.nats ?? loadConfig().natsUrl, log: componentLogger('refingerprint') });
        try {
          const r = await pipeline.refingerprint({ select, ...(opts.site ? { site: opts.site } : {}) });
          summary = { examined: r.examined, evidence: r.evidence, updated: r.updated, changes: Object.fromEntries(r.changes) };
        } finally {
          await pipeline.close();
        }
      }
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : describeRefingerprint(summary));
    });
}
