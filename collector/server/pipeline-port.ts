// Opens the collector's pipeline for the collector and scan commands: the
// store (SQLite), the Recog engine (the project's fingerprints/ plus
// SEXTANT_RECOG_DIR and the custom set), nmap-os-db and the OUI table when
// present, and the NATS publisher when a URL is configured.
import { fileURLToPath } from 'node:url';
import { loadConfig, type SextantConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logging.ts';
import { createRecogEngine } from '../fingerprint/index.ts';
import { tryLoadOsDb } from '../fingerprint/os/index.ts';
import { tryLoadOuiTable } from '../oui/index.ts';
import type { IngestLimits } from '../ingest/index.ts';
import { loadPolicy } from '../merge/index.ts';
import { connectPublisher, createPipeline, openSqliteStore, type Pipeline } from '../pipeline.ts';
import { openSqliteStoreInWorker } from '../store/index.ts';

export type PipelineHandle = Pipeline;

/** The project's own Recog-format fingerprints. */
export const PROJECT_FINGERPRINTS = fileURLToPath(new URL('../../fingerprints/', import.meta.url));

export interface OpenPipelineOptions {
  db: string;
  natsUrl?: string | undefined;
  log: Logger;
  config?: SextantConfig;
  /**
   * SQLite on its own thread (default), so commits overlap fingerprinting and
   * merging of the next batch; `scan` keeps it inline, where a worker's start
   * would cost more than a small scan's commits.
   */
  storeOnWorker?: boolean;
  /** Batch limits (an integration import is one batch, and may be larger than an agent's). */
  limits?: IngestLimits;
}

export async function openPipeline(options: OpenPipelineOptions): Promise<Pipeline> {
  const config = options.config ?? loadConfig();
  const log = options.log;
  // A bad policy is refused before anything is opened; the error names the field.
  const mergePolicy = loadPolicy(config.mergePolicy, process.env.SEXTANT_CONFIG);
  const engine = createRecogEngine({
    builtinDirs: [PROJECT_FINGERPRINTS, ...config.recogDirs],
    externalDir: config.externalFingerprints,
    logger: log.child({ component: 'fingerprints' }),
  });
  const osDb = tryLoadOsDb(config.osDb, log);
  const oui = tryLoadOuiTable(config.ouiFile, log);
  const storeOptions = { logger: log.child({ component: 'store' }) };
  const store = options.storeOnWorker === false ? openSqliteStore(options.db, storeOptions) : await openSqliteStoreInWorker(options.db, storeOptions);
  let publisher;
  try {
    publisher = await connectPublisher(options.natsUrl, { logger: log.child({ component: 'publish' }) });
  } catch (err) {
    await store.close();
    throw err;
  }
  return createPipeline({ store, publisher, engine, osDb, oui, logger: log, mergePolicy, ...(options.limits ? { limits: options.limits } : {}) });
}
