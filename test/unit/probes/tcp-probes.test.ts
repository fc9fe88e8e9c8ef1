import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type net from 'node:net';
import {
  amqpProbe, ftpProbe, imapProbe, memcachedProbe, mysqlProbe, natsProbe, parseSshPackets, pop3Probe, postgresqlProbe,
  probes, redisProbe, smtpProbe, sshProbe, telnetProbe,
} from '../../../agent/probes/index.ts';
import type { Probe, ProbeResult } from '../../../shared/types.ts';
import { closedPort, ctx, fixture, scripted, tcpServer } from './support.ts';

async function against(probe: Probe, serve: (s: net.Socket) => void, timeoutMs = 2000): Promise<ProbeResult> {
  const server = await tcpServer(serve);
  try {
    return await probe.run({ ip: '127.0.0.1', port: server.port }, ctx(timeoutMs));
  } finally {
    await server.close();
  }
}

function raw(r: ProbeResult, key: string): Buffer {
  return Buffer.from(r.raw?.[key] ?? '', 'base64');
}

describe('the probe registration list', () => {
  it('holds each probe once, with a transport and default ports', () => {
    const names = probes.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of probes) {
      assert.ok(p.defaultPorts.length > 0, p.name);
      assert.ok(['tcp', 'udp'].includes(p.transport), p.name);
    }
  });
});

describe('the TCP probes against servers on 127.0.0.1', () => {
  it('ssh records the banner and the host key fingerprint from one key exchange', async () => {
    const r = await against(sshProbe, (s) => {
      s.write(fixture('ssh/openssh-9.2p1-debian.bin'));
      let buf = Buffer.alloc(0);
      let replied = false;
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const lf = buf.indexOf(0x0a);
        if (replied || lf < 0) return;
        if (parseSshPackets(buf.subarray(lf + 1)).packets.some((p) => p.type === 30)) {
          replied = true;
          s.write(fixture('ssh/kex-ecdh-reply.bin'));
        }
      });
    });
    assert.equal(r.status, 'success', r.error);
    assert.equal(r.facts?.['ssh.banner'], 'OpenSSH_9.2p1 Debian-2+deb12u3');
    assert.equal(raw(r, 'ssh.banner').toString('latin1'), 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    assert.equal(r.facts?.['ssh.hostkey.sha256'], 'SHA256:YMUKd36dU9gPiX462X3H5fP5Z1IS45z78BTkVDr15wo');
    assert.equal(r.facts?.['ssh.hostkey.type'], 'ssh-ed25519');
    assert.ok(r.facts?.['ssh.kex_algorithms']?.includes('curve25519-sha256'));
    assert.deepEqual(r.target, { ip: '127.0.0.1', port: r.target.port, transport: 'tcp' });
    assert.ok(!Number.isNaN(Date.parse(r.startedAt)) && r.durationMs >= 0);
  });

  it('ssh keeps the banner when the server hangs up during the key exchange', async () => {
    const r = await against(sshProbe, (s) => {
      s.write('SSH-2.0-dropbear_2022.83\r\n');
      s.once('data', () => s.end());
    });
    assert.equal(r.status, 'success');
    assert.equal(r.facts?.['ssh.banner'], 'dropbear_2022.83');
    assert.ok(r.error);
  });

  it('ftp reads a greeting that arrives in pieces', async () => {
    const greeting = fixture('ftp/filezilla-multiline.txt');
    const r = await against(ftpProbe, (s) => {
      s.write(greeting.subarray(0, 20));
      setTimeout(() => s.write(greeting.subarray(20)), 50);
    });
    assert.equal(r.status, 'success', r.error);
    assert.equal(r.facts?.['ftp.banner'], 'FileZilla Server 0.9.60 beta');
    assert.deepEqual(raw(r, 'ftp.banner'), greeting);
  });

  it('smtp records the greeting and the EHLO extensions', async () => {
    const r = await against(smtpProbe, scripted(fixture('smtp/postfix-greeting.txt'), [fixture('smtp/postfix-ehlo.txt'), '221 2.0.0 Bye\r\n']));
    assert.equal(r.status, 'success', r.error);
    assert.equal(r.facts?.['smtp.banner'], 'mail.example.test ESMTP Postfix (Debian/GNU)');
    assert.ok(r.facts?.['smtp.extensions']?.split('\n').includes('STARTTLS'));
  });

  it('pop3 and imap record the text after the status', async () => {
    const p = await against(pop3Probe, scripted('+OK Dovecot (Debian) ready.\r\n'));
    assert.equal(p.facts?.['pop3.banner'], 'Dovecot (Debian) ready.');
    const i = await against(imapProbe, scripted('* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot (Debian) ready.\r\n'));
    assert.equal(i.facts?.['imap4.banner'], '[CAPABILITY IMAP4rev1 STARTTLS] Dovecot (Debian) ready.');
    assert.equal(i.facts?.['imap.capabilities'], 'IMAP4rev1 STARTTLS');
  });

  it('telnet answers the option negotiation and records the banner that follows', async () => {
    const bytes = fixture('telnet/asus-busybox-login.bin');
    const replies: Buffer[] = [];
    const r = await against(telnetProbe, (s) => {
      s.write(bytes.subarray(0, 12));
      s.once('data', (d: Buffer) => {
        replies.push(d);
        s.write(bytes.subarray(12));
      });
    });
    assert.equal(r.status, 'success', r.error);
    assert.equal(r.facts?.telnet_banners, 'RT-AC68R login:');
    assert.deepEqual(raw(r, 'telnet_banners'), bytes);
    assert.deepEqual([...replies[0]!], [255, 252, 1, 255, 252, 31, 255, 254, 1, 255, 254, 3]);
  });

  it('mysql records the version string and the ERR message of a refused host', async () => {
    const ok = await against(mysqlProbe, scripted(fixture('mysql/mysql-8.0.36-handshake.bin')));
    assert.equal(ok.status, 'success', ok.error);
    assert.equal(ok.facts?.['mysql.banners'], '8.0.36');
    assert.equal(ok.facts?.['mysql.auth_plugin'], 'caching_sha2_password');
    assert.deepEqual(raw(ok, 'mysql.banners'), fixture('mysql/mysql-8.0.36-handshake.bin'));
    const err = await against(mysqlProbe, scripted(fixture('mysql/host-not-allowed.bin')));
    assert.equal(err.facts?.['mysql.error'], "Host '192.0.2.10' is not allowed to connect to this MySQL server");
  });

  it('nats, redis and memcached record their greeting or reply', async () => {
    const n = await against(natsProbe, scripted(fixture('nats/nats-server-2.10.7.txt')));
    assert.equal(n.facts?.['nats.version'], '2.10.7');
    assert.ok(n.facts?.['nats.info']?.startsWith('{"server_id"'));
    const r = await against(redisProbe, scripted(undefined, [fixture('redis/redis-7.0.15-info-server.bin')]));
    assert.equal(r.status, 'success', r.error);
    assert.equal(r.facts?.['redis.version'], '7.0.15');
    const locked = await against(redisProbe, scripted('-DENIED Redis is running in protected mode\r\n'));
    assert.equal(locked.facts?.['redis.info'], '-DENIED Redis is running in protected mode');
    const m = await against(memcachedProbe, scripted(undefined, [fixture('memcached/memcached-1.6.18-stats.txt')]));
    assert.equal(m.facts?.['memcached.version'], '1.6.18');
  });

  it('postgresql sends the protocol 4.0 startup packet and records the error', async () => {
    let sent: Buffer | undefined;
    const r = await against(postgresqlProbe, (s) => {
      s.once('data', (d: Buffer) => {
        sent = d;
        s.end(fixture('postgresql/pg16-unsupported-protocol.bin'));
      });
    });
    assert.equal(r.status, 'success', r.error);
    assert.equal(sent?.toString('hex'), '0000001600040000757365720073657874616e740000');
    assert.ok(r.facts?.['postgresql.error']?.startsWith('S:FATAL V:FATAL C:0A000 M:unsupported frontend protocol 4.0'));
    assert.equal(r.facts?.['postgresql.sqlstate'], '0A000');
  });

  it('amqp sends the 0-9-1 header and records the server properties', async () => {
    const r = await against(amqpProbe, scripted(undefined, [fixture('amqp/rabbitmq-3.13.2-start.bin')]));
    assert.equal(r.status, 'success', r.error);
    assert.ok(r.facts?.['amqp.server_properties']?.endsWith('product=RabbitMQ; version=3.13.2'));
    assert.equal(r.facts?.['amqp.version'], '0-9');
  });

  it('an unexpected answer is no-match, with the bytes kept', async () => {
    const r = await against(mysqlProbe, scripted('HTTP/1.1 400 Bad Request\r\n\r\n', [], false));
    assert.equal(r.status, 'no-match');
    assert.equal(raw(r, 'mysql.received').toString('latin1').slice(0, 8), 'HTTP/1.1');
  });
});

