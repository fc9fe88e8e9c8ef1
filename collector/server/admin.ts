// A small HTTP endpoint for operators (`sextant task add`, curl): add tasks,
// list tasks with per-agent progress, list agents and (with a pipeline) assets.
// Bearer token = the enrolment token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSextantError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logging.ts';
import { handleSearchApi } from './api-search.ts';
import type { Store } from '../store/index.ts';
import { readBody, sendJson } from './http.ts';
import type { CollectorServer } from './server.ts';
import type { TaskEntry, TaskInput } from './tasks.ts';
import { handleMergeApi, type MergeApiPipeline } from './api-merge.ts';

const MAX_BODY = 64 * 1024;

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

export function taskView(e: TaskEntry): Record<string, unknown> {
  return { ...e.task, site: e.site, agent: e.agent, createdAt: e.createdAt, agents: [...e.agents.values()] };
}

function authorized(req: IncomingMessage, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(token).digest());
}


export interface AssetSource {
  assets(site?: string): Promise<unknown[]> | unknown[];
  /** When present, /api/v1/assets?search= is served from it. */
  readonly store?: Store;
}

/** Extra routes (one file per part, e.g. api-io.ts): true when it answered the request. */
export type AdminRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const isMergeApi = (x: unknown): x is MergeApiPipeline => typeof (x as Partial<MergeApiPipeline>).adjust === 'function' && typeof (x as Partial<MergeApiPipeline>).asset === 'function';

export async function startAdminServer(listen: string, token: string, collector: CollectorServer, log: Logger, inventory?: AssetSource, routes: AdminRoute[] = []): Promise<AdminServer> {
  const server: Server = createServer(async (req, res) => {
    if (!authorized(req, token)) return sendJson(res, 401, { error: 'missing or wrong bearer token' });
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    for (const route of routes) if (await route(req, res, url)) return;
    if (req.method === 'GET' && path === '/v1/assets' && inventory) return sendJson(res, 200, await inventory.assets(url.searchParams.get('site') ?? undefined));
    if (inventory?.store && (await handleSearchApi(req, res, url, inventory.store))) return;
    if (req.method === 'GET' && path === '/v1/agents') return sendJson(res, 200, collector.agents());
    if (req.method === 'GET' && path === '/v1/tasks') return sendJson(res, 200, collector.tasks.list().map(taskView));
    if (req.method === 'POST' && path === '/v1/tasks') {
      const text = await readBody(req, MAX_BODY);
      if (text === undefined) return sendJson(res, 413, { error: `body larger than ${MAX_BODY} bytes` });
      let input: TaskInput;
      try {
        input = JSON.parse(text) as TaskInput;
      } catch {
        return sendJson(res, 400, { error: 'body is not JSON' });
      }
      try {
        const entry = collector.tasks.add(input);
        log.info({ taskId: entry.task.taskId, site: entry.site, targets: entry.task.targets }, 'task added');
        return sendJson(res, 201, taskView(entry));
      } catch (err) {
        return sendJson(res, 400, { error: isSextantError(err) ? err.message : String(err) });
      }
    }
    if (isMergeApi(inventory) && (await handleMergeApi(req, res, url, inventory))) return;
    return sendJson(res, 404, { error: 'not found' });
  });
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ listen: `${host}:${bound}` }, 'admin endpoint listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export function splitHostPort(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new Error(`"${text}" is not HOST:PORT`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}
