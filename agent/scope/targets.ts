// Reads target specifications (addresses, CIDRs, ranges "a.b.c.d-e.f.g.h" and
// "a.b.c.d-h") into merged address intervals. IP literals only (RFC 4632, RFC 4291): names are refused, so nothing asks a resolver.
import { isIP } from 'node:net';

export interface Interval {
  family: 4 | 6;
  lo: bigint;
  hi: bigint;
}

export type TargetSpecResult = { ok: true; set: TargetSet } | { ok: false; error: string };

const MAX_SPEC_LENGTH = 256;
/** More addresses than this in one task is a typo, not a scan an agent should start. */
export const DEFAULT_MAX_HOSTS = 1n << 24n;

export function ipToBigint(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(ip);
  if (family === 4) {
    const parts = ip.split('.');
    if (parts.some((p) => !/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0')))) return undefined;
    return { family: 4, value: parts.reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n) };
  }
  if (family === 6) {
    if (ip.includes('%')) return undefined;
    let text = ip;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const n = ipToBigint(v4[1] as string);
      if (!n) return undefined;
      text = `${text.slice(0, v4.index)}${(n.value >> 16n).toString(16)}:${(n.value & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.split('::') as [string, string | undefined];
    const h = head === '' ? [] : head.split(':');
    const t = tail === undefined || tail === '' ? [] : tail.split(':');
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8) return undefined;
    return { family: 6, value: groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  return undefined;
}

export function bigintToIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  // The longest run of zero groups (two or more) collapses to "::" (RFC 5952 4.2).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

function parseOne(spec: string): Interval | string {
  const text = spec.trim();
  if (text === '') return 'empty target';
  if (text.length > MAX_SPEC_LENGTH) return `target longer than ${MAX_SPEC_LENGTH} characters`;
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const base = ipToBigint(text.slice(0, slash));
    const bitsText = text.slice(slash + 1);
    if (!base) return `"${text}": not an IP address before the "/"`;
    const width = base.family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) return `"${text}": the prefix length must be 0-${width}`;
    const host = BigInt(width - Number(bitsText));
    const lo = (base.value >> host) << host;
    return { family: base.family, lo, hi: lo + (1n << host) - 1n };
  }
  const single = ipToBigint(text);
  if (single) return { family: single.family, lo: single.value, hi: single.value };
  const dash = text.indexOf('-');
  if (dash > 0) {
    const left = ipToBigint(text.slice(0, dash));
    const rightText = text.slice(dash + 1);
    if (!left) return `"${text}": not an IP address before the "-"`;
    let right = ipToBigint(rightText);
    // Nmap's short form: 198.18.0.1-20 ranges over the last octet.
    if (!right && left.family === 4 && /^\d{1,3}$/.test(rightText) && Number(rightText) <= 255) {
      right = { family: 4, value: (left.value & ~0xffn) | BigInt(Number(rightText)) };
    }
    if (!right || right.family !== left.family) return `"${text}": not an IP address (of the same family) after the "-"`;
    if (right.value < left.value) return `"${text}": the range runs backwards`;
    return { family: left.family, lo: left.value, hi: right.value };
  }
  return `"${text}" is not an IP address, CIDR or range (names are not resolved)`;
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.family - b.family || (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && last.family === iv.family && iv.lo <= last.hi + 1n) {
      if (iv.hi > last.hi) last.hi = iv.hi;
    } else out.push({ ...iv });
  }
  return out;
}

/** A set of addresses as merged intervals: counts, membership and lazy enumeration. */
export class TargetSet {
  readonly intervals: readonly Interval[];

  constructor(intervals: Interval[]) {
    this.intervals = merge(intervals);
  }

  get size(): bigint {
    return this.intervals.reduce((n, iv) => n + iv.hi - iv.lo + 1n, 0n);
  }

  contains(ip: string): boolean {
    const v = ipToBigint(ip);
    if (!v) return false;
    return this.intervals.some((iv) => iv.family === v.family && v.value >= iv.lo && v.value <= iv.hi);
  }

  /** True when every address of `other` is in this set. */
  covers(other: TargetSet): boolean {
    return other.intervals.every((o) => this.intervals.some((iv) => iv.family === o.family && iv.lo <= o.lo && iv.hi >= o.hi));
  }

  minus(other: TargetSet): TargetSet {
    let current: Interval[] = this.intervals.map((iv) => ({ ...iv }));
    for (const cut of other.intervals) {
      const next: Interval[] = [];
      for (const iv of current) {
        if (iv.family !== cut.family || cut.hi < iv.lo || cut.lo > iv.hi) {
          next.push(iv);
          continue;
        }
        if (cut.lo > iv.lo) next.push({ family: iv.family, lo: iv.lo, hi: cut.lo - 1n });
        if (cut.hi < iv.hi) next.push({ family: iv.family, lo: cut.hi + 1n, hi: iv.hi });
      }
      current = next;
    }
    return new TargetSet(current);
  }

  *hosts(): Generator<string> {
    for (const iv of this.intervals) {
      for (let v = iv.lo; v <= iv.hi; v++) yield bigintToIp(iv.family, v);
    }
  }
}

/** Parses a list of specifications (each may itself be comma- or space-separated). Never throws. */
export function parseTargets(specs: readonly string[], maxHosts: bigint = DEFAULT_MAX_HOSTS): TargetSpecResult {
  if (!Array.isArray(specs)) return { ok: false, error: 'targets must be a list' };
  const intervals: Interval[] = [];
  for (const spec of specs) {
    if (typeof spec !== 'string') return { ok: false, error: 'every target must be a string' };
    for (const item of spec.split(/[\s,]+/).filter(Boolean)) {
      const r = parseOne(item);
      if (typeof r === 'string') return { ok: false, error: r };
      intervals.push(r);
    }
  }
  const set = new TargetSet(intervals);
  if (set.size > maxHosts) return { ok: false, error: `${set.size} addresses is more than the ${maxHosts} one task may hold` };
  return { ok: true, set };
}
