// `sextant asset explain ID`, `sextant merge ID ID...`, `sextant split ID
// --address A | --key KIND:VALUE`: why an asset is what it is, and the manual
// corrections, which later evidence does not undo (collector/assets/inventory.ts).
// They work on the inventory file (--db); while a collector runs on that file,
// stop it first: it keeps the inventory in memory.
import type { Command } from 'commander';
import { adjustStore, openSqliteStore } from '../../collector/pipeline.ts';
import { assetView, planManualMerge, planManualSplit, type Asset } from '../../collector/assets/index.ts';
import { IDENTITY_KINDS } from '../../collector/merge/index.ts';
import { parseKeyText } from '../../collector/server/api-merge.ts';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';
import { componentLogger } from '../logging.ts';

interface DbOption {
  db?: string;
  collector?: string;
  token?: string;
}

/** A request to a running collector's admin endpoint (bearer = the enrolment token). */
export async function collectorRequest(base: string, token: string | undefined, method: string, path: string, body?: string): Promise<unknown> {
  const t = token ?? process.env.SEXTANT_ENROL_TOKEN;
  if (!t) throw new SextantError('INPUT_INVALID', 'no token for the collector: pass --token or set SEXTANT_ENROL_TOKEN', { field: '--token' });
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) });
  } catch (err) {
    throw new SextantError('INPUT_INVALID', `collector ${base} cannot be reached: ${(err as Error).message}`, { field: '--collector' }, err);
  }
  const parsed = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new SextantError(res.status === 404 ? 'MERGE_ASSET_UNKNOWN' : 'INPUT_INVALID', `collector answered ${res.status}: ${parsed.error ?? ''}`);
  return parsed;
}

const COLLECTOR_HELP = "a running collector's admin endpoint (http://HOST:PORT); use it instead of --db while a collector runs";

function dbFile(opts: DbOption): string {
  return opts.db ?? loadConfig().db;
}

