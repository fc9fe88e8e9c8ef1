import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { computeOsFingerprint, type OsScanEvidence } from '../../../collector/fingerprint/os/index.ts';
import { buildProbe, readCaptured, readIpHeader, readTcpOptions, tcpOptionBytes, type RoundValues } from '../../../agent/net/index.ts';
import { b64, hexBytes, icmp, ipv4, tcpPacket, u1Probe, udp } from '../os/packet-builder.ts';

// A SYN/ACK as Linux sends it: MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const SYN_ACK = tcpPacket(
  { srcPort: 80, dstPort: 45000, seq: 0x01020304, ack: 0x11223345, flags: 0x12, window: 0xfe88, options: hexBytes('020405B40402080A0001E24000000000' + '01030307') },
  { df: true, ttl: 64, id: 0 },
);

describe('reading captured datagrams', () => {
  it('reads the addresses, ports and numbers of a TCP reply', () => {
    const p = readCaptured(SYN_ACK);
    assert.ok(p && p.kind === 'tcp');
    assert.equal(p.ip.src, '198.18.0.2');
    assert.equal(p.ip.dst, '198.18.0.1');
    assert.deepEqual(p.tcp, { srcPort: 80, dstPort: 45000, seq: 0x01020304, ack: 0x11223345, flags: 0x12 });
  });

  it('reads an echo reply\'s id and sequence number', () => {
    const p = readCaptured(ipv4(1, icmp(0, 9, (0x4321 << 16) | 295, new Uint8Array(120)), { ttl: 64 }));
    assert.ok(p && p.kind === 'echo-reply');
    assert.equal(p.id, 0x4321);
    assert.equal(p.sequence, 295);
    assert.equal(p.code, 9);
  });

  it('reads the addresses and ports an ICMP port unreachable quotes', () => {
    const p = readCaptured(ipv4(1, icmp(3, 3, 0, u1Probe()), { ttl: 64 }));
    assert.ok(p && p.kind === 'icmp-error');
    assert.deepEqual(p.quoted, { src: '198.18.0.2', dst: '198.18.0.1', protocol: 17, srcPort: 51000, dstPort: 38358 });
  });

  it('does not trust a quote shorter than an IP header plus 8 bytes', () => {
    const quote = u1Probe().subarray(0, 27);
    const p = readCaptured(ipv4(1, icmp(3, 3, 0, quote)));
    assert.equal(p?.kind, 'other');
    // A quoted header whose IHL claims more than was quoted.
    const lying = new Uint8Array(u1Probe().subarray(0, 28));
    lying[0] = 0x4f;
    assert.equal(readCaptured(ipv4(1, icmp(3, 3, 0, lying)))?.kind, 'other');
  });

  it('rejects what is not IPv4, a header longer than the capture, and a TCP data offset past the end', () => {
    assert.equal(readCaptured(new Uint8Array([0x60, ...new Uint8Array(39)])), undefined);
    assert.equal(readCaptured(SYN_ACK.subarray(0, 19)), undefined);
    const ihl = new Uint8Array(SYN_ACK);
    ihl[0] = 0x4f;
    assert.equal(readCaptured(ihl.subarray(0, 50)), undefined);
    const offset = new Uint8Array(SYN_ACK);
    offset[20 + 12] = 0xf0;
    assert.equal(readCaptured(offset), undefined);
    const short = new Uint8Array(SYN_ACK);
    short[20 + 12] = 0x40; // data offset 16 bytes < 20
    assert.equal(readCaptured(short), undefined);
  });

  it('reads every probe Sextant sends back as what it is', () => {
    const v: RoundValues = { seqBase: 1, ackConst: 2, icmpId: 3, udpTtl: 55 };
    const a = { src: '127.0.0.1', dst: '127.0.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 2 };
    assert.equal(readCaptured(buildProbe('SEQ1', v, a, 40000))?.kind, 'tcp');
    assert.equal(readCaptured(buildProbe('U1', v, a, 40000))?.kind, 'other');
    assert.equal(readIpHeader(buildProbe('IE1', v, a, 0))?.protocol, 1);
  });

  it('never throws on random bytes, and never reads past them', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      const p = readCaptured(bytes);
      if (p) assert.ok(p.ip.headerLength <= bytes.length);
    }), { numRuns: 3000 });
  });

  it('never throws on valid replies with random bytes overwritten', () => {
    const seeds = [SYN_ACK, ipv4(1, icmp(3, 3, 0, u1Probe())), ipv4(1, icmp(0, 0, 7, new Uint8Array(16)))];
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(400), (seed, edits, cut) => {
      const b = new Uint8Array(seed);
      for (const [at, v] of edits) if (at < b.length) b[at] = v;
      readCaptured(b.subarray(0, Math.min(b.length, cut)));
      readCaptured(b);
      tcpOptionBytes(b);
    }), { numRuns: 3000 });
  });
});