describe('the TCP probes under network conditions', () => {
  it('report refused for a closed port', async () => {
    const r = await sshProbe.run({ ip: '127.0.0.1', port: await closedPort() }, ctx());
    assert.equal(r.status, 'refused');
    assert.equal(r.facts, undefined);
  });

  it('report timeout when a server accepts and says nothing', async () => {
    const r = await against(natsProbe, () => {}, 300);
    assert.equal(r.status, 'timeout');
  });

  it('report blocked, without connecting, when the target is out of scope', async () => {
    let connections = 0;
    const server = await tcpServer(() => connections++);
    try {
      const r = await ftpProbe.run({ ip: '127.0.0.1', port: server.port }, { timeoutMs: 500, checkTarget: () => { throw new Error('outside the task scope'); } });
      assert.equal(r.status, 'blocked');
      assert.equal(r.error, 'outside the task scope');
      assert.equal(connections, 0);
    } finally {
      await server.close();
    }
  });

  it('refuse a host name instead of resolving it', async () => {
    const r = await sshProbe.run({ ip: 'localhost', port: 22 }, ctx());
    assert.equal(r.status, 'error');
    assert.match(r.error ?? '', /not an IP address/);
  });

  it('stop reading at 64 KiB from a server that never stops', async () => {
    const r = await against(telnetProbe, (s) => {
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => { while (!s.destroyed && s.write(chunk)); };
      s.on('drain', pump);
      pump();
    });
    assert.equal(raw(r, 'telnet_banners').length, 64 * 1024);
  });
});
