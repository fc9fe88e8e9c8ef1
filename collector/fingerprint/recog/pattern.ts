// One compiled fingerprint pattern: V8 for the inputs it runs in bounded time,
// re2js (linear time) for the rest, chosen per input by length.
import { RE2JS } from 're2js';
import { translatePattern, type TranslatedPattern } from './regex.ts';

/**
 * Backtracking budget. With d ambiguous loops, V8 can try every way of
 * splitting an input of n chars among them, C(n + d, d) ways; an input goes
 * to V8 only while that stays below this many (about a millisecond of work).
 * Longer inputs, and every input of an exponential pattern, go to re2js.
 */
const V8_SPLIT_BUDGET = 1_000_000;

export interface CompiledPattern {
  groups: number;
  requirements: string[][];
  degree: number;
  degreeMulti: number;
  /** Inputs up to this many chars run on V8; longer ones on re2js (Infinity when RE2 cannot express the pattern). */
  maxV8Length: number;
  /** The same for inputs that contain "\n". */
  maxV8LengthMulti: number;
  linearAvailable: boolean;
  /** Captures in Ruby numbering (index 0 = whole match), undefined entries for groups that did not take part. */
  exec(input: string): Array<string | undefined> | null;
  /** The same through one engine only; for tests and the benchmark. */
  execWith(engine: 'v8' | 're2', input: string): Array<string | undefined> | null;
}

export function compileFingerprintPattern(pattern: string, flags: string): CompiledPattern {
  const t = translatePattern(pattern, flags);
  const single = new RegExp(t.v8Single, t.v8Flags);
  const multi = t.v8Multi === t.v8Single ? single : new RegExp(t.v8Multi, t.v8Flags);
  let re2: RE2JS | undefined;
  let re2Failed = t.re2 === undefined;
  const linear = (): RE2JS | undefined => {
    if (re2 || re2Failed) return re2;
    try {
      re2 = RE2JS.compile(t.re2!);
    } catch {
      re2Failed = true;
    }
    return re2;
  };
  const maxV8Length = maxLengthFor(t, t.degree);
  const maxV8LengthMulti = maxLengthFor(t, t.degreeMulti);
  const fromV8 = (m: RegExpExecArray): Array<string | undefined> => {
    const out: Array<string | undefined> = new Array(t.groups + 1);
    out[0] = m[0];
    for (let i = 1; i <= t.groups; i++) out[i] = m[t.groupMap[i]!];
    return out;
  };
  const runV8 = (input: string, multiLine = input.includes('\n')) => {
    const m = (multiLine ? multi : single).exec(input);
    return m ? fromV8(m) : null;
  };
  const runRe2 = (input: string) => {
    const re = linear();
    if (!re) return runV8(input);
    const m = re.matcher(input);
    if (!m.find()) return null;
    const out: Array<string | undefined> = new Array(t.groups + 1);
    for (let i = 0; i <= t.groups; i++) {
      const g = m.group(i);
      out[i] = g === null ? undefined : g;
    }
    return out;
  };
  return {
    groups: t.groups,
    requirements: t.requirements,
    degree: t.degree,
    degreeMulti: t.degreeMulti,
    maxV8Length,
    maxV8LengthMulti,
    linearAvailable: t.re2 !== undefined,
    exec: (input) => {
      const multiLine = input.includes('\n');
      return input.length <= (multiLine ? maxV8LengthMulti : maxV8Length) ? runV8(input, multiLine) : runRe2(input);
    },
    execWith: (engine, input) => (engine === 'v8' ? runV8(input) : runRe2(input)),
  };
}

function maxLengthFor(t: TranslatedPattern, degree: number): number {
  if (t.re2 === undefined) return Infinity;
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