describe('walking TCP options', () => {
  it('skips unknown options by their length byte and keeps the known ones in order', () => {
    // MSS, an unknown kind 30 of length 6, NOP, window scale 7, EOL.
    const { options, malformed } = readTcpOptions(hexBytes('020405B4 1E06AABBCCDD 01 030307 00'.replace(/ /g, '')));
    assert.equal(malformed, false);
    assert.deepEqual(options.map((o) => o.kind), [2, 30, 1, 3, 0]);
    assert.deepEqual([...options[1]!.data], [0xaa, 0xbb, 0xcc, 0xdd]);
  });

  it('stops at a length below 2 or past the end instead of looping or over-reading', () => {
    assert.deepEqual(readTcpOptions(hexBytes('01 1E00 0101'.replace(/ /g, ''))), { options: [{ kind: 1, data: new Uint8Array(0) }], malformed: true });
    assert.equal(readTcpOptions(hexBytes('1E01')).malformed, true);
    assert.equal(readTcpOptions(hexBytes('080AFFFF')).malformed, true);
    assert.equal(readTcpOptions(hexBytes('02')).malformed, true);
  });

  it('reads the option bytes of a captured segment', () => {
    assert.equal(Buffer.from(tcpOptionBytes(SYN_ACK)).toString('hex'), '020405b40402080a0001e2400000000001030307');
  });

  it('terminates on any option bytes, with every option inside them', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const { options } = readTcpOptions(bytes);
      const used = options.reduce((n, o) => n + (o.kind <= 1 ? 1 : o.data.length + 2), 0);
      assert.ok(used <= bytes.length);
    }), { numRuns: 3000 });
  });
});

describe('hostile replies in OS evidence', () => {
  it('never make the collector\'s fingerprint computation throw', () => {
    const v: RoundValues = { seqBase: 0x1000, ackConst: 0x2000, icmpId: 9, udpTtl: 55 };
    const a = { src: '198.18.0.1', dst: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 38358 };
    const names = ['SEQ1', 'SEQ2', 'SEQ3', 'SEQ4', 'SEQ5', 'SEQ6', 'IE1', 'IE2', 'U1', 'ECN', 'T2', 'T5', 'T7'] as const;
    const sent = names.map((name, i) => ({ name, bytes: buildProbe(name, v, a, 45000 + i, name === 'IE2' ? 10 : 9) }));
    const replySeeds = [SYN_ACK, ipv4(1, icmp(3, 3, 0, u1Probe())), ipv4(1, icmp(0, 9, (9 << 16) | 295, new Uint8Array(120))), ipv4(17, udp(1, 2, 3, new Uint8Array(4)))];
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(names.length - 1), fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(...replySeeds)), fc.array(fc.tuple(fc.nat(120), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })), { maxLength: 20 }),
      (replies) => {
        const evidence: OsScanEvidence = {
          openTcpPort: 80,
          closedTcpPort: 1,
          probes: sent.map((s, i) => ({ name: s.name, sentAt: String(1_000_000_000n + BigInt(i) * 100_000_000n), sent: b64(s.bytes), replies: [] as Array<{ at: string; packet: string }> })),
        };
        replies.forEach(([to, seed, edits], k) => {
          const b = new Uint8Array(seed);
          for (const [at, val] of edits) if (at < b.length) b[at] = val;
          evidence.probes[to]!.replies.push({ at: String(2_000_000_000n + BigInt(k)), packet: b64(b) });
        });
        computeOsFingerprint(evidence);
      },
    ), { numRuns: 1500 });
  });
});
