// Asset search: runZero's query language -> AST -> SQL for the store, or an
// in-memory match for one asset. Pure.
export { parseQuery, QuerySyntaxError, parseTimeOperand, type QueryAst, type TermNode, type TermOp } from './parse.ts';
export { compileQuery, likePattern, type CompiledQuery } from './compile.ts';
export { matchesAsset, likeRegex } from './match.ts';
export { searchPairs, searchableView, numberOf, versionKey, type SearchableAsset } from './values.ts';
export { fieldSpec, BARE_FIELDS, type FieldSpec, type FieldType } from './fields.ts';
