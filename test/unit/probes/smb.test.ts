import assert from 'node:assert/strict';
import type net from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  negotiateRequest, parseNegotiateResponse, parseNtlmChallenge, parseSmb1, parseSmb1Negotiate, parseSmb1SessionSetup, parseSmb2,
  sessionSetupBlob, sessionSetupRequest, smb1Probe, smb1SessionSetupRequest, smbProbe,
} from '../../../agent/probes/index.ts';
import { ctx, fixture, tcpServer } from './support.ts';

function replying(replies: Buffer[]) {
  return (s: net.Socket) => {
    let i = 0;
    s.on('data', () => {
      const r = replies[i++];
      if (r) s.write(r);
    });
  };
}

describe('the SMB2 parsers', () => {
  it('read dialect, signing, server GUID and time from a NEGOTIATE response', () => {
    const m = parseSmb2(fixture('smb/win2019-negotiate.bin'));
    assert.equal(m.command, 0);
    assert.equal(m.status, 0);
    const n = parseNegotiateResponse(m.message!);
    assert.equal(n.dialect, '3.1.1');
    assert.equal(n.signing, 'required');
    assert.equal(n.serverGuid, 'e004253f-894f-d341-9a0c-0305e82c3301');
    assert.equal(n.systemTime, '2024-03-29T11:31:33.000Z');
  });

  it('read the OS version and the names of an NTLM CHALLENGE inside SPNEGO', () => {
    const m = parseSmb2(fixture('smb/win2019-session-setup-challenge.bin'));
    assert.equal(m.status, 0xc0000016);
    const ch = parseNtlmChallenge(sessionSetupBlob(m.message!)!);
    assert.equal(ch.osVersion, '10.0.17763');
    assert.equal(ch.netbiosName, 'FS01');
    assert.equal(ch.netbiosDomain, 'CORP');
    assert.equal(ch.dnsName, 'fs01.corp.example.test');
    assert.equal(ch.dnsForest, 'corp.example.test');
    assert.equal(ch.targetName, 'CORP');
  });

  it('build a NEGOTIATE that offers 3.1.1 with its pre-authentication context 8-byte aligned', () => {
    const q = negotiateRequest(Buffer.alloc(16, 1), Buffer.alloc(32, 2));
    assert.equal(q.subarray(0, 4).toString('latin1'), '\xfeSMB');
    const ctxOffset = q.readUInt32LE(64 + 28);
    assert.equal(ctxOffset % 8, 0);
    assert.equal(q.readUInt16LE(ctxOffset), 1);
    assert.equal(q.readUInt16LE(64 + 36 + 8), 0x0311);
  });

  it('build a SESSION_SETUP whose security buffer holds an NTLMSSP NEGOTIATE', () => {
    const q = sessionSetupRequest(1);
    assert.equal(q.readUInt16LE(64 + 12), 88);
    assert.ok(q.subarray(88).includes(Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1')));
  });

  it('recognise an SMB1-only answer', () => {
    assert.match(parseSmb2(Buffer.from('\x00\x00\x00\x08\xffSMBr\x00\x00\x00', 'latin1')).error ?? '', /SMB1/);
  });

  it('never throw on random or mutated bytes', () => {
    const real = [fixture('smb/win2019-negotiate.bin'), fixture('smb/win2019-session-setup-challenge.bin')];
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 1024 }),
      fc.tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat({ max: 335 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat({ max: 400 })).map(([b, flips, cut]) => {
        const x = Buffer.from(b);
        for (const [i, v] of flips) if (i < x.length) x[i] = v;
        return x.subarray(0, cut);
      }),
    );
    fc.assert(fc.property(arb, (b) => {
      const m = parseSmb2(b);
      if (m.message) {
        parseNegotiateResponse(m.message);
        parseNtlmChallenge(sessionSetupBlob(m.message) ?? m.message);
      }
      parseNtlmChallenge(b);
    }), { numRuns: 500 });
  });
});

