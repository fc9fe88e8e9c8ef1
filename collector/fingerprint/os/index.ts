// Nmap-style TCP/IP OS fingerprinting, collector side and pure apart from
// loadOsDb: nmap-os-db loading, subject fingerprint text, Nmap 7.93 matching
// and ranking, Nmap's report lines, certainty candidates, and the subject
// print computed from raw probe evidence.

export type {
  AttributeWeight,
  FingerprintAttribute,
  FingerprintTest,
  OsClass,
  OsClassification,
  OsMatch,
  OsMatchResult,
  OsReference,
  SubjectFingerprint,
} from './types.ts';

// nmap-os-db
export { loadOsDb, tryLoadOsDb } from './db.ts';
export { parseOsDb, parseTestLine, referenceTests, type OsDb } from './db-parse.ts';

// Expressions (7.93 semantics)
export { compileExpr, exprMatches, observe, firstAlternativeValue, type CompiledExpr, type ObservedValue } from './expr.ts';

// Subject fingerprint text
export { parseSubjectFingerprint, formatSubjectFingerprint, formatTest, subjectValue, WRAP_WIDTH, type FormatOptions } from './subject.ts';

// Matching, ranking and reporting
export { matchFingerprint, scoreAgainst, GUESS_THRESHOLD, MAX_RESULTS } from './match.ts';
export { classify, describeResult, type ReportOptions } from './report.ts';

// Certainty candidates
export { osCandidates, type CandidateOptions } from './candidates.ts';
export { cpe22To23 } from './cpe.ts';

// Subject print from raw probe evidence
export { computeOsFingerprint, initialTtlGuess, type OsFingerprintComputation } from './compute.ts';
export { OS_PROBE_NAMES, decodeEvidence, type OsProbeName, type OsProbeRecord, type OsProbeReply, type OsScanEvidence } from './evidence.ts';
export { scanTest, isPrivateIpv4, type ScanInfo } from './scan-line.ts';
export { ipIdClass, ipIdValue, isnTests, modDiff, sharedIpIdSequence, timestampTest, type IpIdClass, type SeqSample, type TimestampClass } from './sequence.ts';
export { tcpOptionsString, tcpTimestamp, internetChecksum, parseIpv4, parseTcp, parseIcmp, parseUdp } from './packets.ts';
export { ackClass, congestionClass, flagLetters, quirks, resetDataChecksum, seqClass } from './responses.ts';
