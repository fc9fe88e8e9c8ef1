// One UDP request/response exchange for probes: send a datagram, wait for the first answer from the target.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ProbeContext, ProbeResult, ProbeStatus } from '../../../shared/types.ts';
import { statusFromError, type ProbeRun } from './run.ts';

export type UdpOutcome = { ok: true; reply: Buffer; replies: Buffer[] } | { ok: false; status: ProbeStatus; error: string; replies: Buffer[] };

export interface UdpOptions {
  /** Replies that do not answer this request (wrong id, stray datagrams) are skipped when this says false. */
  accept?: (reply: Buffer) => boolean;
  /** For answers spread over several datagrams: true once the accepted ones are the whole answer. */
  done?: (replies: Buffer[]) => boolean;
}

/**
 * The socket is connected to ip:port, so only the target's datagrams are
 * delivered and an ICMP port-unreachable surfaces as `refused`.
 */
export function udpExchange(ip: string, port: number, request: Uint8Array, ctx: ProbeContext, opts: UdpOptions = {}): Promise<UdpOutcome> {
  const family = net.isIP(ip);
  if (family === 0) return Promise.resolve({ ok: false, status: 'error', error: `not an IP address: ${ip}`, replies: [] });
  if (ctx.signal?.aborted) return Promise.resolve({ ok: false, status: 'error', error: 'aborted', replies: [] });
  const replies: Buffer[] = [];
  return new Promise((resolve) => {
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const timer = setTimeout(() => done({ ok: false, status: 'timeout', error: `no ${replies.length ? 'complete ' : ''}answer within ${ctx.timeoutMs} ms`, replies }), ctx.timeoutMs);
    const onAbort = () => done({ ok: false, status: 'error', error: 'aborted', replies });
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    function done(r: UdpOutcome) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(r);
    }
    socket.on('error', (err) => done({ ok: false, ...statusFromError(err), replies }));
    socket.on('message', (msg) => {
      if (opts.accept && !opts.accept(msg)) return;
      if (replies.length >= 64) return;
      replies.push(msg);
      if (!opts.done || opts.done(replies)) done({ ok: true, reply: replies[0]!, replies });
    });
    socket.connect(port, ip, () => {
      socket.send(request, (err) => {
        if (err) done({ ok: false, ...statusFromError(err), replies });
      });
    });
  });
}

/** Refuses out-of-scope targets (`blocked`) and turns an unexpected exception into the `error` status. */
export async function guarded(run: ProbeRun, ctx: ProbeContext, body: () => Promise<ProbeResult>): Promise<ProbeResult> {
  const blocked = run.blocked(ctx);
  if (blocked) return blocked;
  try {
    return await body();
  } catch (err) {
    run.log.warn({ err }, 'probe failed unexpectedly');
    return run.finish('error', err instanceof Error ? err.message : String(err));
  }
}
