import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ipIdClass,
  ipIdValue,
  internetChecksum,
  isnTests,
  modDiff,
  parseIcmp,
  parseIpv4,
  parseTcp,
  parseUdp,
  sharedIpIdSequence,
  tcpOptionsString,
  tcpTimestamp,
  timestampTest,
  type SeqSample,
} from '../../../collector/fingerprint/os/index.ts';
import { hexBytes } from './packet-builder.ts';

const samples = (isns: number[], tsvals: number[] = isns.map(() => 0), gapUs = 100_000): SeqSample[] =>
  isns.map((isn, i) => ({ isn, tsval: tsvals[i] ?? 0, sentUs: 5_000_000 + i * gapUs }));

describe('SEQ arithmetic', () => {
  it('measures the shorter way round the 32-bit circle', () => {
    assert.equal(modDiff(10, 5), 5);
    assert.equal(modDiff(5, 10), 5);
    assert.equal(modDiff(0, 0xffffffff), 1);
    assert.equal(modDiff(0x80000000, 0), 0x80000000);
  });

  it('computes SP, GCD and ISR from ISN steps and send gaps', () => {
    assert.deepEqual(isnTests(samples([1, 101, 401, 501, 801, 901])), [['SP', '1C'], ['GCD', '64'], ['ISR', '57']]);
    assert.deepEqual(isnTests(samples([5, 5, 5, 5])), [['SP', '0'], ['GCD', '0'], ['ISR', '0']]);
    assert.deepEqual(isnTests(samples([1, 2, 3])), []);
    // GCD 3 is not divided out (≤ 9): rates 30, 60, 30 /s, mean 40, sd = sqrt(600/2) = 17.32:
    // SP = trunc(8·log2(17.32) + 0.5) = 33 (0x21), ISR = trunc(8·log2(40) + 0.5) = 43 (0x2B).
    assert.deepEqual(isnTests(samples([3, 6, 12, 15])), [['SP', '21'], ['GCD', '3'], ['ISR', '2B']]);
  });

  it('counts a zero send gap as one microsecond', () => {
    // 1 per µs = 10⁶ per second: trunc(8·log2(10⁶) + 0.5) = 159 (0x9F).
    assert.deepEqual(isnTests(samples([1, 2, 3, 4], undefined, 0)), [['SP', '0'], ['GCD', '1'], ['ISR', '9F']]);
  });

  it('classifies the timestamp clock at Nmap\'s boundaries', () => {
    // With 100 s between sends a TSval step of n is n/100 Hz.
    const ts = (step: number) => timestampTest('unknown', samples([1, 2, 3], [0, step, 2 * step], 100_000_000));
    assert.equal(ts(0), undefined);
    assert.equal(ts(1), '1');
    assert.equal(ts(566), '1', '5.66 Hz is still class 1');
    assert.equal(ts(567), '3', '5.67 Hz: trunc(log2 5.67 + 0.5)');
    assert.equal(ts(7000), '6', '70 Hz is below class 7');
    assert.equal(ts(7001), '7');
    assert.equal(ts(15000), '7');
    assert.equal(ts(15001), '8');
    assert.equal(ts(35000), '8');
    assert.equal(ts(100000), 'A');
    assert.equal(timestampTest('unsupported', []), 'U');
    assert.equal(timestampTest('zero', []), '0');
    assert.equal(timestampTest('unknown', samples([1])), undefined, 'needs two replies');
  });
});

