import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4, parseTcp, parseUdp, tcpOptionsString } from '../../../collector/fingerprint/os/index.ts';
import { buildIcmpEcho, buildProbe, buildTcp, buildUdp, checksum, ipv4Bytes, portOffset, type ProbeAddressing, type RoundValues } from '../../../agent/net/index.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const values: RoundValues = { seqBase: 0x11223344, ackConst: 0xaabbccdd, icmpId: 0x4321, udpTtl: 57 };
const where: ProbeAddressing = { src: '198.18.0.1', dst: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 38358 };
const BASE = 45000;

function tcpOf(name: Parameters<typeof buildProbe>[0]) {
  const bytes = buildProbe(name, values, where, BASE + (portOffset(name) ?? 0));
  const ip = parseIpv4(bytes);
  assert.ok(ip);
  const tcp = parseTcp(ip);
  assert.ok(tcp);
  return { bytes, ip, tcp, optionsHex: hex(tcp.options) };
}

/** Sums a TCP/UDP datagram with its pseudo-header: 0 when the checksum is right. */
function transportSumIsValid(d: Uint8Array): boolean {
  const pseudo = new Uint8Array(12 + d.length - 20);
  pseudo.set(d.subarray(12, 20), 0);
  pseudo[9] = d[9] as number;
  pseudo[10] = ((d.length - 20) >> 8) & 0xff;
  pseudo[11] = (d.length - 20) & 0xff;
  pseudo.set(d.subarray(20), 12);
  return checksum(pseudo) === 0;
}

describe('IPv4 datagram building', () => {
  it('writes a 20-byte header whose checksum verifies, with the addresses, TTL, ID, TOS and DF asked for', () => {
    const d = buildTcp({ src: '198.18.0.1', dst: '198.18.0.2', id: 0xbeef, ttl: 42, tos: 4, df: true }, { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: 0x12, window: 5 });
    assert.equal(d[0], 0x45);
    assert.equal(d[1], 4);
    assert.equal((d[2]! << 8) | d[3]!, 40);
    assert.equal((d[4]! << 8) | d[5]!, 0xbeef);
    assert.equal(d[6], 0x40);
    assert.equal(d[8], 42);
    assert.equal(checksum(d, 0, 20), 0);
    assert.deepEqual([...d.subarray(12, 20)], [198, 18, 0, 1, 198, 18, 0, 2]);
    assert.ok(transportSumIsValid(d));
  });

  it('computes UDP and ICMP checksums that verify', () => {
    const u = buildUdp({ src: '127.0.0.1', dst: '127.0.0.1', id: 1, ttl: 64 }, 5000, 6000, new Uint8Array(301).fill(7));
    assert.ok(transportSumIsValid(u));
    const e = buildIcmpEcho({ src: '127.0.0.1', dst: '127.0.0.1', id: 1, ttl: 64 }, 9, 77, 295, new Uint8Array(120));
    assert.equal(checksum(e, 20), 0);
  });

  it('refuses addresses that are not dotted quads and unpadded TCP options', () => {
    for (const bad of ['1.2.3', '256.1.1.1', '1.2.3.4.5', 'a.b.c.d', '::1', '01x.1.1.1']) assert.throws(() => ipv4Bytes(bad), TypeError);
    assert.throws(() => buildTcp({ src: '198.18.0.1', dst: '198.18.0.2', id: 1, ttl: 1 }, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, options: new Uint8Array(3) }), RangeError);
  });
});

