// The subject print computed from hand-built reply packets: the whole round,
// SEQ, OPS, WIN and T1 (nmap-os-detection.md §2.1–2.3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSubjectFingerprint } from '../../../collector/fingerprint/os/index.ts';
import { ISNS, ACK, RST, SYN, compute, linuxRound, seqSynAck, testText, value } from './linux-round.ts';
import { OPEN, PORT_BASE, SEQ_BASE, hexBytes, record, tcpPacket } from './packet-builder.ts';

describe('subject print from probe evidence', () => {
  it('computes a whole Linux-like round exactly as Nmap prints it', () => {
    const result = compute(linuxRound());
    assert.equal(formatSubjectFingerprint(result.fingerprint, { wrap: false }), [
      'SEQ(SP=1C%GCD=64%ISR=57%TI=Z%CI=Z%II=I%TS=A)',
      'OPS(O1=M5B4ST11NWA%O2=M5B4ST11NWA%O3=M5B4NNT11NWA%O4=M5B4ST11NWA%O5=M5B4ST11NWA%O6=M5B4ST11)',
      'WIN(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%W6=FE88)',
      'ECN(R=Y%DF=Y%T=40%W=FAF0%O=M5B4NNSNWA%CC=Y%Q=)',
      'T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)',
      'T2(R=N)',
      'T3(R=N)',
      'T4(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)',
      'T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)',
      'T6(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)',
      'T7(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)',
      'U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)',
      'IE(R=Y%DFI=N%T=40%CD=S)',
      '',
    ].join('\n'));
    assert.equal(result.distance, 1);
    assert.equal(result.timingRatio, 1);
    assert.deepEqual(result.nonIdealReasons, []);
  });

  describe('SEQ', () => {
    it('gives GCD, ISR and SP 0 for a constant ISN', () => {
      const fp = compute(linuxRound({ isns: Array(6).fill(0x12345678) })).fingerprint;
      assert.equal(testText(fp, 'SEQ'), 'SEQ(SP=0%GCD=0%ISR=0%TI=Z%CI=Z%II=I%TS=A)');
    });

    it('gives SP 0 when the ISN rate is steady, and ISR from its binary logarithm', () => {
      // Steps of 1000 per 100 ms: 10000/s, trunc(8·log2(10000) + 0.5) = 106 (0x6A).
      const fp = compute(linuxRound({ isns: [0, 1, 2, 3, 4, 5].map((i) => 0x20000000 + i * 1000) })).fingerprint;
      assert.equal(value(fp, 'SEQ', 'SP'), '0');
      assert.equal(value(fp, 'SEQ', 'GCD'), '3E8');
      assert.equal(value(fp, 'SEQ', 'ISR'), '6A');
    });

    it('measures ISN steps as the smaller wrap distance', () => {
      // 0xFFFFFFCE → 0x32 is a step of 100 forward, not 2³² − 100.
      const fp = compute(linuxRound({ isns: [0xffffff06, 0xffffff6a, 0xffffffce, 0x32, 0x96, 0xfa] })).fingerprint;
      assert.equal(value(fp, 'SEQ', 'GCD'), '64');
      assert.equal(value(fp, 'SEQ', 'SP'), '0');
    });

    it('leaves out SP, GCD and ISR with fewer than four SYN/ACKs, and treats ISN 0 as missing', () => {
      const three = compute(linuxRound({ seqReply: (i) => (i < 3 ? seqSynAck(i, {}, 64) : undefined) })).fingerprint;
      assert.equal(testText(three, 'SEQ'), 'SEQ(TI=Z%CI=Z%II=I%TS=A)');
      const zeroIsns = compute(linuxRound({ isns: [0, 0, 0, 0x100, 0x200, 0x300] })).fingerprint;
      assert.equal(value(zeroIsns, 'SEQ', 'SP'), undefined);
    });

    it('classifies IP ID sequences: Z, RD, RI, BI, I and constants', () => {
      const ti = (seqIpIds: number[], ieIds: [number, number] = [0, 0]) => value(compute(linuxRound({ seqIpIds, ieIds })).fingerprint, 'SEQ', 'TI');
      assert.equal(ti([0, 0, 0, 0, 0, 0]), 'Z');
      assert.equal(ti([100, 101, 102, 103, 104, 105]), 'I');
      assert.equal(ti([100, 102, 104, 106, 108, 110]), 'I', 'steps of 2');
      assert.equal(ti([100, 356, 612, 868, 1124, 1380]), 'BI');
      assert.equal(ti([100, 5100, 9000, 14000, 20000, 25000]), 'RI');
      assert.equal(ti([100, 40000, 50000, 51000, 52000, 53000]), 'RD');
      // A constant non-zero ID cannot show in TI: each repeat is dropped as a duplicate reply.
      assert.equal(ti([0x2a, 0x2a, 0x2a, 0x2a, 0x2a, 0x2a]), undefined);
      assert.equal(value(compute(linuxRound({ ieIds: [0x2a, 0x2a] })).fingerprint, 'SEQ', 'II'), '2A');
      assert.equal(ti([100, 111, 122, 133, 144, 155]), undefined, 'odd steps above 9 have no class');
      // 7.93 subtracts 16-bit IDs as unsigned 32-bit numbers: a wrap reads as RD.
      assert.equal(ti([65534, 65535, 0, 1, 2, 3]), 'RD');
    });

    it('corrects IP ID steps for our own RSTs when the target is localhost', () => {
      // Steps of 11 have no class; less our RST's ID they are steps of 10: I.
      const seqIpIds = [100, 111, 122, 133, 144, 155];
      assert.equal(value(compute(linuxRound({ seqIpIds })).fingerprint, 'SEQ', 'TI'), undefined);
      assert.equal(value(compute(linuxRound({ seqIpIds }), { localhost: true }).fingerprint, 'SEQ', 'TI'), 'I');
      const steps = [100, 112, 124, 136, 148, 160];
      assert.equal(value(compute(linuxRound({ seqIpIds: steps })).fingerprint, 'SEQ', 'TI'), 'I');
      assert.equal(value(compute(linuxRound({ seqIpIds: steps }), { localhost: true }).fingerprint, 'SEQ', 'TI'), undefined);
    });

    it('takes CI from T5–T7 and II from the two echo replies', () => {
      const fp = compute(linuxRound({ ieIds: [500, 700] })).fingerprint;
      assert.equal(value(fp, 'SEQ', 'II'), 'I', 'a step of 200 is even');
      assert.equal(value(compute(linuxRound({ ieIds: [500, 1700] })).fingerprint, 'SEQ', 'II'), 'RI');
      assert.equal(value(fp, 'SEQ', 'CI'), 'Z');
      const noClosed = compute(linuxRound({ omit: ['T5', 'T6'] })).fingerprint;
      assert.equal(value(noClosed, 'SEQ', 'CI'), undefined, 'CI needs two replies');
    });

    it('ignores the IP ID of an echo reply to a re-sent probe', () => {
      const probes = linuxRound({ ieIds: [500, 501] });
      const ie2 = probes.findIndex((p) => p.name === 'IE2');
      const late = { ...probes[ie2]!, replies: [{ ...probes[ie2]!.replies[0]!, at: record('IE2', 900).sentAt }] };
      const resend = record('IE2', 850);
      const fp = compute([...probes.slice(0, ie2), late, ...probes.slice(ie2 + 1), resend]).fingerprint;
      assert.equal(value(fp, 'IE', 'R'), 'Y', 'the reply still counts for IE');
      assert.equal(value(fp, 'SEQ', 'II'), undefined, 'but not for II');
    });

    it('says whether TCP and ICMP share one IP ID counter (SS)', () => {
      const seqIpIds = [100, 101, 102, 103, 104, 105];
      assert.equal(value(compute(linuxRound({ seqIpIds, ieIds: [106, 107] })).fingerprint, 'SEQ', 'SS'), 'S');
      assert.equal(value(compute(linuxRound({ seqIpIds, ieIds: [5000, 5001] })).fingerprint, 'SEQ', 'SS'), 'O');
      assert.equal(value(compute(linuxRound({ seqIpIds: [0, 0, 0, 0, 0, 0], ieIds: [5000, 5001] })).fingerprint, 'SEQ', 'SS'), undefined);
    });

    it('classifies the TCP timestamp clock: U, 0, 1, 7, 8 and log2 of the rate', () => {
      const tsOf = (tsvals: number[]) => value(compute(linuxRound({ tsvals })).fingerprint, 'SEQ', 'TS');
      assert.equal(tsOf([1000, 1100, 1200, 1300, 1400, 1500]), 'A', '1000 Hz');
      assert.equal(tsOf([1000, 1010, 1020, 1030, 1040, 1050]), '7', '100 Hz');
      assert.equal(tsOf([1000, 1020, 1040, 1060, 1080, 1100]), '8', '200 Hz');
      assert.equal(tsOf([1000, 1000, 1001, 1001, 1001, 1002]), '1', '4 Hz');
      assert.equal(tsOf([7, 7, 7, 7, 7, 7]), undefined, 'a clock that does not move');
      assert.equal(tsOf([0, 1100, 1200, 1300, 1400, 1500]), '0');
      const noTs = compute(linuxRound({ seqReply: (i) => tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + i, seq: ISNS[i], ack: SEQ_BASE + i + 1, flags: SYN | ACK, options: hexBytes('020405B4') }, { df: true }) }));
      assert.equal(value(noTs.fingerprint, 'SEQ', 'TS'), 'U');
      // Random per-connection offsets (Linux tcp_timestamps=1): log2 of a huge rate.
      assert.equal(tsOf([0x10000000, 0x90000000, 0x10000000, 0x90000000, 0x10000000, 0x90000000]), '22');
    });

    it('drops a reply repeating the previous non-zero IP ID, and never uses a RST for SEQ', () => {
      const dup = compute(linuxRound({ seqIpIds: [7, 7, 9, 10, 11, 12] })).fingerprint;
      // SEQ2's reply is dropped as a duplicate: five samples remain.
      assert.equal(value(dup, 'SEQ', 'GCD'), '64');
      assert.equal(value(dup, 'OPS', 'O2'), 'M5B4ST11NWA', 'it still counts for OPS');
      const rsts = compute(linuxRound({ seqReply: (i) => tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + i, seq: 0, ack: SEQ_BASE + i + 1, flags: RST | ACK }) })).fingerprint;
      assert.equal(value(rsts, 'SEQ', 'SP'), undefined);
      assert.equal(testText(rsts, 'T1'), 'T1(R=Y%DF=N%T=40%S=Z%A=S+%F=AR%RD=0%Q=)', 'T1 takes any reply to SEQ1');
      assert.equal(testText(rsts, 'OPS'), 'OPS(O1=%O2=%O3=%O4=%O5=%O6=)');
    });
  });

  describe('OPS, WIN and T1', () => {
    it('emits OPS and WIN only when all six replies arrived, and fills gaps from re-sent probes', () => {
      const five = linuxRound({ seqReply: (i) => (i === 3 ? undefined : seqSynAck(i, {}, 64)) });
      const missing = compute(five).fingerprint;
      assert.equal(value(missing, 'OPS', 'O1'), undefined);
      assert.equal(value(missing, 'WIN', 'W1'), undefined);
      const resent = record('OPS4', 900, [[tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + 9, seq: 5, ack: SEQ_BASE + 1, flags: SYN | ACK, window: 0x1000, options: hexBytes('020405B4') }), 901]]);
      const filled = compute([...five, resent]).fingerprint;
      assert.equal(value(filled, 'OPS', 'O4'), 'M5B4');
      assert.equal(value(filled, 'WIN', 'W4'), '1000');
    });

    it('takes T1 from a stand-alone T1 probe when SEQ1 got no answer', () => {
      const noSeq1 = linuxRound({ seqReply: (i) => (i === 0 ? undefined : seqSynAck(i, {}, 64)) });
      assert.equal(testText(compute(noSeq1).fingerprint, 'T1'), 'T1(R=N)');
      const t1 = record('T1', 900, [[tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + 13, seq: 9, ack: SEQ_BASE + 1, flags: SYN | ACK }, { df: true }), 901]]);
      assert.equal(testText(compute([...noSeq1, t1]).fingerprint, 'T1'), 'T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)');
    });
  });
});
