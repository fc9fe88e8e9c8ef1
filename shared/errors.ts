// The one error table: every error Sextant raises on purpose has a stable code
// from here. Per-target network failures are probe statuses, never these.

export const ErrorCodes = {
  CONFIG_INVALID: 'configuration is invalid',
  CONFIG_FILE_UNREADABLE: 'configuration file cannot be read',
  FINGERPRINT_XML_MALFORMED: 'fingerprint file is not well-formed XML',
  FINGERPRINT_INVALID: 'fingerprint definition is invalid',
  FINGERPRINT_REGEX_UNSUPPORTED: 'fingerprint pattern cannot be compiled',
  FINGERPRINT_PARAM_INVALID: 'fingerprint param is invalid',
  FINGERPRINT_INTERPOLATION: 'fingerprint value interpolates a missing param',
  FINGERPRINT_DIR_UNREADABLE: 'fingerprint directory cannot be read',
  FINGERPRINT_LOAD_TIMEOUT: 'loading fingerprints took too long',
  FINGERPRINT_DB_UNKNOWN: 'no fingerprint database has that key',
  INPUT_INVALID: 'input is invalid',
  EVIDENCE_INVALID: 'evidence batch is invalid',
  EVIDENCE_TOO_LARGE: 'evidence batch is too large',
  STORE_UNAVAILABLE: 'inventory store cannot be opened',
  STORE_SCHEMA_NEWER: 'inventory store was written by a newer Sextant',
  PUBLISH_UNAVAILABLE: 'NATS JetStream cannot be reached',
  OSDB_UNREADABLE: 'Nmap OS database cannot be read',
  OSDB_INVALID: 'Nmap OS database is invalid',
  OS_FINGERPRINT_INVALID: 'OS fingerprint text is invalid',
  OS_EVIDENCE_INVALID: 'OS probe evidence is invalid',
  // Issue 5, search (SEARCH_*)
  SEARCH_SYNTAX: 'search query is malformed',
  SEARCH_CURSOR_INVALID: 'search cursor is invalid',
  EXPORT_FORMAT_UNKNOWN: 'export format is unknown',
  INVENTORY_UNAVAILABLE: 'inventory cannot be reached',
  // MERGE (issue 5): merge policy, manual merge/split, integration imports.
  MERGE_POLICY_INVALID: 'merge policy is invalid',
  MERGE_ASSET_UNKNOWN: 'no asset has that id',
  MERGE_REFUSED: 'the merge or split cannot be done',
  IMPORT_SOURCE_INVALID: 'integration export is invalid',
  // IO (imports, refingerprint, improvements, watch)
  IMPORT_FORMAT_UNKNOWN: 'import file is neither Nmap XML nor Sextant evidence JSONL',
  IMPORT_MALFORMED: 'import file is malformed',
  IMPORT_UNREADABLE: 'import file cannot be read',
  IMPROVE_INVALID: 'fingerprint improvement submission is invalid',
  IMPROVE_ASSET_UNKNOWN: 'no asset has that id',
  WATCH_INVALID: 'watch options are invalid',
  COLLECTOR_REQUEST_FAILED: 'the collector API request failed',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
}

export class SextantError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;
  /** The message without its location prefix. */
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, location: ErrorLocation = {}, cause?: unknown) {
    super(formatMessage(detail, location), cause === undefined ? undefined : { cause });
    this.name = 'SextantError';
    this.code = code;
    this.location = location;
    this.detail = detail;
  }
}

function formatMessage(detail: string, loc: ErrorLocation): string {
  let where = '';
  if (loc.file) where += loc.file;
  if (loc.line !== undefined) where += `${where ? ':' : 'line '}${loc.line}`;
  if (loc.column !== undefined) where += `:${loc.column}`;
  if (loc.field) where += `${where ? ' ' : ''}(${loc.field})`;
  return where ? `${where}: ${detail}` : detail;
}

export function isSextantError(err: unknown, code?: ErrorCode): err is SextantError {
  return err instanceof SextantError && (code === undefined || err.code === code);
}
