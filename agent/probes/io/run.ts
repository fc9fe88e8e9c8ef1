// One probe run: its facts, raw bytes, timing and the closed status envelope it ends with.
import { isIP } from 'node:net';
import type { Logger } from '../../../shared/logging.ts';
import { componentLogger } from '../../../shared/logging.ts';
import type { ProbeContext, ProbeResult, ProbeStatus, Target } from '../../../shared/types.ts';

export interface ProbeRun {
  readonly target: Target;
  readonly port: number;
  readonly log: Logger;
  readonly facts: Record<string, string>;
  readonly raw: Record<string, string>;
  /** Records a fact and, beside it, the untouched bytes it was read from. */
  fact(key: string, value: string | undefined, rawBytes?: Uint8Array): void;
  rawOnly(key: string, bytes: Uint8Array): void;
  finish(status: ProbeStatus, error?: string): ProbeResult;
  /** Calls ctx.checkTarget; a refusal becomes the `blocked` envelope instead of an exception. */
  blocked(ctx: ProbeContext): ProbeResult | undefined;
}

export function startRun(probe: string, target: Target, transport: 'tcp' | 'udp', defaultPort: number): ProbeRun {
  const started = Date.now();
  const port = target.port ?? defaultPort;
  const where: Target = { ip: target.ip, port, transport };
  const log = componentLogger('probe', { probe });
  const facts: Record<string, string> = {};
  const raw: Record<string, string> = {};
  const run: ProbeRun = {
    target: where,
    port,
    log,
    facts,
    raw,
    fact(key, value, rawBytes) {
      if (value === undefined) return;
      facts[key] = value;
      if (rawBytes) raw[key] = Buffer.from(rawBytes.buffer, rawBytes.byteOffset, rawBytes.byteLength).toString('base64');
    },
    rawOnly(key, bytes) {
      raw[key] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    },
    finish(status, error) {
      const result: ProbeResult = {
        probe,
        target: where,
        status,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
      };
      if (Object.keys(facts).length > 0) result.facts = facts;
      if (Object.keys(raw).length > 0) result.raw = raw;
      if (error !== undefined) result.error = error;
      // Banners are untrusted: they stay values (the keys are ours), never log keys.
      log.debug({ ip: where.ip, port, status, error, facts: Object.keys(facts) }, 'probe finished');
      return result;
    },
    blocked(ctx) {
      // Probes take IP literals only: a name would mean a resolver query leaving the machine.
      if (isIP(where.ip) === 0) return run.finish('error', `not an IP address: ${where.ip}`);
      try {
        ctx.checkTarget?.(where.ip);
        return undefined;
      } catch (err) {
        return run.finish('blocked', err instanceof Error ? err.message : String(err));
      }
    },
  };
  return run;
}

/** Maps a socket error to the closed status set; the message is kept for the envelope. */
export function statusFromError(err: unknown): { status: ProbeStatus; error: string } {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return { status: 'refused', error: message };
    case 'ETIMEDOUT':
      return { status: 'timeout', error: message };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return { status: 'unreachable', error: message };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'EPROTO':
      return { status: 'protocol-error', error: message };
    default:
      // TLS alerts and handshake failures: the peer is there but does not speak what we asked for.
      if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) return { status: 'protocol-error', error: message };
      return { status: 'error', error: message };
  }
}