describe('IP ID sequence classes', () => {
  const cls = (ids: number[], localhost = false) => ipIdValue(ipIdClass(ids, localhost));

  it('names each class as Nmap does', () => {
    assert.equal(cls([0, 0, 0]), 'Z');
    assert.equal(cls([1, 30000, 30001]), 'RD');
    assert.equal(cls([1, 2000, 4000]), 'RI');
    assert.equal(cls([1, 257, 513]), 'BI');
    assert.equal(cls([1, 5121]), 'BI', 'a step of 5120 = 20·256 is still BI');
    assert.equal(cls([1, 5377]), 'I', '21·256 is too big for BI, too small for RI, and even');
    assert.equal(cls([1, 25601]), 'RI', '100·256 and more is RI');
    assert.equal(cls([10, 12, 20]), 'I');
    assert.equal(cls([10, 13, 20]), 'I', 'steps up to 9');
    assert.equal(cls([10, 21, 32]), undefined);
    assert.equal(cls([7, 7]), '7');
    assert.equal(cls([0x1042, 0x1042]), '1042');
    assert.equal(cls([5]), undefined, 'one ID says nothing');
  });

  it('checks for random steps only with three or more IDs', () => {
    assert.equal(cls([1, 30001]), 'RI');
    assert.equal(cls([30001, 1]), 'RI', 'two IDs: the backward step is taken mod 2^16 (35536)');
    assert.equal(cls([30001, 1, 2]), 'RD', 'three IDs: a backward step is huge as a 32-bit difference');
  });

  it('subtracts our own RST from localhost steps, 256 from multiples of 256', () => {
    assert.equal(cls([1, 3, 5], true), 'I');
    assert.equal(ipIdClass([1, 3, 5], true).kind, 'increment');
    assert.equal(ipIdClass([1, 3, 5], false).kind, 'increment-by-2');
    assert.equal(cls([1, 257, 513], true), '1', 'steps of 256 become 0: a constant');
    assert.equal(cls([1, 2, 4], true), 'I', 'not every step is at least 2, so nothing is subtracted');
  });

  it('tells a shared TCP/ICMP counter (SS) only for incremental classes', () => {
    const inc = ipIdClass([100, 101, 102]);
    assert.equal(sharedIpIdSequence([100, 101, 102], inc, [103, 104], ipIdClass([103, 104])), 'S');
    assert.equal(sharedIpIdSequence([100, 101, 102], inc, [110, 111], ipIdClass([110, 111])), 'O', '110 ≥ 102 + 3·1');
    assert.equal(sharedIpIdSequence([100, 102, 104], ipIdClass([100, 102, 104]), [105, 106], ipIdClass([105, 106])), undefined, 'steps of 2 do not count');
    assert.equal(sharedIpIdSequence([0, 0, 0], ipIdClass([0, 0, 0]), [1, 2], ipIdClass([1, 2])), undefined);
  });
});

describe('packet parsing', () => {
  it('writes TCP options as Nmap letters', () => {
    assert.equal(tcpOptionsString(hexBytes('020405B4 0402 080A 00000001 00000000 01 03030A')), 'M5B4ST10NWA');
    assert.equal(tcpOptionsString(hexBytes('080A 00000000 00000007')), 'T01');
    assert.equal(tcpOptionsString(hexBytes('02040218 00 00 01 01')), 'M218LLNN', 'EOL does not stop the walk');
    assert.equal(tcpOptionsString(hexBytes('0303FF')), 'WFF');
    assert.equal(tcpOptionsString(hexBytes('')), '');
  });

  it('skips unknown options by their length and gives up on malformed lists', () => {
    assert.equal(tcpOptionsString(hexBytes('050A 0000000100000002 020405B4')), 'M5B4', 'SACK blocks are skipped');
    assert.equal(tcpOptionsString(hexBytes('020405')), '', 'truncated MSS');
    assert.equal(tcpOptionsString(hexBytes('080A000000')), '', 'truncated timestamp');
    assert.equal(tcpOptionsString(hexBytes('1E01 0000')), '', 'an unknown option with length 1');
    assert.equal(tcpOptionsString(hexBytes('1E08 0000')), '', 'an unknown option longer than the list');
  });

  it('finds the TSval of the timestamp option', () => {
    assert.equal(tcpTimestamp(hexBytes('020405B4 0101 080A 0000ABCD 00000000')), 0xabcd);
    assert.equal(tcpTimestamp(hexBytes('020405B4 0402')), undefined);
    assert.equal(tcpTimestamp(hexBytes('00 080A 0000ABCD 00000000')), undefined, 'nothing after EOL');
  });

  it('computes the Internet checksum', () => {
    // RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
    assert.equal(internetChecksum(hexBytes('0001f203f4f5f6f7')), 0x220d);
    assert.equal(internetChecksum(hexBytes('01')), 0xfeff);
  });

  it('reads nothing from bytes that are not the expected headers, and never throws', () => {
    assert.equal(parseIpv4(hexBytes('45000014')), undefined);
    assert.equal(parseIpv4(hexBytes(`65${'00'.repeat(23)}`)), undefined, 'IPv6 version nibble');
    assert.equal(parseIpv4(hexBytes(`46${'00'.repeat(23)}`)), undefined, 'options claimed but not captured');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const ip = parseIpv4(bytes);
        if (ip) {
          parseTcp(ip);
          parseIcmp(ip);
          parseUdp(ip);
        }
        assert.equal(typeof tcpOptionsString(bytes), 'string');
        tcpTimestamp(bytes);
      }),
      { numRuns: 3000 },
    );
  });
});
