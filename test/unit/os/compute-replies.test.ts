// The subject print computed from hand-built reply packets: ECN, T2–T7, U1,
// IE, TTLs, round quality and hostile input (nmap-os-detection.md §2.4–2.8, §3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { computeOsFingerprint, formatSubjectFingerprint, scanTest } from '../../../collector/fingerprint/os/index.ts';
import { SextantError } from '../../../shared/errors.ts';
import { ACK, CWR, ECE, FIN, RST, SYN, compute, linuxRound, seqSynAck, testText, u1Reply, value, type Round } from './linux-round.ts';
import { ACK_CONST, CLOSED_UDP, OPEN, PORT_BASE, SEQ_BASE, UDP_TTL, b64, evidence, hexBytes, icmp, ipv4, record, tcpPacket, u1Probe, type IpFields, type TcpFields } from './packet-builder.ts';

describe('subject print from probe evidence, per reply', () => {
  describe('ECN and T2–T7', () => {
    const tReply = (t: TcpFields, ip: IpFields = { df: true }) => [record('T3', 725, [[tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + 15, ...t }, ip), 726]])];
    const t3 = (t: TcpFields, ip?: IpFields) => testText(compute(linuxRound({ omit: ['T3'], extra: tReply(t, ip) })).fingerprint, 'T3');

    it('writes S as Z, A, A+ or O against the probe acknowledgment number', () => {
      assert.match(t3({ seq: 0 }), /%S=Z%/);
      assert.match(t3({ seq: ACK_CONST }), /%S=A%/);
      assert.match(t3({ seq: ACK_CONST + 1 }), /%S=A\+%/);
      assert.match(t3({ seq: 12345 }), /%S=O%/);
    });

    it('writes A as Z, S, S+ or O against the probe sequence number', () => {
      assert.match(t3({ ack: 0 }), /%A=Z%/);
      assert.match(t3({ ack: SEQ_BASE }), /%A=S%/);
      assert.match(t3({ ack: SEQ_BASE + 1 }), /%A=S\+%/);
      assert.match(t3({ ack: 99 }), /%A=O%/);
    });

    it('writes flags in the order E U A P R S F, without CWR', () => {
      assert.match(t3({ flags: 0xff }), /%F=EUAPRSF%/);
      assert.match(t3({ flags: CWR }), /%F=%/);
      assert.match(t3({ flags: SYN | FIN | ACK }), /%F=ASF%/);
    });

    it('writes W in hex, O from the options, DF and the TTL', () => {
      assert.equal(
        t3({ window: 0x2000, flags: SYN | ACK, options: hexBytes('0204 0218 0101 0402 0303 08 00').subarray(0, 12) }, { df: false, ttl: 120 }),
        'T3(R=Y%DF=N%T=78%W=2000%S=Z%A=Z%F=AS%O=M218NNSW8L%RD=0%Q=)',
      );
    });

    it('writes RD as the CRC-32 of a RST payload, zero-padded', () => {
      // zlib CRC-32 of "abc" is 352441C2; of "\0" it is D202EF8D.
      assert.match(t3({ flags: RST, payload: new TextEncoder().encode('abc') }), /%RD=352441C2%/);
      assert.match(t3({ flags: RST, payload: Uint8Array.of(0) }), /%RD=D202EF8D%/);
      assert.match(t3({ flags: ACK, payload: new TextEncoder().encode('abc') }), /%RD=0%/, 'only for RST');
    });

    it('writes Q as R for reserved bits and U for an urgent pointer without URG', () => {
      assert.match(t3({ reserved: 8 }), /%Q=R\)$/);
      assert.match(t3({ urgent: 5 }), /%Q=U\)$/);
      assert.match(t3({ reserved: 1, urgent: 5 }), /%Q=RU\)$/);
      assert.match(t3({ urgent: 5, flags: 0x20 }), /%Q=\)$/);
    });

    it('writes ECN CC as Y, S, N or O', () => {
      const cc = (flags: number) => {
        const ecn = record('ECN', 675, [[tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + 12, flags: SYN | ACK | flags }), 676]]);
        return value(compute(linuxRound({ omit: ['ECN'], extra: [ecn] })).fingerprint, 'ECN', 'CC');
      };
      assert.equal(cc(ECE), 'Y');
      assert.equal(cc(ECE | CWR), 'S');
      assert.equal(cc(0), 'N');
      assert.equal(cc(CWR), 'O');
    });

    it('writes R=N for silent probes only where Nmap would', () => {
      const silent = compute(linuxRound({ omit: ['ECN', 'T4', 'T5', 'T6', 'T7'] }), { closedTcpPort: undefined }).fingerprint;
      assert.equal(testText(silent, 'ECN'), 'ECN(R=N)');
      assert.equal(testText(silent, 'T4'), 'T4(R=N)');
      assert.equal(testText(silent, 'T5'), '', 'a guessed closed port that stays silent gives no line');
      const noOpen = compute(linuxRound({ seqReply: () => undefined, omit: ['ECN', 'T4'] }), { openTcpPort: undefined }).fingerprint;
      assert.deepEqual(noOpen.tests.map((t) => t.name), ['SEQ', 'T5', 'T6', 'T7', 'U1', 'IE']);
    });
  });

  describe('U1, IE and TTLs', () => {
    const u1 = (reply: Uint8Array | undefined) => testText(compute(linuxRound({ u1: reply })).fingerprint, 'U1');

    it('checks what the port unreachable quotes of the UDP probe', () => {
      assert.equal(u1(u1Reply(64)), 'U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)');
      const mangled = u1Reply(64, UDP_TTL, (q) => {
        q[2] = 0x01; q[3] = 0x50; // total length 336
        q[4] = 0x12; q[5] = 0x34; // IP ID
        q[26] = 0xab; q[27] = 0xcd; // UDP checksum
        q[100] = 0x44; // payload byte
      });
      assert.equal(u1(mangled), 'U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=150%RID=1234%RIPCK=I%RUCK=ABCD%RUD=I)');
      assert.match(u1(u1Reply(64, UDP_TTL, (q) => { q[10] = 0; q[11] = 0; })), /%RIPCK=Z%/);
    });

    it('reads IPL from the reply, UN from the unused field (low 16 bits) and RUD up to the reply length', () => {
      const quoted = u1Probe().subarray(0, 28 + 8);
      const short = ipv4(1, icmp(3, 3, 0x12345678, quoted), { ttl: 64, df: true });
      assert.equal(u1(short), 'U1(R=Y%DF=Y%T=40%IPL=40%UN=5678%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)');
    });

    it('ignores port unreachables that quote other ports, and writes R=N without a reply', () => {
      const other = u1Reply(64, UDP_TTL, (q) => { q[20] = 0; q[21] = 1; });
      assert.equal(u1(other), 'U1(R=N)');
      assert.equal(u1(undefined), 'U1(R=N)');
    });

    it('turns received TTLs into initial TTLs with the U1 hop count, or into TG guesses without it', () => {
      // Three hops: our TTL 55 arrives as 53; replies leave at 128 and arrive at 126.
      const far = compute(linuxRound({ replyTtl: 126, u1: u1Reply(126, UDP_TTL - 2) }));
      assert.equal(far.distance, 3);
      assert.equal(value(far.fingerprint, 'T4', 'T'), '80');
      assert.equal(value(far.fingerprint, 'IE', 'T'), '80');
      const guessed = compute(linuxRound({ replyTtl: 250, u1: undefined }));
      assert.equal(guessed.distance, undefined);
      assert.equal(value(guessed.fingerprint, 'T4', 'T'), undefined);
      assert.equal(value(guessed.fingerprint, 'T4', 'TG'), 'FF');
      for (const [ttl, tg] of [[30, '20'], [33, '40'], [64, '40'], [100, '80'], [129, 'FF']] as const) {
        assert.equal(value(compute(linuxRound({ replyTtl: ttl, u1: undefined })).fingerprint, 'ECN', 'TG'), tg);
      }
    });

    it('writes IE DFI and CD from both echo replies, and R=N when only one came', () => {
      const ie = (r: Partial<Round>) => testText(compute(linuxRound(r)).fingerprint, 'IE');
      assert.equal(ie({ ieDf: [true, true] }), 'IE(R=Y%DFI=Y%T=40%CD=S)');
      assert.equal(ie({ ieDf: [true, false] }), 'IE(R=Y%DFI=S%T=40%CD=S)');
      assert.equal(ie({ ieDf: [false, true] }), 'IE(R=Y%DFI=O%T=40%CD=S)');
      assert.equal(ie({ ieCodes: [0, 0] }), 'IE(R=Y%DFI=N%T=40%CD=Z)');
      assert.equal(ie({ ieCodes: [7, 7] }), 'IE(R=Y%DFI=N%T=40%CD=7)');
      assert.equal(ie({ ieCodes: [0, 9] }), 'IE(R=Y%DFI=N%T=40%CD=O)');
      assert.equal(ie({ omit: ['IE2'] }), 'IE(R=N)');
    });
  });

  describe('round quality and the SCAN line', () => {
    it('lists why a print is non-ideal', () => {
      const result = compute(linuxRound({ u1: undefined }), { closedTcpPort: undefined });
      assert.deepEqual(result.nonIdealReasons, [
        'Missing a closed TCP port so results incomplete',
        "Didn't receive UDP response. Please try again with -sSU",
      ]);
      const slow = linuxRound().map((p) => (p.name === 'SEQ6' ? record('SEQ6', 800, [[seqSynAck(5, {}, 64), 801]]) : p));
      assert.equal(compute(slow).timingRatio, 1.6);
      assert.match(compute(slow).nonIdealReasons[0]!, /maxTimingRatio \(1\.600000e\+00\) is greater than 1\.4/);
    });

    it('writes the SCAN line in Nmap order', () => {
      const scan = scanTest({ time: 0x6b06d5d0, openTcpPort: OPEN, closedTcpPort: 1, closedUdpPort: CLOSED_UDP, target: '198.18.0.2', distance: 1, distanceMethod: 'D', good: true, mac: 'ba:5f:cb:00:11:22' });
      assert.equal(formatSubjectFingerprint({ tests: [scan] }, { wrap: false }), 'SCAN(V=7.93%E=4%D=11/25%OT=80%CT=1%CU=38358%PV=N%DS=1%DC=D%G=Y%M=BA5FCB%TM=6B06D5D0%P=x86_64-pc-linux-gnu)\n');
      const bare = scanTest({ time: 0x6b06d5d0, target: '192.168.1.9', good: false });
      assert.equal(formatSubjectFingerprint({ tests: [bare] }, { wrap: false }), 'SCAN(V=7.93%E=4%D=11/25%OT=%CT=%CU=%PV=Y%G=N%TM=6B06D5D0%P=x86_64-pc-linux-gnu)\n');
    });
  });

  describe('hostile input', () => {
    it('rejects malformed evidence naming the field', () => {
      const bad = [
        [{ probes: [{ ...record('SEQ1', 0), name: 'SEQ9' }] }, 'probes[0].name'],
        [{ probes: [{ ...record('SEQ1', 0), sentAt: '1.5' }] }, 'probes[0].sentAt'],
        [{ probes: [{ ...record('SEQ1', 0), sent: 'not base64!' }] }, 'probes[0].sent'],
        [{ probes: [{ ...record('SEQ1', 0), replies: [{ at: '1', packet: 7 }] }] }, 'probes[0].replies[0].packet'],
        [{ probes: [], openTcpPort: 70000 }, 'openTcpPort'],
      ] as const;
      for (const [ev, field] of bad) {
        assert.throws(() => computeOsFingerprint(ev as never), (err: unknown) => err instanceof SextantError && err.code === 'OS_EVIDENCE_INVALID' && err.location.field === field);
      }
    });

    it('never throws on random reply bytes, and still writes R=N lines', () => {
      const names = ['SEQ1', 'SEQ2', 'SEQ3', 'SEQ4', 'SEQ5', 'SEQ6', 'OPS1', 'IE1', 'IE2', 'U1', 'ECN', 'T1', 'T2', 'T5', 'T7'] as const;
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom(...names), fc.uint8Array({ maxLength: 120 }), fc.nat(2000)), { maxLength: 20 }), (replies) => {
          const probes = replies.map(([name, bytes, ms]) => ({ ...record(name, ms / 2), replies: [{ at: record(name, ms).sentAt, packet: b64(bytes) }] }));
          const result = computeOsFingerprint(evidence(probes));
          assert.equal(value(result.fingerprint, 'U1', 'R') !== undefined, true);
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on random bytes inside otherwise valid headers', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 60 }), fc.integer({ min: 0, max: 0xff }), (options, flags) => {
          const padded = new Uint8Array(Math.ceil(options.length / 4) * 4);
          padded.set(options);
          const reply = tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + 15, flags, options: padded.subarray(0, 40) }, { totalLength: 5000 });
          const fp = compute(linuxRound({ omit: ['T3'], extra: [record('T3', 725, [[reply, 726]])] })).fingerprint;
          assert.equal(value(fp, 'T3', 'R'), 'Y');
        }),
        { numRuns: 500 },
      );
    });
  });
});

