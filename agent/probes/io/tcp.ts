// TCP (and TLS) sessions for probes: connect within a budget, write, read until complete/idle/limit.
import net from 'node:net';
import tls from 'node:tls';
import type { ProbeContext, ProbeResult, ProbeStatus } from '../../../shared/types.ts';
import { statusFromError, type ProbeRun } from './run.ts';

/** Banner reads stop here: enough for every greeting, small enough for hostile peers. */
export const BANNER_LIMIT = 64 * 1024;
const DEFAULT_IDLE_MS = 400;

export type ReadEnd = 'complete' | 'idle' | 'closed' | 'limit' | 'timeout' | 'error';

export interface ReadOutcome {
  bytes: Buffer;
  end: ReadEnd;
  error?: string;
}

export interface ReadOptions {
  /** Ends the read as soon as the bytes buffered so far hold a whole reply. */
  complete?: (buf: Buffer) => boolean;
  /** Silence after the first byte that ends the read (not applied before any byte arrived). */
  idleMs?: number;
  limit?: number;
}

export interface TcpConn {
  readonly socket: net.Socket;
  /** Resolves with every byte buffered since the previous read; never rejects. */
  read(opts?: ReadOptions): Promise<ReadOutcome>;
  write(data: Uint8Array | string): void;
  close(): void;
}

export type ConnectOutcome = { ok: true; conn: TcpConn } | { ok: false; status: ProbeStatus; error: string };

export interface ConnectOptions {
  /** When set, a TLS handshake follows the TCP connect. */
  tls?: tls.ConnectionOptions;
  /** Hard cap on bytes kept for the whole connection. */
  maxBytes?: number;
}

/**
 * Connects to ip:port; the deadline (ctx.timeoutMs) covers the connect and
 * every later read on the connection. Only IP literals are accepted, so no
 * name is ever resolved.
 */
export function connectTcp(ip: string, port: number, ctx: ProbeContext, opts: ConnectOptions = {}): Promise<ConnectOutcome> {
  const deadline = Date.now() + ctx.timeoutMs;
  const maxBytes = opts.maxBytes ?? BANNER_LIMIT;
  if (net.isIP(ip) === 0) return Promise.resolve({ ok: false, status: 'error', error: `not an IP address: ${ip}` });
  if (ctx.signal?.aborted) return Promise.resolve({ ok: false, status: 'error', error: 'aborted' });
  return new Promise((resolve) => {
    const socket: net.Socket = opts.tls
      ? tls.connect({ ...opts.tls, host: ip, port })
      : net.connect({ host: ip, port });
    let settled = false;
    const onAbort = () => fail({ status: 'error', error: 'aborted' });
    const timer = setTimeout(() => fail({ status: 'timeout', error: `no connection within ${ctx.timeoutMs} ms` }), ctx.timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    }
    function fail(r: { status: ProbeStatus; error: string }) {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      resolve({ ok: false, ...r });
    }
    function onError(err: Error) {
      fail(statusFromError(err));
    }
    socket.once('error', onError);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ ok: true, conn: wrap(socket, deadline, maxBytes, ctx.signal) });
    });
  });
}

