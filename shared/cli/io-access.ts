// Where IO's commands (import, refingerprint, improve) find the inventory:
// the SQLite file (--db, default SEXTANT_DB, else ./sextant.db) or a running
// collector's admin API (--collector URL, bearer token = the enrolment token).
// (shared/cli/inventory-access.ts is the read side for query and export; this one opens what import, refingerprint and improve write to.)
import { existsSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { SextantError } from '../errors.ts';

export interface InventoryFlags {
  db?: string;
  collector?: string;
  token?: string;
  nats?: string;
}

export function dbFile(flags: InventoryFlags): string {
  return flags.db ?? loadConfig().db;
}

/** The inventory file of a command that reads before it writes: a missing file is a mistake, not an empty inventory. */
export function existingDbFile(flags: InventoryFlags): string {
  const file = dbFile(flags);
  if (file !== ':memory:' && !existsSync(file)) {
    throw new SextantError('STORE_UNAVAILABLE', 'no inventory file here (scan or import first, or pass --db FILE / set SEXTANT_DB, or --collector URL)', { file, field: 'db' });
  }
  return file;
}

/** JSON request to the collector's admin API; a non-2xx answer becomes COLLECTOR_REQUEST_FAILED with the server's message. */
export async function collectorRequest<T>(flags: InventoryFlags, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const base = flags.collector!;
  const token = flags.token ?? process.env.SEXTANT_ENROL_TOKEN;
  if (!token) throw new SextantError('CONFIG_INVALID', 'no token for the collector API: pass --token or set SEXTANT_ENROL_TOKEN', { field: 'token' });
  let url: URL;
  try {
    url = new URL(path, base.includes('://') ? base : `http://${base}`);
  } catch {
    throw new SextantError('INPUT_INVALID', `"${base}" is not a collector URL (http://HOST:PORT)`, { field: '--collector' });
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new SextantError('COLLECTOR_REQUEST_FAILED', `${method} ${url.href}: ${(err as Error).message}`, { field: '--collector' }, err);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const message = (parsed as { error?: string } | undefined)?.error ?? text.slice(0, 300);
    throw new SextantError('COLLECTOR_REQUEST_FAILED', `${method} ${url.pathname}: HTTP ${res.status}: ${message}`, { field: '--collector' });
  }
  return parsed as T;
}
