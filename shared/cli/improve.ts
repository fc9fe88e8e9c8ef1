// `sextant improve ASSET --type T --os OS --hw HW [--comment C]` records a
// fingerprint improvement submission; `sextant improvements list|export DIR`
// shows them and writes draft Recog-format fingerprints (the asset's banners
// as <example>s, the pattern left to fill in) that `fingerprints verify` checks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ExportedImprovement, ImprovementInput } from '../../collector/improve/index.ts';
import type { Improvement } from '../../collector/store/index.ts';
import { SextantError } from '../errors.ts';
import { collectorRequest, existingDbFile, type InventoryFlags } from './io-access.ts';

interface ImproveCliOptions extends InventoryFlags, ImprovementInput {
  json?: boolean;
}

const inventoryOptions = (cmd: Command) => cmd
  .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
  .option('--collector <url>', 'through a running collector\'s admin API (http://HOST:PORT)')
  .option('--token <token>', 'the collector\'s token (default SEXTANT_ENROL_TOKEN)');

/** The match keys of every loaded Recog database (built-in and custom): what a draft can be for. */
async function recogKeys(): Promise<(key: string) => boolean> {
  const { recogKeyPredicate } = await import('../../collector/improve/keys.ts');
  return recogKeyPredicate();
}

export async function submitImprovement(flags: InventoryFlags, ref: string, input: ImprovementInput): Promise<{ improvement: Improvement; added: boolean }> {
  if (flags.collector) return collectorRequest(flags, 'POST', '/v1/improvements', { asset: ref, ...input });
  const { openSqliteStore } = await import('../../collector/store/index.ts');
  const { buildImprovement, findAsset } = await import('../../collector/improve/index.ts');
  const store = openSqliteStore(existingDbFile(flags));
  try {
    const improvement = buildImprovement(await findAsset(store, ref), input);
    return { improvement, added: await store.addImprovement(improvement) };
  } finally {
    await store.close();
  }
}

export function registerImproveCommands(program: Command): void {
  inventoryOptions(program
    .command('improve')
    .description('submit a fingerprint improvement: what ASSET (id, id prefix or address) really is')
    .argument('<asset>', 'asset id, unique id prefix, or address')
    .option('--type <type>', 'device type, e.g. Printer, Hypervisor, WAP')
    .option('--os <os>', 'operating system, e.g. "Acme AcmeOS 2.1"')
    .option('--hw <hw>', 'hardware, e.g. "Acme X1"')
    .option('--comment <text>', 'anything that helps whoever writes the fingerprint'))
    .option('--json', 'print the submission as JSON')
    .action(async (ref: string, opts: ImproveCliOptions) => {
      const { improvement, added } = await submitImprovement(opts, ref, { type: opts.type, os: opts.os, hw: opts.hw, comment: opts.comment });
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...improvement, added })}\n`);
      else process.stdout.write(added ? `recorded ${improvement.id} for asset ${improvement.asset_id}\n` : `already recorded as ${improvement.id}; nothing changed\n`);
    });

  const group = program.command('improvements').description('fingerprint improvement submissions');
  inventoryOptions(group.command('list').description('list the submissions'))
    .option('--json', 'one JSON array')
    .action(async (opts: InventoryFlags & { json?: boolean }) => {
      let list: Improvement[];
      if (opts.collector) list = await collectorRequest(opts, 'GET', '/v1/improvements');
      else {
        const { openSqliteStore } = await import('../../collector/store/index.ts');
        const store = openSqliteStore(existingDbFile(opts));
        list = await store.listImprovements().finally(() => store.close());
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const i of list) process.stdout.write(`${i.id} ${i.submitted_at} asset=${i.asset_id} site=${i.site}${i.type ? ` type=${JSON.stringify(i.type)}` : ''}${i.os ? ` os=${JSON.stringify(i.os)}` : ''}${i.hw ? ` hw=${JSON.stringify(i.hw)}` : ''}${i.comment ? ` comment=${JSON.stringify(i.comment)}` : ''}\n`);
    });
  inventoryOptions(group.command('export').description('write a draft Recog-format fingerprint per submission (and banner key) into DIR'))
    .argument('<dir>', 'output directory (created if missing)')
    .action(async (dir: string, opts: InventoryFlags) => {
      let exported: ExportedImprovement[];
      if (opts.collector) exported = await collectorRequest(opts, 'GET', '/v1/improvements/export');
      else {
        const { openSqliteStore } = await import('../../collector/store/index.ts');
        const { exportImprovements } = await import('../../collector/improve/index.ts');
        const isRecogKey = await recogKeys();
        const store = openSqliteStore(existingDbFile(opts));
        exported = await exportImprovements(store, isRecogKey).finally(() => store.close());
      }
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new SextantError('INPUT_INVALID', `cannot create the directory: ${(err as Error).message}`, { file: dir }, err);
      }
      let files = 0;
      for (const e of exported) {
        for (const d of e.drafts) {
          writeFileSync(join(dir, d.file), d.xml);
          files++;
          process.stdout.write(`${join(dir, d.file)}: ${d.key}, ${d.examples} examples (submission ${e.id})\n`);
        }
        if (e.note) process.stdout.write(`${e.id}: no draft: ${e.note}\n`);
      }
      process.stdout.write(`${exported.length} submissions, ${files} draft files; fill in each pattern, then run: sextant fingerprints verify ${dir}\n`);
    });
}
