// Which fact keys Recog databases match on (built-in, SEXTANT_RECOG_DIR and
// the custom set): the keys an improvement draft is written for.
import { loadConfig, type SextantConfig } from '../../shared/config.ts';
import { loadRecogDirs } from '../fingerprint/index.ts';
import { PROJECT_FINGERPRINTS } from '../server/pipeline-port.ts';

export function recogKeyPredicate(config: SextantConfig = loadConfig()): (key: string) => boolean {
  const dirs = [PROJECT_FINGERPRINTS, ...config.recogDirs, ...(config.externalFingerprints ? [config.externalFingerprints] : [])];
  const keys = new Set(loadRecogDirs(dirs).dbs.map((db) => db.key));
  return (key) => keys.has(key);
}
