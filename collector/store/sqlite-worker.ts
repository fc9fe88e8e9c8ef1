// The worker thread's side of the worker-backed store (worker.ts): the same
// SQLite store as in-process, fed by messages, answering each in order.
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../../shared/logging.ts';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
import type { Store } from './types.ts';

export interface WorkerRequest {
  id: number;
  method: keyof Store | 'commitEncoded';
  args: unknown[];
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; obj: unknown; msg: string | undefined }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
  detail?: string | undefined;
  location?: unknown;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; detail?: unknown; location?: unknown };
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    code: typeof e.code === 'string' ? e.code : undefined,
    detail: typeof e.detail === 'string' ? e.detail : undefined,
    location: e.location,
  };
}

const port = parentPort!;
const post = (m: WorkerReply) => port.postMessage(m);
// openSqliteStore logs migrations only; the parent owns the real logger.
const log = (level: 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) => post({ type: 'log', level, obj, msg });
const shim = { info: log('info'), warn: log('warn'), error: log('error'), debug: () => {}, child: () => shim };

const { file, options } = workerData as { file: string; options: Omit<SqliteStoreOptions, 'logger'> };
let store: ReturnType<typeof openSqliteStore> | undefined;
try {
  store = openSqliteStore(file, { ...options, logger: shim as unknown as Logger });
} catch (err) {
  port.postMessage({ type: 'failed', error: serializeError(err) });
  port.close();
}

if (store) {
  const opened = store;
  // Requests run strictly one after another, in arrival order.
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (req: WorkerRequest) => {
    chain = chain.then(async () => {
      try {
        const fn = opened[req.method] as (...args: unknown[]) => Promise<unknown>;
        const value = await fn.apply(opened, req.args);
        post({ type: 'reply', id: req.id, ok: true, value });
      } catch (err) {
        post({ type: 'reply', id: req.id, ok: false, error: serializeError(err) });
      }
      if (req.method === 'close') port.close();
    });
  });
  post({ type: 'ready' });
}
