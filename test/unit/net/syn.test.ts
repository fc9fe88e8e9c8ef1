// The SYN scanner without raw sockets: a simulated network answers its probes
// (SYN-ACK, RST, ICMP unreachable, silence, dropped first replies, forged
// replies), and fast-check throws hostile bytes at the reply reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildTcp, checksum, createSynScanner, emptyReply, readCaptured, readSynReply, synCookie,
  SYN_CLOSED, SYN_FILTERED, SYN_OPEN, SYN_UNREACHABLE, type PacketTransport,
} from '../../../agent/net/index.ts';
import { createRateLimiter } from '../../../agent/scan/limits.ts';
import { icmp, ipv4 } from '../os/packet-builder.ts';

const US = '198.18.0.1';
const quad = (a: string) => a.split('.').map(Number);

type Behaviour = 'open' | 'closed' | 'silent' | 'icmp-port' | 'icmp-host' | 'icmp-admin';

interface SimOptions {
  /** Port behaviour per "ip:port"; anything else is closed. */
  ports: Record<string, Behaviour>;
  /** Drops the reply to this many first sends of each "ip:port" listed. */
  dropFirst?: Record<string, number>;
  /** Also answer every probe with a forged RST acknowledging the wrong number. */
  forge?: boolean;
  hostsDown?: string[];
}

function simulated(o: SimOptions) {
  const borrowers: Array<(d: Uint8Array) => void> = [];
  const sent: Array<{ dst: string; port: number; seq: number; at: number }> = [];
  const count = new Map<string, number>();
  const deliver = (d: Uint8Array) => setImmediate(() => { for (const b of [...borrowers]) b(d); });
  const transport: PacketTransport & { sent: typeof sent; inject(d: Uint8Array): void } = {
    sent,
    inject: (d) => { for (const b of [...borrowers]) b(d); },
    send: async () => undefined,
    onPacket: () => undefined,
    onBorrowed(h) {
      borrowers.push(h);
      return () => borrowers.splice(borrowers.indexOf(h), 1);
    },
    sendNow(datagram, dst) {
      const p = readCaptured(new Uint8Array(datagram));
      assert.ok(p && p.kind === 'tcp', 'the scanner sends TCP');
      // Every probe leaves with valid checksums: IP header and TCP over the pseudo-header.
      assert.equal(checksum(datagram, 0, 20), 0);
      const pseudo = new Uint8Array(12 + datagram.length - 20);
      pseudo.set(datagram.subarray(12, 20), 0);
      pseudo[9] = 6;
      pseudo[10] = (datagram.length - 20) >> 8;
      pseudo[11] = (datagram.length - 20) & 0xff;
      pseudo.set(datagram.subarray(20), 12);
      assert.equal(checksum(pseudo), 0);
      assert.equal(p.tcp.flags, 0x02);
      assert.equal(p.ip.dst, dst);
      const key = `${dst}:${p.tcp.dstPort}`;
      const n = count.get(key) ?? 0;
      count.set(key, n + 1);
      sent.push({ dst, port: p.tcp.dstPort, seq: p.tcp.seq, at: performance.now() });
      if (o.hostsDown?.includes(dst)) return true;
      if (o.forge) deliver(buildTcp({ src: dst, dst: p.ip.src, id: 1, ttl: 64 }, { srcPort: p.tcp.dstPort, dstPort: p.tcp.srcPort, seq: 0, ack: (p.tcp.seq + 2) >>> 0, flags: 0x14, window: 0 }));
      if (n < (o.dropFirst?.[key] ?? 0)) return true;
      const behaviour = o.ports[key] ?? 'closed';
      const ip = { src: dst, dst: p.ip.src, id: 7, ttl: 64 };
      const tcp = { srcPort: p.tcp.dstPort, dstPort: p.tcp.srcPort, seq: 1000, ack: (p.tcp.seq + 1) >>> 0, window: 0 };
      if (behaviour === 'open') deliver(buildTcp(ip, { ...tcp, flags: 0x12, window: 64240 }));
      else if (behaviour === 'closed') deliver(buildTcp(ip, { ...tcp, seq: 0, flags: 0x14 }));
      else if (behaviour.startsWith('icmp')) {
        const code = behaviour === 'icmp-port' ? 3 : behaviour === 'icmp-host' ? 1 : 13;
        deliver(ipv4(1, icmp(3, code, 0, datagram.subarray(0, 28)), { src: quad(dst), dst: quad(p.ip.src) }));
      }
      return true;
    },
    close: () => undefined,
  };
  return transport;
}

