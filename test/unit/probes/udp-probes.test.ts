import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import snmp from 'net-snmp';
import { dnsProbe, netbiosProbe, ntpProbe, snmpProbe } from '../../../agent/probes/index.ts';
import { ctx, fixture, udpServer } from './support.ts';

/** The fixture with the request's 16-bit id (or sequence) written at that offset. */
function withId(bytes: Buffer, request: Buffer, offset: number): Buffer {
  const out = Buffer.from(bytes);
  request.copy(out, offset, offset, offset + 2);
  return out;
}

describe('the UDP probes against servers on 127.0.0.1', () => {
  it('ntp sends a 12-byte READVAR and joins the fragments of the answer', async () => {
    const seen: Buffer[] = [];
    const server = await udpServer((q) => {
      seen.push(q);
      return [withId(fixture('ntp/readvar-frag2.bin'), q, 2), withId(fixture('ntp/readvar-frag1.bin'), q, 2)];
    });
    try {
      const r = await ntpProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(seen[0]?.length, 12);
      assert.equal(r.facts?.['ntp.readvar'], fixture('ntp/readvar-text.txt').toString('latin1'));
      assert.equal(r.target.transport, 'udp');
    } finally {
      await server.close();
    }
  });

  it('dns asks version.bind in class CHAOS and records the TXT answer', async () => {
    const server = await udpServer((q) => [withId(fixture('dns/bind-9.11.5-versionbind.bin'), q, 0)]);
    try {
      const r = await dnsProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['dns.versionbind'], '9.11.5-P4-5.1+deb10u1-Debian');
      assert.equal(r.facts?.['dns.rcode'], 'NOERROR');
    } finally {
      await server.close();
    }
  });

  it('dns keeps the rcode of a server that refuses, as no-match', async () => {
    const server = await udpServer((q) => [withId(fixture('dns/refused.bin'), q, 0)]);
    try {
      const r = await dnsProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'no-match');
      assert.equal(r.facts?.['dns.rcode'], 'REFUSED');
    } finally {
      await server.close();
    }
  });

  it('dns ignores an answer with another id', async () => {
    const server = await udpServer(() => [fixture('dns/bind-9.11.5-versionbind.bin').fill(0xff, 0, 2)]);
    try {
      const r = await dnsProbe.run({ ip: '127.0.0.1', port: server.port }, ctx(300));
      assert.equal(r.status, 'timeout');
    } finally {
      await server.close();
    }
  });

  it('netbios records the computer name, workgroup and name table', async () => {
    const server = await udpServer((q) => [withId(fixture('netbios/samba-node-status.bin'), q, 0)]);
    try {
      const r = await netbiosProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['netbios.name'], 'FILESRV01');
      assert.equal(r.facts?.['netbios.domain'], 'WORKGROUP');
    } finally {
      await server.close();
    }
  });

  it('a UDP probe to a closed port is refused or times out, never throws', async () => {
    const server = await udpServer(() => undefined);
    const port = server.port;
    await server.close();
    const r = await ntpProbe.run({ ip: '127.0.0.1', port }, ctx(500));
    assert.ok(['refused', 'timeout'].includes(r.status), r.status);
  });

  it('snmp reads the system group from an agent with community public', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const agent = snmp.createAgent({ port, address: '127.0.0.1', disableAuthorization: true }, () => {});
    agent.getAuthorizer().addCommunity('public');
    const mib = agent.getMib();
    const scalars: Array<[string, string, number, unknown]> = [
      ['sysDescr', '1.3.6.1.2.1.1.1', snmp.ObjectType.OctetString, 'Linux nas 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64'],
      ['sysObjectID', '1.3.6.1.2.1.1.2', snmp.ObjectType.OID, '1.3.6.1.4.1.8072.3.2.10'],
      ['sysName', '1.3.6.1.2.1.1.5', snmp.ObjectType.OctetString, 'nas'],
    ];
    for (const [name, oid, scalarType, value] of scalars) {
      mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid, scalarType, maxAccess: snmp.MaxAccess['read-only'] });
      mib.setScalarValue(name, value);
    }
    try {
      const r = await snmpProbe.run({ ip: '127.0.0.1', port }, ctx());
      assert.equal(r.facts?.['snmp.sys_description'], 'Linux nas 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64');
      assert.equal(r.facts?.['snmp.sys_object_id'], '1.3.6.1.4.1.8072.3.2.10');
      assert.equal(r.facts?.['snmp.sys_name'], 'nas');
      assert.equal(r.status, 'success', r.error);
    } finally {
      await new Promise<void>((resolve) => agent.close(() => resolve()));
    }
  });
});
