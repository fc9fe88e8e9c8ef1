// Computes the SEQ test from the SEQ probes' SYN/ACKs and the IP IDs of all
// replies: SP, GCD, ISR, TI, CI, II, SS, TS (nmap-os-detection.md §2.1, as
// Nmap 7.93's makeTSeqFP and get_ipid_sequence do it).

/** One SYN/ACK to a SEQ probe, in probe order, with a non-zero ISN. */
export interface SeqSample {
  isn: number;
  /** TSval of the reply (0 when it had no timestamp option). */
  tsval: number;
  /** Send time of the probe, in whole microseconds. */
  sentUs: number;
}

const hex = (n: number) => n.toString(16).toUpperCase();
const log2 = (x: number) => Math.log(x) / Math.log(2); // Nmap's log(x)/log(2.0), for identical rounding

/** The smaller of the two wrap distances between 32-bit values (Nmap's MOD_DIFF). */
export function modDiff(a: number, b: number): number {
  return Math.min((a - b) >>> 0, (b - a) >>> 0);
}

function gcd(values: number[]): number {
  let a = values[0] ?? 0;
  for (let i = 1; i < values.length; i++) {
    let b = values[i] as number;
    if (a < b) [a, b] = [b, a];
    while (b) [a, b] = [b, a % b];
  }
  return a;
}

/** Microseconds between sends; 0 counts as 1 (Nmap divides by it), and time never runs backwards. */
function gapUs(samples: SeqSample[], k: number): number {
  const t = (samples[k] as SeqSample).sentUs - (samples[k - 1] as SeqSample).sentUs;
  return t === 0 ? 1 : t < 0 ? 2 ** 64 + t : t;
}

/** SP, GCD and ISR, or nothing with fewer than 4 samples. */
export function isnTests(samples: SeqSample[]): Array<[string, string]> {
  const n = samples.length;
  if (n < 4) return [];
  const diffs: number[] = [];
  const rates: number[] = [];
  let sum = 0;
  for (let k = 1; k < n; k++) {
    const d = modDiff((samples[k] as SeqSample).isn, (samples[k - 1] as SeqSample).isn);
    diffs.push(d);
    // Nmap keeps each rate in a float before summing; fround reproduces its rounding.
    const rate = Math.fround((d * 1e6) / gapUs(samples, k));
    rates.push(rate);
    sum += rate;
  }
  const avg = sum / (n - 1);
  const g = gcd(diffs);
  if (g === 0) return [['SP', '0'], ['GCD', '0'], ['ISR', '0']];
  const isr = Math.max(0, Math.trunc(log2(avg) * 8 + 0.5));
  const div = g > 9 ? g : 1;
  let variance = 0;
  for (const r of rates) variance += (r / div - avg / div) ** 2;
  const sd = Math.sqrt(variance / (n - 2));
  const sp = sd <= 1 ? 0 : Math.trunc(log2(sd) * 8 + 0.5);
  return [['SP', hex(sp)], ['GCD', hex(g)], ['ISR', hex(isr)]];
}

export type IpIdClass =
  | { kind: 'zero' }
  | { kind: 'random' }
  | { kind: 'random-positive' }
  | { kind: 'broken-increment' }
  | { kind: 'increment' }
  | { kind: 'increment-by-2' }
  | { kind: 'constant'; value: number }
  | { kind: 'unknown' };

/** Nmap's get_ipid_sequence, with 7.93's unsigned 32-bit differences (a 16-bit wrap reads as random). */
export function ipIdClass(ids: number[], localhost = false): IpIdClass {
  if (ids.length < 2) return { kind: 'unknown' };
  if (ids.every((id) => id === 0)) return { kind: 'zero' };
  const diffs: number[] = [];
  for (let k = 1; k < ids.length; k++) {
    const d = ((ids[k] as number) - (ids[k - 1] as number)) >>> 0;
    if (ids.length > 2 && d > 20000) return { kind: 'random' };
    diffs.push(d & 0xffff);
  }
  if (localhost && diffs.every((d) => d >= 2)) {
    // Our own RSTs to the SYN/ACKs take IDs from the same counter on localhost.
    for (let k = 0; k < diffs.length; k++) diffs[k] = (diffs[k] as number) % 256 === 0 ? (diffs[k] as number) - 256 : (diffs[k] as number) - 1;
  }
  if (diffs.every((d) => d === 0)) return { kind: 'constant', value: ids[0] as number };
  if (diffs.some((d) => d > 1000 && (d % 256 !== 0 || d >= 25600))) return { kind: 'random-positive' };
  if (diffs.every((d) => d % 256 === 0 && d <= 5120)) return { kind: 'broken-increment' };
  if (diffs.every((d) => d % 2 === 0)) return { kind: 'increment-by-2' };
  if (diffs.every((d) => d <= 9)) return { kind: 'increment' };
  return { kind: 'unknown' };
}

/** The TI/CI/II value of a class, or undefined when the attribute is omitted. */
export function ipIdValue(cls: IpIdClass): string | undefined {
  switch (cls.kind) {
    case 'zero': return 'Z';
    case 'random': return 'RD';
    case 'random-positive': return 'RI';
    case 'broken-increment': return 'BI';
    case 'increment':
    case 'increment-by-2': return 'I';
    case 'constant': return hex(cls.value);
    case 'unknown': return undefined;
  }
}

const SHARES_COUNTER = new Set(['increment', 'broken-increment', 'random-positive']);

/** SS: whether TCP and ICMP replies draw IP IDs from one counter; undefined when not applicable. */
export function sharedIpIdSequence(tcpIds: number[], tcpClass: IpIdClass, icmpIds: number[], icmpClass: IpIdClass): 'S' | 'O' | undefined {
  if (!SHARES_COUNTER.has(tcpClass.kind) || !SHARES_COUNTER.has(icmpClass.kind)) return undefined;
  const first = tcpIds[0] as number;
  const last = tcpIds[tcpIds.length - 1] as number;
  const avg = Math.trunc((last - first) / (tcpIds.length - 1));
  return (icmpIds[0] as number) < last + 3 * avg ? 'S' : 'O';
}

/** How the SEQ replies' timestamps looked: a reply without the option makes `unsupported`, TSval 0 makes `zero`. */
export type TimestampClass = 'unknown' | 'unsupported' | 'zero';

/** TS: U, 0, or the timestamp clock's rate class in hex; undefined when it cannot be told. */
export function timestampTest(cls: TimestampClass, samples: SeqSample[]): string | undefined {
  if (cls === 'unsupported') return 'U';
  if (cls === 'zero') return '0';
  const n = samples.length;
  if (n < 2) return undefined;
  let hz = 0;
  for (let k = 1; k < n; k++) {
    const d = modDiff((samples[k] as SeqSample).tsval, (samples[k - 1] as SeqSample).tsval);
    hz += d / (gapUs(samples, k) / 1e6) / (n - 1);
  }
  if (!(hz > 0)) return undefined;
  // Nmap widens the classes around the common 2, 100 and 200 Hz clocks.
  if (hz <= 5.66) return '1';
  if (hz > 70 && hz <= 150) return '7';
  if (hz > 150 && hz <= 350) return '8';
  return hex(Math.trunc(0.5 + log2(hz)));
}
