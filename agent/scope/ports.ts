// Reads port specifications ("22,80,443", "1-1024", "top-100", "top-1000", mixed)
// into sorted, unique port lists. The syntax follows Nmap's -p (nmap.org/book/man-port-specification.html), TCP only.
import { readFileSync } from 'node:fs';

export const NMAP_SERVICES = '/usr/share/nmap/nmap-services';

export type PortSpecResult = { ok: true; ports: number[] } | { ok: false; error: string };

/** The `top-N` lists come from here; tests substitute a small table. */
export type TopPorts = (count: number) => number[];

const MAX_SPEC_LENGTH = 4096;

/**
 * Parses one specification. Never throws: hostile or mistyped input yields
 * `{ok: false, error}` naming the offending part.
 */
export function parsePorts(spec: string, topPorts: TopPorts = nmapTopPorts): PortSpecResult {
  if (typeof spec !== 'string') return { ok: false, error: 'port specification must be a string' };
  if (spec.length > MAX_SPEC_LENGTH) return { ok: false, error: `port specification is longer than ${MAX_SPEC_LENGTH} characters` };
  const trimmed = spec.trim();
  if (trimmed === '') return { ok: false, error: 'port specification is empty' };
  const seen = new Set<number>();
  for (const rawPart of trimmed.split(',')) {
    const part = rawPart.trim().replace(/^[Tt]:/, '');
    if (part === '') return { ok: false, error: `empty item in "${spec}"` };
    const top = /^top-(\d{1,5})$/i.exec(part);
    if (top) {
      const n = Number(top[1]);
      if (n < 1 || n > 65535) return { ok: false, error: `"${part}": the count must be 1-65535` };
      let list: number[];
      try {
        list = topPorts(n);
      } catch (err) {
        return { ok: false, error: `"${part}": ${(err as Error).message}` };
      }
      for (const p of list) seen.add(p);
      continue;
    }
    const range = /^(\d{0,5})-(\d{0,5})$/.exec(part);
    if (range) {
      const lo = range[1] === '' ? 1 : Number(range[1]);
      const hi = range[2] === '' ? 65535 : Number(range[2]);
      if (lo < 1 || hi > 65535 || lo > hi) return { ok: false, error: `"${part}": a range must be within 1-65535, low to high` };
      for (let p = lo; p <= hi; p++) seen.add(p);
      continue;
    }
    if (!/^\d{1,5}$/.test(part)) return { ok: false, error: `"${part}" is not a port, a range or top-N` };
    const p = Number(part);
    if (p < 1 || p > 65535) return { ok: false, error: `"${part}": a port must be within 1-65535` };
    seen.add(p);
  }
  return { ok: true, ports: [...seen].sort((a, b) => a - b) };
}

/**
 * TCP ports of an nmap-services text, most frequently open first (Nmap's
 * --top-ports order). Lines: `name<TAB>port/proto<TAB>frequency[<TAB># comment]`.
 */
export function topPortsFromServices(text: string, count: number): number[] {
  const entries: Array<{ port: number; freq: number }> = [];
  const seen = new Set<number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const m = /^(\d+)\/tcp$/.exec(fields[1] ?? '');
    if (!m) continue;
    const port = Number(m[1]);
    const freq = Number(fields[2]);
    if (!(port >= 1 && port <= 65535) || !Number.isFinite(freq) || seen.has(port)) continue;
    seen.add(port);
    entries.push({ port, freq });
  }
  // A stable sort keeps file order among equal frequencies, as Nmap does.
  entries.sort((a, b) => b.freq - a.freq);
  return entries.slice(0, count).map((e) => e.port);
}

let servicesText: string | undefined;

/** Nmap's top ports, read from Debian's nmap package at run time (never vendored). */
export function nmapTopPorts(count: number): number[] {
  if (servicesText === undefined) {
    try {
      servicesText = readFileSync(process.env.SEXTANT_NMAP_SERVICES ?? NMAP_SERVICES, 'utf8');
    } catch (err) {
      throw new Error(`top-N needs Nmap's nmap-services (${NMAP_SERVICES}, Debian package nmap): ${(err as Error).message}`, { cause: err });
    }
  }
  return topPortsFromServices(servicesText, count);
}
