// One compiled fingerprint pattern: V8 for the inputs it runs in bounded time,
// the linear-time Pike VM (pike.ts) for the rest, chosen per input by length.
import { RE2JS } from 're2js';
import { bitState, reserveBitState, type BitState } from './bitstate.ts';
import { codeUnits } from './codes.ts';
import { reverseDfa, type ReverseDfa } from './dfa.ts';
import { pikeMachine, type PikeMachine } from './pike.ts';
import { translatePattern, type TranslatedPattern } from './regex.ts';

/**
 * Backtracking budget. With d ambiguous loops, V8 can try every way of
 * splitting an input of n chars among them, C(n + d, d) ways; an input goes
 * to V8 only while that stays below this many. At 1,000,000 the slowest
 * pattern took 6 to 10 ms on the loaded 2-core VM (telnet_banners.xml:350 at
 * 1,412 chars): half of that leaves margin under the 10 ms bound. Longer
 * inputs, and every input of an exponential pattern, go to the linear engine.
 */
const V8_SPLIT_BUDGET = 500_000;

/**
 * `linear`: the linear-time engine as exec() runs it (bit-state search alone on
 * small inputs; else the reverse DFA, then bit-state captures, or the Pike VM
 * when the bitmap would be too large); `dfa`: always the reverse DFA first;
 * `pike`: the DFA, then the Pike VM always.
 */
export type Engine = 'v8' | 'linear' | 'dfa' | 'pike' | 're2js';

/**
 * Inputs whose visited bitmap (branch points x positions) stays under this many
 * bits skip the reverse DFA: the bit-state search alone then costs at most this
 * many steps, where the DFA of a pattern with wide counted repeats ({0,1000})
 * builds a new state at nearly every character of a short input.
 */
const SEARCH_ONLY_BITS = 64 * 1024;

export interface CompiledPattern {
  groups: number;
  requirements: string[][];
  degree: number;
  degreeMulti: number;
  /** Inputs up to this many chars run on V8; longer ones on the linear engine (Infinity when it cannot run the pattern). */
  maxV8Length: number;
  /** The same for inputs that contain "\n". */
  maxV8LengthMulti: number;
  linearAvailable: boolean;
  /**
   * Captures in Ruby numbering (index 0 = whole match), undefined entries for groups
   * that did not take part. `multiLine` (whether the input holds "\n") may be passed
   * when known, to spare a scan per pattern.
   */
  exec(input: string, multiLine?: boolean): Array<string | undefined> | null;
  /** The same through one engine only: for tests (re2js is their independent oracle) and the benchmark. */
  execWith(engine: Engine, input: string): Array<string | undefined> | null;
  /**
   * Does now what the first match of a long input would otherwise pay for:
   * has V8 compile the pattern's regexes to native code, for one- and two-byte
   * subjects alike (V8 interprets a regex on its first run and compiles it on the
   * second, separately per string width), and, when some input up to 64 KiB
   * could need them, compiles the linear-time programs and runs them on `samples`
   * (the fingerprint's examples). The linear engine's code is shared by every
   * pattern and V8 optimises it for what it has seen run, so a first real 64 KiB
   * input must not be the first time some program shape or branch is met: that
   * deoptimises the code mid-match (30 to 80 ms interpreted, measured). Returns
   * whether there was anything left to do.
   */
  prepare(samples?: readonly string[]): boolean;
  /** Whether the linear-time engine has been set up for this pattern (prepared, or used). */
  linearPrepared(): boolean;
}

/** Inputs up to this long must match within the worst-case budget; longer ones may pay first-use costs. */
const PREPARED_INPUT_LENGTH = 64 * 1024;

