// The SQLite store on its own thread. Committing a batch (inserts, index
// updates, the fsync of synchronous=FULL) is the largest single cost of
// ingest; on the pipeline's thread it stalls fingerprinting and merging of the
// next batch. Here the commit runs on a worker while the pipeline prepares the
// next batch, so two cores share the work. The worker runs the very same
// openSqliteStore (sqlite.ts); this side only forwards calls, in order.
//
// knownEvidence is answered on this thread from a read-only connection (WAL:
// readers see the last commit and never wait for the writer), so checking a
// new batch's ids does not queue behind a commit. Like every read it sees
// committed batches only: callers await a commit before relying on it.
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SextantError, type ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import { encodeBatch, evidenceIdLookup, type SqliteStoreOptions } from './sqlite.ts';
import type { SerializedError, WorkerReply, WorkerRequest } from './sqlite-worker.ts';
import type { Store, SearchPage } from './types.ts';

function revive(e: SerializedError): Error {
  const err = e.code && e.detail !== undefined && e.name === 'SextantError'
    ? new SextantError(e.code as ErrorCode, e.detail, (e.location ?? {}) as SextantError['location'])
    : Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Opens (creating and migrating when needed) the SQLite store on a worker thread. */
export async function openSqliteStoreInWorker(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const { logger, ...plain } = options;
  const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./sqlite-worker.ts', import.meta.url).href, file, options: plain },
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;

  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };

  let onOpenMessage: ((m: WorkerReply | { type: 'failed'; error: SerializedError }) => void) | undefined;
  let onOpenError: ((err: Error) => void) | undefined;
  let onOpenExit: ((code: number) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    onOpenMessage = (m) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'failed') reject(revive(m.error));
      else if (m.type === 'log') log(logger, m);
    };
    onOpenError = (err) => reject(new SextantError('STORE_UNAVAILABLE', `store worker failed to start: ${err.message}`, { file }, err));
    onOpenExit = (code) => reject(new SextantError('STORE_UNAVAILABLE', `store worker exited with code ${code} while opening`, { file }));
    worker.on('message', onOpenMessage);
    worker.once('error', onOpenError);
    worker.once('exit', onOpenExit);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.off('message', onOpenMessage!);
  worker.off('error', onOpenError!);
  worker.off('exit', onOpenExit!);

  worker.on('message', (m: WorkerReply) => {
    if (m.type === 'log') return log(logger, m);
    if (m.type !== 'reply') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(revive(m.error));
  });
  worker.on('error', (err) => {
    logger?.error({ err, file }, 'store worker failed');
    fail(new SextantError('STORE_UNAVAILABLE', `store worker failed: ${err.message}`, { file }, err));
  });
  worker.on('exit', (code) => fail(new SextantError('STORE_UNAVAILABLE', `store worker exited (code ${code})`, { file })));
  // An idle store does not keep the process alive; a pending call does.
  worker.unref();

  const call = <T>(method: WorkerRequest['method'], ...args: unknown[]): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = ++nextId;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  };

  // After the worker migrated the file: a second connection for id lookups on this thread.
  let reader: Database.Database;
  try {
    reader = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    await worker.terminate();
    throw new SextantError('STORE_UNAVAILABLE', (err as Error).message, { file, field: 'db' }, err);
  }
  const knownIds = evidenceIdLookup(reader);

  let closed: Promise<void> | undefined;
  return {
    kind: 'sqlite',
    async knownEvidence(ids) {
      return knownIds(ids);
    },
    loadSite: (site) => call('loadSite', site),
    // Encoded here (documents serialized, rows flattened): structured cloning
    // of a batch's asset graphs cost this thread more than encoding them does,
    // and the worker then only binds and runs statements.
    commitBatch: (write) => call('commitEncoded', encodeBatch(write)),
    listAssets: (site) => call('listAssets', site),
    getAsset: (id) => call('getAsset', id),
    readEvidence: (opts) => call('readEvidence', opts),
    evidenceCount: () => call('evidenceCount'),
    // Search runs on the worker's connection (Dates cross the thread boundary by structured clone).
    searchAssets: (query, opts) => call('searchAssets', query, opts),
    countAssets: (query, opts) => call('countAssets', query, opts),
    attributeKeys: () => call('attributeKeys'),
    async *streamAssets(query, opts = {}) {
      const now = opts.now ?? new Date();
      let cursor: string | undefined;
      do {
        const page = await call<SearchPage>('searchAssets', query, { limit: 500, cursor, total: false, now });
        yield* page.assets;
        cursor = page.next;
      } while (cursor);
    },
    pendingMessages: (limit, afterSeq) => call('pendingMessages', limit, afterSeq),
    deleteMessages: (seqs) => call('deleteMessages', seqs),
    addImprovement: (improvement) => call('addImprovement', improvement),
    listImprovements: () => call('listImprovements'),
    close() {
      closed ??= (async () => {
        reader.close();
        try {
          if (!failure) await call('close');
        } finally {
          // The database is closed (or the worker is gone): nothing left to wait for.
          await worker.terminate();
        }
      })();
      return closed;
    },
  };
}

function log(logger: Logger | undefined, m: { level: 'info' | 'warn' | 'error'; obj: unknown; msg: string | undefined }): void {
  logger?.[m.level](m.obj as object, m.msg);
}
