// `sextant query` and `sextant export`: the inventory searched with runZero's
// query language, from a SQLite file or through a collector's API.
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import { SextantError } from '../errors.ts';
import { EXPORT_FORMATS, csvWriter, jsonlWriter, jsonWriter, nmapXmlWriter, type ExportFormat, type ExportWriter } from './export-formats.ts';
import { openInventory, type InventoryOptions } from './inventory-access.ts';
import { renderInventoryTable } from './scan-output.ts';

interface AccessFlags {
  db?: string;
  collector?: string;
  token?: string;
}

const access = (o: AccessFlags): InventoryOptions => ({ db: o.db, collector: o.collector, token: o.token });

function accessOptions(cmd: Command): Command {
  return cmd
    .option('--db <file>', 'inventory file (default SEXTANT_DB, else ./sextant.db)')
    .option('--collector <url>', 'work through a running collector\'s admin API instead (http://HOST:PORT)')
    .option('--token <token>', 'bearer token for --collector (default SEXTANT_ENROL_TOKEN)');
}

/** Writes with back-pressure: waits for 'drain' when the stream's buffer is full. */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '' || out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      out.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      out.off('drain', onDrain);
      reject(err);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/** Gathers small pieces into ~256 KiB writes: one write per asset costs more than the formatting. */
function buffered(out: NodeJS.WritableStream): { add(text: string): Promise<void>; flush(): Promise<void> } {
  let parts: string[] = [];
  let size = 0;
  const flush = async () => {
    if (parts.length === 0) return;
    const text = parts.join('');
    parts = [];
    size = 0;
    await write(out, text);
  };
  return {
    async add(text) {
      parts.push(text);
      size += text.length;
      if (size >= 256 * 1024) await flush();
    },
    flush,
  };
}

export function registerInventoryCommands(program: Command): void {
  accessOptions(
    program
      .command('query')
      .description('search the inventory with runZero\'s syntax (os:ubuntu, port:22, os_version:<20.04, last_seen:<2weeks, has:fp.hw.vendor, AND/OR/NOT); no query lists every asset')
      .argument('[query...]', 'the query (words are joined with spaces)')
      .option('--json', 'print one JSON array of assets')
      .option('--limit <n>', 'at most this many assets'),
  ).action(async (words: string[], opts: AccessFlags & { json?: boolean; limit?: string }) => {
    const query = words.join(' ');
    const limit = opts.limit === undefined ? Infinity : Number(opts.limit);
    if (!(limit >= 1)) throw new SextantError('INPUT_INVALID', `--limit must be a positive number, not "${opts.limit}"`, { field: 'limit' });
    const inv = await openInventory(access(opts));
    try {
      if (opts.json) {
        // Streamed: one array, written element by element.
        const w = jsonWriter();
        const buf = buffered(process.stdout);
        await buf.add(w.head());
        let n = 0;
        for await (const a of inv.stream(query)) {
          if (n++ >= limit) break;
          await buf.add(w.asset(a));
        }
        await buf.add(w.tail());
        await buf.flush();
        return;
      }
      const assets = [];
      for await (const a of inv.stream(query)) {
        if (assets.length >= limit) break;
        assets.push(a);
      }
      process.stdout.write(renderInventoryTable(assets, process.stdout.isTTY ? { width: process.stdout.columns } : {}));
    } finally {
      await inv.close();
    }
  });

  accessOptions(
    program
      .command('export')
      .description('write the assets matching QUERY (default: all) as json, jsonl, csv (fp.* keys as columns) or nmap-xml, streamed')
      .argument('[query...]', 'the query (words are joined with spaces)')
      .requiredOption('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`)
      .option('--output <file>', 'write here (atomically: FILE appears complete or not at all) instead of standard output'),
  ).action(async (words: string[], opts: AccessFlags & { format: string; output?: string }) => {
    const query = words.join(' ');
    if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
      throw new SextantError('EXPORT_FORMAT_UNKNOWN', `"${opts.format}": use one of ${EXPORT_FORMATS.join(', ')}`, { field: 'format' });
    }
    const format = opts.format as ExportFormat;
    const inv = await openInventory(access(opts));
    let out: NodeJS.WritableStream = process.stdout;
    let file: WriteStream | undefined;
    const partial = opts.output ? `${opts.output}.partial-${process.pid}` : undefined;
    try {
      let writer: ExportWriter;
      if (format === 'csv') writer = csvWriter(await inv.attributeKeys());
      else if (format === 'json') writer = jsonWriter();
      else if (format === 'jsonl') writer = jsonlWriter();
      else writer = nmapXmlWriter(['sextant', 'export', query].filter(Boolean).join(' '), new Date());
      if (partial) {
        file = createWriteStream(partial);
        out = file;
      }
      const buf = buffered(out);
      await buf.add(writer.head());
      let n = 0;
      for await (const a of inv.stream(query)) {
        await buf.add(writer.asset(a));
        n++;
      }
      await buf.add(writer.tail());
      await buf.flush();
      if (file) {
        await new Promise<void>((resolve, reject) => file!.end((err?: Error | null) => (err ? reject(err) : resolve())));
        renameSync(partial!, opts.output!);
        process.stderr.write(`exported ${n} asset${n === 1 ? '' : 's'} to ${opts.output}\n`);
      }
    } catch (err) {
      if (file) {
        file.destroy();
        rmSync(partial!, { force: true });
      }
      throw err;
    } finally {
      await inv.close();
    }
  });
}