export function compileFingerprintPattern(pattern: string, flags: string): CompiledPattern {
  const t = translatePattern(pattern, flags);
  const single = new RegExp(t.v8Single, t.v8Flags);
  const multi = t.v8Multi === t.v8Single ? single : new RegExp(t.v8Multi, t.v8Flags);
  let machine: PikeMachine | undefined;
  let dfa: ReverseDfa | undefined;
  let bits: BitState | undefined;
  let v8Prepared = false;
  const maxV8Length = maxLengthFor(t, t.degree);
  const maxV8LengthMulti = maxLengthFor(t, t.degreeMulti);
  const startOk = startFilter(t.startSet);
  const prefix = t.prefix;

  const runV8 = (input: string, multiLine = input.includes('\n')) => {
    const m = (multiLine ? multi : single).exec(input);
    if (!m) return null;
    const out: Array<string | undefined> = new Array(t.groups + 1);
    out[0] = m[0];
    for (let i = 1; i <= t.groups; i++) out[i] = m[t.groupMap[i]!];
    return out;
  };
  const runLinear = (input: string, forcePike = false, forceDfa = false) => {
    const programs = t.linear();
    if (!programs) return runV8(input);
    bits ??= bitState(programs.pike);
    if (!forcePike && !forceDfa && bits.rows * (input.length + 1) <= SEARCH_ONLY_BITS) {
      return captures(input, bits.searchUnits(codeUnits(input), input.length, input.includes('\n')));
    }
    // The reverse DFA settles whether anything matches and where the leftmost match
    // starts, at a few ns a character. Captures then come from the memoising
    // backtracker anchored there (one pass when the greedy path succeeds), or from
    // the Pike VM when the visited bitmap would be too large.
    dfa ??= reverseDfa(programs.reverse);
    const units = codeUnits(input);
    const len = input.length;
    const start = dfa.leftmostStartUnits(units, len);
    if (start < 0) return null;
    let caps: Int32Array | null;
    if (!forcePike && bits.fits(len)) caps = bits.runUnits(units, len, start);
    else {
      machine ??= pikeMachine(programs.pike);
      caps = machine.runUnits(units, len, input.includes('\n'), start);
    }
    return captures(input, caps);
  };
  const captures = (input: string, caps: Int32Array | null) => {
    if (!caps) return null;
    const out: Array<string | undefined> = new Array(t.groups + 1);
    for (let i = 0; i <= t.groups; i++) {
      const s = caps[2 * i]!, e = caps[2 * i + 1]!;
      out[i] = s >= 0 && e >= 0 ? input.slice(s, e) : undefined;
    }
    return out;
  };
  let re2: RE2JS | undefined;
  const runRe2 = (input: string) => {
    const source = t.re2();
    if (source === undefined) return runV8(input);
    re2 ??= RE2JS.compile(source);
    const m = re2.matcher(input);
    if (!m.find()) return null;
    const out: Array<string | undefined> = new Array(t.groups + 1);
    for (let i = 0; i <= t.groups; i++) out[i] = m.group(i) ?? undefined;
    return out;
  };

  return {
    groups: t.groups,
    requirements: t.requirements,
    degree: t.degree,
    degreeMulti: t.degreeMulti,
    maxV8Length,
    maxV8LengthMulti,
    linearAvailable: t.linearSupported,
    exec: (input, multiLine = input.includes('\n')) => {
      if (!multiLine) {
        if (prefix !== undefined && !startsWithFolded(input, prefix)) return null;
        if (startOk && !startOk(input.charCodeAt(0))) return null;
      }
      return input.length <= (multiLine ? maxV8LengthMulti : maxV8Length) ? runV8(input, multiLine) : runLinear(input);
    },
    linearPrepared: () => dfa !== undefined,
    prepare: (samples = []) => {
      if (v8Prepared) return false;
      v8Prepared = true;
      const sample = samples[0] ?? '';
      // ASCII and two-byte (U+0100 forces the wider representation): two runs each,
      // of each regex that V8 runs for an input of the sample's length.
      const variants: Array<[RegExp, number]> = multi === single ? [[single, maxV8Length]] : [[single, maxV8Length], [multi, maxV8LengthMulti]];
      for (const [re, max] of variants) {
        if (sample.length + 1 > max) continue;
        for (const subject of [sample, `${sample}\u0100`]) {
          re.exec(subject);
          re.exec(subject);
        }
      }
      if (!t.linearSupported || Math.min(maxV8Length, maxV8LengthMulti) >= PREPARED_INPUT_LENGTH || dfa) return true;
      const programs = t.linear();
      if (!programs) return true;
      dfa = reverseDfa(programs.reverse);
      bits ??= bitState(programs.pike);
      reserveBitState(bits.rows * (PREPARED_INPUT_LENGTH + 1));
      // A match, a near miss (first character gone), and the two run together, each
      // through the bit-state search alone and through the DFA. Not the Pike VM: it
      // serves only programs too large for the bit state, and its set-up (epsilon
      // closures) is the costly part; the warm-up covers its code.
      for (const sample of samples.slice(0, 2)) {
        for (const input of [sample, sample.slice(1), `${sample} ${sample}`]) {
          runLinear(input);
          runLinear(input, false, true);
        }
      }
      return true;
    },
    execWith: (engine, input) =>
      engine === 'v8'
        ? runV8(input)
        : engine === 'linear'
          ? runLinear(input)
          : engine === 'dfa'
            ? runLinear(input, false, true)
            : engine === 'pike'
              ? runLinear(input, true)
              : runRe2(input),
  };
}

