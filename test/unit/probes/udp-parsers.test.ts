import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deviceInfoName, dnsQuery, formatNames, mdnsFacts, nodeStatusRequest, parseNodeStatus, parseReadvar, parseVersionBind,
  readvarRequest, snmpSystemFacts, txtData,
} from '../../../agent/probes/index.ts';
import { fixture } from './support.ts';

describe('the NTP READVAR parser', () => {
  it('builds the 12-byte mode-6 READVAR request', () => {
    assert.equal(readvarRequest(7).toString('hex'), '160200070000000000000000');
  });

  it('joins fragments in offset order into the readvar text', () => {
    const r = parseReadvar([fixture('ntp/readvar-frag2.bin'), fixture('ntp/readvar-frag1.bin')], 7);
    assert.equal(r.complete, true);
    assert.equal(r.text, fixture('ntp/readvar-text.txt').toString('latin1'));
    assert.equal(r.systemStatus, 0x0618);
  });

  it('keeps the first fragment when the last one is missing, and says so', () => {
    const r = parseReadvar([fixture('ntp/readvar-frag1.bin')], 7);
    assert.equal(r.complete, false);
    assert.ok(r.text?.startsWith('version="ntpd 4.2.8p15'));
    assert.match(r.error ?? '', /more fragments/);
  });

  it('ignores answers to another sequence number', () => {
    assert.equal(parseReadvar([fixture('ntp/readvar-frag1.bin')], 8).text, undefined);
  });
});

describe('the DNS version.bind parser', () => {
  it('builds a CHAOS TXT query for version.bind', () => {
    assert.equal(dnsQuery(0x4d2e, 'version.bind', 16, 3).toString('hex'), '4d2e00000001000000000000' + '0776657273696f6e0462696e6400' + '00100003');
  });

  it('reads the TXT answer through a compressed name', () => {
    const r = parseVersionBind(fixture('dns/bind-9.11.5-versionbind.bin'), 0x4d2e);
    assert.equal(r.version, '9.11.5-P4-5.1+deb10u1-Debian');
    assert.equal(r.rcode, 'NOERROR');
  });

  it('reports the rcode of a server that refuses', () => {
    const r = parseVersionBind(fixture('dns/refused.bin'), 0x4d2e);
    assert.equal(r.version, undefined);
    assert.equal(r.rcode, 'REFUSED');
  });

  it('does not follow a compression pointer loop forever', () => {
    // The question name at offset 12 points at itself.
    const msg = Buffer.concat([Buffer.from('4d2e84000001000100000000', 'hex'), Buffer.from([0xc0, 0x0c, 0, 16, 0, 3])]);
    assert.match(parseVersionBind(msg).error ?? '', /question section/);
  });
});

describe('the NetBIOS node status parser', () => {
  it('builds the NBSTAT request for the wildcard name', () => {
    const q = nodeStatusRequest(0x1234);
    assert.equal(q.length, 50);
    assert.equal(q.subarray(13, 15).toString('latin1'), 'CK');
    assert.equal(q.subarray(46).toString('hex'), '00210001');
  });

  it('reads the name table: computer name, workgroup and unit ID', () => {
    const r = parseNodeStatus(fixture('netbios/samba-node-status.bin'), 0x1234);
    assert.equal(r.computer, 'FILESRV01');
    assert.equal(r.domain, 'WORKGROUP');
    assert.equal(r.mac, '00:00:00:00:00:00');
    assert.equal(r.names.length, 7);
    assert.ok(formatNames(r.names).includes('FILESRV01<20> UNIQUE'));
    assert.ok(formatNames(r.names).includes('WORKGROUP<1e> GROUP'));
  });

  it('keeps the names read before a truncated table', () => {
    const r = parseNodeStatus(fixture('netbios/samba-node-status.bin').subarray(0, 57 + 18 * 2 + 5));
    assert.equal(r.names.length, 2);
    assert.ok(r.error);
  });
});

describe('the SNMP system group reader', () => {
  it('turns sysDescr, sysObjectID and sysName varbinds into facts', () => {
    const s = snmpSystemFacts([
      { oid: '1.3.6.1.2.1.1.1.0', type: 4, value: Buffer.from('Linux nas 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64') },
      { oid: '1.3.6.1.2.1.1.2.0', type: 6, value: '1.3.6.1.4.1.8072.3.2.10' },
      { oid: '1.3.6.1.2.1.1.5.0', type: 4, value: Buffer.from('nas') },
      { oid: '1.3.6.1.2.1.1.6.0', type: 128, value: null },
    ]);
    assert.equal(s.facts['snmp.sys_description'], 'Linux nas 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64');
    assert.equal(s.facts['snmp.sys_object_id'], '1.3.6.1.4.1.8072.3.2.10');
    assert.equal(s.facts['snmp.sys_name'], 'nas');
    assert.equal(s.facts['snmp.sys_location'], undefined);
  });
});

describe('the mDNS answer reader', () => {
  it('reads the host name, services and the _device-info TXT strings one per line', () => {
    const f = mdnsFacts([
      { name: '10.0.18.198.in-addr.arpa', type: 'PTR', data: 'studio.local' },
      { name: '_services._dns-sd._udp.local', type: 'PTR', data: '_smb._tcp.local' },
      { name: '_services._dns-sd._udp.local', type: 'PTR', data: '_ssh._tcp.local' },
      { name: 'studio._device-info._tcp.local', type: 'TXT', data: [Buffer.from('model=MacBookPro18,3'), Buffer.from('osxvers=21'), Buffer.from('ecolor=157,157,160')] },
    ]);
    assert.equal(f.hostname, 'studio.local');
    assert.deepEqual(f.services, ['_smb._tcp.local', '_ssh._tcp.local']);
    assert.equal(f.deviceInfo, 'model=MacBookPro18,3\nosxvers=21\necolor=157,157,160');
  });

  it('accepts TXT data as one buffer and skips empty strings', () => {
    assert.deepEqual(txtData(Buffer.from('model=Xserve')).strings, ['model=Xserve']);
    assert.deepEqual(txtData([Buffer.alloc(0), 'x', Buffer.from('a=b')]).strings, ['a=b']);
  });

  it('builds the device-info name from the host name', () => {
    assert.equal(deviceInfoName('studio.local'), 'studio._device-info._tcp.local');
  });
});
