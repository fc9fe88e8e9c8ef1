import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  goNameString, mdnsFacts, parseAmqpStart, parseCertificate, parseCodedReply, parseDnsMessage, parseEcdhReply,
  parseFtpGreeting, parseHtmlTitle, parseHttpResponse, parseImapGreeting, parseKexinit, parseMemcachedStats,
  parseMysqlGreeting, parseName, parseNatsInfo, parseNodeStatus, parsePop3Greeting, parsePostgresError, parseReadvar,
  parseRedisInfo, parseSmtpReply, parseSshIdentification, parseSshPackets, parseTelnet, parseVersionBind, snmpSystemFacts,
  txtData,
} from '../../../agent/probes/index.ts';
import { fixture } from './support.ts';

const RUNS = { numRuns: 300 };

const bytes = fc.uint8Array({ maxLength: 2048 });

/** Random bytes, and real messages with random bytes flipped, cut or appended: hostile input near the real thing. */
function near(real: Uint8Array) {
  return fc.oneof(
    bytes,
    fc.tuple(fc.nat({ max: real.length }), fc.uint8Array({ maxLength: 64 })).map(([cut, tail]) => Buffer.concat([real.subarray(0, cut), tail])),
    fc.array(fc.tuple(fc.nat({ max: Math.max(0, real.length - 1) }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((flips) => {
      const b = Buffer.from(real);
      for (const [i, v] of flips) if (i < b.length) b[i] = v;
      return b;
    }),
  );
}

function neverThrows(name: string, arb: fc.Arbitrary<Uint8Array>, parse: (b: Uint8Array) => unknown) {
  it(`${name} never throws on hostile bytes`, () => {
    fc.assert(fc.property(arb, (b) => {
      parse(b);
    }), RUNS);
  });
}

describe('every probe parser on random and mutated input', () => {
  neverThrows('the coded-reply parser', near(fixture('ftp/filezilla-multiline.txt')), parseCodedReply);
  neverThrows('the FTP greeting parser', near(fixture('ftp/proftpd-1.3.8.txt')), parseFtpGreeting);
  neverThrows('the SMTP reply parser', near(fixture('smtp/postfix-ehlo.txt')), parseSmtpReply);
  neverThrows('the POP3 greeting parser', bytes, parsePop3Greeting);
  neverThrows('the IMAP greeting parser', bytes, parseImapGreeting);
  neverThrows('the Telnet parser', near(fixture('telnet/asus-busybox-login.bin')), parseTelnet);
  neverThrows('the SSH identification parser', near(fixture('ssh/openssh-9.2p1-debian.bin')), parseSshIdentification);
  neverThrows('the SSH packet and KEXINIT parsers', near(fixture('ssh/openssh-9.2p1-debian.bin').subarray(40)), (b) => {
    for (const p of parseSshPackets(b).packets) parseKexinit(p.payload);
    parseKexinit(b);
  });
  neverThrows('the SSH ECDH reply parser', near(fixture('ssh/kex-ecdh-reply.bin').subarray(5)), parseEcdhReply);
  neverThrows('the MySQL greeting parser', near(fixture('mysql/mysql-8.0.36-handshake.bin')), parseMysqlGreeting);
  neverThrows('the NATS INFO parser', near(fixture('nats/nats-server-2.10.7.txt')), parseNatsInfo);
  neverThrows('the Redis INFO parser', near(fixture('redis/redis-7.0.15-info-server.bin')), parseRedisInfo);
  neverThrows('the memcached stats parser', near(fixture('memcached/memcached-1.6.18-stats.txt')), parseMemcachedStats);
  neverThrows('the PostgreSQL error parser', near(fixture('postgresql/pg16-unsupported-protocol.bin')), parsePostgresError);
  neverThrows('the AMQP Connection.Start parser', near(fixture('amqp/rabbitmq-3.13.2-start.bin')), parseAmqpStart);
  neverThrows('the HTTP response parser', near(fixture('http/nginx-chunked.bin')), (b) => parseHttpResponse(b, { closed: true }));
  neverThrows('the HTML title reader', bytes, parseHtmlTitle);
  neverThrows('the X.509 reader', near(fixture('tls/multi.der')), parseCertificate);
  neverThrows('the distinguished-name reader', bytes, (b) => {
    const rdns = parseName(b);
    if (rdns) goNameString(rdns);
  });
  neverThrows('the NTP READVAR parser', near(fixture('ntp/readvar-frag1.bin')), (b) => parseReadvar([b, b]));
  neverThrows('the DNS message parser', near(fixture('dns/bind-9.11.5-versionbind.bin')), (b) => {
    parseDnsMessage(b);
    parseVersionBind(b);
  });
  neverThrows('the NetBIOS node status parser', near(fixture('netbios/samba-node-status.bin')), parseNodeStatus);

  it('the SNMP and mDNS readers never throw on arbitrary decoded values', () => {
    fc.assert(fc.property(fc.array(fc.record({ oid: fc.oneof(fc.string(), fc.constantFrom('1.3.6.1.2.1.1.1.0', '.1.3.6.1.2.1.1.2.0')), type: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }), value: fc.anything() })), (vbs) => {
      snmpSystemFacts(vbs);
    }), RUNS);
    fc.assert(fc.property(fc.array(fc.record({ name: fc.oneof(fc.string(), fc.constant('x._device-info._tcp.local')), type: fc.constantFrom('PTR', 'TXT', 'A', 'SRV'), data: fc.anything() })), (rs) => {
      mdnsFacts(rs);
      for (const r of rs) txtData(r.data);
    }), RUNS);
  });
});
