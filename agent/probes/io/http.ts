// The HTTP conversation shared by the http and https probes: GET /, then GET /favicon.ico, facts under Recog keys.
import { createHash } from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import type { ProbeContext, ProbeResult } from '../../../shared/types.ts';
import { parseHtmlTitle } from '../parse/html.ts';
import { header, headersNamed, httpResponseComplete, parseHttpResponse, type HttpResponse } from '../parse/http.ts';
import { connectTcp, silentStatus, withTcp, type ReadOutcome, type TcpConn } from './tcp.ts';
import { recordTls } from './tls.ts';
import type { ProbeRun } from './run.ts';

const PAGE_LIMIT = 64 * 1024;
const FAVICON_LIMIT = 128 * 1024;

export function httpRequest(ip: string, port: number, defaultPort: number, path: string): string {
  const host = net.isIPv6(ip) ? `[${ip}]` : ip;
  const authority = port === defaultPort ? host : `${host}:${port}`;
  return `GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: Mozilla/5.0 (compatible; Sextant/0.1)\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

async function fetchOnce(conn: TcpConn, request: string, limit: number): Promise<{ response: HttpResponse; read: ReadOutcome }> {
  conn.write(request);
  const read = await conn.read({ complete: httpResponseComplete, idleMs: 1500, limit });
  return { response: parseHttpResponse(read.bytes, { closed: read.end === 'closed' }), read };
}

/** Facts of one response under the keys the Recog http databases expect. */
export function recordHttp(run: ProbeRun, r: HttpResponse): void {
  run.fact('http.status', r.status === undefined ? undefined : String(r.status));
  const single = (name: string, key: string) => {
    const h = headersNamed(r, name)[0];
    if (h) run.fact(key, h.value, h.valueBytes);
  };
  // Repeated fields are joined by LF: Recog's ^/$ are line anchors, so each value still matches on its own.
  const joined = (name: string, key: string) => {
    const hs = headersNamed(r, name);
    if (hs.length > 0) run.fact(key, hs.map((h) => h.value).join('\n'), Buffer.concat(hs.flatMap((h, i) => (i ? [Buffer.from('\n'), h.valueBytes] : [h.valueBytes]))));
  };
  single('server', 'http_header.server');
  joined('set-cookie', 'http_header.cookie');
  joined('www-authenticate', 'http_header.wwwauth');
  single('x-powered-by', 'http_header.x-powered-by');
  single('location', 'http_header.location');
  const title = parseHtmlTitle(r.body);
  run.fact('html_title', title.title, title.titleBytes);
}

export async function runHttp(run: ProbeRun, ctx: ProbeContext, defaultPort: number, tlsOptions?: tls.ConnectionOptions): Promise<ProbeResult> {
  const connectOpts = tlsOptions ? { tls: tlsOptions, maxBytes: PAGE_LIMIT } : { maxBytes: PAGE_LIMIT };
  return withTcp(run, ctx, async (conn) => {
    if (tlsOptions) recordTls(run, conn.socket as tls.TLSSocket);
    const page = await fetchOnce(conn, httpRequest(run.target.ip, run.port, defaultPort, '/'), PAGE_LIMIT);
    if (page.read.bytes.length === 0) {
      const s = silentStatus(page.read);
      return run.finish(s.status, s.error);
    }
    const r = page.response;
    if (r.status === undefined) {
      run.rawOnly('http.received', page.read.bytes);
      return run.finish('no-match', r.error);
    }
    run.rawOnly('http.response', r.head ?? page.read.bytes);
    recordHttp(run, r);
    const favicon = await fetchFavicon(run, ctx, defaultPort, tlsOptions);
    if (favicon.md5) run.fact('favicon.md5', favicon.md5, favicon.bytes);
    // Truncated pages still give headers and usually the title: keep them, note why.
    return run.finish('success', r.error ?? favicon.error);
  }, connectOpts);
}

async function fetchFavicon(run: ProbeRun, ctx: ProbeContext, defaultPort: number, tlsOptions?: tls.ConnectionOptions): Promise<{ md5?: string; bytes?: Uint8Array; error?: string }> {
  const c = await connectTcp(run.target.ip, run.port, ctx, tlsOptions ? { tls: tlsOptions, maxBytes: FAVICON_LIMIT } : { maxBytes: FAVICON_LIMIT });
  if (!c.ok) return { error: `favicon: ${c.error}` };
  try {
    const got = await fetchOnce(c.conn, httpRequest(run.target.ip, run.port, defaultPort, '/favicon.ico'), FAVICON_LIMIT);
    const r = got.response;
    if (r.status !== 200 || r.body.length === 0) return {};
    // A hash of a cut-off icon would match nothing and look like a real one.
    if (!r.complete) return { error: 'favicon: response incomplete' };
    const ctype = header(r, 'content-type') ?? '';
    if (/text\/html/i.test(ctype)) return {};
    return { md5: createHash('md5').update(r.body).digest('hex'), bytes: r.body };
  } finally {
    c.conn.close();
  }
}
