// `sextant watch [QUERY]`: prints the created, updated and deleted assets
// that match, live, from the NATS stream (ordered consumer; --since replays
// from a time first).
import type { Command } from 'commander';
import type { AssetView } from '../../collector/assets/types.ts';
import type { WatchedEvent } from '../../collector/publish/watch.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';

interface WatchCliOptions {
  since?: string;
  nats?: string;
  stream?: string;
  subjectPrefix?: string;
  json?: boolean;
  count?: string;
}

const show = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') || '-' : String(v));

/** One line per event: time, event, id, addresses, what it is; then one indented line per change. */
export function formatWatchedEvent(e: WatchedEvent): string {
  const a = e.asset as Partial<AssetView> & { id: string };
  const what = [a.os, a.hw, a.type].filter(Boolean).join(' / ');
  let out = `${e.time} ${e.event.padEnd(7)} ${a.id} site=${e.site} ${(a.addresses ?? []).join(',') || '-'}${a.names?.length ? ` ${a.names.join(',')}` : ''}${what ? ` [${what}]` : ''}\n`;
  if (e.event === 'updated') for (const c of e.changes) out += `    ${c.field}: ${show(c.before)} -> ${show(c.after)}\n`;
  return out;
}

export function registerWatchCommands(program: Command): void {
  program
    .command('watch')
    .description('print created, updated and deleted assets that match QUERY, live, from the NATS asset stream')
    .argument('[query]', 'filter, e.g. os:linux port:22 -type:printer (default: every asset)')
    .option('--since <time>', 'first replay events since TIME (ISO 8601, or 30m, 2h, 1d, 2weeks ago)')
    .option('--nats <url>', 'NATS server (default SEXTANT_NATS_URL)')
    .option('--stream <name>', 'JetStream stream', 'SEXTANT_ASSETS')
    .option('--subject-prefix <prefix>', 'subjects are PREFIX.<site>.<event>', 'sextant.assets')
    .option('--json', 'one JSON event per line')
    .option('--count <n>', 'stop after N events')
    .action(async (query: string | undefined, opts: WatchCliOptions) => {
      const { parseSince, watchAssets } = await import('../../collector/publish/watch.ts');
      const { compileAssetFilter } = await import('../../collector/publish/asset-filter.ts');
      const nats = opts.nats ?? loadConfig().natsUrl;
      if (!nats) throw new SextantError('WATCH_INVALID', 'no NATS server: pass --nats or set SEXTANT_NATS_URL', { field: '--nats' });
      const limit = opts.count === undefined ? Infinity : Number(opts.count);
      if (!(limit > 0)) throw new SextantError('WATCH_INVALID', 'must be a positive number', { field: '--count' });
      const filter = compileAssetFilter(query);
      const since = opts.since === undefined ? undefined : parseSince(opts.since);
      let seen = 0;
      const events = watchAssets({ nats, query, filter, since, stream: opts.stream!, subjectPrefix: opts.subjectPrefix! });
      const stop = () => void events.return(undefined);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        for await (const e of events) {
          process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : formatWatchedEvent(e));
          if (++seen >= limit) break;
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
