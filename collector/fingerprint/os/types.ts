// Plain data for Nmap-style OS fingerprinting: the reference database, subject
// fingerprints and match results. Nothing here is a class.

/** One `Class vendor | family | generation | device type` line and the CPE lines under it. */
export interface OsClass {
  vendor: string;
  family: string;
  /** Nmap treats an empty generation as absent (NULL); so do we. */
  generation: string | null;
  type: string;
  /** CPE 2.2 URIs (`cpe:/o:linux:linux_kernel:5`), flags such as `auto` dropped. */
  cpe: string[];
}

/** `NAME=VALUE` inside a test; in a reference the value is an expression. */
export interface FingerprintAttribute {
  name: string;
  value: string;
}

/** `SEQ(SP=106%GCD=1…)`: a test name and its attributes in written order. */
export interface FingerprintTest {
  name: string;
  attributes: FingerprintAttribute[];
}

/** A subject ("observed") fingerprint: tests in written order, SCAN included, repeats allowed. */
export interface SubjectFingerprint {
  tests: FingerprintTest[];
}

/** One `Fingerprint` entry of nmap-os-db. */
export interface OsReference {
  name: string;
  /** Line of the `Fingerprint` line (Nmap's `<osmatch line=…>`). */
  line: number;
  classes: OsClass[];
  /**
   * The test lines as written (`SEQ(SP=0-5%GCD=…)`), already validated and
   * compiled; `referenceTests()` splits them into attributes. Kept as text
   * because half a million attribute objects would cost more to hold than to re-parse.
   */
  testLines: string[];
}

/** The weight of one attribute, from the `MatchPoints` entry. */
export interface AttributeWeight {
  test: string;
  attribute: string;
  points: number;
}

/** One ranked match, as Nmap lists it. */
export interface OsMatch {
  name: string;
  /** Percent as Nmap prints it: floor(score × 100). */
  accuracy: number;
  /** The exact matched / possible ratio, for callers that rank further. */
  score: number;
  line: number;
  classes: OsClass[];
}

export interface OsMatchResult {
  /** True when at least one reference matched at 100 %. */
  perfect: boolean;
  /** Best first: accuracy descending, ties in database order, one entry per name, at most 36. */
  matches: OsMatch[];
  /** Nmap's OSSCAN_TOOMANYMATCHES: more than 36 perfect matches; the list is then partial. */
  tooManyMatches: boolean;
}

/** A class aggregated over the ranked matches (Nmap's populateClassification). */
export interface OsClassification extends OsClass {
  /** Accuracy (percent) of the first match carrying this class. */
  accuracy: number;
  /** That match's exact score (0..1). */
  score: number;
  perfect: boolean;
}
