import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  goNameString, header, headersNamed, mdnsFacts, parseAmqpStart, parseCertificate, parseFtpGreeting, parseHtmlTitle,
  parseHttpResponse, parseImapGreeting, parseMemcachedStats, parseMysqlGreeting, parseNatsInfo, parsePop3Greeting,
  parsePostgresError, parseReadvar, parseRedisInfo, parseSmb1, parseSmb1SessionSetup, parseSmtpReply, parseSshIdentification, parseTelnet,
  parseVersionBind,
  snmpSystemFacts, text,
} from '../../../agent/probes/index.ts';
import { createRecogEngine, type RecogEngine } from '../../../collector/fingerprint/index.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { fixture } from './support.ts';

let engine: RecogEngine;
before(() => {
  engine = createRecogEngine({ builtinDirs: [`${REPO}fingerprints`, SHARED_RECOG_XML] });
});

function expectMatch(key: string, fact: string | undefined, expected: Record<string, string>) {
  assert.ok(fact !== undefined, `no ${key} fact`);
  const m = engine.match(key, fact);
  assert.ok(m, `${key} ${JSON.stringify(fact)} matched nothing`);
  for (const [k, v] of Object.entries(expected)) assert.equal(m[k], v, `${key}: ${k}`);
}

describe('probe facts are what the Recog databases expect', () => {
  it('ssh.banner: OpenSSH 9.2p1 on Debian 12', () => {
    expectMatch('ssh.banner', parseSshIdentification(fixture('ssh/openssh-9.2p1-debian.bin')).banner, {
      'service.product': 'OpenSSH', 'service.version': '9.2p1', 'os.vendor': 'Debian', 'os.version': '12.0',
    });
  });

  it('ftp.banner: ProFTPD 1.3.8 and a multi-line FileZilla greeting', () => {
    expectMatch('ftp.banner', parseFtpGreeting(fixture('ftp/proftpd-1.3.8.txt')).banner, { 'service.product': 'ProFTPD', 'service.version': '1.3.8' });
    expectMatch('ftp.banner', parseFtpGreeting(fixture('ftp/filezilla-multiline.txt')).banner, { 'service.product': 'FileZilla Server', 'service.version': '0.9.60 beta' });
  });

  it('smtp.banner: Postfix on Debian', () => {
    expectMatch('smtp.banner', parseSmtpReply(fixture('smtp/postfix-greeting.txt')).banner, { 'service.product': 'Postfix', 'os.vendor': 'Debian', 'host.name': 'mail.example.test' });
  });

  it('pop3.banner and imap4.banner: Dovecot on Debian', () => {
    expectMatch('pop3.banner', parsePop3Greeting(Buffer.from('+OK Dovecot (Debian) ready.\r\n')).banner, { 'service.product': 'Dovecot', 'os.vendor': 'Debian' });
    expectMatch('imap4.banner', parseImapGreeting(Buffer.from('* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n')).banner, {
      'service.product': 'Dovecot', 'os.vendor': 'Debian',
    });
  });

  it('telnet_banners: an ASUS router login prompt behind option negotiation', () => {
    expectMatch('telnet_banners', text(parseTelnet(fixture('telnet/asus-busybox-login.bin')).banner), { 'hw.vendor': 'Asus', 'hw.product': 'RT-AC68R' });
  });

  it('mysql.banners and mysql.error: MySQL 8.0.36, MariaDB 10.11.6 and a refused host', () => {
    expectMatch('mysql.banners', parseMysqlGreeting(fixture('mysql/mysql-8.0.36-handshake.bin')).version, { 'service.product': 'MySQL', 'service.version': '8.0.36' });
    expectMatch('mysql.banners', parseMysqlGreeting(fixture('mysql/mariadb-10.11.6-handshake.bin')).version, { 'service.product': 'MariaDB', 'service.version': '10.11.6' });
    expectMatch('mysql.error', parseMysqlGreeting(fixture('mysql/host-not-allowed.bin')).errorMessage, { 'service.product': 'MySQL' });
  });

  it('nats.info: NATS Server 2.10.7 built with Go 1.21.6', () => {
    expectMatch('nats.info', parseNatsInfo(fixture('nats/nats-server-2.10.7.txt')).info, { 'service.product': 'NATS Server', 'service.version': '2.10.7', 'service.component.version': '1.21.6' });
  });

  it('redis.info: Redis 7.0.15 on Linux', () => {
    expectMatch('redis.info', parseRedisInfo(fixture('redis/redis-7.0.15-info-server.bin')).info, { 'service.product': 'Redis', 'service.version': '7.0.15', 'os.product': 'Linux' });
  });

  it('memcached.stats: memcached 1.6.18 with libevent 2.1.12', () => {
    expectMatch('memcached.stats', parseMemcachedStats(fixture('memcached/memcached-1.6.18-stats.txt')).stats, { 'service.product': 'Memcached', 'service.version': '1.6.18', 'service.component.version': '2.1.12' });
  });

  it('postgresql.error: PostgreSQL 9.6 to 16 refusing protocol 4.0', () => {
    expectMatch('postgresql.error', parsePostgresError(fixture('postgresql/pg16-unsupported-protocol.bin')).error, { 'service.product': 'PostgreSQL' });
  });

  it('amqp.server_properties: RabbitMQ 3.13.2 on Erlang/OTP 27.0', () => {
    expectMatch('amqp.server_properties', parseAmqpStart(fixture('amqp/rabbitmq-3.13.2-start.bin')).serverProperties, {
      'service.product': 'RabbitMQ', 'service.version': '3.13.2', 'service.component.version': '27.0',
    });
  });

  it('http_header.server, .cookie, .x-powered-by, .wwwauth and html_title from real responses', () => {
    const r = parseHttpResponse(fixture('http/nginx-chunked.bin'));
    expectMatch('http_header.server', header(r, 'server'), { 'service.product': 'nginx', 'service.version': '1.22.1' });
    expectMatch('http_header.cookie', headersNamed(r, 'set-cookie').map((h) => h.value).join('\n'), { 'service.product': 'PHP', cookie: 'PHPSESSID' });
    expectMatch('http_header.x-powered-by', header(r, 'x-powered-by'), { 'service.product': 'PHP', 'service.version': '8.2.7' });
    expectMatch('html_title', parseHtmlTitle(r.body).title, { 'service.product': 'nginx' });
    expectMatch('http_header.wwwauth', header(parseHttpResponse(fixture('http/monit-401.bin')), 'www-authenticate'), { 'service.product': 'Monit' });
  });

  it('favicon.md5: lowercase hex digests are what favicons.xml lists', () => {
    expectMatch('favicon.md5', '4297c114f263c206ed12aaff4b0c7a50', { 'service.product': 'Metabase' });
  });

  it('x509.subject and x509.issuer in Go pkix order: a Linksys router and a Chromecast', () => {
    expectMatch('x509.subject', parseCertificate(fixture('tls/linksys.der')).subject, { 'hw.product': 'RV042', 'host.mac': '00:22:6b:ef:1e:d0' });
    expectMatch('x509.issuer', parseCertificate(fixture('tls/chromecast-ica.der')).issuer, { 'hw.product': 'Chromecast', 'chromecast.generation': '3' });
    assert.equal(typeof goNameString, 'function');
  });

  it('snmp.sys_description and snmp.sys_object_id: Net-SNMP on Linux', () => {
    const s = snmpSystemFacts([
      { oid: '1.3.6.1.2.1.1.1.0', type: 4, value: Buffer.from('Linux nas 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64') },
      { oid: '1.3.6.1.2.1.1.2.0', type: 6, value: '1.3.6.1.4.1.8072.3.2.10' },
    ]);
    expectMatch('snmp.sys_description', s.facts['snmp.sys_description'], { 'os.product': 'Linux', 'os.version': '5.10.0-28-amd64', 'host.name': 'nas' });
    expectMatch('snmp.sys_object_id', s.facts['snmp.sys_object_id'], { 'service.vendor': 'Net-SNMP' });
  });

  it('mdns.device-info.txt: the TXT strings of a Mac, one per line', () => {
    const f = mdnsFacts([{ name: 'studio._device-info._tcp.local', type: 'TXT', data: [Buffer.from('model=MacBookPro18,3'), Buffer.from('osxvers=21')] }]);
    expectMatch('mdns.device-info.txt', f.deviceInfo, { 'os.product': 'Mac OS X', 'os.version': '12.0' });
  });

  it('ntp.readvar: ntpd 4.2.8p15 on Linux, from two fragments', () => {
    const r = parseReadvar([fixture('ntp/readvar-frag1.bin'), fixture('ntp/readvar-frag2.bin')]);
    expectMatch('ntp.readvar', r.text, { 'service.product': 'NTP', 'service.version': '4.2.8p15@1.3728-o', 'os.version': '5.10.0-28-amd64', 'os.arch': 'x86_64' });
  });

  it('dns.versionbind: BIND 9.11.5-P4 on Debian 10', () => {
    expectMatch('dns.versionbind', parseVersionBind(fixture('dns/bind-9.11.5-versionbind.bin')).version, { 'service.product': 'BIND', 'service.version': '9.11.5-P4', 'os.version': '10.0' });
  });

  it('smb.native_os and smb.native_lm: Windows Server 2003 SP2 and Samba 3.6.6', () => {
    const win = parseSmb1SessionSetup(parseSmb1(fixture('smb/win2003-smb1-session-setup.bin')));
    expectMatch('smb.native_os', win.nativeOs, { 'os.product': 'Windows Server 2003', 'os.build': '3790', 'os.version': 'Service Pack 2' });
    const samba = parseSmb1SessionSetup(parseSmb1(fixture('smb/samba-3.6.6-smb1-session-setup.bin')));
    expectMatch('smb.native_lm', samba.nativeLm, { 'service.product': 'Samba', 'service.version': '3.6.6' });
  });
});
