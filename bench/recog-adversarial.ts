// Adversarial inputs for a Recog pattern (bench/recog.ts): its examples pumped
// with the tail broken, long runs of the characters its loops take, many lines.
import type { RecogFingerprint } from '../collector/fingerprint/index.ts';

export const KIB64 = 64 * 1024;
const fill = (s: string, n: number) => (n <= 0 ? '' : s.length === 0 ? 'a'.repeat(n) : s.repeat(Math.ceil(n / s.length)).slice(0, n));
/** Adversarial inputs of length n for one pattern, built from its examples and literals. */
export function adversarial(fp: RecogFingerprint, n: number): string[] {
  const out = new Set<string>();
  const seeds = fp.examples.slice(0, 2).map((e) => e.input);
  const literals = fp.compiled.requirements.map((r) => r[0]!).join(' ');
  if (seeds.length === 0) seeds.push(literals || 'a');
  for (const e of seeds) {
    const flat = e.replace(/\n/g, ' ');
    const cut = flat.slice(0, Math.max(1, flat.length - 1));
    // The example pumped, with its last character dropped so the tail fails.
    out.add(fill(cut + ' ', n - 1) + '\u0001');
    // The example's start, then long runs of characters its loops take.
    const head = flat.slice(0, Math.min(flat.length, Math.max(1, flat.indexOf(' ') + 1)));
    for (const c of [' ', 'a', '1', '.', flat[Math.floor(flat.length / 2)] ?? 'a']) out.add(head + fill(c, n - head.length - 1) + '\u0001');
    // Multi-line: the example repeated on many lines.
    out.add(fill(`${cut}\n`, n));
  }
  if (literals) out.add(fill(`${literals} `, n - 1) + '\u0001');
  return [...out].map((s) => s.slice(0, n));
}
