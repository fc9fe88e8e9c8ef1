// Stores: the evidence log and the assets derived from it, behind one small interface.
export type { BatchWrite, CommitResult, Improvement, OutboxMessage, SearchOptions, SearchPage, Store, StoredEvidence } from './types.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export { migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.ts';
export { openSqliteStoreInWorker } from './worker.ts';
