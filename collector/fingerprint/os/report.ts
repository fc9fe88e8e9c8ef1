// Turns a ranked match list into Nmap's classification and its normal-output
// lines: Device type, Running, OS CPE, OS details / Aggressive OS guesses
// (nmap-os-detection.md §5.4: populateClassification, printosclassificationoutput, printosscanoutput).
import { MAX_RESULTS } from './match.ts';
import type { OsClass, OsClassification, OsMatchResult } from './types.ts';

const MAX_CLASS_MEMBERS = 8;

function sameClass(a: OsClass, b: OsClass): boolean {
  return a.vendor === b.vendor && a.family === b.family && a.type === b.type && a.generation === b.generation;
}

/**
 * Distinct (vendor, family, generation, device type) classes in match order,
 * each with the accuracy of the first match carrying it. With perfect
 * matches, classes of lesser matches are left out.
 */
export function classify(result: OsMatchResult): OsClassification[] {
  const out: OsClassification[] = [];
  if (result.tooManyMatches) return out;
  for (const match of result.matches) {
    const perfect = match.score === 1;
    for (const cls of match.classes) {
      if (out.some((c) => sameClass(c, cls))) continue;
      // Full: Nmap stops here, and gives up on classes altogether if a perfect match overflowed.
      if (out.length === MAX_RESULTS) return perfect ? [] : out;
      if (out.some((c) => c.perfect) && !perfect) return out;
      out.push({ ...cls, cpe: [...cls.cpe], accuracy: match.accuracy, score: match.score, perfect });
    }
  }
  return out;
}

interface Summary {
  types: string[];
  families: Array<{ name: string; generations: string; accuracy: number }>;
  cpes: string[];
}

function summarize(classes: OsClassification[], guess: boolean): Summary | undefined {
  const types: string[] = [];
  const cpes: string[] = [];
  const families: Summary['families'] = [];
  let overflow = false;
  const best = classes[0]?.score ?? 0;
  const perfectCount = classes.filter((c) => c.perfect).length;
  const addIfNew = (list: string[], item: string) => {
    if (list.includes(item)) return;
    if (list.length >= MAX_CLASS_MEMBERS) overflow = true;
    else list.push(item);
  };
  for (let i = 0; i < classes.length; i++) {
    const cls = classes[i] as OsClassification;
    if ((!guess && i >= perfectCount) || cls.score <= best - 0.1 || (!cls.perfect && i > 9)) break;
    addIfNew(types, cls.type);
    for (const cpe of cls.cpe) addIfNew(cpes, cpe);
    const name = cls.vendor === cls.family ? cls.family : `${cls.vendor} ${cls.family}`;
    const family = families.find((f) => f.name === name);
    if (family) {
      // Nmap checks with strstr, so a generation that is a substring of one listed is skipped.
      if (cls.generation && !family.generations.includes(cls.generation)) {
        family.generations += family.generations ? `|${cls.generation}` : cls.generation;
      }
      continue;
    }
    if (families.length >= MAX_CLASS_MEMBERS) {
      overflow = true;
      break;
    }
    families.push({ name, generations: cls.generation ?? '', accuracy: cls.accuracy });
  }
  return overflow || families.length === 0 ? undefined : { types, families, cpes };
}

export interface ReportOptions {
  /** Nmap's --osscan-guess (or a non-ideal print): list guesses when nothing is perfect. Default true. */
  guess?: boolean;
  /**
   * Whether the subject print was ideal (SCAN `G=Y`): picks Nmap's wording of
   * the "no exact match" line. Unknown leaves the parenthesis out.
   */
  ideal?: boolean;
}

/** The lines Nmap's normal output prints for an OS match result. */
export function describeResult(result: OsMatchResult, options: ReportOptions = {}): string[] {
  const guess = options.guess ?? true;
  const lines: string[] = [];
  const perfect = result.matches.filter((m) => m.score === 1);
  const classes = classify(result);
  const summary = summarize(classes, guess);
  if (summary) {
    lines.push(`Device type: ${summary.types.join('|')}`);
    const perfectClasses = classes.filter((c) => c.perfect).length;
    const running = summary.families.map((f, i) => {
      const text = f.generations ? `${f.name} ${f.generations}` : f.name;
      // Nmap compares the family's index with the number of perfect classes, not families.
      return i >= perfectClasses ? `${text} (${f.accuracy}%)` : text;
    });
    lines.push(`Running${perfect.length === 0 ? ' (JUST GUESSING)' : ''}: ${running.join(', ')}`);
    if (summary.cpes.length > 0) lines.push(`OS CPE: ${summary.cpes.join(' ')}`);
  }
  const why = options.ideal === undefined
    ? ''
    : options.ideal
      ? ' (If you know what OS is running on it, see https://nmap.org/submit/ ).'
      : ' (test conditions non-ideal).';
  if (result.tooManyMatches || perfect.length > 8) {
    lines.push('Too many fingerprints match this host to give specific OS details');
  } else if (result.matches.length === 0) {
    lines.push(`No OS matches for host${options.ideal ? why : ''}`);
  } else if (perfect.length > 0) {
    lines.push(`OS details: ${perfect.map((m) => m.name).join(', ')}`);
  } else {
    const best = result.matches[0]?.score ?? 0;
    const shown: string[] = [];
    for (let i = 0; i < 10 && i < result.matches.length; i++) {
      const m = result.matches[i] as OsMatchResult['matches'][number];
      if (i > 0 && !(m.score > best - 0.1)) break;
      shown.push(`${m.name} (${m.accuracy}%)`);
    }
    if (guess) lines.push(`Aggressive OS guesses: ${shown.join(', ')}`);
    lines.push(`No exact OS matches for host${why}`);
  }
  return lines;
}