describe("Nmap's OS probes, byte by byte (nmap-os-detection.md §1.3–1.8)", () => {
  const seqTable: Array<[number, string, string]> = [
    [1, '03030A01020405B4080AFFFFFFFF000000000402', 'WANM5B4T10S'],
    [63, '020405780303000402080AFFFFFFFF0000000000', 'M578W0ST10L'],
    [4, '080AFFFFFFFF0000000001010303050102040280', 'T10NNW5NM280'],
    [4, '0402080AFFFFFFFF000000000303 0A00', 'ST10WAL'],
    [16, '020402180402080AFFFFFFFF000000000303 0A00', 'M218ST10WAL'],
    [512, '020401090402080AFFFFFFFF00000000', 'M109ST10'],
  ];
  seqTable.forEach(([window, options, letters], i) => {
    it(`SEQ${i + 1} is a SYN with window ${window}, seq seqBase+${i}, ack ackConst, DF clear and the table's options`, () => {
      const { ip, tcp, optionsHex } = tcpOf(`SEQ${i + 1}` as 'SEQ1');
      assert.equal(tcp.flags, 0x02);
      assert.equal(tcp.window, window);
      assert.equal(tcp.seq, (values.seqBase + i) >>> 0);
      assert.equal(tcp.ack, values.ackConst);
      assert.equal(optionsHex, options.replace(/ /g, ''));
      assert.equal(tcpOptionsString(tcp.options), letters);
      assert.equal(ip.df, false);
      assert.equal(tcp.srcPort, BASE + i);
      assert.equal(tcp.dstPort, 80);
      assert.equal(tcp.urgentPointer, 0);
      assert.equal(tcp.reserved, 0);
    });
  });

  it('OPS re-sends carry the SEQ probe\'s window and options but seq seqBase, from base+6+i', () => {
    const { tcp } = tcpOf('OPS3');
    assert.equal(tcp.seq, values.seqBase);
    assert.equal(tcp.window, 4);
    assert.equal(tcp.srcPort, BASE + 8);
  });

  it('ECN is SYN+ECE+CWR, ack 0, window 3, urgent pointer 0xF7F5 without URG, reserved nibble 8 (byte 12 = 0x88)', () => {
    const { bytes, tcp, optionsHex, ip } = tcpOf('ECN');
    assert.equal(tcp.flags, 0x02 | 0x40 | 0x80);
    assert.equal(tcp.ack, 0);
    assert.equal(tcp.seq, values.seqBase);
    assert.equal(tcp.window, 3);
    assert.equal(tcp.urgentPointer, 0xf7f5);
    assert.equal(bytes[20 + 12], 0x88);
    assert.equal(optionsHex, '03030A01020405B404020101');
    assert.equal(ip.df, false);
    assert.equal(tcp.srcPort, BASE + 12);
  });

  const tTable: Array<[string, number, boolean, number, string, number]> = [
    ['T1', 0x02, false, 1, '03030A01020405B4080AFFFFFFFF000000000402', 80],
    ['T2', 0x00, true, 128, '03030A0102040109080AFFFFFFFF000000000402', 80],
    ['T3', 0x2b, false, 256, '03030A0102040109080AFFFFFFFF000000000402', 80],
    ['T4', 0x10, true, 1024, '03030A0102040109080AFFFFFFFF000000000402', 80],
    ['T5', 0x02, false, 31337, '03030A0102040109080AFFFFFFFF000000000402', 1],
    ['T6', 0x10, true, 32768, '03030A0102040109080AFFFFFFFF000000000402', 1],
    ['T7', 0x29, false, 65535, '03030F0102040109080AFFFFFFFF000000000402', 1],
  ];
  for (const [name, flags, df, window, options, port] of tTable) {
    it(`${name} has flags 0x${flags.toString(16)}, DF ${df ? 'set' : 'clear'}, window ${window}, port ${port}, seq seqBase and ack ackConst`, () => {
      const { ip, tcp, optionsHex } = tcpOf(name as 'T1');
      assert.equal(tcp.flags, flags);
      assert.equal(ip.df, df);
      assert.equal(tcp.window, window);
      assert.equal(optionsHex, options);
      assert.equal(tcp.dstPort, port);
      assert.equal(tcp.seq, values.seqBase);
      assert.equal(tcp.ack, values.ackConst);
      assert.equal(tcp.urgentPointer, 0);
      assert.equal(tcp.srcPort, BASE + 12 + Number(name.slice(1)));
    });
  }

  it('U1 is 328 bytes to the closed UDP port with IP ID 0x1042, TTL udpTtl, DF clear and 300 bytes of "C"', () => {
    const bytes = buildProbe('U1', values, where, 51000);
    const ip = parseIpv4(bytes);
    assert.ok(ip);
    const udp = parseUdp(ip);
    assert.ok(udp);
    assert.equal(ip.totalLength, 328);
    assert.equal(ip.id, 0x1042);
    assert.equal(ip.ttl, 57);
    assert.equal(ip.df, false);
    assert.equal(bytes[1], 0);
    assert.equal(udp.srcPort, 51000);
    assert.equal(udp.dstPort, 38358);
    assert.ok(bytes.subarray(28).every((b) => b === 0x43));
    assert.equal(bytes.length - 28, 300);
    assert.ok(transportSumIsValid(bytes));
  });

  it('IE1 is an echo request with code 9, DF, TOS 0, seq 295 and 120 zero bytes (IP length 148)', () => {
    const b = buildProbe('IE1', values, where, 0);
    assert.equal((b[2]! << 8) | b[3]!, 148);
    assert.equal(b[1], 0);
    assert.equal(b[6]! & 0x40, 0x40);
    assert.deepEqual([...b.subarray(20, 22)], [8, 9]);
    assert.equal((b[24]! << 8) | b[25]!, 0x4321);
    assert.equal((b[26]! << 8) | b[27]!, 295);
    assert.ok(b.subarray(28).every((x) => x === 0));
    assert.equal(checksum(b, 20), 0);
  });

  it('IE2 is an echo request with code 0, TOS 0x04, DF clear, id+1, seq 296 and 150 zero bytes (IP length 178)', () => {
    const b = buildProbe('IE2', values, where, 0, values.icmpId + 1);
    assert.equal((b[2]! << 8) | b[3]!, 178);
    assert.equal(b[1], 4);
    assert.equal(b[6]! & 0x40, 0);
    assert.deepEqual([...b.subarray(20, 22)], [8, 0]);
    assert.equal((b[24]! << 8) | b[25]!, 0x4322);
    assert.equal((b[26]! << 8) | b[27]!, 296);
    assert.equal(b.length - 28, 150);
  });

  it('gives every TCP and ICMP probe a TTL in 37–59 and a non-zero IP ID', () => {
    for (let i = 0; i < 200; i++) {
      for (const name of ['SEQ1', 'T3', 'IE1'] as const) {
        const b = buildProbe(name, values, where, BASE);
        assert.ok(b[8]! >= 37 && b[8]! <= 59, `ttl ${b[8]}`);
        assert.notEqual((b[4]! << 8) | b[5]!, 0);
      }
    }
  });

  it('refuses to build a probe for the open port when none is known', () => {
    assert.throws(() => buildProbe('SEQ1', values, { ...where, openTcpPort: undefined }, BASE), /needs an open TCP port/);
  });
});