const scanner = (t: PacketTransport, extra: { tries?: number; rate?: number } = {}) => {
  const s = createSynScanner(t, { limiter: createRateLimiter(extra.rate ?? 1_000_000), tries: extra.tries ?? 3, minWaitMs: 20, maxWaitMs: 60, source: async () => US });
  assert.ok(s);
  return s;
};

describe('the SYN scanner', () => {
  it('tells open, closed, filtered and unreachable ports apart', async () => {
    const net = simulated({
      ports: { '198.18.5.1:22': 'open', '198.18.5.1:80': 'open', '198.18.5.1:81': 'silent', '198.18.5.1:82': 'icmp-port', '198.18.5.1:83': 'icmp-host', '198.18.5.1:84': 'icmp-admin' },
    });
    const s = scanner(net);
    const ports = [21, 22, 80, 81, 82, 83, 84];
    const states = await s.scan('198.18.5.1', ports);
    assert.deepEqual([...states], [SYN_CLOSED, SYN_OPEN, SYN_OPEN, SYN_FILTERED, SYN_FILTERED, SYN_UNREACHABLE, SYN_FILTERED]);
    // Only the silent port was sent again, and as often as allowed.
    assert.equal(net.sent.filter((p) => p.port === 81).length, 3);
    assert.equal(net.sent.filter((p) => p.port !== 81).length, 6);
    assert.equal(s.stats.retransmitted, 2);
    s.close();
  });

  it('sends unanswered probes again, so a lost SYN-ACK does not lose an open port', async () => {
    const net = simulated({ ports: { '198.18.5.2:443': 'open', '198.18.5.2:8443': 'open' }, dropFirst: { '198.18.5.2:443': 1, '198.18.5.2:8443': 2 } });
    const s = scanner(net);
    const states = await s.scan('198.18.5.2', [443, 8443, 9000]);
    assert.deepEqual([...states], [SYN_OPEN, SYN_OPEN, SYN_CLOSED]);
    assert.equal(net.sent.filter((p) => p.port === 8443).length, 3);
    s.close();
  });

  it('accepts only replies that acknowledge its keyed sequence number', async () => {
    // Each probe draws a forged RST first (wrong acknowledgement): the real SYN-ACK still decides.
    const net = simulated({ ports: { '198.18.5.3:22': 'open' }, forge: true });
    const s = scanner(net);
    assert.deepEqual([...(await s.scan('198.18.5.3', [22, 23]))], [SYN_OPEN, SYN_CLOSED]);
    // Sequence numbers differ per port and per scanner key.
    const seqs = new Set(net.sent.map((p) => p.seq));
    assert.equal(seqs.size, 2);
    assert.notEqual(synCookie(1, 2, 0xc6120503, 22), synCookie(1, 3, 0xc6120503, 22));
    s.close();
  });

  it('scans many hosts at once, a silent one ending filtered after its retries', async () => {
    const hosts = Array.from({ length: 20 }, (_, i) => `198.18.6.${i + 1}`);
    const ports: Record<string, Behaviour> = {};
    for (const h of hosts) ports[`${h}:80`] = 'open';
    const net = simulated({ ports, hostsDown: ['198.18.6.7'] });
    const s = scanner(net);
    const list = Array.from({ length: 50 }, (_, i) => 60 + i);
    const all = await Promise.all(hosts.map((h) => s.scan(h, list)));
    for (const [i, states] of all.entries()) {
      if (hosts[i] === '198.18.6.7') assert.ok(states.every((x) => x === SYN_FILTERED));
      else assert.deepEqual([...states].map((x, j) => (x === SYN_OPEN ? list[j] : undefined)).filter(Boolean), [80]);
    }
    assert.equal(net.sent.filter((p) => p.dst === '198.18.6.7').length, 150);
    assert.equal(net.sent.length, 19 * 50 + 150);
    s.close();
  });

  it('keeps to the packet rate it is given', async () => {
    const net = simulated({ ports: {} });
    const s = scanner(net, { rate: 2000 });
    const started = performance.now();
    await s.scan('198.18.5.9', Array.from({ length: 200 }, (_, i) => 1000 + i));
    // 200 packets at 2,000/s: the first 40 may go at once (the bucket's burst), the rest take 80 ms or more.
    const spread = net.sent.at(-1)!.at - net.sent[0]!.at;
    assert.ok(spread >= 75, `200 packets went out in ${spread.toFixed(1)} ms`);
    assert.ok(performance.now() - started >= 75);
    s.close();
  });

  it('resolves on abort and on close with what it has', async () => {
    const net = simulated({ ports: {}, hostsDown: ['198.18.5.4'] });
    const s = createSynScanner(net, { limiter: createRateLimiter(1_000_000), minWaitMs: 5000, maxWaitMs: 5000, source: async () => US })!;
    const ac = new AbortController();
    const pending = s.scan('198.18.5.4', [1, 2, 3], ac.signal);
    setTimeout(() => ac.abort(), 20);
    assert.deepEqual([...(await pending)], [SYN_FILTERED, SYN_FILTERED, SYN_FILTERED]);
    const other = s.scan('198.18.5.4', [4]);
    setTimeout(() => s.close(), 20);
    assert.deepEqual([...(await other)], [SYN_FILTERED]);
  });

  it('is unavailable on a transport that cannot send synchronously', () => {
    const t: PacketTransport = { send: async () => undefined, onPacket: () => undefined, close: () => undefined };
    assert.equal(createSynScanner(t, { limiter: createRateLimiter(10) }), undefined);
  });
});