/** The asset as `asset explain` prints it: where it was seen, its keys, and every merge decision. */
export function explainAsset(a: Asset): string {
  const v = assetView(a);
  const lines: string[] = [];
  lines.push(`asset ${a.id} (revision ${a.revision}, ${a.alive ? 'alive' : 'not alive'})`);
  lines.push(`  home site: ${a.site}; sites: ${v.sites!.join(', ')}; sources: ${v.sources!.join(', ')}`);
  lines.push(`  first seen ${a.first_seen}, last seen ${a.last_seen}; ${a.evidence_count} evidence records`);
  if (v.os || v.hw || v.type) lines.push(`  ${[v.os && `os ${v.os}${v.os_version ? ` ${v.os_version}` : ''} (${v.attributes['fp.os.source']})`, v.hw && `hw ${v.hw}`, v.type && `type ${v.type}`].filter(Boolean).join('; ')}`);
  lines.push('addresses:');
  if (a.addresses.length === 0) lines.push('  (none answering)');
  for (const x of a.addresses) lines.push(`  ${x.address}${x.site ? ` (site ${x.site})` : ''}  first ${x.first_seen}  last ${x.last_seen}`);
  lines.push('keys:');
  const identities = a.identities ?? a.macs.map((m) => ({ kind: 'mac', value: m.mac, source: 'sextant', first_seen: m.first_seen, last_seen: m.last_seen }));
  if (identities.length === 0) lines.push('  (none: known by address only)');
  for (const i of identities) {
    const notes = [(i as { randomized?: boolean }).randomized ? 'randomized: never matched' : '', (i as { domain?: string }).domain ? `domain ${(i as { domain?: string }).domain}` : '', i.kind === 'ip' ? 'reported, not answering: not matched' : ''].filter(Boolean);
    lines.push(`  ${i.kind} ${i.value}  from ${i.source}  first ${i.first_seen}  last ${i.last_seen}${notes.length ? `  (${notes.join('; ')})` : ''}`);
  }
  if (a.pins?.length) lines.push(`pinned by a manual split: ${a.pins.join(', ')}`);
  if (a.no_merge?.length) lines.push(`never merged with: ${a.no_merge.join(', ')}`);
  lines.push('merge log:');
  if (!a.merge_log?.length) lines.push('  (none recorded)');
  for (const e of a.merge_log ?? []) {
    const key = e.key ? ` by ${e.key}${e.value ? ` ${e.value}` : ''}` : e.value ? ` ${e.value}` : '';
    lines.push(`  ${e.at}  ${e.action}${key}${e.source ? ` [${e.source}]` : ''}: ${e.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `mac:00:1b:21:00:00:01`, `ssh_hostkey:SHA256:...`: the kind is everything before the first colon. */
export const parseKey = parseKeyText;

export function registerAssetCommands(program: Command): void {
  const asset = program.command('asset').description('one asset of the inventory');
  asset
    .command('explain <id>')
    .description('why the asset is what it is: its addresses, identity keys and merge log')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--json', 'print the asset with its keys and merge log as JSON')
    .option('--collector <url>', COLLECTOR_HELP)
    .option('--token <token>', 'the enrolment token (default SEXTANT_ENROL_TOKEN)')
    .action(async (id: string, opts: DbOption & { json?: boolean }) => {
      const store = opts.collector ? undefined : openSqliteStore(dbFile(opts), { logger: componentLogger('store') });
      try {
        const a = store ? await store.getAsset(id) : ((await collectorRequest(opts.collector!, opts.token, 'GET', `/v1/assets/${encodeURIComponent(id)}/explain`)) as Asset);
        if (!a) throw new SextantError('MERGE_ASSET_UNKNOWN', `no asset ${JSON.stringify(id)} in ${dbFile(opts)}`, { field: 'id' });
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...assetView(a), merge_log: a.merge_log ?? [], identities: a.identities ?? [], pins: a.pins ?? [], no_merge: a.no_merge ?? [] }, null, 2)}\n`);
        else process.stdout.write(explainAsset(a));
      } finally {
        await store?.close();
      }
    });

  program
    .command('merge <ids...>')
    .description('merge assets by hand: the first absorbs the others (later evidence does not undo it)')
    .option('--reason <text>', 'recorded in the merge log', 'merged by hand')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--collector <url>', COLLECTOR_HELP)
    .option('--token <token>', 'the enrolment token (default SEXTANT_ENROL_TOKEN)')
    .action(async (ids: string[], opts: DbOption & { reason: string }) => {
      if (opts.collector) {
        await collectorRequest(opts.collector, opts.token, 'POST', '/v1/merge', JSON.stringify({ ids, reason: opts.reason }));
        process.stdout.write(`merged ${ids.slice(1).join(', ')} into ${ids[0]}\n`);
        return;
      }
      const store = openSqliteStore(dbFile(opts), { logger: componentLogger('store') });
      try {
        const at = new Date().toISOString();
        await adjustStore(store, (state) => planManualMerge(state, ids, at, opts.reason));
        process.stdout.write(`merged ${ids.slice(1).join(', ')} into ${ids[0]}\n`);
      } finally {
        await store.close();
      }
    });

  program
    .command('split <id>')
    .description('split an address or an identity key off an asset into a new one (kept apart from then on)')
    .option('--address <ip>', 'the address (with its services) to split off')
    .option('--key <kind:value>', `the identity key to split off, e.g. mac:00:1b:21:00:00:01 (kinds: ${IDENTITY_KINDS.join(', ')})`)
    .option('--reason <text>', 'recorded in the merge log', 'split by hand')
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--collector <url>', COLLECTOR_HELP)
    .option('--token <token>', 'the enrolment token (default SEXTANT_ENROL_TOKEN)')
    .action(async (id: string, opts: DbOption & { address?: string; key?: string; reason: string }) => {
      if (Boolean(opts.address) === Boolean(opts.key)) throw new SextantError('INPUT_INVALID', 'give exactly one of --address and --key', { field: '--address' });
      const part = opts.address ? { address: opts.address } : { key: parseKey(opts.key!) };
      if (opts.collector) {
        const r = (await collectorRequest(opts.collector, opts.token, 'POST', '/v1/split', JSON.stringify({ id, reason: opts.reason, ...(opts.address ? { address: opts.address } : { key: opts.key }) }))) as { split?: string };
        process.stdout.write(`split ${opts.address ?? opts.key} off ${id} into ${r.split}\n`);
        return;
      }
      const store = openSqliteStore(dbFile(opts), { logger: componentLogger('store') });
      try {
        const at = new Date().toISOString();
        const update = await adjustStore(store, (state) => planManualSplit(state, id, part, at, opts.reason));
        const created = [...update.changed.values()].find((e) => e.event === 'created');
        process.stdout.write(`split ${opts.address ?? opts.key} off ${id} into ${created?.after.id}\n`);
      } finally {
        await store.close();
      }
    });
}
