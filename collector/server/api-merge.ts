// The collector's HTTP routes for MERGE (registered by admin.ts): integration
// imports, manual merge/split and asset explanations, done by the running
// pipeline in turn with agents' batches, so its in-memory inventory stays the truth.
//   POST /v1/import?source=intune|crowdstrike|azuread[&site=S]  body: the export as the API returned it
//   POST /v1/merge  {"ids": [...], "reason"?: "..."}
//   POST /v1/split  {"id": "...", "address"?: "...", "key"?: "KIND:VALUE", "reason"?: "..."}
//   GET  /v1/assets/<id>/explain
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { planManualMerge, planManualSplit, type Asset, type SiteState, type SiteUpdate } from '../assets/index.ts';
import { INTEGRATION_SITE, IDENTITY_KINDS, type IdentityKind } from '../merge/index.ts';
import { isSextantError, SextantError } from '../../shared/errors.ts';
import { readSourceExport } from '../../shared/cli/import-source.ts';
import { readBody, sendJson } from './http.ts';
import type { IngestBatch, IngestResult } from './types.ts';

/** What these routes need of the pipeline (collector/pipeline.ts Pipeline has all of it). */
export interface MergeApiPipeline {
  ingest(batch: IngestBatch): Promise<IngestResult>;
  adjust(plan: (state: SiteState) => SiteUpdate): Promise<SiteUpdate>;
  asset(id: string): Promise<Asset | undefined>;
}

const MAX_IMPORT_BODY = 256 * 1024 * 1024;
const MAX_JSON_BODY = 64 * 1024;

async function json(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req, MAX_JSON_BODY);
  if (text === undefined) throw new SextantError('INPUT_INVALID', `body larger than ${MAX_JSON_BODY} bytes`);
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new SextantError('INPUT_INVALID', 'body must be one JSON object');
}

const str = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v === '') throw new SextantError('INPUT_INVALID', 'must be a non-empty string', { field });
  return v;
};

export function parseKeyText(text: string): { kind: IdentityKind; value: string } {
  const at = text.indexOf(':');
  const kind = text.slice(0, at) as IdentityKind;
  if (at <= 0 || !IDENTITY_KINDS.includes(kind) || at === text.length - 1) {
    throw new SextantError('INPUT_INVALID', `"${text}" is not KIND:VALUE with KIND one of ${IDENTITY_KINDS.join(', ')}`, { field: 'key' });
  }
  return { kind, value: text.slice(at + 1) };
}

/** Answers the request when it is one of these routes; false when it is not. */
export async function handleMergeApi(req: IncomingMessage, res: ServerResponse, url: URL, pipeline: MergeApiPipeline): Promise<boolean> {
  const path = url.pathname;
  try {
    if (req.method === 'POST' && path === '/v1/import') {
      const source = str(url.searchParams.get('source') ?? undefined, 'source');
      const site = url.searchParams.get('site') ?? undefined;
      const text = await readBody(req, MAX_IMPORT_BODY);
      if (text === undefined) return sendJson(res, 413, { error: `export larger than ${MAX_IMPORT_BODY} bytes` });
      const records = readSourceExport('request body', text, { source, ...(site ? { site } : {}) });
      if (records.length === 0) return sendJson(res, 200, { devices: 0, stored: 0, duplicates: 0 });
      const batchId = `import:${source}:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
      const result = await pipeline.ingest({ batchId, agentId: `import:${source}`, site: site ?? INTEGRATION_SITE, records });
      return sendJson(res, 200, { devices: records.length, ...result });
    }
    if (req.method === 'POST' && path === '/v1/merge') {
      const b = await json(req);
      if (!Array.isArray(b.ids) || !b.ids.every((x) => typeof x === 'string')) throw new SextantError('INPUT_INVALID', 'must be an array of asset ids', { field: 'ids' });
      const at = new Date().toISOString();
      const update = await pipeline.adjust((state) => planManualMerge(state, b.ids as string[], at, typeof b.reason === 'string' ? b.reason : undefined));
      return sendJson(res, 200, { merged: [...update.changed.values()].filter((e) => e.mergedInto).map((e) => e.after.id), into: (b.ids as string[])[0] });
    }
    if (req.method === 'POST' && path === '/v1/split') {
      const b = await json(req);
      const id = str(b.id, 'id');
      if ((b.address === undefined) === (b.key === undefined)) throw new SextantError('INPUT_INVALID', 'give exactly one of address and key', { field: 'address' });
      const part = b.address !== undefined ? { address: str(b.address, 'address') } : { key: parseKeyText(str(b.key, 'key')) };
      const at = new Date().toISOString();
      const update = await pipeline.adjust((state) => planManualSplit(state, id, part, at, typeof b.reason === 'string' ? b.reason : undefined));
      return sendJson(res, 200, { id, split: [...update.changed.values()].find((e) => e.event === 'created')?.after.id });
    }
    const explain = /^\/v1\/assets\/([^/]+)\/explain$/.exec(path);
    if (req.method === 'GET' && explain) {
      const asset = await pipeline.asset(decodeURIComponent(explain[1]!));
      if (!asset) return sendJson(res, 404, { error: `no asset ${explain[1]}` });
      return sendJson(res, 200, asset);
    }
  } catch (err) {
    if (isSextantError(err)) return sendJson(res, err.code === 'MERGE_ASSET_UNKNOWN' ? 404 : 400, { error: err.message, code: err.code });
    throw err;
  }
  return false;
}
