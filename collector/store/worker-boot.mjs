// Entry of the SQLite store's worker thread. Workers do not inherit the
// parent's `--import tsx` or tsx's register() hooks, so this plain-JS file
// loads the TypeScript worker through tsx's scoped tsImport.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
