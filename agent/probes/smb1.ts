// SMB1: NEGOTIATE and an anonymous SESSION_SETUP_ANDX for the NativeOS / NativeLanMan strings (smb.native_os, smb.native_lm).
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { silentStatus, withTcp } from './io/tcp.ts';
import { sessionFrame, sessionMessageComplete } from './parse/smb.ts';
import { parseSmb1, parseSmb1Negotiate, parseSmb1SessionSetup, smb1NegotiateRequest, smb1SessionSetupRequest } from './parse/smb1.ts';

export const smb1Probe: Probe = {
  name: 'smb1',
  transport: 'tcp',
  defaultPorts: [445, 139],
  run(target, ctx) {
    const run = startRun('smb1', target, 'tcp', 445);
    return withTcp(run, ctx, async (conn) => {
      conn.write(sessionFrame(smb1NegotiateRequest()));
      const neg = await conn.read({ complete: sessionMessageComplete });
      if (neg.bytes.length === 0) {
        // SMB2-only servers (Samba 4.11+, Windows with SMB1 removed) hang up on an SMB1 NEGOTIATE.
        const s = silentStatus(neg);
        return run.finish(s.status, s.status === 'no-match' ? 'connection closed: no SMB1' : s.error);
      }
      const r = parseSmb1(neg.bytes);
      if (r.command !== 0x72 || r.status !== 0) {
        run.rawOnly('smb1.received', neg.bytes);
        return run.finish('no-match', r.error ?? 'SMB1 NEGOTIATE refused');
      }
      run.rawOnly('smb1.negotiate', r.message!);
      const n = parseSmb1Negotiate(r);
      run.fact('smb.domain', n.domain);
      run.fact('smb.server_name', n.server);
      if (n.sessionKey === undefined) return run.finish('protocol-error', n.error);

      conn.write(sessionFrame(smb1SessionSetupRequest(n.sessionKey)));
      const setup = await conn.read({ complete: sessionMessageComplete });
      const sr = parseSmb1(setup.bytes);
      const ss = parseSmb1SessionSetup(sr);
      if (sr.message) run.rawOnly('smb1.session_setup', sr.message);
      run.fact('smb.native_os', ss.nativeOs);
      run.fact('smb.native_lm', ss.nativeLm);
      run.fact('smb.primary_domain', ss.primaryDomain);
      // A refused null session still proves SMB1; the strings are then simply absent.
      return run.finish('success', ss.error);
    });
  },
};
