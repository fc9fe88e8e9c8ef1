import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseAmqpStart, parseEcdhReply, parseKexinit, parseMysqlGreeting, parsePostgresError, parseSshIdentification,
  parseSshPackets, startupPacket,
} from '../../../agent/probes/index.ts';
import { fixture } from './support.ts';

describe('the SSH identification parser', () => {
  it('takes everything after "SSH-2.0-" as ssh.banner', () => {
    const bytes = fixture('ssh/openssh-9.2p1-debian.bin');
    const id = parseSshIdentification(bytes);
    assert.equal(id.protoVersion, '2.0');
    assert.equal(id.banner, 'OpenSSH_9.2p1 Debian-2+deb12u3');
    assert.equal(id.end, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'.length);
  });

  it('skips lines a server sends before its identification', () => {
    const id = parseSshIdentification(Buffer.from('Welcome to the jump host\r\nSSH-1.99-Cisco-1.25\r\n'));
    assert.deepEqual(id.preamble, ['Welcome to the jump host']);
    assert.equal(id.protoVersion, '1.99');
    assert.equal(id.banner, 'Cisco-1.25');
  });

  it('reports bytes with no SSH- line', () => {
    assert.ok(parseSshIdentification(Buffer.from('220 ftp ready\r\n')).error);
  });

  it('reads the server KEXINIT name-lists after the identification', () => {
    const bytes = fixture('ssh/openssh-9.2p1-debian.bin');
    const id = parseSshIdentification(bytes);
    const { packets, rest } = parseSshPackets(bytes.subarray(id.end));
    assert.equal(rest.length, 0);
    assert.equal(packets[0]?.type, 20);
    const k = parseKexinit(packets[0]!.payload);
    assert.equal(k.kex[1], 'curve25519-sha256');
    assert.deepEqual(k.hostKey, ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519']);
    assert.equal(k.error, undefined);
  });

  it('fingerprints the host key of an ECDH reply the way ssh-keygen -l does', () => {
    const { packets } = parseSshPackets(fixture('ssh/kex-ecdh-reply.bin'));
    const hk = parseEcdhReply(packets[0]!.payload);
    assert.equal(hk.type, 'ssh-ed25519');
    // ssh-keygen -lf on the same key: 256 SHA256:YMUKd36d... (ED25519)
    assert.equal(hk.sha256, 'SHA256:YMUKd36dU9gPiX462X3H5fP5Z1IS45z78BTkVDr15wo');
  });

  it('stops at an implausible packet length instead of allocating it', () => {
    const r = parseSshPackets(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 4, 1, 2, 3]));
    assert.equal(r.packets.length, 0);
    assert.match(r.error ?? '', /implausible/);
  });
});

describe('the MySQL greeting parser', () => {
  it('reads the version string of a MySQL 8 Handshake v10 packet', () => {
    const g = parseMysqlGreeting(fixture('mysql/mysql-8.0.36-handshake.bin'));
    assert.equal(g.protocol, 10);
    assert.equal(g.version, '8.0.36');
    assert.equal(g.connectionId, 11);
    assert.equal(g.authPlugin, 'caching_sha2_password');
    assert.equal(g.characterSet, 255);
    assert.equal(g.error, undefined);
  });

  it('keeps MariaDB\'s "5.5.5-" prefix in the version string, as mysql_banners.xml expects', () => {
    const g = parseMysqlGreeting(fixture('mysql/mariadb-10.11.6-handshake.bin'));
    assert.equal(g.version, '5.5.5-10.11.6-MariaDB-0+deb12u1');
    assert.equal(g.authPlugin, 'mysql_native_password');
  });

  it('reads the message of an ERR packet sent instead of the greeting', () => {
    const g = parseMysqlGreeting(fixture('mysql/host-not-allowed.bin'));
    assert.equal(g.errorCode, 1130);
    assert.equal(g.errorMessage, "Host '192.0.2.10' is not allowed to connect to this MySQL server");
  });

  it('reports a truncated packet and keeps what it could read', () => {
    const g = parseMysqlGreeting(fixture('mysql/mysql-8.0.36-handshake.bin').subarray(0, 20));
    assert.equal(g.version, '8.0.36');
    assert.match(g.error ?? '', /truncated/);
  });
});

describe('the PostgreSQL error parser', () => {
  it('renders the ErrorResponse fields as "T:value" joined by spaces', () => {
    const r = parsePostgresError(fixture('postgresql/pg16-unsupported-protocol.bin'));
    assert.equal(r.error, 'S:FATAL V:FATAL C:0A000 M:unsupported frontend protocol 4.0: server supports 3.0 to 3.0 F:postmaster.c L:2195 R:ProcessStartupPacket');
    assert.equal(r.complete, true);
  });

  it('reads the pre-3.0 error string without its newline and NUL', () => {
    const r = parsePostgresError(fixture('postgresql/pre3-error.bin'));
    assert.equal(r.error, 'FATAL:  unsupported frontend protocol 4.0: server supports 3.0 to 3.0');
  });

  it('builds the 22-byte startup packet for protocol 4.0 that the fingerprint header describes', () => {
    assert.equal(startupPacket().toString('hex'), '0000001600040000' + Buffer.from('user\0sextant\0\0').toString('hex'));
  });

  it('does not take an authentication request for an error', () => {
    const r = parsePostgresError(Uint8Array.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
    assert.equal(r.error, undefined);
    assert.equal(r.messageType, 'R');
  });
});

describe('the AMQP Connection.Start parser', () => {
  it('renders RabbitMQ\'s server-properties as "key=value; ..." with the nested table in braces', () => {
    const r = parseAmqpStart(fixture('amqp/rabbitmq-3.13.2-start.bin'));
    assert.equal(r.versionMajor, 0);
    assert.equal(r.versionMinor, 9);
    assert.equal(r.mechanisms, 'AMQPLAIN PLAIN');
    assert.equal(r.locales, 'en_US');
    assert.equal(
      r.serverProperties,
      'capabilities={publisher_confirms=true, exchange_exchange_bindings=true, basic.nack=true, consumer_cancel_notify=true, connection.blocked=true, consumer_priorities=true, authentication_failure_close=true, per_consumer_qos=true, direct_reply_to=true}; cluster_name=rabbit@3f9c2a1b7d4e; copyright=Copyright (c) 2007-2024 Broadcom Inc and/or its subsidiaries; information=Licensed under the MPL 2.0. Website: https://rabbitmq.com; platform=Erlang/OTP 27.0; product=RabbitMQ; version=3.13.2',
    );
    assert.equal(r.error, undefined);
  });

  it('recognises a broker that answers with another protocol header', () => {
    const r = parseAmqpStart(Buffer.from('AMQP\x03\x01\x00\x00', 'latin1'));
    assert.equal(r.protocolHeader, 'AMQP 1.0.0 (id 3)');
  });

  it('waits for the rest of a frame that is cut off', () => {
    assert.equal(parseAmqpStart(fixture('amqp/rabbitmq-3.13.2-start.bin').subarray(0, 50)).complete, false);
  });
});
