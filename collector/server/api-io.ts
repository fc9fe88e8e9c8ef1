// The collector's admin API for IO's commands, so they work with --collector
// URL against a running collector: import a parsed file as one batch
// (/v1/import/evidence: /v1/import is MERGE's integration exports),
// refingerprint, record and export improvement submissions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSextantError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import { buildImprovement, exportImprovements, findAsset } from '../improve/index.ts';
import { recogKeyPredicate } from '../improve/keys.ts';
import { IMPORT_LIMITS } from '../import/index.ts';
import type { IngestBatch, Pipeline } from '../pipeline.ts';
import { compileAssetFilter } from '../publish/asset-filter.ts';
import type { AdminRoute } from './admin.ts';
import { readBody, sendJson } from './http.ts';

/** An import is one batch of up to IMPORT_LIMITS.maxBatchChars characters, plus JSON syntax. */
const MAX_IMPORT_BODY = 512 * 1024 * 1024;
const MAX_BODY = 64 * 1024;

async function readJson(req: IncomingMessage, max: number): Promise<{ ok: true; value: unknown } | { ok: false; status: number; error: string }> {
  const text = await readBody(req, max);
  if (text === undefined) return { ok: false, status: 413, error: `body larger than ${max} bytes, or not readable` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, error: 'body is not JSON' };
  }
}

function failure(res: ServerResponse, err: unknown, log: Logger): true {
  if (isSextantError(err)) return sendJson(res, err.code === 'IMPROVE_ASSET_UNKNOWN' ? 404 : 400, { error: err.message, code: err.code });
  log.error({ err }, 'admin request failed');
  return sendJson(res, 500, { error: 'internal error; see the collector log' });
}

export function ioRoutes(pipeline: Pipeline, log: Logger): AdminRoute {
  let keys: ((key: string) => boolean) | undefined;
  return async (req, res, url) => {
    const path = url.pathname;
    const post = req.method === 'POST';
    if (post && path === '/v1/import/evidence') {
      const body = await readJson(req, MAX_IMPORT_BODY);
      if (!body.ok) return sendJson(res, body.status, { error: body.error });
      try {
        return sendJson(res, 200, await pipeline.ingest(body.value as IngestBatch, { limits: IMPORT_LIMITS, anyAgent: true, counts: true }));
      } catch (err) {
        return failure(res, err, log);
      }
    }
    if (post && path === '/v1/refingerprint') {
      const body = await readJson(req, MAX_BODY);
      if (!body.ok) return sendJson(res, body.status, { error: body.error });
      const { query, site } = (body.value ?? {}) as { query?: unknown; site?: unknown };
      try {
        const select = compileAssetFilter(typeof query === 'string' ? query : '');
        const r = await pipeline.refingerprint({ select, ...(typeof site === 'string' ? { site } : {}) });
        return sendJson(res, 200, { examined: r.examined, evidence: r.evidence, updated: r.updated, changes: Object.fromEntries(r.changes) });
      } catch (err) {
        return failure(res, err, log);
      }
    }
    if (post && path === '/v1/improvements') {
      const body = await readJson(req, MAX_BODY);
      if (!body.ok) return sendJson(res, body.status, { error: body.error });
      const v = (body.value ?? {}) as Record<string, unknown>;
      const text = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
      try {
        const improvement = buildImprovement(await findAsset(pipeline.store, text('asset') ?? ''), { type: text('type'), os: text('os'), hw: text('hw'), comment: text('comment') });
        const added = await pipeline.store.addImprovement(improvement);
        return sendJson(res, added ? 201 : 200, { improvement, added });
      } catch (err) {
        return failure(res, err, log);
      }
    }
    if (req.method === 'GET' && path === '/v1/improvements') return sendJson(res, 200, await pipeline.store.listImprovements());
    if (req.method === 'GET' && path === '/v1/improvements/export') {
      try {
        keys ??= recogKeyPredicate();
        return sendJson(res, 200, await exportImprovements(pipeline.store, keys));
      } catch (err) {
        return failure(res, err, log);
      }
    }
    return false;
  };
}
