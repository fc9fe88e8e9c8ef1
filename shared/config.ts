// Configuration: defaults, then an optional JSON file (SEXTANT_CONFIG or
// --config), then environment variables; command-line flags win over all.
import { readFileSync } from 'node:fs';
import { SextantError } from './errors.ts';

export interface SextantConfig {
  /** Directories of Recog-format XML loaded as built-in fingerprints, besides fingerprints/. */
  recogDirs: string[];
  /** Directory of custom (external) Recog-format fingerprints, loaded after the built-in ones. */
  externalFingerprints: string | undefined;
  /** Inventory file (SQLite). */
  db: string;
  /** NATS server URL. */
  natsUrl: string | undefined;
  /** Nmap's OS reference database. */
  osDb: string;
  /** IEEE OUI registry (CSV). */
  ouiFile: string;
  logLevel: string;
  /**
   * Per-source merge policy over the defaults (collector/merge/policy.ts), e.g.
   * `{"intune": {"flags": ["no-mac-break"]}}`; only from the configuration file.
   */
  mergePolicy?: unknown;
}

const defaults: SextantConfig = {
  recogDirs: [],
  externalFingerprints: undefined,
  db: './sextant.db',
  natsUrl: undefined,
  osDb: '/usr/share/nmap/nmap-os-db',
  ouiFile: '/usr/share/ieee-data/oui.csv',
  logLevel: 'info',
  mergePolicy: undefined,
};

const envNames: Record<keyof SextantConfig, string> = {
  recogDirs: 'SEXTANT_RECOG_DIR',
  externalFingerprints: 'SEXTANT_EXTERNAL_FINGERPRINTS',
  db: 'SEXTANT_DB',
  natsUrl: 'SEXTANT_NATS_URL',
  osDb: 'SEXTANT_OS_DB',
  ouiFile: 'SEXTANT_OUI_FILE',
  logLevel: 'SEXTANT_LOG_LEVEL',
  mergePolicy: '',
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.SEXTANT_CONFIG): SextantConfig {
  const config: SextantConfig = { ...defaults, recogDirs: [...defaults.recogDirs] };
  if (file) Object.assign(config, readConfigFile(file));
  for (const [key, name] of Object.entries(envNames) as Array<[keyof SextantConfig, string]>) {
    const value = env[name];
    if (name === '' || value === undefined || value === '') continue;
    if (key === 'recogDirs') config.recogDirs = value.split(':').filter(Boolean);
    else (config as unknown as Record<string, string>)[key] = value;
  }
  return config;
}

function readConfigFile(file: string): Partial<SextantConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SextantError('CONFIG_FILE_UNREADABLE', (err as Error).message, { file }, err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SextantError('CONFIG_INVALID', `not valid JSON: ${(err as Error).message}`, { file }, err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SextantError('CONFIG_INVALID', 'must hold one JSON object', { file });
  }
  const out: Partial<SextantConfig> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in defaults)) throw new SextantError('CONFIG_INVALID', `unknown setting "${key}"`, { file, field: key });
    if (key === 'mergePolicy') {
      // Checked field by field when the collector loads it (loadPolicy names the field).
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SextantError('CONFIG_INVALID', 'must be an object of sources', { file, field: key });
    } else if (key === 'recogDirs') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw new SextantError('CONFIG_INVALID', 'must be an array of directory names', { file, field: key });
      }
    } else if (typeof value !== 'string') {
      throw new SextantError('CONFIG_INVALID', 'must be a string', { file, field: key });
    }
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
