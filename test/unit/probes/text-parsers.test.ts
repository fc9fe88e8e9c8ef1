import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseFtpGreeting, parseImapGreeting, parseMemcachedStats, parseNatsInfo, parsePop3Greeting, parseRedisInfo,
  parseSmtpReply, ehloExtensions, parseTelnet, refuseOptions,
} from '../../../agent/probes/index.ts';
import { fixture } from './support.ts';

describe('the FTP greeting parser', () => {
  it('takes the text after the 220 code as ftp.banner', () => {
    const g = parseFtpGreeting(fixture('ftp/proftpd-1.3.8.txt'));
    assert.equal(g.code, 220);
    assert.equal(g.banner, 'ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]');
    assert.equal(g.error, undefined);
  });

  it('reads a multi-line greeting to its closing line and banners its first line', () => {
    const bytes = fixture('ftp/filezilla-multiline.txt');
    const g = parseFtpGreeting(bytes);
    assert.equal(g.banner, 'FileZilla Server 0.9.60 beta');
    assert.equal(g.lines.length, 3);
    assert.equal(g.length, bytes.length);
  });

  it('reports a greeting cut off before its closing line as incomplete', () => {
    const g = parseFtpGreeting(Buffer.from('220-FileZilla Server 0.9.60 beta\r\n220-written by'));
    assert.equal(g.banner, 'FileZilla Server 0.9.60 beta');
    assert.match(g.error ?? '', /incomplete/);
  });

  it('rejects bytes that are not a coded reply', () => {
    assert.match(parseFtpGreeting(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')).error ?? '', /three-digit/);
  });
});

describe('the SMTP reply parser', () => {
  it('takes the greeting text after the code as smtp.banner', () => {
    const g = parseSmtpReply(fixture('smtp/postfix-greeting.txt'));
    assert.equal(g.code, 220);
    assert.equal(g.banner, 'mail.example.test ESMTP Postfix (Debian/GNU)');
  });

  it('lists the EHLO extension keywords after the domain line', () => {
    const ehlo = parseSmtpReply(fixture('smtp/postfix-ehlo.txt'));
    assert.equal(ehlo.complete, true);
    assert.deepEqual(ehloExtensions(ehlo).slice(0, 3), ['PIPELINING', 'SIZE 10240000', 'VRFY']);
    assert.ok(ehloExtensions(ehlo).includes('STARTTLS'));
  });
});

describe('the POP3 and IMAP greeting parsers', () => {
  it('takes the text after +OK as pop3.banner', () => {
    const g = parsePop3Greeting(Buffer.from('+OK Dovecot (Debian) ready.\r\n'));
    assert.equal(g.ok, true);
    assert.equal(g.banner, 'Dovecot (Debian) ready.');
  });

  it('keeps a -ERR greeting as a banner with ok false', () => {
    const g = parsePop3Greeting(Buffer.from('-ERR [SYS/TEMP] Server shutting down.\r\n'));
    assert.equal(g.ok, false);
    assert.equal(g.banner, '[SYS/TEMP] Server shutting down.');
  });

  it('takes the text after "* OK " as imap4.banner and reads the capabilities in it', () => {
    const g = parseImapGreeting(Buffer.from('* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n'));
    assert.equal(g.condition, 'OK');
    assert.equal(g.banner, '[CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.');
    assert.ok(g.capabilities?.includes('STARTTLS'));
  });

  it('rejects an IMAP greeting that is not untagged', () => {
    assert.ok(parseImapGreeting(Buffer.from('a1 OK done\r\n')).error);
  });
});

describe('the Telnet parser', () => {
  it('removes option negotiation and trims the banner', () => {
    const t = parseTelnet(fixture('telnet/asus-busybox-login.bin'));
    assert.equal(Buffer.from(t.banner).toString('latin1'), 'RT-AC68R login:');
    assert.deepEqual(t.commands.map((c) => [c.command, c.option]), [[253, 1], [253, 31], [251, 1], [251, 3]]);
  });

  it('refuses what was asked: WONT for DO, DONT for WILL', () => {
    const t = parseTelnet(fixture('telnet/asus-busybox-login.bin'));
    assert.deepEqual([...refuseOptions(t.commands)], [255, 252, 1, 255, 252, 31, 255, 254, 1, 255, 254, 3]);
  });

  it('skips subnegotiations and keeps an escaped 255 data byte', () => {
    const t = parseTelnet(Uint8Array.from([255, 250, 24, 1, 255, 255, 255, 240, 0x41, 255, 255, 0x42, 255, 241]));
    assert.deepEqual([...t.data], [0x41, 255, 0x42]);
    assert.equal(t.truncated, false);
  });

  it('marks a subnegotiation cut off at the end as truncated', () => {
    assert.equal(parseTelnet(Uint8Array.from([0x41, 255, 250, 24, 1])).truncated, true);
  });
});

describe('the NATS INFO parser', () => {
  it('keeps the JSON exactly as sent, without "INFO " and the trailing space and CR LF', () => {
    const info = parseNatsInfo(fixture('nats/nats-server-2.10.7.txt'));
    assert.ok(info.info?.startsWith('{"server_id":"NCXS7S5'));
    assert.ok(info.info?.endsWith('"}'));
    assert.equal(info.version, '2.10.7');
    assert.equal(info.error, undefined);
  });

  it('reports a first line that is not INFO', () => {
    assert.ok(parseNatsInfo(Buffer.from('-ERR unknown\r\n')).error);
  });
});

describe('the Redis INFO parser', () => {
  it('turns the bulk payload into LF lines without the final break', () => {
    const r = parseRedisInfo(fixture('redis/redis-7.0.15-info-server.bin'));
    assert.equal(r.complete, true);
    assert.ok(r.info?.startsWith('# Server\nredis_version:7.0.15\n'));
    assert.ok(!r.info?.endsWith('\n'));
    assert.ok(!r.info?.includes('\r'));
    assert.equal(r.fields?.redis_version, '7.0.15');
    assert.equal(r.fields?.os, 'Linux 6.1.0-18-amd64 x86_64');
  });

  it('keeps an error reply whole, leading "-" included', () => {
    const r = parseRedisInfo(Buffer.from('-NOAUTH Authentication required.\r\n'));
    assert.equal(r.info, '-NOAUTH Authentication required.');
    assert.equal(r.kind, 'error');
  });

  it('waits for the rest of a bulk string that is cut off', () => {
    const whole = fixture('redis/redis-7.0.15-info-server.bin');
    assert.equal(parseRedisInfo(whole.subarray(0, 60)).complete, false);
  });
});

describe('the memcached stats parser', () => {
  it('keeps the STAT lines before END joined by LF', () => {
    const r = parseMemcachedStats(fixture('memcached/memcached-1.6.18-stats.txt'));
    assert.equal(r.complete, true);
    assert.ok(r.stats?.startsWith('STAT pid 742\nSTAT uptime 604812\n'));
    assert.ok(r.stats?.endsWith('STAT total_connections 17'));
    assert.equal(r.version, '1.6.18');
  });

  it('keeps a CLIENT_ERROR line and gives nothing for a plain ERROR', () => {
    assert.equal(parseMemcachedStats(Buffer.from('CLIENT_ERROR unauthenticated\r\n')).stats, 'CLIENT_ERROR unauthenticated');
    assert.equal(parseMemcachedStats(Buffer.from('ERROR\r\n')).stats, undefined);
  });
});
