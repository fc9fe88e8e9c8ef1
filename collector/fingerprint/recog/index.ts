// The Recog fingerprint engine: Ruby-exact loading and matching of Recog XML.
export { loadRecogDirs, loadRecogFile, parseRecogXml } from './load.ts';
export type { LoadProblem, LoadResult, RecogDb, RecogExample, RecogFingerprint, RecogParam } from './load.ts';
export { matchFingerprint, matchFirstInDb, matchAllInDb, buildResult } from './match.ts';
export type { DbMatch, RecogResult } from './match.ts';
export { createRecogEngine, loadRecogSet, decodeInput, prepareInBackground, prepareNow } from './engine.ts';
export type { RecogEngine, RecogEngineOptions, RecogSet } from './engine.ts';
export { verifyDbs } from './verify.ts';
export type { VerifyMessage, VerifyReport } from './verify.ts';
export { translatePattern, parseRecogFlags } from './regex.ts';