describe('the SMB1 parsers', () => {
  it('read the session key and workgroup of an NT LM 0.12 NEGOTIATE reply', () => {
    const n = parseSmb1Negotiate(parseSmb1(fixture('smb/samba-3.6.6-smb1-negotiate.bin')));
    assert.equal(n.sessionKey, 0x2a1b0c09);
    assert.equal(n.extendedSecurity, false);
    assert.equal(n.domain, 'WORKGROUP');
    assert.equal(n.server, 'FILESRV01');
  });

  it('read NativeOS, NativeLanMan and the domain after the alignment pad', () => {
    const samba = parseSmb1SessionSetup(parseSmb1(fixture('smb/samba-3.6.6-smb1-session-setup.bin')));
    assert.deepEqual(samba, { nativeOs: 'Unix', nativeLm: 'Samba 3.6.6', primaryDomain: 'WORKGROUP' });
    const win = parseSmb1SessionSetup(parseSmb1(fixture('smb/win2003-smb1-session-setup.bin')));
    assert.equal(win.nativeOs, 'Windows Server 2003 3790 Service Pack 2');
    assert.equal(win.nativeLm, 'Windows Server 2003 5.2');
  });

  it('build a null-session SESSION_SETUP_ANDX with the session key and an aligned data block', () => {
    const q = smb1SessionSetupRequest(0x2a1b0c09);
    assert.equal(q[32], 13);
    assert.equal(q.readUInt32LE(32 + 11), 0x2a1b0c09);
    assert.equal(q.readUInt16LE(32 + 27), q.length - 61);
    assert.equal(q.subarray(62).toString('utf16le'), '\0\0Sextant\0Sextant\0');
  });

  it('never throw on random or mutated bytes', () => {
    const real = [fixture('smb/samba-3.6.6-smb1-negotiate.bin'), fixture('smb/win2003-smb1-session-setup.bin')];
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat({ max: 200 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat({ max: 220 })).map(([b, flips, cut]) => {
        const x = Buffer.from(b);
        for (const [i, v] of flips) if (i < x.length) x[i] = v;
        return x.subarray(0, cut);
      }),
    ), (b) => {
      const r = parseSmb1(b);
      parseSmb1Negotiate(r);
      parseSmb1SessionSetup(r);
    }), { numRuns: 500 });
  });
});

describe('the smb1 probe against a server on 127.0.0.1', () => {
  it('records NativeOS, NativeLanMan and the workgroup', async () => {
    const server = await tcpServer(replying([fixture('smb/samba-3.6.6-smb1-negotiate.bin'), fixture('smb/samba-3.6.6-smb1-session-setup.bin')]));
    try {
      const r = await smb1Probe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['smb.native_os'], 'Unix');
      assert.equal(r.facts?.['smb.native_lm'], 'Samba 3.6.6');
      assert.equal(r.facts?.['smb.domain'], 'WORKGROUP');
    } finally {
      await server.close();
    }
  });

  it('is no-match against an SMB2-only server that hangs up', async () => {
    const server = await tcpServer((s) => s.once('data', () => s.end()));
    try {
      const r = await smb1Probe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'no-match');
    } finally {
      await server.close();
    }
  });
});

describe('the smb probe against a server on 127.0.0.1', () => {
  it('records dialect, signing, OS version and names', async () => {
    const server = await tcpServer(replying([fixture('smb/win2019-negotiate.bin'), fixture('smb/win2019-session-setup-challenge.bin')]));
    try {
      const r = await smbProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['smb.dialect'], '3.1.1');
      assert.equal(r.facts?.['smb.signing'], 'required');
      assert.equal(r.facts?.['smb.os_version'], '10.0.17763');
      assert.equal(r.facts?.['netbios.name'], 'FS01');
      assert.equal(r.facts?.['smb.dns_domain'], 'corp.example.test');
    } finally {
      await server.close();
    }
  });
});