function wrap(socket: net.Socket, deadline: number, maxBytes: number, signal?: AbortSignal): TcpConn {
  let buf: Buffer = Buffer.alloc(0);
  let total = 0;
  let ended = false;
  let failure: string | undefined;
  let wake: (() => void) | undefined;
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    const room = maxBytes - total;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    total += part.length;
    buf = buf.length === 0 ? part : Buffer.concat([buf, part]);
    // Past the cap nothing more is wanted: stop the peer from filling memory.
    if (total >= maxBytes) socket.pause();
    wake?.();
  });
  socket.on('end', () => {
    ended = true;
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', (err) => {
    failure = statusFromError(err).error;
    ended = true;
    wake?.();
  });
  const onAbort = () => {
    failure = 'aborted';
    ended = true;
    socket.destroy();
    wake?.();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  socket.once('close', () => signal?.removeEventListener('abort', onAbort));

  return {
    socket,
    read(opts = {}) {
      const limit = Math.min(opts.limit ?? maxBytes, maxBytes);
      const idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
      return new Promise((resolve) => {
        let idle: NodeJS.Timeout | undefined;
        let seen = -1;
        const hard = setTimeout(() => finish('timeout'), Math.max(0, deadline - Date.now()));
        function finish(end: ReadEnd) {
          clearTimeout(hard);
          if (idle) clearTimeout(idle);
          wake = undefined;
          const out = buf;
          buf = Buffer.alloc(0);
          const r: ReadOutcome = { bytes: out, end };
          if (end === 'error' && failure) r.error = failure;
          resolve(r);
        }
        function isComplete(): boolean {
          // The predicates are parsers that never throw; if one did, it must not crash the agent from an event handler.
          try {
            return opts.complete !== undefined && buf.length > 0 && opts.complete(buf);
          } catch {
            return false;
          }
        }
        function check() {
          if (isComplete()) return finish('complete');
          if (buf.length >= limit || total >= maxBytes) return finish('limit');
          if (failure) return finish('error');
          if (ended) return finish('closed');
          if (buf.length > 0 && buf.length !== seen) {
            seen = buf.length;
            if (idle) clearTimeout(idle);
            idle = setTimeout(() => finish('idle'), idleMs);
          }
        }
        wake = check;
        check();
      });
    },
    write(data) {
      if (!socket.destroyed && socket.writable) socket.write(data);
    },
    close() {
      socket.destroy();
    },
  };
}

/** A read that ended without bytes, as an envelope status. */
export function silentStatus(read: ReadOutcome): { status: ProbeStatus; error: string } {
  if (read.end === 'timeout') return { status: 'timeout', error: 'connected, but nothing was received' };
  if (read.end === 'error') return { status: 'protocol-error', error: read.error ?? 'connection failed' };
  return { status: 'no-match', error: 'connection closed without data' };
}

/** True once the buffer holds a LF (most text greetings are one line). */
export function hasLine(buf: Buffer): boolean {
  return buf.includes(0x0a);
}

/**
 * Runs one probe conversation on a fresh connection: refuses out-of-scope
 * targets (`blocked`), turns connect failures into statuses, always closes
 * the socket, and turns an unexpected exception into the `error` status so
 * a probe never throws.
 */
export async function withTcp(
  run: ProbeRun,
  ctx: ProbeContext,
  converse: (conn: TcpConn) => Promise<ProbeResult>,
  opts: ConnectOptions = {},
): Promise<ProbeResult> {
  const blocked = run.blocked(ctx);
  if (blocked) return blocked;
  const c = await connectTcp(run.target.ip, run.port, ctx, opts);
  if (!c.ok) return run.finish(c.status, c.error);
  try {
    return await converse(c.conn);
  } catch (err) {
    run.log.warn({ err }, 'probe failed unexpectedly');
    return run.finish('error', err instanceof Error ? err.message : String(err));
  } finally {
    c.conn.close();
  }
}

/**
 * The generic banner grab every text and greeting probe uses: connect,
 * optionally send, read until the reply is complete, the peer goes idle or
 * closes, or BANNER_LIMIT is reached. Silence becomes a status here;
 * `interpret` only sees bytes (and the connection, to say more or goodbye).
 */
export function grabBanner(
  run: ProbeRun,
  ctx: ProbeContext,
  opts: ReadOptions & { send?: Uint8Array | string },
  interpret: (read: ReadOutcome, conn: TcpConn) => ProbeResult | Promise<ProbeResult>,
): Promise<ProbeResult> {
  return withTcp(run, ctx, async (conn) => {
    if (opts.send !== undefined) conn.write(opts.send);
    const read = await conn.read(opts);
    if (read.bytes.length === 0) {
      const s = silentStatus(read);
      return run.finish(s.status, s.error);
    }
    return interpret(read, conn);
  });
}
