// Shared test helpers for the Recog engine: the reference corpus and temp fixture dirs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED_RECOG_XML = join(REPO, '../shared/recog/xml');
export const GOLDEN = join(REPO, '../shared/recog/golden/ruby-example-matches.jsonl');

export interface GoldenLine {
  file: string;
  fp_index: number;
  fp_line: number;
  example_index: number;
  input_b64: string;
  input_kind: 'text' | 'binary';
  expected_attrs: Record<string, string>;
  ruby_match: Record<string, string | null>;
  ruby_match_binary_input?: Record<string, string | null> | null;
}

export function readGolden(): GoldenLine[] {
  return readFileSync(GOLDEN, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as GoldenLine);
}

/** The input exactly as recog_verify matched it: UTF-8 text, or binary as one char per byte. */
export function goldenInput(g: GoldenLine): string {
  const bytes = Buffer.from(g.input_b64, 'base64');
  return g.input_kind === 'text' ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** A temporary directory holding the given files; removed by the returned function. */
export function fixtureDir(files: Record<string, string>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A minimal Recog file with one fingerprint per entry. */
export function recogXml(attrs: string, fingerprints: string[]): string {
  return `<?xml version="1.0"?>\n<fingerprints ${attrs}>\n${fingerprints.join('\n')}\n</fingerprints>\n`;
}