/**
 * Whether input starts with the lower-case ASCII prefix, ignoring ASCII case. A
 * non-ASCII character (which /iu could fold onto ASCII, like U+212A) passes.
 */
function startsWithFolded(input: string, prefix: string): boolean {
  if (input.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let c = input.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 32;
    else if (c >= 128) return true;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** A first-character test for anchored patterns; undefined when every character could start a match. */
function startFilter(set: Array<[number, number]> | undefined): ((c: number) => boolean) | undefined {
  if (!set) return undefined;
  const ascii = new Uint8Array(128);
  let nonAscii = false;
  for (const [a, b] of set) {
    for (let c = a; c <= Math.min(b, 127); c++) ascii[c] = 1;
    if (b >= 128) nonAscii = true;
  }
  if (ascii.every((x) => x === 1) && nonAscii) return undefined;
  // charCodeAt(0) of "" is NaN: an anchored pattern that must consume a character cannot match it.
  return (c) => (c < 128 ? ascii[c] === 1 : c >= 128 ? nonAscii : false);
}

function maxLengthFor(t: TranslatedPattern, degree: number): number {
  if (!t.linearSupported) return Infinity;
  if (degree === Infinity) return 0;
  if (degree <= 1) return Infinity;
  // Largest n with C(n + d, d) <= budget.
  let n = 0;
  while (splits(n + 1, degree) <= V8_SPLIT_BUDGET) n++;
  return n;
}

function splits(n: number, d: number): number {
  let c = 1;
  for (let k = 1; k <= d; k++) c = (c * (n + k)) / k;
  return c;
}

let warmed = false;

/**
 * Runs the linear-time engine (DFA, bit state, Pike VM) on a few synthetic
 * patterns so V8 has optimised its code before the first real input arrives:
 * cold, it runs interpreted and a 64 KiB input costs ten times more. Once per
 * process, tens of milliseconds.
 */
export function warmLinearEngine(): void {
  if (warmed) return;
  warmed = true;
  const patterns: Array<[string, string]> = [
    ['^(\\S+) v([\\d.]+)(?: \\(([^)]*)\\))?.*;Ser=([A-Z0-9]{3,10})(?:;Loc=.*)?$', 'i'],
    ['(?:Basic|Digest) .*realm="([^"]+)"', ''],
    // Enough DFA states to overflow and rebuild the state cache.
    ['[ab]{0,12}c[ab]{0,12}d', ''],
    // Backtracking back through captures, so their restores are not first met on real input.
    ['^(a+)(x)?(a+)(b*)b;?', ''],
    ['^\\s*(\\w+)\\b.{0,20}(foo|bar)+$', 'm'],
  ];
  // Every string representation V8 may hand the engine (flat, concatenated,
  // sliced; one- and two-byte), so its optimised code never meets a new one.
  const long = `Xerox v1.2 (x) ${'a b;'.repeat(600)};Ser=ABC123;Loc=Room`;
  const inputs = [
    long,
    `${long.slice(0, 40)}${long.slice(40)}`,
    `_${long}`.slice(1),
    `Digest ${'x '.repeat(900)}realm="box"`,
    ` word ${'foo'.repeat(700)}\nbar`,
    `Xerox v2 (\u20ac) ${'\u00e9 \u20ac;'.repeat(300)};Ser=ABC123`,
    `Xerox v3 (\u{1F600}) ${'\u{1F600} b;'.repeat(300)};Ser=ABC123`,
    Array.from({ length: 3000 }, (_, i) => 'abcd'[(i * 7919) % 4]).join(''),
    'z'.repeat(3000),
    `${'a'.repeat(2500)}b;`,
  ];
  for (let round = 0; round < 12; round++) {
    for (const [p, f] of patterns) {
      const c = compileFingerprintPattern(p, f);
      for (const input of inputs) {
        c.execWith('linear', input);
        c.execWith('dfa', input);
        c.execWith('pike', input);
      }
    }
  }
}