describe('reading SYN-scan replies', () => {
  it('reads a SYN-ACK and the SYN an ICMP unreachable quotes', () => {
    const synAck = buildTcp({ src: '198.18.5.1', dst: US, id: 1, ttl: 64 }, { srcPort: 22, dstPort: 40000, seq: 5, ack: 0xdeadbeef, flags: 0x12, window: 100 });
    const r = readSynReply(synAck, emptyReply());
    assert.deepEqual({ ...r }, { kind: 'tcp', src: 0xc6120501, dst: 0xc6120001, srcPort: 22, dstPort: 40000, seq: 5, ack: 0xdeadbeef, flags: 0x12, icmpType: 0, icmpCode: 0 });
    const syn = buildTcp({ src: US, dst: '198.18.5.1', id: 1, ttl: 64 }, { srcPort: 40000, dstPort: 81, seq: 0x01020304, ack: 0, flags: 0x02, window: 1024 });
    const unreachable = ipv4(1, icmp(3, 13, 0, syn.subarray(0, 28)), { src: [198, 18, 9, 9], dst: [198, 18, 0, 1] });
    const q = readSynReply(unreachable, emptyReply());
    assert.equal(q.kind, 'icmp');
    assert.deepEqual([q.src, q.dst, q.srcPort, q.dstPort, q.seq, q.icmpCode], [0xc6120001, 0xc6120501, 40000, 81, 0x01020304, 13]);
    // Truncated quote, a later fragment, an echo reply: nothing to read.
    assert.equal(readSynReply(unreachable.subarray(0, unreachable.length - 1), emptyReply()).kind, '');
    const fragment = new Uint8Array(synAck);
    fragment[7] = 8;
    assert.equal(readSynReply(fragment, emptyReply()).kind, '');
    assert.equal(readSynReply(ipv4(1, icmp(0, 0, 0)), emptyReply()).kind, '');
  });

  it('never throws or reads past the bytes on arbitrary input', () => {
    const out = emptyReply();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      // The header's claims about lengths are hostile too: bias towards IPv4 with random IHL.
      if (bytes.length > 0 && bytes[0]! % 3 === 0) bytes[0] = 0x40 | (bytes[0]! & 0x0f);
      const r = readSynReply(bytes, out);
      assert.ok(['', 'tcp', 'icmp'].includes(r.kind));
      if (r.kind === 'tcp') assert.ok(bytes.length >= ((bytes[0]! & 0x0f) * 4) + 20);
      for (const v of [r.src, r.dst, r.seq, r.ack]) assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
      for (const v of [r.srcPort, r.dstPort]) assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffff);
    }), { numRuns: 5000 });
  });

  it('reads back whatever TCP segment it is given', () => {
    fc.assert(fc.property(
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
      fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 255 }),
      ([a, b], sp, dp, seq, ack, flags) => {
        const ip = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        const d = buildTcp({ src: ip(a), dst: ip(b), id: 0, ttl: 64 }, { srcPort: sp, dstPort: dp, seq, ack, flags, window: 0 });
        const r = readSynReply(d, emptyReply());
        assert.deepEqual([r.kind, r.src, r.dst, r.srcPort, r.dstPort, r.seq, r.ack, r.flags], ['tcp', a, b, sp, dp, seq, ack, flags]);
      },
    ));
  });

  it('survives hostile datagrams arriving during a scan', async () => {
    const net = simulated({ ports: { '198.18.5.5:22': 'open' } });
    const s = scanner(net);
    const pending = s.scan('198.18.5.5', [22, 23]);
    // Through the same path as real captures, before and between the real replies.
    for (const junk of fc.sample(fc.uint8Array({ maxLength: 80 }), 300)) net.inject(junk);
    assert.deepEqual([...(await pending)], [SYN_OPEN, SYN_CLOSED]);
    s.close();
  });
});
