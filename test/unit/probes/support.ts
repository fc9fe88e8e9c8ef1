// Test support for the probe tests: fixtures, a loopback-only target guard, and tiny servers on 127.0.0.1.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import { join } from 'node:path';
import type { ProbeContext } from '../../../shared/types.ts';
import { REPO } from '../../helpers/recog.ts';

export const FIXTURES = join(REPO, 'test/fixtures');

export function fixture(path: string): Buffer {
  return readFileSync(join(FIXTURES, path));
}

/** network-safety.md: tests send only to 127.0.0.0/8 and ::1. Throws for anything else. */
export function loopbackOnly(ip: string): void {
  if (ip === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)) return;
  throw new Error(`test guard: ${ip} is not a loopback address`);
}

export function ctx(timeoutMs = 2000): ProbeContext {
  return { timeoutMs, checkTarget: loopbackOnly };
}

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that runs `serve` for each connection. */
export async function tcpServer(serve: (socket: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    serve(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Sends the greeting on connect; answers each chunk the client sends with the next reply (if any). */
export function scripted(greeting: Uint8Array | string | undefined, replies: Array<Uint8Array | string> = [], closeAfter = false) {
  return (s: net.Socket) => {
    if (greeting !== undefined) s.write(greeting);
    let i = 0;
    s.on('data', () => {
      const r = replies[i++];
      if (r !== undefined) s.write(r, () => {
        if (closeAfter && i >= replies.length) s.end();
      });
    });
  };
}

/** A UDP server on 127.0.0.1 answering each datagram with what `answer` returns. */
export async function udpServer(answer: (msg: Buffer) => Buffer[] | undefined): Promise<TestServer> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    for (const reply of answer(msg) ?? []) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  return { port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await tcpServer(() => {});
  await s.close();
  return s.port;
}
